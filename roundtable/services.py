"""Writes and workflows of the roundtable: pitches, curation, agenda, meetings.

Each state change is one function that checks the current state and the
actor's rights, and raises ``ValidationError`` (an illegal move, a broken rule)
or ``PermissionDenied`` (not the actor's business). Views and the API hide
objects the user may not see (404) before calling; these checks are the last
line, not the first.

Pitch life (``PitchState``)::

    draft --submit--> submitted --start_review--> in_review
    in_review --accept/reject--> accepted | rejected   (staged; revisable:
        accepted <--> rejected until the call's decisions are released)
    accepted --confirm (presenter)--> confirmed, or scheduled if it holds a slot
    confirmed --schedule--> scheduled --mark_presented--> presented
    draft, submitted, in_review, accepted, confirmed, scheduled --withdraw--> withdrawn

Meeting life (``MeetingState``)::

    requested --accept (presenter, books a slot)--> accepted
    requested --decline--> declined;  requested --expire--> expired
    requested, accepted --cancel (either side)--> cancelled
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from matchmaking import api_cache
from matchmaking import selectors as mm_selectors
from matchmaking import services as mm_services
from matchmaking.audit import set_change_reason
from matchmaking.enums import ACTIVE_NEED_STATUSES, MatchStatus, ProgrammeStatus
from matchmaking.i18n import send_mail_in_languages
from matchmaking.models import Match, MemberState, Need, Programme, Provider, User

from . import scheduling, selectors
from .enums import (
    ACTIVE_PITCH_STATES,
    MeetingState,
    PitchState,
    SessionKind,
    SlotKind,
)
from .models import (
    MAX_PITCH_SECONDS,
    REVIEW_WEIGHTS,
    AgendaVersion,
    BreakoutRegistration,
    CallForPitches,
    Event,
    Meeting,
    Pitch,
    Review,
    Session,
    SessionReport,
    TimeSlot,
)
from .slides import CheckedDeck, check_slide_deck

MEETING_REQUEST_TTL = dt.timedelta(
    hours=getattr(settings, "ROUNDTABLE_MEETING_REQUEST_TTL_HOURS", 72)
)

PITCH_FIELDS = (
    "title",
    "abstract",
    "content_language",
    "presenter_name",
    "duration_seconds",
)
EDITABLE_PITCH_STATES = (PitchState.DRAFT, PitchState.SUBMITTED, PitchState.IN_REVIEW)
WITHDRAWABLE_PITCH_STATES = (
    PitchState.DRAFT,
    PitchState.SUBMITTED,
    PitchState.IN_REVIEW,
    PitchState.ACCEPTED,
    PitchState.CONFIRMED,
    PitchState.SCHEDULED,
)
SCHEDULABLE_PITCH_STATES = (
    PitchState.ACCEPTED,
    PitchState.CONFIRMED,
    PitchState.SCHEDULED,
)
REQUESTABLE_PITCH_STATES = (
    PitchState.ACCEPTED,
    PitchState.CONFIRMED,
    PitchState.SCHEDULED,
    PitchState.PRESENTED,
)


# --- helpers --------------------------------------------------------------------------


def _illegal(obj: Pitch | Meeting, action: str) -> ValidationError:
    return ValidationError(
        {
            "state": _("This %(what)s is %(state)s: it cannot be %(action)s.")
            % {
                "what": obj._meta.verbose_name,
                "state": obj.get_state_display().lower(),
                "action": action,
            }
        }
    )


def _require_curator(user: User) -> None:
    if not mm_selectors.is_curator(user):
        raise PermissionDenied


def _require_provider_member(user: User, provider_id: int) -> None:
    if not (
        user.is_authenticated
        and user.is_active
        and provider_id in mm_selectors.provider_ids(user=user)
    ):
        raise PermissionDenied


def _locked_pitch(pitch: Pitch) -> Pitch:
    return (
        Pitch.objects.select_for_update(of=("self",))
        .select_related("event", "provider", "presenter")
        .get(pk=pitch.pk)
    )


def _call_of(event: Event) -> CallForPitches:
    call = CallForPitches.objects.filter(event=event).first()
    if call is None:
        raise ValidationError(_("This event has no call for pitches."))
    return call


def _require_call_open(call: CallForPitches) -> None:
    now = timezone.now()
    if now < call.opens_at:
        raise ValidationError(_("The call for pitches is not open yet."))
    if now >= call.closes_at:
        raise ValidationError(_("The call for pitches is closed."))


def _require_eligible(call: CallForPitches, provider: Provider) -> None:
    groups = set(call.eligible_stakeholder_groups.values_list("pk", flat=True))
    if groups and provider.stakeholder_group_id not in groups:
        raise ValidationError(
            _("Providers of your stakeholder group cannot answer this call.")
        )


def _on_commit_mail(
    compose: Callable[[], tuple[str, str]], recipients: Iterable[str]
) -> None:
    """After commit, mail each recipient in their profile language.

    ``compose`` returns (subject, body); it runs once per language.
    """
    to = sorted({address for address in recipients if address})
    if to:
        language = translation.get_language()
        transaction.on_commit(
            lambda: send_mail_in_languages(
                recipients=to, compose=compose, default=language
            )
        )


def _decision_mail(*, pitch: Pitch, call: CallForPitches) -> tuple[str, str]:
    """Subject and body telling a presenter the curators' decision."""
    if pitch.state == PitchState.ACCEPTED:
        subject = _("Your pitch is accepted: %(title)s") % {"title": pitch.title}
        body = _(
            'Your pitch "%(title)s" is accepted for %(event)s.\n\n'
            "Please confirm that you will present it: three minutes, at most "
            "%(slides)s slides."
        ) % {
            "title": pitch.title,
            "event": call.event.name,
            "slides": call.max_slides,
        }
    else:
        subject = _("Your pitch: %(title)s") % {"title": pitch.title}
        body = _(
            'Thank you for proposing "%(title)s" for %(event)s. The curators '
            "could not include it in the matchmaking session this time."
        ) % {"title": pitch.title, "event": call.event.name}
    return subject, body


