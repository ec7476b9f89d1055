"""The running order: scheduling pitches into slots, moving them, publishing the
agenda.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking.models import User
from roundtable import scheduling
from roundtable import selectors
from roundtable.enums import SCHEDULABLE_PITCH_STATES
from roundtable.enums import PitchState
from roundtable.enums import SessionKind
from roundtable.enums import SlotKind
from roundtable.models import MAX_PITCH_SECONDS
from roundtable.models import AgendaVersion
from roundtable.models import CallForPitches
from roundtable.models import Event
from roundtable.models import Pitch
from roundtable.models import Session
from roundtable.models import TimeSlot
from roundtable.services.common import _illegal
from roundtable.services.common import _locked_pitch
from roundtable.services.common import _require_curator
from roundtable.services.pitches import _is_public


@transaction.atomic
def schedule_pitches(
    *,
    user: User,
    session: Session,
    changeover_seconds: int = scheduling.DEFAULT_CHANGEOVER_SECONDS,
    lead_in_seconds: int | None = None,
) -> scheduling.SchedulePlan:
    """(Re)build the running order of a matchmaking session from accepted pitches.

    ``lead_in_seconds`` is the time before the first pitch (the chair's
    introduction); None keeps the current running order's (none for a new one).

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
    if lead_in_seconds is None:
        first = (
            TimeSlot.objects.filter(session=session, kind=SlotKind.PITCH)
            .order_by("starts_at")
            .values_list("starts_at", flat=True)
            .first()
        )
        lead_in = first - session.starts_at if first else dt.timedelta(0)
    else:
        lead_in = dt.timedelta(seconds=lead_in_seconds)
    plan = scheduling.plan_schedule(
        items,
        starts_at=session.starts_at + lead_in,
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
