"""The audit trail: every change to the audited models is recorded (who, when, what).

django-simple-history keeps one historical row per create (+), update (~) and
delete (-); services name the workflow step in ``history_change_reason``.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from matchmaking import services
from matchmaking.audit import history_entries
from matchmaking.dataset.exchange import IMPORT_CHANGE_REASON
from matchmaking.dataset.exchange import export_dataset
from matchmaking.dataset.exchange import import_dataset
from matchmaking.enums import MatchStatus
from matchmaking.enums import MembershipRole
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from roundtable import services as rt_services
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from tests.factories import CallForPitchesFactory
from tests.factories import MatchFactory
from tests.factories import MeetingFactory
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import PitchFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import ReviewFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# (factory, a field to change, its new value) per audited model.
AUDITED = [
    pytest.param(NeedFactory, "title", "Renamed need", id="need"),
    pytest.param(ProgrammeFactory, "title", "Renamed programme", id="programme"),
    pytest.param(MatchFactory, "note", "A curator's note", id="match"),
    pytest.param(ProviderFactory, "name", "Renamed provider", id="provider"),
    pytest.param(MembershipFactory, "role", MembershipRole.MANAGER, id="membership"),
    pytest.param(PitchFactory, "title", "Renamed pitch", id="pitch"),
    pytest.param(ReviewFactory, "comment", "Clear and concrete.", id="review"),
    pytest.param(MeetingFactory, "message", "Can we meet?", id="meeting"),
]


def _types(obj) -> list[str]:
    return list(
        obj.history.order_by("history_date", "history_id").values_list(
            "history_type", flat=True
        )
    )


@pytest.mark.parametrize(("factory", "field", "value"), AUDITED)
def test_create_update_delete_each_leave_one_record(factory, field, value):
    obj = factory()
    old = getattr(obj, field)
    model = type(obj)
    assert _types(obj) == ["+"]

    setattr(obj, field, value)
    obj.save()
    assert _types(obj) == ["+", "~"]
    latest = obj.history.latest()
    delta = latest.diff_against(latest.prev_record, excluded_fields=["updated_at"])
    assert [(c.field, c.old, c.new) for c in delta.changes] == [(field, old, value)]

    pk = obj.pk
    obj.delete()
    # The trail outlives the object.
    records = model.history.filter(id=pk).order_by("history_date", "history_id")
    assert [r.history_type for r in records] == ["+", "~", "-"]
    assert getattr(records.last(), field) == value


def _reasons(obj) -> list[str | None]:
    return list(
        obj.history.order_by("history_date", "history_id").values_list(
            "history_change_reason", flat=True
        )
    )


@pytest.fixture
def parties():
    """A match between a state's need and a provider's programme, and their users."""
    state = MemberStateFactory()
    provider = ProviderFactory()
    focal = UserFactory(username="focal")
    MembershipFactory(user=focal, member_state=state)
    staff = UserFactory(username="staff")
    MembershipFactory(user=staff, member_state=None, provider=provider)
    need = NeedFactory(member_state=state, status=NeedStatus.OPEN)
    programme = ProgrammeFactory(provider=provider)
    match = MatchFactory(need=need, programme=programme)
    return {"focal": focal, "staff": staff, "match": match, "need": need}


def test_each_match_transition_is_recorded_with_its_step(parties, curator):
    match = parties["match"]
    steps = [
        ("express_interest", parties["focal"], MatchStatus.INTEREST),
        ("introduce", parties["staff"], MatchStatus.INTRODUCED),
        ("agree", parties["focal"], MatchStatus.AGREED),
        ("start_delivery", parties["staff"], MatchStatus.IN_DELIVERY),
        ("complete", parties["focal"], MatchStatus.COMPLETED),
    ]
    for action, user, _status in steps:
        match = services.transition_match(user=user, match=match, action=action)
    services.record_feedback(
        user=parties["focal"], match=match, feedback={"rating": 5, "outcome": ""}
    )

    records = list(match.history.order_by("history_date", "history_id"))
    assert [r.history_change_reason for r in records] == [
        None,
        "interest expressed",
        "introduced",
        "agreed",
        "delivery started",
        "completed",
        "feedback recorded",
    ]
    assert [r.status for r in records] == [
        MatchStatus.SUGGESTED,
        *(status for _a, _u, status in steps),
        MatchStatus.COMPLETED,
    ]
    assert records[-1].feedback_rating == 5


def test_declining_a_match_records_the_reason_field(parties):
    match = services.transition_match(
        user=parties["staff"], match=parties["match"], action="decline", note="Full."
    )
    latest = match.history.latest()
    assert latest.history_change_reason == "declined"
    assert (latest.status, latest.decline_reason) == (MatchStatus.DECLINED, "Full.")


def test_need_moved_along_by_a_match_is_recorded(parties):
    """The need follows the match (open -> in discussion) and its trail shows it."""
    services.transition_match(
        user=parties["focal"], match=parties["match"], action="express_interest"
    )
    need = Need.objects.get(pk=parties["need"].pk)
    assert need.status == NeedStatus.IN_DISCUSSION
    assert _reasons(need) == [None, "match interest expressed"]
    assert need.history.latest().status == NeedStatus.IN_DISCUSSION


def test_curator_proposal_is_recorded(parties, curator):
    match = services.propose_match(
        user=curator,
        need=parties["need"],
        programme=parties["match"].programme,
        note="Fits the CSIRT plan.",
    )
    assert _reasons(match) == [None, "proposed by a curator"]
    assert match.history.latest().note == "Fits the CSIRT plan."


def test_need_and_programme_status_changes_are_recorded(parties, curator):
    need = services.set_record_status(
        user=parties["focal"], record=parties["need"], status=NeedStatus.CLOSED
    )
    programme = services.set_record_status(
        user=parties["staff"],
        record=parties["match"].programme,
        status=ProgrammeStatus.PAUSED,
    )
    assert _reasons(need) == [None, "status set to closed"]
    assert _reasons(programme) == [None, "status set to paused"]


def test_provider_verification_is_recorded(curator):
    provider = ProviderFactory(is_verified=False)
    services.verify_provider(user=curator, provider=provider, verified=True)
    services.verify_provider(user=curator, provider=provider, verified=False)
    records = list(provider.history.order_by("history_date", "history_id"))
    assert [r.history_change_reason for r in records] == [
        None,
        "verified",
        "verification withdrawn",
    ]
    assert [(r.is_verified, r.verified_by_id) for r in records] == [
        (False, None),
        (True, curator.pk),
        (False, None),
    ]


def test_shared_with_changes_are_audited(parties):
    need = parties["need"]
    provider = parties["match"].programme.provider
    need.shared_with.add(provider)
    latest = need.history.latest()
    assert latest.history_type == "~"
    assert [row.provider_id for row in latest.shared_with.all()] == [provider.pk]


def test_pitch_workflow_steps_are_recorded(curator):
    pitch = PitchFactory(state=PitchState.SUBMITTED)
    CallForPitchesFactory(event=pitch.event)
    pitch = rt_services.start_review(user=curator, pitch=pitch)
    pitch = rt_services.reject_pitch(user=curator, pitch=pitch)
    pitch = rt_services.accept_pitch(user=curator, pitch=pitch)
    records = list(pitch.history.order_by("history_date", "history_id"))
    assert [(r.history_change_reason, r.state) for r in records] == [
        (None, PitchState.SUBMITTED),
        ("review started", PitchState.IN_REVIEW),
        ("decision staged: rejected", PitchState.REJECTED),
        ("decision staged: accepted", PitchState.ACCEPTED),
    ]
    assert records[-1].decided_by_id == curator.pk


def test_meeting_answers_are_recorded(curator):
    meeting = MeetingFactory()
    rt_services.cancel_meeting(user=curator, meeting=meeting, reason="Travel.")
    records = list(meeting.history.order_by("history_date", "history_id"))
    assert [(r.history_change_reason, r.state) for r in records] == [
        (None, MeetingState.REQUESTED),
        ("cancelled", MeetingState.CANCELLED),
    ]


def test_engine_suggestions_get_no_per_row_history(parties):
    """Documented choice: bulk engine writes are not audited row by row."""
    from matchmaking.suggestions import rematch_all

    before = Match.history.count()
    ProgrammeFactory(provider=parties["match"].programme.provider)
    rematch_all()
    assert Match.objects.count() >= 1
    assert Match.history.count() == before


def test_dataset_import_records_one_row_per_record(curator):
    ProgrammeFactory()
    NeedFactory()
    document = export_dataset(
        providers=Provider.objects.all(),
        programmes=Programme.objects.all(),
        needs=Need.objects.all(),
    )
    Programme.objects.all().delete()
    Need.objects.all().delete()

    import_dataset(data=document, user=curator)

    for model in (Programme, Need):
        obj = model.objects.get()
        record = model.history.filter(history_change_reason=IMPORT_CHANGE_REASON).get()
        assert (record.id, record.history_type, record.history_user_id) == (
            obj.pk,
            "+",
            curator.pk,
        )

    document["needs"][0]["title"] = "Updated by import"
    import_dataset(data=document, user=curator)
    need = Need.objects.get()
    latest = need.history.latest()
    assert (latest.history_type, latest.title) == ("~", "Updated by import")
    assert latest.history_change_reason == IMPORT_CHANGE_REASON


# --- what curators see ----------------------------------------------------------


def test_curator_sees_who_changed_what_on_the_need_page(client, parties, curator):
    need = parties["need"]
    client.force_login(parties["focal"])
    response = client.post(
        reverse("need-status", args=[need.ref]), {"status": NeedStatus.CLOSED}
    )
    assert response.status_code == 302
    assert need.history.latest().history_user == parties["focal"]

    client.force_login(curator)
    page = client.get(reverse("need-detail", args=[need.ref])).content.decode()
    assert "Change history" in page
    assert "focal" in page
    assert "status set to closed" in page
    assert "<strong>status</strong>: Open → Closed" in page


def test_history_is_for_curators_only(client, parties):
    client.force_login(parties["focal"])
    for url in (
        reverse("need-detail", args=[parties["need"].ref]),
        reverse("programme-detail", args=[parties["match"].programme.ref]),
        reverse("match-detail", args=[parties["match"].pk]),
    ):
        page = client.get(url)
        assert page.status_code == 200
        assert "Change history" not in page.content.decode()


def test_curator_sees_programme_and_match_history(client, parties, curator):
    match = services.transition_match(
        user=parties["focal"], match=parties["match"], action="express_interest"
    )
    client.force_login(curator)
    page = client.get(reverse("match-detail", args=[match.pk])).content.decode()
    assert "interest expressed" in page
    assert "<strong>status</strong>: Suggested → Interest expressed" in page
    page = client.get(
        reverse("programme-detail", args=[match.programme.ref])
    ).content.decode()
    assert "Change history" in page


def test_history_entries_diff_each_record_against_the_one_before(parties):
    need = parties["need"]
    services.update_record(
        user=parties["focal"], record=need, data={"title": "A sharper title"}
    )
    entries = history_entries(Need.objects.get(pk=need.pk))
    assert [e.kind for e in entries] == ["created", "changed"]
    assert entries[0].changes == ()
    assert [(c.field, c.new) for c in entries[1].changes] == [
        ("title", "A sharper title")
    ]


def test_history_entries_are_capped(parties):
    need = parties["need"]
    for n in range(5):
        need.title = f"Title {n}"
        need.save()
    entries = history_entries(need, limit=3)
    assert len(entries) == 3
    # The first shown entry is still diffed against the record before it.
    assert [c.new for e in entries for c in e.changes] == [
        "Title 2",
        "Title 3",
        "Title 4",
    ]


def test_admin_shows_the_history(client, parties):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    services.transition_match(
        user=parties["focal"], match=parties["match"], action="express_interest"
    )
    client.force_login(admin)
    url = reverse("admin:matchmaking_match_history", args=[parties["match"].pk])
    response = client.get(url)
    assert response.status_code == 200
    assert "interest expressed" in response.content.decode()


def test_history_entries_show_shared_with_changes_in_two_queries(
    parties, django_assert_num_queries
):
    need = parties["need"]
    title = need.title
    provider = parties["match"].programme.provider
    need.shared_with.add(provider)
    need.title = "Shared with one provider"
    need.save()
    need.shared_with.clear()
    # the records with their users, the shared_with rows of every record
    with django_assert_num_queries(2):
        entries = history_entries(need)
    assert [[(c.field, c.old, c.new) for c in e.changes] for e in entries] == [
        [],
        [("shared with providers", "—", f"#{provider.pk}")],
        [("title", title, "Shared with one provider")],
        [("shared with providers", f"#{provider.pk}", "—")],
    ]


def test_api_write_with_a_token_records_the_token_owner(client, parties):
    """DRF authenticates the token after the middleware ran: the user still lands."""
    from matchmaking.accounts.tokens import create_token
    from matchmaking.models import TokenScope

    need = parties["need"]
    _token, key = create_token(
        user=parties["focal"], name="script", scope=TokenScope.READ_WRITE
    )
    response = client.patch(
        f"/api/v1/needs/{need.ref}/",
        {"title": "Edited by a script"},
        content_type="application/json",
        headers={"authorization": f"Token {key}"},
    )
    assert response.status_code == 200, response.content
    latest = need.history.latest()
    assert (latest.history_type, latest.title) == ("~", "Edited by a script")
    assert latest.history_user == parties["focal"]
