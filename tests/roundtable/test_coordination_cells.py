"""The coordination view's cells kept on write: after random writes through
every path that changes what they are computed from, they equal a rebuild and
the figures equal the record-by-record computation; and concurrent writers
add up on PostgreSQL."""

import datetime as dt
import io
import random
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.db import transaction
from django.urls import reverse

from matchmaking import services
from matchmaking.coordination_cells import coordination_cells_problems
from matchmaking.coordination_cells import rebuild_coordination_cells
from matchmaking.coordination_cells import refresh_coordination_cells
from matchmaking.dataset.exchange import import_dataset
from matchmaking.funding.coordination import coordination
from matchmaking.funding.rates import refresh_usd
from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_funding
from matchmaking.models import BudgetLine
from matchmaking.models import CoordinationCell
from matchmaking.models import CoordinationShare
from matchmaking.models import Country
from matchmaking.models import ExchangeRate
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import ProgrammeFunding
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import Theme
from matchmaking.models import Topic
from tests.conftest import verify_two_factor
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.roundtable.test_coordination import COUNTRIES
from tests.roundtable.test_coordination import REGIONS
from tests.roundtable.test_coordination import random_records
from tests.roundtable.test_coordination import reference_figures
from tests.roundtable.test_coordination import same_figures


def kept_equal_computed():
    assert coordination_cells_problems() == []
    same_figures(coordination(), reference_figures())
    since = dt.date(2026, 1, 1)
    same_figures(coordination(since=since), reference_figures(since=since))


def random_funding(rng, funders):
    return parse_funding(
        {
            "currency": rng.choice(["USD", "EUR", "JPY", "XOF"]),
            "participants": [
                {"role": "funding", "provider": f.ref}
                for f in rng.sample(funders, rng.randint(0, 2))
            ]
            + [
                {"role": "funding", "name": name}
                for name in rng.sample(["Donor X", "Donor Y"], rng.randint(0, 1))
            ],
            "budget_lines": [
                {
                    "period_start": f"{2024 + j}-0{rng.randint(1, 9)}-01",
                    "period_end": f"{2024 + j}-12-31",
                    "amount": f"{rng.randint(0, 10**7)}.{rng.randint(0, 99):02d}",
                }
                for j in range(rng.choice([0, 1, 2]))
            ],
            **(
                {"total_budget": str(rng.randint(0, 10**7))}
                if rng.random() < 0.5
                else {}
            ),
        }
    )


