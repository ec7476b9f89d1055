"""Peak memory of the streamed export (not a test): 10,000 needs as NDJSON and CSV.

    .venv/bin/python bench/export_memory.py            # 10,000 needs
    .venv/bin/python bench/export_memory.py --needs 20000

A scratch SQLite database in a temporary folder (migrated, reference data
loaded by the migrations), N public open needs with a topic and a language
each (bulk-created), then ``GET /api/v1/export/needs/`` through Django's test
client, consuming the stream line by line as a client would, under
tracemalloc. For comparison, one page of the needs list (100 rows, the
largest page). Prints the Python heap's peak in each case (tracemalloc:
allocations made by Python code, the interpreter's own baseline excluded).
DEBUG is off, as in production (Django keeps every query's SQL otherwise).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--needs", type=int, default=10_000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cbm-export-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["API_CACHE_SECONDS"] = "0"
    os.environ["DJANGO_DEBUG"] = "False"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-" + "x" * 50)
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ["DJANGO_API_DATASET_RATE"] = "1000/min"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from matchmaking.enums import NeedStatus
    from matchmaking.enums import Visibility
    from matchmaking.models import Country
    from matchmaking.models import MemberState
    from matchmaking.models import Need

    call_command("migrate", verbosity=0)
    state = MemberState.objects.create(country=Country.objects.get(iso3="SEN"))
    started = time.perf_counter()
    Need.objects.bulk_create(
        Need(
            ref=f"bench-{n}",
            member_state=state,
            title=f"Establish a national CSIRT {n}",
            summary="Help to set up an incident response team. " * 4,
            description="We need help to establish our national CSIRT. " * 20,
            status=NeedStatus.OPEN,
            visibility=Visibility.PUBLIC,
        )
        for n in range(args.needs)
    )
    through = Need.topics.through
    through.objects.bulk_create(
        through(need_id=pk, topic_id="csirt-establishment")
        for pk in Need.objects.values_list("pk", flat=True)
    )
    print(f"{args.needs} needs made in {time.perf_counter() - started:.1f} s")

    client = Client()
    # Warm up: the first request imports modules and builds the schema the
    # parameter check reads (once per process), which is not the export's.
    last = Need.objects.order_by("-pk").values_list("pk", flat=True).first()
    if (
        client.get(f"/api/v1/export/needs/?after={last}", secure=True).status_code
        != 200
    ):
        raise SystemExit("the export does not answer 200")
    for fmt in ("ndjson", "csv"):
        tracemalloc.start()
        started = time.perf_counter()
        response = client.get(f"/api/v1/export/needs/?format={fmt}", secure=True)
        rows = sum(chunk.count(b"\n") for chunk in response.streaming_content)
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"export {fmt:6}: {rows} lines in {seconds:.1f} s, "
            f"peak {peak / 2**20:.1f} MiB"
        )

    tracemalloc.start()
    page = client.get("/api/v1/needs/?page_size=100", secure=True)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = len(page.json()["results"])
    print(f"one list page: {rows} rows, peak {peak / 2**20:.1f} MiB")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