def _pitch_contacts(pitch: Pitch) -> list[str]:
    """Who hears about a pitch: its presenter, else the provider's members."""
    if pitch.presenter_id and pitch.presenter.email:
        return [pitch.presenter.email]
    return list(
        User.objects.filter(
            memberships__provider_id=pitch.provider_id, is_active=True
        ).values_list("email", flat=True)
    )


# --- call for pitches -----------------------------------------------------------------


@transaction.atomic
def create_call_for_pitches(
    *, user: User, event: Event, data: Mapping[str, Any]
) -> CallForPitches:
    """A curator opens the call of an event (dates, rules, eligible groups)."""
    _require_curator(user)
    groups = data.get("eligible_stakeholder_groups", ())
    fields = {k: v for k, v in data.items() if k != "eligible_stakeholder_groups"}
    call = CallForPitches(event=event, **fields)
    call.full_clean()
    call.save()
    call.eligible_stakeholder_groups.set(groups)
    return call


# --- pitches: the provider's side -----------------------------------------------------


def _apply_pitch_data(
    pitch: Pitch, call: CallForPitches, data: Mapping[str, Any]
) -> list[str]:
    changed = []
    for field in PITCH_FIELDS:
        if field in data and getattr(pitch, field) != data[field]:
            setattr(pitch, field, data[field])
            changed.append(field)
    if "presenter" in data:
        presenter = data["presenter"]
        if presenter is not None and pitch.provider_id not in (
            mm_selectors.provider_ids(user=presenter)
        ):
            raise ValidationError(
                {"presenter": _("The presenter must act for your organisation.")}
            )
        if pitch.presenter_id != getattr(presenter, "pk", None):
            pitch.presenter = presenter
            changed.append("presenter")
    if pitch.duration_seconds > call.max_seconds:
        raise ValidationError(
            {
                "duration_seconds": _("A pitch lasts at most %(s)s seconds.")
                % {"s": call.max_seconds}
            }
        )
    return changed


def _check_programmes(pitch: Pitch, programmes: Iterable[Programme]) -> set[int]:
    ids = set()
    for programme in programmes:
        if programme.provider_id != pitch.provider_id:
            raise ValidationError(
                {"programmes": _("Link only your own organisation's programmes.")}
            )
        if programme.status == ProgrammeStatus.DRAFT:
            raise ValidationError(
                {"programmes": _("Publish a programme before linking it to a pitch.")}
            )
        ids.add(programme.pk)
    return ids


def _store_deck(pitch: Pitch, checked: CheckedDeck) -> None:
    """Store a checked deck under a generated name; the last step of a write."""
    old = pitch.slide_deck.name if pitch.slide_deck else ""
    storage = pitch.slide_deck.storage
    # The name given here is ignored: upload_to generates a random one.
    pitch.slide_deck.save("deck.pdf", ContentFile(checked.content), save=False)
    pitch.slide_count = checked.pages
    try:
        pitch.save(update_fields=["slide_deck", "slide_count", "updated_at"])
    except Exception:
        storage.delete(pitch.slide_deck.name)
        raise
    if old:
        transaction.on_commit(lambda: storage.delete(old))


def _check_deck(call: CallForPitches, upload: Any) -> CheckedDeck | None:
    if upload is None:
        return None
    return check_slide_deck(upload, max_pages=call.max_slides, max_bytes=call.max_bytes)


def can_translate_pitch(*, user: User, pitch: Pitch) -> bool:
    """The pitch's provider's users and curators translate its title and abstract."""
    return mm_selectors.is_curator(user) or pitch.provider_id in (
        mm_selectors.provider_ids(user=user)
    )


