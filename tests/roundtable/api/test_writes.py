"""The roundtable's write API: pitches, decks, curation, agenda, meetings, reports.

Each test drives the same services as the web pages through HTTP and asserts
the exact body, the database afterwards, and (for denials) that nothing moved.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from matchmaking.enums import Visibility
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.models import AgendaVersion
from roundtable.models import BreakoutRegistration
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import Review
from roundtable.models import SessionReport
from roundtable.models import TimeSlot
from tests.roundtable import pdfs
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch
from tests.roundtable.conftest import suggested_match

pytestmark = pytest.mark.django_db

NOT_FOUND = {"error": {"status": 404, "code": "not_found", "message": "Not found."}}


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def deck(pages: int = 3, name: str = "deck.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdfs.pdf(pages), content_type="application/pdf")


def pitch_row(pitch: Pitch) -> tuple:
    pitch.refresh_from_db()
    return (
        pitch.state,
        pitch.title,
        pitch.abstract,
        pitch.slide_deck.name,
        pitch.slide_count,
        tuple(pitch.programmes.values_list("pk", flat=True)),
    )


# --- pitches: the provider's side -----------------------------------------------------


def test_provider_drafts_a_pitch_uploads_its_deck_and_submits_it(cast):
    client = api(cast.presenter)
    response = client.post(
        "/api/v1/pitches/",
        {
            "event": "grt",
            "provider": "nordic",
            "title": "From a decree to a working CSIRT",
            "abstract": "How a country gets a CSIRT in 18 months.",
            "presenter_name": "Ingrid Solberg",
            "presenter": "presenter",
            "programmes": ["csirt-launchpad"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    pitch = Pitch.objects.get()
    assert response.json() == {
        "id": pitch.pk,
        "event": "grt",
        "session": None,
        "provider": "nordic",
        "provider_name": "Nordic Cyber Centre",
        "presenter_name": "Ingrid Solberg",
        "title": "From a decree to a working CSIRT",
        "abstract": "How a country gets a CSIRT in 18 months.",
        "content_language": "en",
        "translations": [],
        "shown": {
            "language": "en",
            "title": "From a decree to a working CSIRT",
            "summary": "How a country gets a CSIRT in 18 months.",
            "is_original": True,
            "notice": "",
        },
        "programmes": [{"ref": "csirt-launchpad", "title": "CSIRT Launchpad"}],
        "state": "draft",
        "duration_seconds": 180,
        "slide_count": None,
    }
    assert pitch.presenter == cast.presenter

    early = client.post(f"/api/v1/pitches/{pitch.pk}/submit/")
    assert early.status_code == 400
    assert early.json()["error"]["fields"] == {
        "slide_deck": ["Upload your slide deck (a PDF of 1 to 3 pages)."]
    }

    uploaded = client.put(
        f"/api/v1/pitches/{pitch.pk}/slides/",
        {"slide_deck": deck(2)},
        format="multipart",
    )
    assert uploaded.status_code == 200, uploaded.json()
    assert uploaded.json()["slide_count"] == 2

    submitted = client.post(f"/api/v1/pitches/{pitch.pk}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"
    again = client.post(f"/api/v1/pitches/{pitch.pk}/submit/")
    assert again.status_code == 400
    assert again.json()["error"] == {
        "status": 400,
        "code": "invalid",
        "message": "This pitch is submitted: it cannot be submitted.",
        "fields": {"state": ["This pitch is submitted: it cannot be submitted."]},
    }


def test_pitch_created_as_multipart_with_its_deck(cast):
    response = api(cast.colleague).post(
        "/api/v1/pitches/",
        {
            "event": "grt",
            "provider": "nordic",
            "title": "Launchpad",
            "abstract": "Three minutes.",
            "presenter_name": "Ingrid",
            "programmes": ["csirt-launchpad"],
            "slide_deck": deck(3),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["slide_count"] == 3
    pitch = Pitch.objects.get()
    with pitch.slide_deck.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"
    assert pitch.slide_count == 3


@pytest.mark.parametrize(
    ("content", "rule", "code"),
    [
        (pdfs.pdf(4), "pages", 400),
        (pdfs.zip_payload(), "type", 400),
        (pdfs.encrypted_pdf(), "encrypted", 400),
        (b"", "empty", 400),
    ],
)
def test_a_broken_deck_rule_is_named_and_nothing_is_stored(cast, content, rule, code):
    pitch = make_pitch(cast, deck=False)
    before = pitch_row(pitch)
    response = api(cast.presenter).put(
        f"/api/v1/pitches/{pitch.pk}/slides/",
        {"slide_deck": SimpleUploadedFile("slides.pdf", content)},
        format="multipart",
    )
    body = response.json()["error"]
    if rule == "empty":  # DRF refuses an empty file before the deck rules
        assert response.status_code == 400
        assert list(body["fields"]) == ["slide_deck"]
    else:
        assert response.status_code == code
        assert body["code"] == "invalid_slide_deck"
        assert body["rule"] == rule
        assert body["fields"] == {"slide_deck": [body["message"]]}
    assert pitch_row(pitch) == before


def test_an_oversized_deck_is_413(cast):
    cast.call.max_bytes = 2000
    cast.call.save()
    pitch = make_pitch(cast, deck=False)
    response = api(cast.presenter).put(
        f"/api/v1/pitches/{pitch.pk}/slides/",
        {"slide_deck": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 5000)},
        format="multipart",
    )
    assert response.status_code == 413
    assert response.json()["error"]["rule"] == "size"
    assert pitch_row(pitch)[3] == ""


def test_a_request_larger_than_any_deck_is_refused_before_reading(cast):
    cast.call.max_bytes = 1000
    cast.call.save()
    pitch = make_pitch(cast, deck=False)
    response = api(cast.presenter).put(
        f"/api/v1/pitches/{pitch.pk}/slides/",
        {"slide_deck": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 200_000)},
        format="multipart",
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_provider_edits_and_withdraws_its_pitch(cast):
    pitch = make_pitch(cast, state=PitchState.SUBMITTED)
    client = api(cast.colleague)
    edited = client.patch(
        f"/api/v1/pitches/{pitch.pk}/", {"title": "Sharper title"}, format="json"
    )
    assert edited.status_code == 200
    assert edited.json()["title"] == "Sharper title"
    withdrawn = client.post(f"/api/v1/pitches/{pitch.pk}/withdraw/")
    assert withdrawn.json()["state"] == "withdrawn"
    late = client.patch(
        f"/api/v1/pitches/{pitch.pk}/", {"title": "Again"}, format="json"
    )
    assert late.status_code == 400
    assert late.json()["error"]["fields"] == {
        "state": ["This pitch is withdrawn: it cannot be edited."]
    }
    assert Pitch.objects.get(pk=pitch.pk).title == "Sharper title"


def test_pitch_event_and_provider_cannot_be_changed(cast):
    pitch = make_pitch(cast)
    response = api(cast.presenter).patch(
        f"/api/v1/pitches/{pitch.pk}/",
        {"provider": "kestrel", "event": "other", "state": "accepted"},
        format="json",
    )
    assert response.status_code == 200
    pitch.refresh_from_db()
    assert (pitch.provider, pitch.state) == (cast.provider, PitchState.DRAFT)


# --- T5 / T7: foreign objects ---------------------------------------------------------


def test_foreign_draft_pitch_answers_404_like_a_missing_one(cast):
    pitch = make_pitch(cast)
    before = pitch_row(pitch)
    client = api(cast.other_member)
    for method, suffix, data in [
        ("get", "", None),
        ("patch", "", {"title": "Mine now"}),
        ("post", "submit/", None),
        ("post", "withdraw/", None),
        ("get", "slides/", None),
        ("put", "slides/", {"slide_deck": deck()}),
    ]:
        fmt = "multipart" if data and "slide_deck" in data else "json"
        foreign = getattr(client, method)(
            f"/api/v1/pitches/{pitch.pk}/{suffix}", data, format=fmt
        )
        missing = getattr(client, method)(
            f"/api/v1/pitches/999999/{suffix}", data, format=fmt
        )
        assert foreign.status_code == missing.status_code == 404, (method, suffix)
        assert foreign.json() == missing.json() == NOT_FOUND
    assert pitch_row(pitch) == before


def test_public_pitch_of_another_provider_is_readable_but_not_writable(cast):
    pitch = make_pitch(cast, state=PitchState.CONFIRMED)
    close_call(cast, release=True)
    before = pitch_row(pitch)
    client = api(cast.other_member)
    assert client.get(f"/api/v1/pitches/{pitch.pk}/").status_code == 200
    assert client.post(f"/api/v1/pitches/{pitch.pk}/withdraw/").status_code == 403
    edit = client.patch(f"/api/v1/pitches/{pitch.pk}/", {"title": "x"}, format="json")
    assert edit.status_code == 403
    assert pitch_row(pitch) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("programmes", ["gov-cloud"], "Link only your own organisation's programmes."),
        ("provider", "kestrel", "provider: you may not use “kestrel” here."),
        (
            "presenter",
            "kestrel-member",
            "presenter: no such value “kestrel-member”.",
        ),
    ],
)
def test_pitch_relations_reject_foreign_objects(cast, field, value, message):
    payload = {
        "event": "grt",
        "provider": "nordic",
        "title": "T",
        "abstract": "A",
        "presenter_name": "P",
        "programmes": ["csirt-launchpad"],
        field: value,
    }
    response = api(cast.presenter).post("/api/v1/pitches/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: [message]}
    assert not Pitch.objects.exists()


def test_a_foreign_draft_programme_is_unknown_not_foreign(cast):
    cast.other_programme.status = "draft"
    cast.other_programme.save()
    response = api(cast.presenter).post(
        "/api/v1/pitches/",
        {
            "event": "grt",
            "provider": "nordic",
            "title": "T",
            "abstract": "A",
            "presenter_name": "P",
            "programmes": ["gov-cloud"],
        },
        format="json",
    )
    assert response.json()["error"]["fields"] == {
        "programmes": ["programmes: no such value “gov-cloud”."]
    }


def test_only_provider_users_propose_pitches(cast):
    response = api(cast.delegate).post(
        "/api/v1/pitches/", {"event": "grt", "title": "T"}, format="json"
    )
    assert response.status_code == 403
    assert api().post("/api/v1/pitches/", {}, format="json").status_code == 401
    assert not Pitch.objects.exists()


# --- decks: download ------------------------------------------------------------------


def test_deck_download_is_an_attachment_for_the_owner_and_404_for_others(cast):
    pitch = make_pitch(cast, title="CSIRT: the plan")
    response = api(cast.presenter).get(f"/api/v1/pitches/{pitch.pk}/slides/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="csirt-the-plan-slides.pdf"; '
        "filename*=UTF-8''csirt-the-plan-slides.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    for user in (None, cast.delegate, cast.other_member):
        denied = api(user).get(f"/api/v1/pitches/{pitch.pk}/slides/")
        assert denied.status_code == 404
        assert denied.json() == NOT_FOUND
    assert api(cast.curator).get(f"/api/v1/pitches/{pitch.pk}/slides/").status_code == (
        200
    )


# --- curation -------------------------------------------------------------------------


def test_curators_review_decide_and_release(cast, django_capture_on_commit_callbacks):
    pitch = make_pitch(cast, state=PitchState.SUBMITTED)
    curator = api(cast.curator)
    for user, code in ((None, 401), (cast.presenter, 403), (cast.delegate, 403)):
        assert api(user).post(
            f"/api/v1/pitches/{pitch.pk}/start-review/"
        ).status_code == (code)
    assert curator.post(f"/api/v1/pitches/{pitch.pk}/start-review/").json()[
        "state"
    ] == ("in_review")
    bad = curator.post(
        f"/api/v1/pitches/{pitch.pk}/reviews/",
        {"relevance": 6, "clarity": 4, "feasibility": 4},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["error"]["fields"]) == {"relevance", "reach"}
    review = curator.post(
        f"/api/v1/pitches/{pitch.pk}/reviews/",
        {"relevance": 5, "clarity": 4, "feasibility": 3, "reach": 2, "comment": "Good"},
        format="json",
    )
    assert review.status_code == 200
    body = review.json()
    assert body["weighted_score"] == 3.8  # 5*.4 + 4*.2 + 3*.2 + 2*.2
    assert (body["curator"], body["comment"]) == ("curator", "Good")
    listed = curator.get(f"/api/v1/pitches/{pitch.pk}/reviews/").json()
    assert [r["id"] for r in listed] == [Review.objects.get().pk]
    assert api(cast.presenter).get(
        f"/api/v1/pitches/{pitch.pk}/reviews/"
    ).status_code == (403)

    queue = curator.get("/api/v1/events/grt/review-queue/").json()
    assert [(row["id"], row["review_count"], row["score"]) for row in queue] == [
        (pitch.pk, 1, 3.8)
    ]
    assert curator.post(f"/api/v1/pitches/{pitch.pk}/reject/").json()["state"] == (
        "rejected"
    )
    assert curator.post(f"/api/v1/pitches/{pitch.pk}/accept/").json()["state"] == (
        "accepted"
    )
    early = curator.post("/api/v1/events/grt/release-decisions/")
    assert early.status_code == 400
    assert early.json()["error"]["message"] == (
        "Release decisions once the call has closed."
    )
    close_call(cast)
    with django_capture_on_commit_callbacks(execute=True):
        released = curator.post("/api/v1/events/grt/release-decisions/")
    assert released.json() == {"released": 1}
    assert [m.subject for m in mail.outbox] == [
        "Your pitch is accepted: From a decree to a working CSIRT"
    ]
    assert mail.outbox[0].to == [cast.presenter.email]
    confirmed = api(cast.presenter).post(f"/api/v1/pitches/{pitch.pk}/confirm/")
    assert confirmed.json()["state"] == "confirmed"
    again = curator.post("/api/v1/events/grt/release-decisions/")
    assert again.status_code == 400


def test_curators_generate_and_publish_the_agenda(cast):
    close_call(cast, release=True)
    pitch = make_pitch(cast, state=PitchState.CONFIRMED)
    curator = api(cast.curator)
    wrong = curator.post(
        "/api/v1/events/grt/generate-agenda/",
        {"session": cast.opening.pk},
        format="json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["message"] == (
        "Pitches are scheduled in a matchmaking session."
    )
    generated = curator.post(
        "/api/v1/events/grt/generate-agenda/",
        {"session": cast.matchmaking.pk, "lead_in_seconds": 300},
        format="json",
    )
    assert generated.status_code == 200
    body = generated.json()
    assert [p["pitch"] for p in body["placements"]] == [pitch.pk]
    assert body["overflow"] == []
    assert TimeSlot.objects.get(pitch=pitch).session == cast.matchmaking
    assert Pitch.objects.get(pk=pitch.pk).state == PitchState.SCHEDULED

    published = curator.post(
        "/api/v1/events/grt/publish-agenda/", {"note": "First"}, format="json"
    )
    assert published.status_code == 201
    assert published.json()["number"] == 1
    assert published.json()["note"] == "First"
    denied = api(cast.presenter).post("/api/v1/events/grt/publish-agenda/")
    assert denied.status_code == 403
    assert AgendaVersion.objects.count() == 1
    # Published: the deck is now everyone's to download.
    assert api().get(f"/api/v1/pitches/{pitch.pk}/slides/").status_code == 200


def test_a_foreign_session_cannot_be_scheduled(cast):
    from tests.factories import SessionFactory

    other = SessionFactory()
    response = api(cast.curator).post(
        "/api/v1/events/grt/generate-agenda/", {"session": other.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "session": ["Choose a session of this event."]
    }
    assert not TimeSlot.objects.filter(session=other).exists()


# --- meetings -------------------------------------------------------------------------


def _public_pitch(cast):
    close_call(cast, release=True)
    return make_pitch(cast, state=PitchState.CONFIRMED)


def test_delegate_requests_presenter_accepts_both_see_the_schedule(cast):
    pitch = _public_pitch(cast)
    match = suggested_match(cast)
    response = api(cast.delegate).post(
        "/api/v1/meetings/",
        {
            "pitch": pitch.pk,
            "member_state": "SEN",
            "message": "Let us talk.",
            "need": "sen-csirt",
            "programme": "csirt-launchpad",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    meeting = Meeting.objects.get()
    body = response.json()
    assert (body["id"], body["state"], body["member_state"], body["need"]) == (
        meeting.pk,
        "requested",
        "SEN",
        "sen-csirt",
    )
    match.refresh_from_db()
    assert match.status == "interest"

    assert (
        api(cast.delegate).post(f"/api/v1/meetings/{meeting.pk}/accept/").status_code
        == 403
    )
    accepted = api(cast.presenter).post(
        f"/api/v1/meetings/{meeting.pk}/accept/",
        {"slot": cast.meeting_slots[1].pk},
        format="json",
    )
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["state"] == "accepted"
    assert accepted.json()["location"] == "Table 2"
    for user in (cast.delegate, cast.presenter):
        schedule = api(user).get("/api/v1/meetings/schedule/").json()
        assert [m["id"] for m in schedule] == [meeting.pk]
    assert api(cast.other_delegate).get("/api/v1/meetings/schedule/").json() == []
    declined = api(cast.presenter).post(f"/api/v1/meetings/{meeting.pk}/decline/")
    assert declined.status_code == 400
    assert declined.json()["error"]["fields"] == {
        "state": ["This follow-up meeting is accepted: it cannot be declined."]
    }


def test_presenter_declines_and_requester_lists(cast):
    pitch = _public_pitch(cast)
    client = api(cast.delegate)
    meeting_id = client.post(
        "/api/v1/meetings/", {"pitch": pitch.pk, "member_state": "SEN"}, format="json"
    ).json()["id"]
    declined = api(cast.presenter).post(
        f"/api/v1/meetings/{meeting_id}/decline/", {"reason": "Busy"}, format="json"
    )
    assert declined.json()["state"] == "declined"
    assert declined.json()["response_note"] == "Busy"
    assert [m["id"] for m in client.get("/api/v1/meetings/").json()["results"]] == [
        meeting_id
    ]
    assert client.get("/api/v1/meetings/?state=requested").json()["results"] == []


def test_meetings_of_others_are_404_and_unchanged(cast):
    pitch = _public_pitch(cast)
    meeting = (
        api(cast.delegate)
        .post(
            "/api/v1/meetings/",
            {"pitch": pitch.pk, "member_state": "SEN"},
            format="json",
        )
        .json()["id"]
    )
    for user in (cast.other_delegate, cast.other_member, cast.outsider):
        client = api(user)
        for method, suffix in (("get", ""), ("post", "accept/"), ("post", "cancel/")):
            foreign = getattr(client, method)(f"/api/v1/meetings/{meeting}/{suffix}")
            missing = getattr(client, method)(f"/api/v1/meetings/999999/{suffix}")
            assert foreign.status_code == missing.status_code == 404
            assert foreign.json() == missing.json()
    assert Meeting.objects.get().state == MeetingState.REQUESTED


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("member_state", "KEN", "member_state: you may not use “KEN” here."),
        ("need", "other-need", "need: no such value “other-need”."),
        ("programme", "gov-cloud", "Choose a programme presented in this pitch."),
    ],
)
def test_meeting_relations_reject_foreign_objects(cast, field, value, message):
    from tests.factories import NeedFactory

    NeedFactory(ref="other-need", member_state=cast.other_state)
    pitch = _public_pitch(cast)
    payload = {"pitch": pitch.pk, "member_state": "SEN", field: value}
    response = api(cast.delegate).post("/api/v1/meetings/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {field: [message]}
    assert not Meeting.objects.exists()


def test_an_unaccepted_pitch_is_unknown_to_a_meeting_request(cast):
    pitch = make_pitch(cast, state=PitchState.SUBMITTED)
    response = api(cast.delegate).post(
        "/api/v1/meetings/", {"pitch": pitch.pk, "member_state": "SEN"}, format="json"
    )
    assert response.json()["error"]["fields"] == {
        "pitch": [f"pitch: no such value “{pitch.pk}”."]
    }
    assert not Meeting.objects.exists()


def test_only_delegates_request_meetings(cast):
    pitch = _public_pitch(cast)
    response = api(cast.other_member).post(
        "/api/v1/meetings/", {"pitch": pitch.pk, "member_state": "SEN"}, format="json"
    )
    assert response.status_code == 403
    assert not Meeting.objects.exists()


# --- breakouts and reports ------------------------------------------------------------


def test_breakout_registration_until_full(cast):
    url = f"/api/v1/sessions/{cast.breakout.pk}/registration/"
    first = api(cast.delegate).post(url)
    assert first.status_code == 201
    assert first.json() == {
        "session": cast.breakout.pk,
        "capacity": 2,
        "seats_taken": 1,
        "is_registered": True,
    }
    assert api(cast.delegate).post(url).json()["error"]["message"] == (
        "You are already registered."
    )
    assert api(cast.presenter).post(url).status_code == 201
    full = api(cast.outsider).post(url)
    assert full.status_code == 400
    assert full.json()["error"]["message"] == "This breakout is full."
    left = api(cast.delegate).delete(url)
    assert left.json()["seats_taken"] == 1
    assert left.json()["is_registered"] is False
    assert api().post(url).status_code == 401
    plenary = api(cast.outsider).post(
        f"/api/v1/sessions/{cast.opening.pk}/registration/"
    )
    assert plenary.json()["error"]["message"] == (
        "Registration is for breakout sessions."
    )
    assert BreakoutRegistration.objects.count() == 1


def test_rapporteur_writes_and_publishes_the_report(cast):
    SessionReport.objects.create(
        session=cast.breakout, rapporteur=cast.delegate, summary=""
    )
    url = f"/api/v1/sessions/{cast.breakout.pk}/report/"
    assert api().get(url).json() == NOT_FOUND  # a draft is its writers' only
    denied = api(cast.outsider).put(url, {"summary": "Mine"}, format="json")
    assert denied.status_code == 403
    empty = api(cast.delegate).post(url + "publish/")
    assert empty.json()["error"]["fields"] == {
        "summary": ["Write the summary before publishing."]
    }
    written = api(cast.delegate).put(
        url, {"summary": "Agreed next steps.", "commitments": "Two"}, format="json"
    )
    assert written.status_code == 200
    assert written.json()["summary"] == "Agreed next steps."
    assert written.json()["published_at"] is None
    published = api(cast.delegate).post(url + "publish/")
    assert published.status_code == 200
    public = api().get(url).json()
    assert (public["summary"], public["commitments"]) == ("Agreed next steps.", "Two")
    assert public["published_at"] is not None
    assert api(cast.delegate).post(url + "publish/").status_code == 400


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_release_decisions_answers_200_when_a_title_holds_a_line_break(cast):
    # Committing for real: the mails go out after commit, inside the request.
    make_pitch(cast, state=PitchState.ACCEPTED, title="CSIRT\nin 18 months")
    make_pitch(
        cast,
        state=PitchState.REJECTED,
        provider=cast.other_provider,
        title="Cloud credits",
    )
    close_call(cast)

    response = api(cast.curator).post("/api/v1/events/grt/release-decisions/")

    assert response.status_code == 200
    assert response.json() == {"released": 2}
    assert sorted(m.subject for m in mail.outbox) == [
        "Your pitch is accepted: CSIRT in 18 months",
        "Your pitch: Cloud credits",
    ]


def test_a_meeting_request_naming_a_need_hidden_from_the_presenter_is_a_missing_need(
    cast, client
):
    pitch = _public_pitch(cast)
    type(cast.need).objects.filter(pk=cast.need.pk).update(
        visibility=Visibility.CONFIDENTIAL
    )

    def ask(ref):
        return api(cast.delegate).post(
            "/api/v1/meetings/",
            {"pitch": pitch.pk, "member_state": "SEN", "need": ref},
            format="json",
        )

    hidden, missing = ask("sen-csirt"), ask("no-such-need")

    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["error"]["fields"] == {
        "need": ["need: no such value “sen-csirt”."]
    }
    assert missing.json()["error"]["fields"] == {
        "need": ["need: no such value “no-such-need”."]
    }
    assert not Meeting.objects.exists()


def test_the_presenter_never_sees_a_need_it_may_not_see_in_a_meeting(cast, client):
    pitch = _public_pitch(cast)
    created = api(cast.delegate).post(
        "/api/v1/meetings/",
        {"pitch": pitch.pk, "member_state": "SEN", "need": "sen-csirt"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    # The state makes the need confidential after asking.
    type(cast.need).objects.filter(pk=cast.need.pk).update(
        visibility=Visibility.CONFIDENTIAL
    )

    def needs_seen(user):
        return [m["need"] for m in api(user).get("/api/v1/meetings/").json()["results"]]

    assert needs_seen(cast.presenter) == [None]
    assert needs_seen(cast.delegate) == ["sen-csirt"]
    client.force_login(cast.presenter)
    page = client.get(reverse("meeting-list"))
    assert page.status_code == 200
    assert f'data-incoming="{created.json()["id"]}"' in page.content.decode()
    assert cast.need.title not in page.content.decode()
