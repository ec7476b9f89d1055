"""Every pitch transition, legal and illegal, and the rules around them."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.core.mail.backends import locmem
from django.utils import timezone

from matchmaking.enums import ProgrammeStatus
from matchmaking.models import MailMessage
from matchmaking.models import MailStatus
from matchmaking.models import StakeholderGroup
from matchmaking.notifications.mail import send_pending
from roundtable import selectors
from roundtable import services
from roundtable.enums import PitchState
from roundtable.models import CallForPitches
from roundtable.models import Pitch
from roundtable.models import Review
from roundtable.models import TimeSlot
from tests.factories import ProgrammeFactory
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch

S = PitchState
ALL_STATES = list(PitchState)
SCORES = {"relevance": 5, "clarity": 4, "feasibility": 3, "reach": 2}

# action -> (states it may start from, the state it leads to (None: unchanged),
#            who does it, what the call looks like)
TRANSITIONS = {
    "submit": ({S.DRAFT}, S.SUBMITTED, "presenter", "open"),
    # A staged (unreleased) decision is still "in review" to the provider.
    "edit": (
        {S.DRAFT, S.SUBMITTED, S.IN_REVIEW, S.ACCEPTED, S.REJECTED},
        None,
        "presenter",
        "open",
    ),
    "withdraw": (
        {
            S.DRAFT,
            S.SUBMITTED,
            S.IN_REVIEW,
            S.ACCEPTED,
            S.REJECTED,
            S.CONFIRMED,
            S.SCHEDULED,
        },
        S.WITHDRAWN,
        "presenter",
        "open",
    ),
    "start_review": ({S.SUBMITTED}, S.IN_REVIEW, "curator", "open"),
    "review": ({S.IN_REVIEW, S.ACCEPTED, S.REJECTED}, None, "curator", "closed"),
    "accept": ({S.IN_REVIEW, S.REJECTED}, S.ACCEPTED, "curator", "closed"),
    "reject": ({S.IN_REVIEW, S.ACCEPTED}, S.REJECTED, "curator", "closed"),
    "confirm": ({S.ACCEPTED}, S.CONFIRMED, "presenter", "released"),
    "mark_presented": ({S.SCHEDULED}, S.PRESENTED, "curator", "released"),
}


def run(action: str, user, pitch: Pitch):
    if action == "submit":
        return services.submit_pitch(user=user, pitch=pitch)
    if action == "edit":
        return services.update_pitch(user=user, pitch=pitch, data={"title": "New"})
    if action == "withdraw":
        return services.withdraw_pitch(user=user, pitch=pitch)
    if action == "start_review":
        return services.start_review(user=user, pitch=pitch)
    if action == "review":
        return services.review_pitch(user=user, pitch=pitch, scores=SCORES)
    if action == "accept":
        return services.accept_pitch(user=user, pitch=pitch)
    if action == "reject":
        return services.reject_pitch(user=user, pitch=pitch)
    if action == "confirm":
        return services.confirm_pitch(user=user, pitch=pitch)
    if action == "mark_presented":
        return services.mark_presented(user=user, pitch=pitch)
    raise AssertionError(action)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize("action", list(TRANSITIONS))
def test_each_pitch_transition_is_legal_only_from_its_states(cast, action, state):
    sources, target, actor, call = TRANSITIONS[action]
    if call != "open":
        close_call(cast, release=call == "released")
    pitch = make_pitch(cast, state=state)
    user = cast.presenter if actor == "presenter" else cast.curator
    before = Pitch.objects.values().get(pk=pitch.pk)
    if state in sources:
        run(action, user, pitch)
        pitch.refresh_from_db()
        expected = target or state
        assert pitch.state == expected
        if action == "edit":
            assert pitch.title == "New"
        if action == "review":
            assert Review.objects.filter(pitch=pitch).count() == 1
    else:
        with pytest.raises(ValidationError) as refused:
            run(action, user, pitch)
        assert "state" in refused.value.message_dict
        assert Pitch.objects.values().get(pk=pitch.pk) == before
        assert not Review.objects.exists()


def test_the_illegal_move_message_names_the_state(cast):
    pitch = make_pitch(cast, state=S.IN_REVIEW)
    with pytest.raises(ValidationError) as refused:
        services.submit_pitch(user=cast.presenter, pitch=pitch)
    assert refused.value.message_dict == {
        "state": ["This pitch is in review: it cannot be submitted."]
    }


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("submit", "other_member"),
        ("submit", "delegate"),
        ("submit", "curator"),
        ("edit", "other_member"),
        ("withdraw", "outsider"),
        ("start_review", "presenter"),
        ("accept", "presenter"),
        ("review", "delegate"),
        ("mark_presented", "presenter"),
        ("confirm", "other_member"),
    ],
)
def test_actions_of_others_are_refused_and_change_nothing(cast, action, who):
    sources, _target, _actor, call = TRANSITIONS[action]
    if call != "open":
        close_call(cast, release=call == "released")
    pitch = make_pitch(cast, state=sorted(sources)[0])
    before = Pitch.objects.values().get(pk=pitch.pk)
    with pytest.raises(PermissionDenied):
        run(action, getattr(cast, who), pitch)
    assert Pitch.objects.values().get(pk=pitch.pk) == before


def test_create_and_submit_a_pitch(cast):
    from tests.roundtable import pdfs
    from tests.roundtable.test_slides import upload

    pitch = services.create_pitch(
        user=cast.colleague,
        event=cast.event,
        provider=cast.provider,
        data={
            "title": "CSIRT Launchpad",
            "abstract": "Eighteen months.",
            "presenter": cast.presenter,
            "programmes": [cast.programme],
            "duration_seconds": 170,
        },
        slide_deck=upload(pdfs.pdf(2)),
    )
    assert (pitch.state, pitch.presenter, pitch.presenter_name) == (
        S.DRAFT,
        cast.presenter,
        "Ingrid Solberg",
    )
    services.submit_pitch(user=cast.colleague, pitch=pitch)
    pitch.refresh_from_db()
    assert pitch.state == S.SUBMITTED
    assert pitch.submitted_at is not None
    assert list(pitch.programmes.values_list("ref", flat=True)) == ["csirt-launchpad"]


def test_submission_needs_a_deck_and_a_programme(cast):
    pitch = make_pitch(cast, deck=False, programmes=[])
    with pytest.raises(ValidationError) as refused:
        services.submit_pitch(user=cast.presenter, pitch=pitch)
    assert refused.value.message_dict == {
        "slide_deck": ["Upload your slide deck (a PDF of 1 to 3 pages)."],
        "programmes": ["Link at least one of your programmes."],
    }


def test_a_provider_has_one_active_pitch_per_event(cast):
    make_pitch(cast, state=S.SUBMITTED, title="First")
    second = make_pitch(cast, title="Second")
    with pytest.raises(ValidationError) as refused:
        services.submit_pitch(user=cast.presenter, pitch=second)
    assert refused.value.messages == [
        "Your organisation already has a pitch in this call: withdraw it first."
    ]


def test_the_call_dates_bound_creation_editing_and_submission(cast):
    pitch = make_pitch(cast)
    close_call(cast)
    for attempt in (
        lambda: services.submit_pitch(user=cast.presenter, pitch=pitch),
        lambda: services.update_pitch(user=cast.presenter, pitch=pitch, data={}),
        lambda: services.create_pitch(
            user=cast.presenter,
            event=cast.event,
            provider=cast.provider,
            data={"title": "Late", "abstract": "x", "presenter_name": "x"},
        ),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert refused.value.messages == ["The call for pitches is closed."]
    CallForPitches.objects.filter(pk=cast.call.pk).update(
        opens_at=timezone.now() + dt.timedelta(days=1),
        closes_at=timezone.now() + dt.timedelta(days=2),
    )
    with pytest.raises(ValidationError) as refused:
        services.submit_pitch(user=cast.presenter, pitch=pitch)
    assert refused.value.messages == ["The call for pitches is not open yet."]


def test_only_eligible_stakeholder_groups_may_answer(cast):
    cast.call.eligible_stakeholder_groups.set(
        [StakeholderGroup.objects.get(slug="academia")]
    )
    with pytest.raises(ValidationError) as refused:
        services.create_pitch(
            user=cast.presenter,
            event=cast.event,
            provider=cast.provider,
            data={"title": "T", "abstract": "A", "presenter_name": "P"},
        )
    assert refused.value.messages == [
        "Providers of your stakeholder group cannot answer this call."
    ]
    assert not Pitch.objects.exists()


def test_pitches_link_only_the_providers_published_programmes(cast):
    draft = ProgrammeFactory(provider=cast.provider, status=ProgrammeStatus.DRAFT)
    pitch = make_pitch(cast)
    for programmes, message in (
        ([cast.other_programme], "Link only your own organisation's programmes."),
        ([draft], "Publish a programme before linking it to a pitch."),
    ):
        with pytest.raises(ValidationError) as refused:
            services.update_pitch(
                user=cast.presenter, pitch=pitch, data={"programmes": programmes}
            )
        assert refused.value.message_dict == {"programmes": [message]}
    assert list(pitch.programmes.all()) == [cast.programme]


def test_a_pitch_lasts_at_most_the_calls_limit_and_presenters_are_members(cast):
    pitch = make_pitch(cast)
    with pytest.raises(ValidationError) as refused:
        services.update_pitch(
            user=cast.presenter, pitch=pitch, data={"duration_seconds": 181}
        )
    assert refused.value.message_dict == {
        "duration_seconds": ["A pitch lasts at most 180 seconds."]
    }
    with pytest.raises(ValidationError) as refused:
        services.update_pitch(
            user=cast.presenter, pitch=pitch, data={"presenter": cast.delegate}
        )
    assert refused.value.message_dict == {
        "presenter": ["The presenter must act for your organisation."]
    }


def test_staged_decisions_are_revisable_until_released(cast):
    pitch = make_pitch(cast, state=S.IN_REVIEW)
    close_call(cast)
    services.accept_pitch(user=cast.curator, pitch=pitch)
    services.reject_pitch(user=cast.curator, pitch=pitch)
    services.accept_pitch(user=cast.curator, pitch=pitch)
    assert services.release_decisions(user=cast.curator, call=cast.call) == 1
    with pytest.raises(ValidationError) as refused:
        services.reject_pitch(user=cast.curator, pitch=pitch)
    assert refused.value.messages == ["Decisions of this call have been released."]
    pitch.refresh_from_db()
    assert (pitch.state, pitch.decided_by) == (S.ACCEPTED, cast.curator)


def test_release_needs_a_closed_call_and_no_pending_pitch(cast):
    make_pitch(cast, state=S.IN_REVIEW)
    with pytest.raises(ValidationError) as refused:
        services.release_decisions(user=cast.curator, call=cast.call)
    assert refused.value.messages == ["Release decisions once the call has closed."]
    close_call(cast)
    with pytest.raises(ValidationError) as refused:
        services.release_decisions(user=cast.curator, call=cast.call)
    assert refused.value.messages == ["1 pitch still awaits a decision."]
    with pytest.raises(PermissionDenied):
        services.release_decisions(user=cast.presenter, call=cast.call)
    cast.call.refresh_from_db()
    assert cast.call.decisions_released_at is None


def test_release_mails_every_presenter_once_committed(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    accepted = make_pitch(cast, state=S.ACCEPTED, title="CSIRT in 18 months")
    rejected = make_pitch(
        cast, state=S.REJECTED, provider=cast.other_provider, title="Cloud credits"
    )
    make_pitch(cast, state=S.DRAFT, title="Never submitted", deck=False)
    close_call(cast)
    with django_capture_on_commit_callbacks(execute=True):
        count = services.release_decisions(user=cast.curator, call=cast.call)
    assert count == 2
    sent = sorted((m.subject, tuple(m.to)) for m in mailoutbox)
    assert sent == [
        ("Your pitch is accepted: CSIRT in 18 months", ("presenter@example.org",)),
        ("Your pitch: Cloud credits", ("kestrel-member@example.org",)),
    ]
    assert accepted.pk != rejected.pk
    with pytest.raises(ValidationError) as refused:
        services.release_decisions(user=cast.curator, call=cast.call)
    assert refused.value.messages == ["Decisions have already been released."]


def test_confirming_a_pitch_that_holds_a_slot_schedules_it(cast):
    close_call(cast, release=True)
    pitch = make_pitch(cast, state=S.ACCEPTED)
    services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    pitch.refresh_from_db()
    assert pitch.state == S.ACCEPTED  # holds its place, not yet confirmed
    services.confirm_pitch(user=cast.presenter, pitch=pitch)
    pitch.refresh_from_db()
    assert pitch.state == S.SCHEDULED
    assert pitch.confirmed_at is not None


def test_a_staged_acceptance_cannot_be_confirmed_before_release(cast):
    close_call(cast)
    pitch = make_pitch(cast, state=S.ACCEPTED)
    with pytest.raises(ValidationError):
        services.confirm_pitch(user=cast.presenter, pitch=pitch)


def test_reviews_are_one_per_curator_and_updated_in_place(cast):
    pitch = make_pitch(cast, state=S.IN_REVIEW)
    first = services.review_pitch(
        user=cast.curator, pitch=pitch, scores=SCORES, comment="Clear."
    )
    again = services.review_pitch(
        user=cast.curator,
        pitch=pitch,
        scores={**SCORES, "clarity": 5},
        comment="Very clear.",
    )
    assert first.pk == again.pk
    assert (again.clarity, again.comment, again.weighted_score) == (
        5,
        "Very clear.",
        4.0,  # 5 * 0.4 + 5 * 0.2 + 3 * 0.2 + 2 * 0.2
    )
    with pytest.raises(ValidationError) as refused:
        services.review_pitch(
            user=cast.second_curator, pitch=pitch, scores={**SCORES, "reach": 6}
        )
    assert refused.value.message_dict == {
        "reach": ["Ensure this value is less than or equal to 5."]
    }
    with pytest.raises(ValidationError) as refused:
        services.review_pitch(user=cast.second_curator, pitch=pitch, scores={})
    assert refused.value.message_dict == {
        "scores": ["Score every criterion: relevance, clarity, feasibility, reach."]
    }
    assert Review.objects.count() == 1


def test_a_curator_who_acts_for_the_provider_cannot_review_it(cast):
    cast.presenter.is_curator = True
    cast.presenter.save()
    pitch = make_pitch(cast, state=S.IN_REVIEW)
    with pytest.raises(ValidationError) as refused:
        services.review_pitch(user=cast.presenter, pitch=pitch, scores=SCORES)
    assert refused.value.messages == [
        "You act for this provider: another curator must review it."
    ]


def test_withdrawing_a_scheduled_pitch_frees_its_slot(cast):
    close_call(cast, release=True)
    pitch = make_pitch(cast, state=S.CONFIRMED)
    services.schedule_pitches(user=cast.curator, session=cast.matchmaking)
    assert TimeSlot.objects.filter(pitch=pitch).count() == 1
    services.withdraw_pitch(user=cast.presenter, pitch=pitch)
    assert TimeSlot.objects.filter(pitch=pitch).count() == 0


@pytest.mark.parametrize(
    ("state", "who", "expected"),
    [
        (S.DRAFT, "presenter", ["edit", "submit", "withdraw"]),
        (S.DRAFT, "curator", []),
        (S.SUBMITTED, "curator", ["start_review"]),
        (S.IN_REVIEW, "curator", ["review", "accept", "reject"]),
        (S.IN_REVIEW, "presenter", ["edit", "withdraw"]),
        (S.IN_REVIEW, "outsider", []),
    ],
)
def test_allowed_actions_follow_the_state_machine(cast, state, who, expected):
    pitch = make_pitch(cast, state=state)
    user = getattr(cast, who)
    assert selectors.allowed_pitch_actions(user=user, pitch=pitch) == expected


def test_release_mails_a_title_with_line_breaks_on_one_subject_line(
    cast, mailoutbox, django_capture_on_commit_callbacks
):
    make_pitch(cast, state=S.ACCEPTED, title="CSIRT\r\nBcc: all@example.org")
    make_pitch(
        cast, state=S.REJECTED, provider=cast.other_provider, title="Cloud\ncredits"
    )
    close_call(cast)

    with django_capture_on_commit_callbacks(execute=True):
        count = services.release_decisions(user=cast.curator, call=cast.call)

    assert count == 2
    assert sorted((m.subject, tuple(m.to), tuple(m.bcc)) for m in mailoutbox) == [
        (
            "Your pitch is accepted: CSIRT Bcc: all@example.org",
            ("presenter@example.org",),
            (),
        ),
        ("Your pitch: Cloud credits", ("kestrel-member@example.org",), ()),
    ]


class RefusingBackend(locmem.EmailBackend):
    """An SMTP server that refuses the presenter's address."""

    def send_messages(self, messages):
        if any("presenter@example.org" in message.to for message in messages):
            raise smtplib.SMTPRecipientsRefused(
                {"presenter@example.org": (550, b"mailbox unavailable")}
            )
        return super().send_messages(messages)