def dataset(rng, refs, provider):
    return {
        "format": "cbm-dataset/1",
        "providers": [
            {
                "ref": provider.ref,
                "name": f"Renamed {provider.ref} {rng.randint(0, 9)}",
                "stakeholder_group": "intergovernmental",
                "country": "CHE",
                "website": "https://www.example.org",
                "description": "A funder.",
            }
        ],
        "programmes": [
            {
                "ref": ref,
                "provider": provider.ref,
                "title": f"Imported {ref}",
                "topics": ["awareness"],
                "languages": ["en"],
                "eligibility": {"countries": rng.sample(COUNTRIES, 1)},
                "funding": {
                    "participants": [
                        {"role": "funding", "name": "Donor Z"},
                        {"role": "funding", "provider": provider.ref},
                    ],
                    "budget_lines": [
                        {
                            "period_start": "2026-01-01",
                            "period_end": "2026-12-31",
                            "amount": str(rng.randint(1, 10**6)),
                        }
                    ],
                },
            }
            for ref in refs
        ],
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_random_writes_through_every_path_keep_the_cells(db, curator, seed):
    rng = random.Random(seed)  # noqa: S311 (test data)
    random_records(rng)
    kept_equal_computed()
    funders = list(Provider.objects.filter(ref__startswith="f"))
    topics = list(Topic.objects.filter(slug__in=["awareness", "iot-security"]))
    themes = list(Theme.objects.all()[:3])

    def some_programme():
        return rng.choice(list(Programme.objects.order_by("pk")))

    def fund():
        write_funding(programme=some_programme(), funding=random_funding(rng, funders))

    def edit():
        programme = some_programme()
        services.update_record(
            user=curator,
            record=programme,
            data={
                "topics": rng.sample(topics, rng.randint(1, 2)),
                "eligible_countries": list(
                    Country.objects.filter(iso3__in=rng.sample(COUNTRIES, 1))
                ),
                "ends_on": rng.choice([None, dt.date(2029, 6, 30)]),
            },
        )

    def move():
        programme = some_programme()
        status = rng.choice(["published", "paused", "closed", "draft"])
        try:
            services.set_record_status(user=curator, record=programme, status=status)
        except (ValidationError, PermissionDenied):
            programme.status = status  # an admin's save
            programme.save()

    def tag():
        programme = some_programme()
        rng.choice(
            [
                lambda: programme.eligible_regions.set(rng.sample(REGIONS, 1)),
                lambda: programme.eligible_countries.clear(),
                lambda: programme.topics.add(rng.choice(topics)),
                lambda: programme.topics.remove(*programme.topics.all()[:1]),
            ]
        )()

    def rename():
        funder = rng.choice(funders)
        funder.name = f"Funder {funder.ref} v{rng.randint(0, 9)}"
        funder.save()

    def rate():
        ExchangeRate.objects.update_or_create(
            currency="EUR",
            valid_from=dt.date(2025, rng.randint(1, 12), 1),
            defaults={"usd_per_unit": Decimal(f"1.{rng.randint(0, 99):02d}")},
        )
        refresh_usd()

    def line():
        programme = some_programme()
        if rng.random() < 0.5 and programme.budget_lines.exists():
            programme.budget_lines.first().delete()
        else:
            BudgetLine.objects.create(
                programme=programme,
                period_start=dt.date(2027, 1, 1),
                period_end=dt.date(2027, 12, 31),
                amount=Decimal(rng.randint(1, 10**6)),
                amount_usd=Decimal(rng.randint(1, 10**6)),
            )
        ProgrammeFunding.objects.update_or_create(
            programme=programme, defaults={"total_budget_usd": Decimal(12345)}
        )
        ParticipatingOrganisation.objects.create(
            programme=programme, role="funding", name=f"Donor {rng.randint(0, 3)}"
        )

    def delete():
        some_programme().delete()

    def reference():
        rng.choice(
            [
                lambda: _save(rng.choice(topics), theme=rng.choice(themes)),
                lambda: _save(
                    Country.objects.get(iso3=rng.choice(COUNTRIES)),
                    region=Region.objects.get(code=rng.choice(["002", "142", "009"])),
                ),
                lambda: _save(
                    Region.objects.get(code=rng.choice(["011", "034"])),
                    parent=Region.objects.get(code=rng.choice(["002", "142"])),
                ),
            ]
        )()

    def imported():
        provider = rng.choice(
            [*Provider.objects.filter(ref__startswith="imp"), None]
        ) or ProviderFactory(ref=f"imp{Provider.objects.count()}")
        import_dataset(
            data=dataset(rng, [f"imp-{rng.randint(0, 5)}" for _ in range(2)], provider),
            allow_moves=True,
        )

    writes = [fund, edit, move, tag, rename, rate, line, delete, reference, imported]
    for step in range(40):
        rng.choice(writes)()
        if step % 10 == 9:
            kept_equal_computed()
    kept_equal_computed()


def _save(obj, **values):
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save()


def test_the_admin_keeps_the_cells(client, db, curator):
    programme = ProgrammeFactory(topics=["awareness"], status="published")
    programme.eligible_countries.set(["SEN"])
    client.force_login(curator)
    verify_two_factor(client, curator)
    response = client.post(
        reverse("admin:matchmaking_participatingorganisation_add"),
        {"programme": programme.pk, "role": "funding", "name": "Admin donor"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    response = client.post(
        reverse("admin:matchmaking_budgetline_add"),
        {
            "programme": programme.pk,
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
            "amount": "1000",
            "currency": "USD",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ("Admin donor", "002") in {
        (cell.funder, cell.region)
        for cell in CoordinationCell.objects.filter(programmes__gt=0)
    }
    kept_equal_computed()


def test_a_rebuild_repairs_and_the_check_reports(db):
    programme = ProgrammeFactory(topics=["awareness"], status="published")
    CoordinationShare.objects.filter(programme_id=programme.pk).update(cents=99)
    assert coordination_cells_problems()
    with pytest.raises(Exception, match="differences from a rebuild"):
        call_command("rebuild_coordination_cells", "--check")
    call_command("rebuild_coordination_cells")
    assert coordination_cells_problems() == []
    call_command("rebuild_coordination_cells", "--check")


def test_a_refresh_reads_only_its_programmes(db, django_assert_max_num_queries):
    programmes = [
        ProgrammeFactory(topics=["awareness"], status="published") for _ in range(3)
    ]
    rebuild_coordination_cells()
    with django_assert_max_num_queries(12):
        refresh_coordination_cells([programmes[0].pk])


# --- concurrent writers on PostgreSQL ------------------------------------------


def _race(work, count):
    barrier = threading.Barrier(count)
    errors = []

    def worker(i):
        try:
            barrier.wait(timeout=30)
            work(i)
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_writers_in_the_same_cells_add_up():
    funder = ProviderFactory(ref="racer", name="Racing donor")
    programmes = []
    for _ in range(6):
        programme = ProgrammeFactory(topics=["awareness"], status="published")
        programme.eligible_countries.set(["SEN"])
        programmes.append(programme)

    def write(i, lines):
        with transaction.atomic():
            ParticipatingOrganisation.objects.filter(programme=programmes[i]).delete()
            ParticipatingOrganisation.objects.create(
                programme=programmes[i], role="funding", provider=funder
            )
            BudgetLine.objects.bulk_create(
                BudgetLine(
                    programme=programmes[i],
                    period_start=dt.date(2026, 1, 1),
                    period_end=dt.date(2026, 12, 31),
                    amount=Decimal(1000 * (i + 1)),
                    amount_usd=Decimal(1000 * (i + 1)),
                )
                for _ in range(lines)
            )
            # Both transactions have written before either refreshes.
            refresh_coordination_cells([programmes[i].pk])

    for lines in (1, 2, 3):
        assert _race(lambda i, lines=lines: write(i, lines), len(programmes)) == []
        assert coordination_cells_problems() == []
        cell = CoordinationCell.objects.get(
            funder="Racing donor",
            region="002",
            theme=Topic.objects.get(slug="awareness").theme_id,
            split=1,
        )
        assert cell.programmes == 6
        expected = sum(1000 * (i + 1) for i in range(6)) * lines * (lines + 1) // 2
        assert cell.cents == expected * 100

    # Two transactions writing the same programme's funding at once.
    def same(i):
        write_funding(
            programme=programmes[0],
            funding=parse_funding(
                {
                    "participants": [{"role": "funding", "name": f"Donor {i}"}],
                    "budget_lines": [
                        {
                            "period_start": "2026-01-01",
                            "period_end": "2026-12-31",
                            "amount": str(100 * (i + 1)),
                        }
                    ],
                }
            ),
        )

    assert _race(same, 4) == []
    assert coordination_cells_problems() == []
    same_figures(coordination(), reference_figures())


def test_the_demo_load_keeps_the_cells(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("load_demo", stdout=io.StringIO())
    assert CoordinationCell.objects.filter(programmes__gt=0).exists()
    kept_equal_computed()