@transaction.atomic
def create_pitch(
    *,
    user: User,
    event: Event,
    provider: Provider,
    data: Mapping[str, Any],
    slide_deck: Any = None,
) -> Pitch:
    """A provider drafts a pitch for the event's call (optionally with its deck)."""
    _require_provider_member(user, provider.pk)
    call = _call_of(event)
    _require_call_open(call)
    _require_eligible(call, provider)
    pitch = Pitch(event=event, provider=provider, state=PitchState.DRAFT)
    _apply_pitch_data(pitch, call, data)
    if "content_language" not in data:
        pitch.content_language_id = mm_services.default_content_language(user)
    if not pitch.presenter_name and pitch.presenter_id:
        pitch.presenter_name = pitch.presenter.get_full_name() or str(pitch.presenter)
    programmes = _check_programmes(pitch, data.get("programmes", ()))
    checked = _check_deck(call, slide_deck)  # nothing is stored if it fails
    pitch.full_clean(exclude=["event", "provider", "slide_deck"])
    pitch.save()
    pitch.programmes.set(programmes)
    if checked is not None:
        _store_deck(pitch, checked)
    return pitch


@transaction.atomic
def update_pitch(
    *,
    user: User,
    pitch: Pitch,
    data: Mapping[str, Any],
    slide_deck: Any = None,
) -> Pitch:
    """Edit a pitch (and replace its deck) until the call closes or it is decided."""
    _require_provider_member(user, pitch.provider_id)
    pitch = _locked_pitch(pitch)
    if pitch.state not in EDITABLE_PITCH_STATES:
        raise _illegal(pitch, _("edited"))
    call = _call_of(pitch.event)
    _require_call_open(call)
    changed = _apply_pitch_data(pitch, call, data)
    programmes = (
        _check_programmes(pitch, data["programmes"]) if "programmes" in data else None
    )
    checked = _check_deck(call, slide_deck)
    pitch.full_clean(exclude=["event", "provider", "slide_deck"])
    if changed:
        pitch.save(update_fields=[*changed, "updated_at"])
    if programmes is not None:
        pitch.programmes.set(programmes)
    if checked is not None:
        _store_deck(pitch, checked)
    return pitch


@transaction.atomic
def submit_pitch(*, user: User, pitch: Pitch) -> Pitch:
    """Draft → submitted: complete, eligible, within the call's dates."""
    _require_provider_member(user, pitch.provider_id)
    pitch = _locked_pitch(pitch)
    if pitch.state != PitchState.DRAFT:
        raise _illegal(pitch, _("submitted"))
    call = _call_of(pitch.event)
    _require_call_open(call)
    _require_eligible(call, pitch.provider)
    problems = {}
    if not pitch.slide_deck:
        problems["slide_deck"] = _("Upload your slide deck (a PDF of 1 to 3 pages).")
    if not pitch.programmes.exists():
        problems["programmes"] = _("Link at least one of your programmes.")
    if problems:
        raise ValidationError(problems)
    if (
        Pitch.objects.filter(
            event=pitch.event, provider=pitch.provider, state__in=ACTIVE_PITCH_STATES
        )
        .exclude(pk=pitch.pk)
        .exists()
    ):
        raise ValidationError(
            _("Your organisation already has a pitch in this call: withdraw it first.")
        )
    pitch.state = PitchState.SUBMITTED
    pitch.submitted_at = timezone.now()
    set_change_reason(pitch, "submitted")
    pitch.save(update_fields=["state", "submitted_at", "updated_at"])
    return pitch


