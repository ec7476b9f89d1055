"""Calls for pitches and a pitch's life: drafting, deck, submission, review, decisions
and their release, confirmation.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from matchmaking import notifications
from matchmaking import selectors as mm_selectors
from matchmaking import services as mm_services
from matchmaking.audit import set_change_reason
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import Category
from matchmaking.models import EventKind
from matchmaking.models import OutboxEvent
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import User
from roundtable import selectors
from roundtable.enums import ACTIVE_PITCH_STATES
from roundtable.enums import EDITABLE_PITCH_STATES
from roundtable.enums import WITHDRAWABLE_PITCH_STATES
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.models import REVIEW_WEIGHTS
from roundtable.models import CallForPitches
from roundtable.models import Event
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import Review
from roundtable.models import TimeSlot
from roundtable.services.common import PITCH_FIELDS
from roundtable.services.common import _call_of
from roundtable.services.common import _illegal
from roundtable.services.common import _locked_pitch
from roundtable.services.common import _queue_mail
from roundtable.services.common import _require_curator
from roundtable.services.common import _require_provider_member
from roundtable.slides import CheckedDeck
from roundtable.slides import SlideDeckError
from roundtable.slides import check_slide_deck


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
    presenter = pitch.presenter if pitch.presenter_id else None
    if presenter is not None and presenter.email:
        return [presenter.email]
    return list(
        User.objects.filter(
            memberships__provider_id=pitch.provider_id, is_active=True
        ).values_list("email", flat=True)
    )


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
        if pitch.slide_deck.name:
            storage.delete(pitch.slide_deck.name)
        raise
    if old:
        transaction.on_commit(lambda: storage.delete(old))


@dataclass(frozen=True)
class DeckRebuild:
    """What ``rebuild_stored_decks`` did: pitches rebuilt, and those it could not."""

    rebuilt: tuple[int, ...]
    refused: tuple[tuple[int, str], ...]  # (pitch id, why)


def rebuild_stored_decks() -> DeckRebuild:
    """Pass every stored deck through today's deck rules again.

    Decks stored under older rules may hold content today's allow-list drops;
    each is rebuilt and replaced (its page count kept in step, the pitch's
    "updated" time untouched). A deck the rules now refuse is left as it is
    and reported, for a curator to decide.
    """
    rebuilt: list[int] = []
    refused: list[tuple[int, str]] = []
    for pitch in Pitch.objects.exclude(slide_deck="").order_by("pk").iterator():
        try:
            with pitch.slide_deck.open("rb") as stored:
                checked = check_slide_deck(stored)
        except SlideDeckError as error:
            refused.append((pitch.pk, error.messages[0]))
            continue
        except OSError:
            refused.append((pitch.pk, "The stored file is missing."))
            continue
        with transaction.atomic():
            old = pitch.slide_deck.name or ""
            storage = pitch.slide_deck.storage
            pitch.slide_deck.save("deck.pdf", ContentFile(checked.content), save=False)
            pitch.slide_count = checked.pages
            set_change_reason(pitch, "slide deck rebuilt")
            pitch.save(update_fields=["slide_deck", "slide_count"])
            transaction.on_commit(partial(storage.delete, old))
        rebuilt.append(pitch.pk)
    return DeckRebuild(rebuilt=tuple(rebuilt), refused=tuple(refused))


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
        presenter = pitch.presenter
        if presenter is not None:
            pitch.presenter_name = presenter.get_full_name() or str(presenter)
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
    state = selectors.provider_pitch_state(pitch)
    if state not in EDITABLE_PITCH_STATES:
        raise _illegal(pitch, _("edited"), state=str(PitchState(state).label))
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
        state = selectors.provider_pitch_state(pitch)
        raise _illegal(pitch, _("submitted"), state=str(PitchState(state).label))
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
    state = selectors.provider_pitch_state(pitch)
    if state not in WITHDRAWABLE_PITCH_STATES:
        raise _illegal(pitch, _("withdrawn"), state=str(PitchState(state).label))
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


def _curator_move(
    user: User, pitch: Pitch, source: str, target: str, *, action: str, reason: str
) -> Pitch:
    """A curator moves a pitch from ``source`` to ``target`` (under lock)."""
    _require_curator(user)
    pitch = _locked_pitch(pitch)
    if pitch.state != source:
        raise _illegal(pitch, action)
    pitch.state = target
    set_change_reason(pitch, reason)
    pitch.save(update_fields=["state", "updated_at"])
    return pitch


@transaction.atomic
def start_review(*, user: User, pitch: Pitch) -> Pitch:
    """Submitted → in review (a curator takes it up)."""
    return _curator_move(
        user,
        pitch,
        PitchState.SUBMITTED,
        PitchState.IN_REVIEW,
        action=_("put in review"),
        reason="review started",
    )


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


def _mark_decision_mailed(pitch_id: int) -> None:
    Pitch.objects.filter(pk=pitch_id).update(decision_mailed_at=timezone.now())


@transaction.atomic
def release_decisions(*, user: User, call: CallForPitches) -> int:
    """Announce every staged decision to its presenter; returns how many.

    Once released, a re-run mails the decided pitches whose mail did not go
    (``decision_mailed_at`` unset); with none left it is refused.
    """
    _require_curator(user)
    call = (
        CallForPitches.objects.select_for_update(of=("self",))
        .select_related("event")
        .get(pk=call.pk)
    )
    decided = Pitch.objects.filter(
        event=call.event,
        state__in=(PitchState.ACCEPTED, PitchState.REJECTED),
        decision_mailed_at__isnull=True,
    ).select_related("presenter")
    if call.decisions_released_at is not None:
        if not decided.exists():
            raise ValidationError(_("Decisions have already been released."))
    else:
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
    to_mail = list(decided)
    # A re-run (mail that did not go) announces no decision twice.
    told = set(
        OutboxEvent.objects.filter(
            kind=EventKind.PITCH_DECISION,
            subject_type="pitch",
            subject_id__in=[p.pk for p in to_mail],
        ).values_list("subject_id", flat=True)
    )
    new = [p for p in to_mail if p.pk not in told]
    notifications.record_many(
        EventKind.PITCH_DECISION, new, payloads=[{"state": p.state} for p in new]
    )
    for pitch in to_mail:
        # Queued in the mail outbox with the release: it is retried there
        # until the SMTP server takes it, so it counts as mailed now.
        _queue_mail(
            partial(_decision_mail, pitch=pitch, call=call),
            _pitch_contacts(pitch),
            category=Category.ROUNDTABLE,
            key=f"pitch-decision:{pitch.pk}",
        )
        _mark_decision_mailed(pitch.pk)
    return len(to_mail)


def release_event_decisions(*, user: User, event: Event) -> int:
    """Release the staged decisions of the event's call for pitches."""
    call = CallForPitches.objects.filter(event=event).first()
    if call is None:
        raise ValidationError({"event": _("This event has no call for pitches.")})
    return release_decisions(user=user, call=call)


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
        state = selectors.provider_pitch_state(pitch)
        raise _illegal(pitch, _("confirmed"), state=str(PitchState(state).label))
    has_slot = TimeSlot.objects.filter(pitch=pitch).exists()
    pitch.state = PitchState.SCHEDULED if has_slot else PitchState.CONFIRMED
    pitch.confirmed_at = timezone.now()
    set_change_reason(pitch, "confirmed by the presenter")
    pitch.save(update_fields=["state", "confirmed_at", "updated_at"])
    return pitch


@transaction.atomic
def mark_presented(*, user: User, pitch: Pitch) -> Pitch:
    """Scheduled → presented (the secretariat, after the session)."""
    return _curator_move(
        user,
        pitch,
        PitchState.SCHEDULED,
        PitchState.PRESENTED,
        action=_("marked as presented"),
        reason="presented",
    )