def test_one_failing_decision_mail_stops_neither_the_release_nor_the_others(
    cast, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    make_pitch(cast, state=S.ACCEPTED, title="CSIRT in 18 months")
    make_pitch(
        cast, state=S.REJECTED, provider=cast.other_provider, title="Cloud credits"
    )
    close_call(cast)

    with django_capture_on_commit_callbacks(execute=True):
        count = services.release_decisions(user=cast.curator, call=cast.call)

    assert count == 2
    assert [(m.subject, m.to) for m in mailoutbox] == [
        ("Your pitch: Cloud credits", ["kestrel-member@example.org"])
    ]
    # The refused mail is not lost: it waits in the mail outbox for a retry.
    waiting = MailMessage.objects.get(status=MailStatus.PENDING)
    assert (waiting.to, waiting.subject, waiting.attempts) == (
        "presenter@example.org",
        "Your pitch is accepted: CSIRT in 18 months",
        1,
    )
    assert "550" in waiting.last_error
    cast.call.refresh_from_db()
    assert cast.call.decisions_released_at is not None


def test_a_refused_decision_mail_is_retried_from_the_outbox_not_by_a_re_run(
    cast, mailoutbox, settings, django_capture_on_commit_callbacks, time_machine
):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RefusingBackend"}}
    failed = make_pitch(cast, state=S.ACCEPTED, title="CSIRT in 18 months")
    make_pitch(
        cast, state=S.REJECTED, provider=cast.other_provider, title="Cloud credits"
    )
    close_call(cast)
    time_machine.move_to(timezone.now(), tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.release_decisions(user=cast.curator, call=cast.call) == 2
    failed.refresh_from_db()
    # Queued with the release: it counts as mailed (the outbox retries it).
    assert failed.decision_mailed_at is not None
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    mailoutbox.clear()
    assert send_pending() == 0  # the retry waits its delay (30 s)
    time_machine.shift(31)
    assert send_pending() == 1
    assert [(m.subject, m.to) for m in mailoutbox] == [
        ("Your pitch is accepted: CSIRT in 18 months", ["presenter@example.org"])
    ]
    assert send_pending() == 0  # sent once
    with pytest.raises(ValidationError) as refused:
        services.release_decisions(user=cast.curator, call=cast.call)
    assert refused.value.messages == ["Decisions have already been released."]