@transaction.atomic
def withdraw_pitch(*, user: User, pitch: Pitch) -> Pitch:
    """The provider withdraws: it leaves its slot; open requests are cancelled."""
    _require_provider_member(user, pitch.provider_id)
    pitch = _locked_pitch(pitch)
    if pitch.state not in WITHDRAWABLE_PITCH_STATES:
        raise _illegal(pitch, _("withdrawn"))
    pitch.state = PitchState.WITHDRAWN
    set_change_reason(pitch, "withdrawn")
    pitch.save(update_fields=["state", "updated_at"])
    TimeSlot.objects.filter(pitch=pitch).update(pitch=None)
    Meeting.objects.filter(pitch=pitch, state=MeetingState.REQUESTED).update(
        state=MeetingState.CANCELLED,
        response_note=_("The pitch was withdrawn."),
        responded_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return pitch


# --- curation -------------------------------------------------------------------------


@transaction.atomic
def start_review(*, user: User, pitch: Pitch) -> Pitch:
    """Submitted → in review (a curator takes it up)."""
    _require_curator(user)
    pitch = _locked_pitch(pitch)
    if pitch.state != PitchState.SUBMITTED:
        raise _illegal(pitch, _("put in review"))
    pitch.state = PitchState.IN_REVIEW
    set_change_reason(pitch, "review started")
    pitch.save(update_fields=["state", "updated_at"])
    return pitch


def _decisions_released(pitch: Pitch) -> bool:
    return CallForPitches.objects.filter(
        event_id=pitch.event_id, decisions_released_at__isnull=False
    ).exists()


def _is_public(pitch: Pitch) -> bool:
    """Accepted with the decision out (or later): what everyone may see."""
    return Pitch.objects.filter(selectors.public_pitch_q(), pk=pitch.pk).exists()


@transaction.atomic
def review_pitch(
    *, user: User, pitch: Pitch, scores: Mapping[str, int], comment: str = ""
) -> Review:
    """A curator scores a pitch on each criterion (1..5); again: updates the review."""
    _require_curator(user)
    pitch = _locked_pitch(pitch)
    reviewable = pitch.state == PitchState.IN_REVIEW or (
        pitch.state in (PitchState.ACCEPTED, PitchState.REJECTED)
        and not _decisions_released(pitch)
    )
    if not reviewable:
        raise _illegal(pitch, _("reviewed"))
    if pitch.provider_id in mm_selectors.provider_ids(user=user):
        raise ValidationError(
            _("You act for this provider: another curator must review it.")
        )
    if set(scores) != set(REVIEW_WEIGHTS):
        raise ValidationError(
            {
                "scores": _("Score every criterion: %(c)s.")
                % {"c": ", ".join(REVIEW_WEIGHTS)}
            }
        )
    review = Review.objects.filter(pitch=pitch, curator=user).first() or Review(
        pitch=pitch, curator=user
    )
    for name in REVIEW_WEIGHTS:
        setattr(review, name, scores[name])
    review.comment = comment
    review.full_clean(exclude=["pitch", "curator"])
    review.save()
    return review


def _stage_decision(user: User, pitch: Pitch, target: str, action: str) -> Pitch:
    _require_curator(user)
    pitch = _locked_pitch(pitch)
    other = (
        PitchState.REJECTED if target == PitchState.ACCEPTED else PitchState.ACCEPTED
    )
    # From review, or revising the other staged decision.
    if pitch.state not in (PitchState.IN_REVIEW, other):
        raise _illegal(pitch, action)
    if _decisions_released(pitch):
        raise ValidationError(_("Decisions of this call have been released."))
    pitch.state = target
    pitch.decided_at = timezone.now()
    pitch.decided_by = user
    set_change_reason(pitch, f"decision staged: {target}")
    pitch.save(update_fields=["state", "decided_at", "decided_by", "updated_at"])
    return pitch


@transaction.atomic
def accept_pitch(*, user: User, pitch: Pitch) -> Pitch:
    """Stage acceptance (in review or staged rejected → accepted)."""
    return _stage_decision(user, pitch, PitchState.ACCEPTED, _("accepted"))


@transaction.atomic
def reject_pitch(*, user: User, pitch: Pitch) -> Pitch:
    """Stage rejection (in review or staged accepted → rejected)."""
    return _stage_decision(user, pitch, PitchState.REJECTED, _("rejected"))


@transaction.atomic
def release_decisions(*, user: User, call: CallForPitches) -> int:
    """Announce every staged decision to its presenter; returns how many."""
    _require_curator(user)
    call = (
        CallForPitches.objects.select_for_update(of=("self",))
        .select_related("event")
        .get(pk=call.pk)
    )
    if call.decisions_released_at is not None:
        raise ValidationError(_("Decisions have already been released."))
    if timezone.now() < call.closes_at:
        raise ValidationError(_("Release decisions once the call has closed."))
    pending = Pitch.objects.filter(
        event=call.event, state__in=(PitchState.SUBMITTED, PitchState.IN_REVIEW)
    ).count()
    if pending:
        raise ValidationError(
            ngettext(
                "%(n)s pitch still awaits a decision.",
                "%(n)s pitches still await a decision.",
                pending,
            )
            % {"n": pending}
        )
    call.decisions_released_at = timezone.now()
    call.save(update_fields=["decisions_released_at", "updated_at"])
    decided = list(
        Pitch.objects.filter(
            event=call.event, state__in=(PitchState.ACCEPTED, PitchState.REJECTED)
        ).select_related("presenter")
    )
    for pitch in decided:
        _on_commit_mail(
            partial(_decision_mail, pitch=pitch, call=call), _pitch_contacts(pitch)
        )
    return len(decided)


@transaction.atomic
def confirm_pitch(*, user: User, pitch: Pitch) -> Pitch:
    """The presenter confirms an accepted pitch (scheduled if it holds a slot)."""
    pitch = _locked_pitch(pitch)
    if not (
        pitch.presenter_id == user.pk
        or pitch.provider_id in mm_selectors.provider_ids(user=user)
    ):
        raise PermissionDenied
    if pitch.state != PitchState.ACCEPTED or not _is_public(pitch):
        raise _illegal(pitch, _("confirmed"))
    has_slot = TimeSlot.objects.filter(pitch=pitch).exists()
    pitch.state = PitchState.SCHEDULED if has_slot else PitchState.CONFIRMED
    pitch.confirmed_at = timezone.now()
    set_change_reason(pitch, "confirmed by the presenter")
    pitch.save(update_fields=["state", "confirmed_at", "updated_at"])
    return pitch


@transaction.atomic
def mark_presented(*, user: User, pitch: Pitch) -> Pitch:
    """Scheduled → presented (the secretariat, after the session)."""
    _require_curator(user)
    pitch = _locked_pitch(pitch)
    if pitch.state != PitchState.SCHEDULED:
        raise _illegal(pitch, _("marked as presented"))
    pitch.state = PitchState.PRESENTED
    set_change_reason(pitch, "presented")
    pitch.save(update_fields=["state", "updated_at"])
    return pitch


# --- agenda ---------------------------------------------------------------------------


@transaction.atomic
def schedule_pitches(
    *,
    user: User,
    session: Session,
    changeover_seconds: int = scheduling.DEFAULT_CHANGEOVER_SECONDS,
    lead_in_seconds: int = 0,
) -> scheduling.SchedulePlan:
    """(Re)build the running order of a matchmaking session from accepted pitches.

    Places accepted pitches whose decision is released, confirmed and
    scheduled ones, and replaces the session's pitch slots. Placed confirmed
    pitches become scheduled; scheduled pitches that no longer fit go back to
    confirmed and are reported in the plan's overflow. Accepted pitches not
    yet confirmed hold their place and become scheduled when the presenter
    confirms.
    """
    _require_curator(user)
    session = (
        Session.objects.select_for_update(of=("self",))
        .select_related("event")
        .get(pk=session.pk)
    )
    if session.kind != SessionKind.MATCHMAKING:
        raise ValidationError(_("Pitches are scheduled in a matchmaking session."))
    call = CallForPitches.objects.filter(event_id=session.event_id).first()
    # Staged acceptances (decisions not released) are not placed: still revisable.
    candidates = (
        Pitch.objects.filter(
            selectors.public_pitch_q(),
            event=session.event,
            state__in=SCHEDULABLE_PITCH_STATES,
        )
        .exclude(Q(slot__isnull=False) & ~Q(slot__session=session))
        .select_for_update(of=("self",))
    )
    ids = list(candidates.values_list("pk", flat=True))
    items = [
        scheduling.PitchItem(pitch_id=pk, theme=theme, score=score)
        for pk, (theme, score) in selectors.pitch_themes_and_scores(
            pitch_ids=ids
        ).items()
    ]
    plan = scheduling.plan_schedule(
        items,
        starts_at=session.starts_at + dt.timedelta(seconds=lead_in_seconds),
        ends_at=session.ends_at,
        slot_seconds=call.max_seconds if call else MAX_PITCH_SECONDS,
        changeover_seconds=changeover_seconds,
        theme_order=selectors.theme_order(),
    )
    TimeSlot.objects.filter(session=session, kind=SlotKind.PITCH).delete()
    TimeSlot.objects.bulk_create(
        TimeSlot(
            session=session,
            kind=SlotKind.PITCH,
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            pitch_id=p.pitch_id,
        )
        for p in plan.placements
    )
    now = timezone.now()
    placed = Pitch.objects.filter(pk__in=plan.placed_ids)
    placed.update(session=session, updated_at=now)
    placed.filter(state=PitchState.CONFIRMED).update(state=PitchState.SCHEDULED)
    Pitch.objects.filter(pk__in=plan.overflow, state=PitchState.SCHEDULED).update(
        state=PitchState.CONFIRMED, updated_at=now
    )
    return plan


@transaction.atomic
def move_pitch(*, user: User, pitch: Pitch, slot: TimeSlot) -> TimeSlot:
    """Put a pitch into a pitch slot; the pitch already there swaps places with it."""
    _require_curator(user)
    pitch = _locked_pitch(pitch)
    slot = (
        TimeSlot.objects.select_for_update(of=("self",))
        .select_related("session")
        .get(pk=slot.pk)
    )
    if slot.kind != SlotKind.PITCH or slot.session.event_id != pitch.event_id:
        raise ValidationError({"slot": _("Choose a pitch slot of this event.")})
    if pitch.state not in SCHEDULABLE_PITCH_STATES or not _is_public(pitch):
        raise _illegal(pitch, _("moved"))
    if slot.pitch_id == pitch.pk:
        return slot
    old = TimeSlot.objects.select_for_update().filter(pitch=pitch).first()
    other_id = slot.pitch_id
    # One pitch per slot is a unique column: free both before re-filling.
    TimeSlot.objects.filter(pk__in=[s.pk for s in (slot, old) if s]).update(pitch=None)
    TimeSlot.objects.filter(pk=slot.pk).update(pitch=pitch)
    now = timezone.now()
    if other_id:
        if old:
            TimeSlot.objects.filter(pk=old.pk).update(pitch_id=other_id)
            Pitch.objects.filter(pk=other_id).update(
                session=old.session_id, updated_at=now
            )
        else:
            Pitch.objects.filter(pk=other_id, state=PitchState.SCHEDULED).update(
                state=PitchState.CONFIRMED, updated_at=now
            )
    update = {"session": slot.session_id, "updated_at": now}
    if pitch.state == PitchState.CONFIRMED:
        update["state"] = PitchState.SCHEDULED
    Pitch.objects.filter(pk=pitch.pk).update(**update)
    slot.refresh_from_db()
    return slot


@transaction.atomic
def publish_agenda(*, user: User, event: Event, note: str = "") -> AgendaVersion:
    """Freeze the public agenda as the next numbered version."""
    _require_curator(user)
    event = Event.objects.select_for_update().get(pk=event.pk)
    last = AgendaVersion.objects.filter(event=event).aggregate(n=Max("number"))["n"]
    number = (last or 0) + 1
    now = timezone.now()
    snapshot = selectors.agenda_data(user=AnonymousUser(), event=event)
    snapshot["version"] = number
    snapshot["published_at"] = now.isoformat()
    version = AgendaVersion(
        event=event,
        number=number,
        published_at=now,
        published_by=user,
        note=note,
        snapshot=snapshot,
    )
    version.full_clean()
    version.save()
    return version


# --- follow-up meetings ---------------------------------------------------------------


def _meeting_contacts(meeting: Meeting) -> list[str]:
    return [meeting.requested_by.email]


def _request_expiry(pitch: Pitch, now: dt.datetime) -> dt.datetime:
    """Answer within the TTL, and before the event's last meeting slot starts."""
    last = (
        TimeSlot.objects.filter(session__event_id=pitch.event_id, kind=SlotKind.MEETING)
        .aggregate(last=Max("starts_at"))
        .get("last")
    )
    expiry = now + MEETING_REQUEST_TTL
    if last is not None:
        if last <= now:
            raise ValidationError(_("No meeting slots remain at this event."))
        expiry = min(expiry, last)
    return expiry


def _match_for(meeting: Meeting) -> Match | None:
    if not (meeting.need_id and meeting.programme_id):
        return None
    return Match.objects.filter(
        need_id=meeting.need_id, programme_id=meeting.programme_id
    ).first()


@transaction.atomic
def request_meeting(
    *,
    user: User,
    pitch: Pitch,
    member_state: MemberState,
    message: str = "",
    need: Need | None = None,
    programme: Programme | None = None,
) -> Meeting:
    """A member state's delegate asks the presenter of a pitch for a meeting.

    Naming a need of the state and a programme of the pitch ties the meeting
    to their match: a suggested match moves to "interest expressed".
    """
    if member_state.pk not in mm_selectors.member_state_ids(user=user):
        raise PermissionDenied
    pitch = _locked_pitch(pitch)
    if pitch.state not in REQUESTABLE_PITCH_STATES or not _is_public(pitch):
        raise _illegal(pitch, _("asked for a meeting"))
    if need is not None and (
        need.member_state_id != member_state.pk
        or need.status not in ACTIVE_NEED_STATUSES
    ):
        raise ValidationError({"need": _("Choose an open need of your state.")})
    if programme is not None and not pitch.programmes.filter(pk=programme.pk).exists():
        raise ValidationError(
            {"programme": _("Choose a programme presented in this pitch.")}
        )
    if Meeting.objects.filter(
        pitch=pitch,
        member_state=member_state,
        state__in=(MeetingState.REQUESTED, MeetingState.ACCEPTED),
    ).exists():
        raise ValidationError(
            _("Your delegation already has a meeting with this presenter.")
        )
    now = timezone.now()
    meeting = Meeting(
        pitch=pitch,
        member_state=member_state,
        requested_by=user,
        need=need,
        programme=programme,
        message=message,
        expires_at=_request_expiry(pitch, now),
    )
    meeting.full_clean()
    meeting.save()
    match = _match_for(meeting)
    if match is not None and match.status == MatchStatus.SUGGESTED:
        mm_services.transition_match(
            user=user,
            match=match,
            action="express_interest",
            note=_("Meeting requested at %(event)s.") % {"event": pitch.event.name},
        )
    _on_commit_mail(
        lambda: (
            _("Meeting request: %(state)s") % {"state": member_state},
            _(
                "The delegation of %(state)s asks to meet you about your pitch "
                '"%(title)s".\n\n%(message)s\n\nPlease answer by %(expires)s.'
            )
            % {
                "state": member_state,
                "title": pitch.title,
                "message": message,
                "expires": timezone.localtime(meeting.expires_at).isoformat(
                    timespec="minutes"
                ),
            },
        ),
        _pitch_contacts(pitch),
    )
    return meeting


def _can_answer(user: User, pitch: Pitch) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if pitch.presenter_id:
        return pitch.presenter_id == user.pk
    return pitch.provider_id in mm_selectors.provider_ids(user=user)


def _person_busy(user_id: int, starts_at: dt.datetime, ends_at: dt.datetime) -> bool:
    return Meeting.objects.filter(
        Q(presenter_id=user_id) | Q(requested_by_id=user_id),
        state=MeetingState.ACCEPTED,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exists()


def _slot_free_for(slot: TimeSlot, people: Iterable[int]) -> bool:
    if Meeting.objects.filter(slot=slot, state=MeetingState.ACCEPTED).exists():
        return False
    return not any(_person_busy(pk, slot.starts_at, slot.ends_at) for pk in people)


@transaction.atomic
def accept_meeting(
    *, user: User, meeting: Meeting, slot: TimeSlot | None = None
) -> Meeting:
    """The presenter accepts and the meeting takes a free table.

    Bookings of one event are serialised by locking the event row (and the
    chosen slot), so concurrent acceptances cannot take the same table or book
    a person twice; the database's unique constraints are the backstop.
    """
    pitch = Pitch.objects.select_related("event").get(pk=meeting.pitch_id)
    if not _can_answer(user, pitch):
        raise PermissionDenied
    Event.objects.select_for_update().get(pk=pitch.event_id)
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.state != MeetingState.REQUESTED:
        raise _illegal(meeting, _("accepted"))
    now = timezone.now()
    if meeting.expires_at <= now:
        raise ValidationError(_("This request has expired."))
    presenter_id = pitch.presenter_id or user.pk
    people = {presenter_id, meeting.requested_by_id}
    free = TimeSlot.objects.filter(
        session__event_id=pitch.event_id, kind=SlotKind.MEETING, starts_at__gt=now
    ).order_by("starts_at", "location", "id")
    if slot is not None:
        chosen = free.select_for_update(of=("self",)).filter(pk=slot.pk).first()
        if chosen is None:
            raise ValidationError(
                {"slot": _("Choose a future meeting slot of this event.")}
            )
        if not _slot_free_for(chosen, people):
            raise ValidationError(
                {"slot": _("This slot is taken, or one of you is busy then.")}
            )
    else:
        chosen = next((s for s in free if _slot_free_for(s, people)), None)
        if chosen is None:
            raise ValidationError(_("No meeting slot is free for both of you."))
    meeting.state = MeetingState.ACCEPTED
    meeting.presenter_id = presenter_id
    meeting.slot = chosen
    meeting.starts_at = chosen.starts_at
    meeting.ends_at = chosen.ends_at
    meeting.responded_at = now
    set_change_reason(meeting, "accepted")
    try:
        with transaction.atomic():
            meeting.save(
                update_fields=[
                    "state",
                    "presenter",
                    "slot",
                    "starts_at",
                    "ends_at",
                    "responded_at",
                    "updated_at",
                ]
            )
    except IntegrityError:
        raise ValidationError(
            _("This slot is taken, or one of you is busy then.")
        ) from None
    _advance_match(meeting, acceptor=user)
    _on_commit_mail(
        lambda: (
            _("Meeting accepted: %(title)s") % {"title": pitch.title},
            _("%(presenter)s will meet your delegation at %(when)s, %(where)s.")
            % {
                "presenter": pitch.presenter_name,
                "when": timezone.localtime(chosen.starts_at).isoformat(
                    timespec="minutes"
                ),
                "where": chosen.location,
            },
        ),
        [meeting.requested_by.email],
    )
    return meeting


def _advance_match(meeting: Meeting, *, acceptor: User) -> None:
    """An accepted meeting is an introduction: move the need's match along."""
    match = _match_for(meeting)
    if match is None:
        return
    note = _("Follow-up meeting booked at the roundtable.")
    if match.status == MatchStatus.SUGGESTED:
        match = mm_services.transition_match(
            user=meeting.requested_by, match=match, action="express_interest", note=note
        )
    if match.status == MatchStatus.INTEREST and "introduce" in (
        mm_services.allowed_match_actions(user=acceptor, match=match)
    ):
        mm_services.transition_match(
            user=acceptor, match=match, action="introduce", note=note
        )


@transaction.atomic
def decline_meeting(*, user: User, meeting: Meeting, reason: str = "") -> Meeting:
    """The presenter declines a request."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("pitch")
        .get(pk=meeting.pk)
    )
    if not _can_answer(user, meeting.pitch):
        raise PermissionDenied
    if meeting.state != MeetingState.REQUESTED:
        raise _illegal(meeting, _("declined"))
    meeting.state = MeetingState.DECLINED
    set_change_reason(meeting, "declined")
    meeting.response_note = reason
    meeting.responded_at = timezone.now()
    meeting.save(update_fields=["state", "response_note", "responded_at", "updated_at"])
    _on_commit_mail(
        lambda: (
            _("Meeting request declined: %(title)s") % {"title": meeting.pitch.title},
            reason or _("The presenter cannot meet your delegation this time."),
        ),
        [meeting.requested_by.email],
    )
    return meeting


@transaction.atomic
def cancel_meeting(*, user: User, meeting: Meeting, reason: str = "") -> Meeting:
    """Either side calls off a requested or accepted meeting; its table is freed."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("pitch")
        .get(pk=meeting.pk)
    )
    requester_side = meeting.member_state_id in mm_selectors.member_state_ids(user=user)
    presenter_side = _can_answer(user, meeting.pitch) or meeting.presenter_id == user.pk
    if not (requester_side or presenter_side or mm_selectors.is_curator(user)):
        raise PermissionDenied
    if meeting.state not in (MeetingState.REQUESTED, MeetingState.ACCEPTED):
        raise _illegal(meeting, _("cancelled"))
    meeting.state = MeetingState.CANCELLED
    set_change_reason(meeting, "cancelled")
    meeting.response_note = reason
    meeting.responded_at = timezone.now()
    meeting.save(update_fields=["state", "response_note", "responded_at", "updated_at"])
    return meeting


def expire_meeting_requests(*, now: dt.datetime | None = None) -> int:
    """Requests left unanswered past their deadline expire; returns how many."""
    now = now or timezone.now()
    count = Meeting.objects.filter(
        state=MeetingState.REQUESTED, expires_at__lte=now
    ).update(state=MeetingState.EXPIRED, updated_at=now)
    if count:
        api_cache.changed()  # an update() sends no signal
    return count


@transaction.atomic
def record_meeting_match(*, user: User, meeting: Meeting, note: str) -> Match:
    """A curator turns a meeting about a need and a programme into a match."""
    _require_curator(user)
    if not (meeting.need_id and meeting.programme_id):
        raise ValidationError(_("This meeting names no need and programme."))
    existing = _match_for(meeting)
    if existing is not None:
        return existing
    return mm_services.propose_match(
        user=user, need=meeting.need, programme=meeting.programme, note=note
    )


# --- breakouts ------------------------------------------------------------------------


@transaction.atomic
def register_for_breakout(*, user: User, session: Session) -> BreakoutRegistration:
    """Take a seat in a breakout, if one is left (seats are counted under a lock)."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied
    session = Session.objects.select_for_update().get(pk=session.pk)
    if session.kind != SessionKind.BREAKOUT:
        raise ValidationError(_("Registration is for breakout sessions."))
    if session.starts_at <= timezone.now():
        raise ValidationError(_("This breakout has started."))
    if BreakoutRegistration.objects.filter(session=session, user=user).exists():
        raise ValidationError(_("You are already registered."))
    if session.capacity is not None and (
        BreakoutRegistration.objects.filter(session=session).count() >= session.capacity
    ):
        raise ValidationError(_("This breakout is full."))
    return BreakoutRegistration.objects.create(session=session, user=user)


@transaction.atomic
def cancel_breakout_registration(*, user: User, session: Session) -> None:
    """Give up one's seat."""
    deleted, _rows = BreakoutRegistration.objects.filter(
        session=session, user=user
    ).delete()
    if not deleted:
        raise ValidationError(_("You are not registered for this breakout."))


# --- session reports ------------------------------------------------------------------

REPORT_FIELDS = ("summary", "key_issues", "commitments")


def may_write_report(
    *, user: User, session: Session, report: SessionReport | None
) -> bool:
    """Curators; the rapporteur once named; before that, the session's chair."""
    if mm_selectors.is_curator(user):
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    if report is not None and report.rapporteur_id:
        return report.rapporteur_id == user.pk
    return session.chair_id == user.pk


@transaction.atomic
def assign_rapporteur(
    *, user: User, session: Session, rapporteur: User
) -> SessionReport:
    """A curator names the rapporteur who writes the session's report."""
    _require_curator(user)
    report, _created = SessionReport.objects.get_or_create(
        session=session, defaults={"rapporteur": rapporteur, "summary": ""}
    )
    if report.rapporteur_id != rapporteur.pk:
        report.rapporteur = rapporteur
        report.save(update_fields=["rapporteur", "updated_at"])
    return report


@transaction.atomic
def write_session_report(
    *, user: User, session: Session, data: Mapping[str, str]
) -> SessionReport:
    """The rapporteur (or the chair, or a curator) writes the report."""
    report = SessionReport.objects.select_for_update().filter(session=session).first()
    if not may_write_report(user=user, session=session, report=report):
        raise PermissionDenied
    if report is None:
        report = SessionReport(session=session, rapporteur=user)
    for field in REPORT_FIELDS:
        if field in data:
            setattr(report, field, data[field])
    report.full_clean(exclude=["session"])
    report.save()
    return report


@transaction.atomic
def publish_session_report(*, user: User, report: SessionReport) -> SessionReport:
    """Make a report public (it is linked from the agenda)."""
    report = (
        SessionReport.objects.select_for_update(of=("self",))
        .select_related("session")
        .get(pk=report.pk)
    )
    if not may_write_report(user=user, session=report.session, report=report):
        raise PermissionDenied
    if report.published_at is not None:
        raise ValidationError(_("This report is already published."))
    if not report.summary.strip():
        raise ValidationError({"summary": _("Write the summary before publishing.")})
    report.published_at = timezone.now()
    report.save(update_fields=["published_at", "updated_at"])
    return report
