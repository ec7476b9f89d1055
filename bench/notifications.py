"""Notification benchmark: fan-out of events, daily digests, saving a need.

    .venv/bin/python bench/notifications.py [--events 10000] [--users 5000] \
        [--database-url sqlite:////tmp/cbm-bench-notifications.sqlite3]

Builds a world in a database of its own (replaced each run): member states and
providers with five people each (``--users`` in all), needs and published
programmes, and ``--events`` matches. Then times:

* fan-out: recording one "new suggestion" event per match (``record_many``)
  and delivering every one of them (in batches of 250: audiences and
  visibility of a batch in a few set-based queries, one insert per channel);
* the daily digests of everyone (``build_digests``, each line re-checked:
  visibility once per organisation, every line rendered once per language
  and time zone); target for both together: at most 60 s;
* saving a need (``services.update_record``), p50 / p95 over ``--saves`` edits
  each, alternating saves with the outbox as it is and with its row (the
  saved-search alert) left out (the "before"): the outbox insert is all a
  save pays.

The database is named in the first line printed; with ``--database-url
postgres://...`` the CPU time is this process's only (the server's is not
counted), so the wall time is the figure to read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument(
        "--database-url", default="sqlite:////tmp/cbm-bench-notifications.sqlite3"
    )
    args = parser.parse_args()
    if args.database_url.startswith("sqlite:///"):
        Path(args.database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_TASKS_BACKEND"] = "django.tasks.backends.dummy.DummyBackend"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db import transaction
    from django.utils import timezone

    from matchmaking import notifications
    from matchmaking import services
    from matchmaking.enums import MembershipRole
    from matchmaking.enums import NeedStatus
    from matchmaking.enums import ProgrammeStatus
    from matchmaking.models import Country
    from matchmaking.models import EventKind
    from matchmaking.models import Match
    from matchmaking.models import Membership
    from matchmaking.models import MemberState
    from matchmaking.models import Need
    from matchmaking.models import Notification
    from matchmaking.models import Programme
    from matchmaking.models import Provider
    from matchmaking.models import StakeholderGroup
    from matchmaking.models import User
    from matchmaking.notifications import dispatch
    from matchmaking.notifications.digests import build_digests

    call_command("migrate", verbosity=0)
    countries = list(Country.objects.order_by("iso3")[:200])
    group = StakeholderGroup.objects.first()
    per_org = 5
    n_states = min(len(countries), args.users // per_org // 5)
    n_providers = args.users // per_org - n_states
    started = time.perf_counter()
    states = MemberState.objects.bulk_create(
        [MemberState(country=c) for c in countries[:n_states]]
    )
    providers = Provider.objects.bulk_create(
        [
            Provider(
                ref=f"bench-p{i}",
                name=f"Bench provider {i}",
                name_key=f"bench provider {i}",
                stakeholder_group=group,
                country=countries[i % len(countries)],
                is_verified=True,
                verified_at=timezone.now(),
            )
            for i in range(n_providers)
        ]
    )
    users = User.objects.bulk_create(
        [
            User(username=f"bench{i}", email=f"bench{i}@example.org", password="!")  # noqa: S106 - unusable password
            for i in range(args.users)
        ]
    )
    memberships = []
    for i, user in enumerate(users):
        org = i // per_org
        if org < n_states:
            memberships.append(
                Membership(user=user, member_state=states[org], role="focal_point")
            )
        else:
            memberships.append(
                Membership(
                    user=user,
                    provider=providers[org - n_states],
                    role=MembershipRole.MANAGER,
                )
            )
    Membership.objects.bulk_create(memberships)
    needs = Need.objects.bulk_create(
        [
            Need(
                ref=f"bench-n{i}",
                member_state=states[i % n_states],
                title=f"Bench need {i}",
                description="A need of the benchmark.",
                status=NeedStatus.OPEN,
            )
            for i in range(n_states * 5)
        ]
    )
    programmes = Programme.objects.bulk_create(
        [
            Programme(
                ref=f"bench-g{i}",
                provider=providers[i % n_providers],
                title=f"Bench programme {i}",
                summary="A programme of the benchmark.",
                description="A programme of the benchmark.",
                status=ProgrammeStatus.PUBLISHED,
            )
            for i in range(n_providers * 2)
        ]
    )
    pairs = set()
    k = 0
    while len(pairs) < args.events:
        # The k // len(needs) shift: (k % needs, 7k % programmes) alone repeats
        # after lcm(needs, programmes) pairs (8,000 at the full size: the loop
        # never reached 10,000).
        programme = programmes[(k * 7 + k // len(needs)) % len(programmes)]
        pairs.add((needs[k % len(needs)].pk, programme.pk))
        k += 1
    matches = Match.objects.bulk_create(
        [Match(need_id=n, programme_id=p, score=0.8, rank=1) for n, p in pairs]
    )
    out(
        f"database: {connection.vendor}; world: {len(users)} users "
        f"({n_states} states, {n_providers} providers, "
        f"{per_org} people each), {len(needs)} needs, {len(programmes)} programmes, "
        f"{len(matches)} matches ({time.perf_counter() - started:.1f} s)"
    )

    # Wall time, and this process's CPU time (SQLite runs in the process): on a
    # shared machine the wall time also counts the waits for a core.
    started, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic():
        ids = notifications.record_many(EventKind.SUGGESTION_NEW, matches)
    recorded = time.perf_counter() - started
    delivered = dispatch.deliver(ids)
    fan_out, fan_out_cpu = time.perf_counter() - started, time.process_time() - cpu
    rows = Notification.objects.count()
    out(
        f"fan-out: {len(ids)} events recorded in {recorded:.1f} s, {delivered} "
        f"delivered, {rows} notifications, {fan_out:.1f} s ({fan_out_cpu:.1f} s CPU)"
    )
    Notification.objects.update(created_at=timezone.now() - dt.timedelta(days=1))
    started, cpu = time.perf_counter(), time.process_time()
    digests = build_digests(period="daily")
    built, built_cpu = time.perf_counter() - started, time.process_time() - cpu
    out(f"daily digests: {digests} built in {built:.1f} s ({built_cpu:.1f} s CPU)")
    total, total_cpu = fan_out + built, fan_out_cpu + built_cpu
    verdict = "OK" if total <= 60 else "SLOW"
    out(
        f"fan-out + digests: {total:.1f} s, {total_cpu:.1f} s CPU "
        f"(target <= 60 s): {verdict}; load {os.getloadavg()[0]:.1f}"
    )

    editor = users[0]
    need = Need.objects.get(pk=needs[0].pk)

    def save_time(i: int) -> float:
        t = time.perf_counter()
        services.update_record(
            user=editor, record=need, data={"description": f"Edited {i}."}
        )
        return (time.perf_counter() - t) * 1000

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[18]

    # Saves with and without what a need's save writes to the outbox (the
    # saved-search alert row), alternating, so that the machine's load
    # changes weigh on both alike.
    before, after = [], []
    for i in range(args.saves):
        with mock.patch.object(
            services.saved_search_alerts, "record_change", return_value=None
        ):
            before.append(save_time(2 * i))
        after.append(save_time(2 * i + 1))
    out(
        f"saving a need ({args.saves} saves each, alternating): p50 "
        f"{statistics.median(before):.1f} ms, p95 {p95(before):.1f} ms without the "
        f"outbox row; p50 {statistics.median(after):.1f} ms, p95 {p95(after):.1f} ms "
        f"with it; load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
