"""Cost of the audit trail on dataset import (not a test): history on vs off.

    .venv/bin/python bench/audit_import.py --needs 2000 --programmes 2000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cbm_bench \\
        .venv/bin/python bench/audit_import.py --needs 10000 --programmes 10000

``import_dataset`` writes one historical row per created or updated provider,
programme and need (simple_history's ``bulk_create_with_history`` and
``bulk_update_with_history``). This script generates a synthetic dataset, then,
for each mode (``SIMPLE_HISTORY_ENABLED`` off, then on) on a fresh database
(a temporary SQLite file, or the PostgreSQL database of DATABASE_URL, dropped
and recreated), times in-process: the first import (all rows created), an
import where every need and programme title changed (all updated) and an
unchanged re-import. The rematch the import schedules is only queued
(django_tasks_db backend), so the figures are the import's own. Prints seconds
per step and mode and the overhead of history (best of ``--rounds`` alternating runs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
STEPS = ("create", "update", "unchanged")


def child(dataset: str, history: bool) -> None:
    """One mode on a fresh database: print the step timings as JSON."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from matchmaking.dataset.exchange import import_dataset

    settings.SIMPLE_HISTORY_ENABLED = history
    call_command("migrate", verbosity=0)
    data = json.loads(Path(dataset).read_text())
    timings = {}
    start = time.perf_counter()
    import_dataset(data=data)
    timings["create"] = time.perf_counter() - start
    for section in ("programmes", "needs"):
        for row in data[section]:
            row["title"] = f"{row['title']} (revised)"
    start = time.perf_counter()
    import_dataset(data=data)
    timings["update"] = time.perf_counter() - start
    start = time.perf_counter()
    import_dataset(data=data)
    timings["unchanged"] = time.perf_counter() - start
    print(json.dumps(timings))


def fresh_database(env: dict) -> dict:
    """A new empty database for one mode; returns the environment naming it."""
    url = env.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        parsed = urlparse(url)
        name = parsed.path.lstrip("/")
        admin = f"{parsed.scheme}://{parsed.netloc}/postgres"
        for sql in (
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}"',
        ):
            subprocess.run(["psql", admin, "-q", "-c", sql], check=True)  # noqa: S603, S607
        return env
    handle, path = tempfile.mkstemp(suffix=".sqlite3")
    os.close(handle)
    os.unlink(path)
    return {**env, "DATABASE_URL": f"sqlite:///{path}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--needs", type=int, default=300)
    parser.add_argument("--programmes", type=int, default=300)
    parser.add_argument(
        "--rounds", type=int, default=2, help="runs per mode, alternating (best kept)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--history", choices=("on", "off"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.history == "on")
        return
    env = {**os.environ, "DJANGO_TASKS_BACKEND": "django_tasks_db.DatabaseBackend"}
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        dataset = out.name
    subprocess.run(  # noqa: S603
        [
            PY, "manage.py", "generate_dataset", "--needs", str(args.needs),
            "--programmes", str(args.programmes), "--seed", "7", "-o", dataset,
        ],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    results: dict[str, dict[str, float]] = {"off": {}, "on": {}}
    for _round in range(args.rounds):
        for mode in ("off", "on"):
            mode_env = fresh_database(env)
            done = subprocess.run(  # noqa: S603
                [PY, __file__, "--child", dataset, "--history", mode],
                cwd=ROOT, env=mode_env, check=True, capture_output=True, text=True,
            )  # fmt: skip
            timings = json.loads(done.stdout.strip().splitlines()[-1])
            for step, seconds in timings.items():
                results[mode][step] = min(results[mode].get(step, seconds), seconds)
    backend = (
        "PostgreSQL" if env.get("DATABASE_URL", "").startswith("postg") else ("SQLite")
    )
    print(
        f"import_dataset, {args.needs} needs x {args.programmes} programmes, {backend}"
    )
    print(f"{'step':<10} {'history off':>12} {'history on':>12} {'overhead':>9}")
    for step in STEPS:
        off, on = results["off"][step], results["on"][step]
        print(f"{step:<10} {off:>11.2f}s {on:>11.2f}s {100 * (on - off) / off:>8.0f}%")
    os.unlink(dataset)


if __name__ == "__main__":
    main()
