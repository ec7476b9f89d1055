"""Server time per key web page (not a test): demo scale and a synthetic scale.

    .venv/bin/python bench/pages.py --scale demo
    .venv/bin/python bench/pages.py --needs 10000 --programmes 10000 [--skip-load]
    .venv/bin/python bench/pages.py --skip-load --only catalogue   # some pages

Each scale gets its own PostgreSQL database (``--database-url``, default
``postgres://postgres@127.0.0.1:5432/cbm_bench_pages_<scale>``), recreated
unless ``--skip-load``: migrate, then ``load_demo`` (demo scale) or
``generate_dataset`` + ``import_dataset`` + ``rematch`` (synthetic scale).
Then, in this process with ``DEBUG`` off, every key page is requested through
Django's full request/response stack (middleware, views, templates) by the role
that uses it: two warm-up requests, then ``--repeat`` timed ones. Prints
p50/p95/max server time in ms and the number of SQL queries of each page; a
page whose query count changes between requests is flagged. Network and
browser time are not included: this is the time the server spends.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
sys.path.insert(0, str(ROOT))


def run(*args: str, env: dict) -> None:
    print("+", " ".join(args), flush=True)
    subprocess.run(args, cwd=ROOT, env=env, check=True)  # noqa: S603


def prepare(env: dict, scale: str, needs: int, programmes: int) -> None:
    """Recreate the database and load the data of the scale."""
    import psycopg

    url = env["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    run(PY, "manage.py", "migrate", "--noinput", "-v", "0", env=env)
    if scale == "demo":
        run(PY, "manage.py", "load_demo", env=env)
        return
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = out.name
    run(
        PY, "manage.py", "generate_dataset", "--needs", str(needs),
        "--programmes", str(programmes), "--seed", "1", "-o", path, env=env,
    )  # fmt: skip
    run(PY, "manage.py", "import_dataset", path, env=env)
    run(PY, "manage.py", "rematch", env=env)
    # As production's autovacuum would leave it (a server with autovacuum off
    # keeps the load's dead rows and no statistics: plans go wrong).
    quiet = "SET client_min_messages = error"  # the catalogs are not ours
    run("psql", env["DATABASE_URL"], "-q", "-c", quiet, "-c", "VACUUM ANALYZE", env=env)
    Path(path).unlink()


def actors():
    """A focal point, a provider user and a curator for the loaded data."""
    from matchmaking.models import Membership
    from matchmaking.models import Need
    from matchmaking.models import Programme
    from matchmaking.models import User

    need = (
        Need.objects.filter(matches__isnull=False)
        .select_related("member_state")
        .order_by("pk")
        .first()
    )
    programme = (
        Programme.objects.filter(matches__isnull=False)
        .select_related("provider")
        .order_by("pk")
        .first()
    )
    if need is None or programme is None:
        raise SystemExit("no need or programme has matches: is the engine wired in?")
    focal, _ = User.objects.get_or_create(username="bench-focal")
    Membership.objects.get_or_create(user=focal, member_state=need.member_state)
    provider, _ = User.objects.get_or_create(username="bench-provider")
    Membership.objects.get_or_create(user=provider, provider=programme.provider)
    curator, _ = User.objects.get_or_create(
        username="bench-curator", defaults={"is_curator": True}
    )
    public_need = (
        Need.objects.filter(visibility="public").order_by("pk").first() or need
    )
    return {
        "focal": focal,
        "provider": provider,
        "curator": curator,
        "need": need,
        "public_need": public_need,
        "programme": programme,
    }


def pages(found) -> list[tuple[str, str | None, str]]:
    """(label, role, path) of the key pages."""
    from django.urls import reverse

    from roundtable.models import Event

    need, programme = found["need"], found["programme"]
    rows = [
        ("home", None, reverse("home")),
        ("catalogue", None, reverse("programme-list")),
        (
            "catalogue filtered",
            None,
            reverse("programme-list")
            + "?theme=incident-management-cip&eligibility=ldc&q=training",
        ),
        ("catalogue page 50", None, reverse("programme-list") + "?page=50"),
        ("programme", None, reverse("programme-detail", args=[programme.ref])),
        ("provider", None, reverse("provider-detail", args=[programme.provider.ref])),
        ("needs register", None, reverse("need-list")),
        ("public need", None, reverse("need-detail", args=[found["public_need"].ref])),
        ("state dashboard", "focal", reverse("state-dashboard")),
        ("need + matches", "focal", reverse("need-detail", args=[need.ref])),
        ("provider dashboard", "provider", reverse("provider-dashboard")),
        (
            "programme matches",
            "provider",
            reverse("programme-matches", args=[programme.ref]),
        ),
        ("review queue", "curator", reverse("curator-review")),
        ("match board", "curator", reverse("match-board")),
        # Curators see every need here.
        ("gap dashboard", "curator", reverse("gap-dashboard")),
    ]
    event = Event.objects.order_by("pk").first()
    if event is not None:
        rows.append(("agenda", None, reverse("event-agenda", args=[event.slug])))
    return rows


def measure(repeat: int, only: list[str] | None = None) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    found = actors()
    clients = {None: Client()}
    for role in ("focal", "provider", "curator"):
        clients[role] = Client()
        clients[role].force_login(found[role])
    failures = 0
    print(f"{'page':22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for label, role, path in pages(found):
        if only and not any(label.startswith(prefix) for prefix in only):
            continue
        client = clients[role]
        for _ in range(2):
            client.get(path, secure=True)
        times, counts = [], set()
        status = 200
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(path, secure=True)
                times.append((time.perf_counter() - start) * 1000)
            status = response.status_code
            counts.add(len(queries))
        q = (
            statistics.quantiles(times, n=20, method="inclusive")
            if len(times) > 1
            else times * 19
        )
        flag = "" if len(counts) == 1 else "  (query count varies)"
        if status != 200:
            failures += 1
            flag += f"  HTTP {status}"
        print(
            f"{label:22} {statistics.median(times):8.1f} {q[18]:8.1f} "
            f"{max(times):8.1f} {max(counts):8}{flag}"
        )
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["demo", "synthetic"], default="synthetic")
    parser.add_argument("--needs", type=int, default=10000)
    parser.add_argument("--programmes", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url")
    parser.add_argument("--skip-load", action="store_true", help="reuse the DB")
    parser.add_argument(
        "--only",
        action="append",
        metavar="LABEL",
        help="time only the pages whose label starts with this (repeatable)",
    )
    args = parser.parse_args()
    suffix = "demo" if args.scale == "demo" else f"{args.needs}x{args.programmes}"
    url = args.database_url or (
        f"postgres://postgres@127.0.0.1:5432/cbm_bench_pages_{suffix}"
    )
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1",
        # Server time only: static files are not served here, so no manifest.
        DJANGO_STATIC_MANIFEST="False",
        DJANGO_LOG_LEVEL="WARNING",
    )
    if not args.skip_load:
        prepare(env, args.scale, args.needs, args.programmes)
    os.environ.update(env)
    import django

    django.setup()
    print(f"--- server time per page, scale {suffix}, PostgreSQL, DEBUG off")
    return measure(args.repeat, args.only)


if __name__ == "__main__":
    sys.exit(main())
