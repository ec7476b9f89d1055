"""The curators' allocation page: a slate within capacity, with its run time."""

import pytest
from django.urls import reverse

from matchmaking import suggestions
from matchmaking.enums import MatchOrigin
from matchmaking.models import AllocationSlate
from matchmaking.models import Country
from matchmaking.models import Match
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def slate(client, django_capture_on_commit_callbacks):
    """Ask for a slate: queued for the task worker, shown once it has run."""

    def ask(params):
        with django_capture_on_commit_callbacks(execute=True) as queued:
            first = client.get(reverse("allocation"), params)
        assert first.context["pending"]
        assert first.context["proposal"] is None
        assert "Reload this page in a moment" in first.content.decode()
        assert len(queued) == 1  # the worker's task
        # The next look reuses the slate the worker stored (no new one).
        return client.get(reverse("allocation"), params)

    return ask


@pytest.fixture
def two_needs_one_place():
    ProgrammeFactory(ref="csirt", capacity=1, languages=["fr"])
    for iso3 in ("SEN", "MLI"):
        NeedFactory(
            ref=f"{iso3.lower()}-csirt",
            member_state=MemberStateFactory(country=Country.objects.get(iso3=iso3)),
            languages=["fr"],
        )


def test_a_curator_gets_a_slate_within_capacity_and_its_run_time(
    client, curator, two_needs_one_place, slate
):
    client.force_login(curator)
    response = slate({"need_limit": "1", "run": "1"})
    assert response.status_code == 200
    assert not response.context["pending"]
    assert AllocationSlate.objects.count() == 1
    proposal = response.context["proposal"]
    assert (proposal.needs_considered, proposal.needs_served, proposal.status) == (
        2,
        1,
        "optimal",
    )
    assert [row["programme"].ref for row in response.context["rows"]] == ["csirt"]
    body = response.content.decode()
    assert "1 need of 2 served" in body
    assert "solving" in body
    # Scores read as percentages, as on every other page.
    score = round(response.context["rows"][0]["score"] * 100)
    assert f">{score}%</td>" in body


def test_the_allocation_page_is_hidden_from_everyone_else(client, two_needs_one_place):
    assert client.get(reverse("allocation")).status_code == 302
    client.force_login(UserFactory(username="someone"))
    assert client.get(reverse("allocation")).status_code == 404


def test_an_invalid_limit_is_reported_beside_the_field(client, curator):
    client.force_login(curator)
    response = client.get(reverse("allocation"), {"need_limit": "9"})
    assert response.context["proposal"] is None
    assert "need_limit" in response.context["form"].errors


@pytest.fixture
def one_relevant_one_not():
    ProgrammeFactory(ref="csirt", languages=["fr"])
    NeedFactory(
        ref="sen-csirt",
        member_state=MemberStateFactory(country=Country.objects.get(iso3="SEN")),
    )
    NeedFactory(
        ref="mli-courts",
        member_state=MemberStateFactory(country=Country.objects.get(iso3="MLI")),
        title="Train judges to admit electronic evidence",
        description="Our judges and prosecutors need training on electronic "
        "evidence in criminal trials.",
        topics=["cybercrime-legislation"],
    )


def test_the_slate_counts_only_pairs_a_curator_could_defend(
    client, curator, one_relevant_one_not, slate
):
    """Eligible is not enough: a pair below the unmet threshold is left out."""
    client.force_login(curator)
    response = slate({"need_limit": "1", "run": "1"})
    proposal = response.context["proposal"]
    assert (proposal.needs_considered, proposal.needs_served) == (2, 1)
    assert [(r["need"].ref, r["programme"].ref) for r in response.context["rows"]] == [
        ("sen-csirt", "csirt")
    ]


def test_the_slate_is_proposed_in_one_step(client, curator, two_needs_one_place, slate):
    ProgrammeFactory(ref="csirt-2", languages=["fr"])
    client.force_login(curator)
    shown = slate({"need_limit": "1", "run": "1"})
    pairs = shown.context["pairs"]
    assert len(pairs.split()) == 2
    response = client.post(
        reverse("allocation"), {"pairs": pairs, "note": "Both fit the slate."}
    )
    assert response.status_code == 302
    proposed = Match.objects.filter(origin=MatchOrigin.CURATOR).order_by("need__ref")
    assert [(m.need.ref, m.note) for m in proposed] == [
        ("mli-csirt", "Both fit the slate."),
        ("sen-csirt", "Both fit the slate."),
    ]


def test_a_slate_without_a_note_proposes_nothing(
    client, curator, two_needs_one_place, slate
):
    client.force_login(curator)
    shown = slate({"need_limit": "1", "run": "1"})
    response = client.post(
        reverse("allocation"), {"pairs": shown.context["pairs"], "note": ""}
    )
    assert response.status_code == 200
    assert "note" in response.context["apply_form"].errors
    assert not Match.objects.filter(origin=MatchOrigin.CURATOR).exists()


def test_a_slate_is_asked_again_after_the_engine_refreshed(
    client, curator, two_needs_one_place, slate
):
    client.force_login(curator)
    slate({"need_limit": "1", "run": "1"})
    suggestions.rematch_all()  # newer results: the kept slate is out of date
    slate({"need_limit": "1", "run": "1"})
    assert AllocationSlate.objects.filter(computed_at__isnull=False).count() == 2
