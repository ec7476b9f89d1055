"""A TypeScript client compiles against the types generated from the served schema.

openapi-typescript turns the schema into types, and tests/clients/ts/client.ts
(written against them) must pass ``tsc --strict``. The tools come from the npm
registry into tests/clients/ts/node_modules (``npm ci`` against the committed
package-lock.json; .ci/run does it and sets REQUIRE_TS_CLIENT=1).
"""

from __future__ import annotations

import os
import shutil
import subprocess  # nosec B404 (our own tools, fixed arguments)
from pathlib import Path

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.one_database_pass]

HERE = Path(__file__).parent / "ts"
BIN = HERE / "node_modules" / ".bin"


def test_a_typescript_client_compiles_strictly_against_the_schema(client, tmp_path):
    node = shutil.which("node")
    if node is None or not (BIN / "tsc").exists():
        if os.environ.get("REQUIRE_TS_CLIENT"):
            pytest.fail("REQUIRE_TS_CLIENT is set but the TypeScript tools are missing")
        pytest.skip("no node or no `npm ci` in tests/clients/ts (CI installs them)")
    schema = tmp_path / "schema.json"
    schema.write_bytes(client.get("/api/v1/schema/?format=json").content)
    for name in ("client.ts", "tsconfig.json"):
        shutil.copy(HERE / name, tmp_path / name)
    subprocess.run(  # noqa: S603  # nosec B603 (fixed tools)
        [
            node,
            str(BIN / "openapi-typescript"),
            str(schema),
            "--default-non-nullable",
            "false",
            "-o",
            str(tmp_path / "api.ts"),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    compiled = subprocess.run(  # noqa: S603  # nosec B603 (fixed tools)
        [node, str(BIN / "tsc"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
