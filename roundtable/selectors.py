"""Reads of the roundtable side, with visibility built in."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections import defaultdict
from collections.abc import Collection
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Avg
from django.db.models import Count
from django.db.models import Exists
from django.db.models import F
from django.db.models import FloatField
from django.db.models import OuterRef
from django.db.models import Prefetch
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Value
from django.utils import timezone
from django.utils.translation import gettext

from matchmaking import explain as mm_explain
from matchmaking import selectors as mm_selectors
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import MatchStatus
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Theme
from matchmaking.models import User
from matchmaking.selectors import AnyUser
from roundtable.enums import ACCEPTED_PITCH_STATES
from roundtable.enums import EDITABLE_PITCH_STATES
from roundtable.enums import WITHDRAWABLE_PITCH_STATES
from roundtable.enums import MeetingState
from roundtable.enums import PitchState
from roundtable.enums import SessionKind
from roundtable.enums import SlotKind
from roundtable.models import REVIEW_WEIGHTS
from roundtable.models import AgendaVersion
from roundtable.models import BreakoutRegistration
from roundtable.models import CallForPitches
from roundtable.models import Commitment
from roundtable.models import Event
from roundtable.models import Meeting
from roundtable.models import Pitch
from roundtable.models import Review
from roundtable.models import Session
from roundtable.models import SessionReport
from roundtable.models import TimeSlot
from roundtable.scheduling import NO_THEME
from roundtable.scheduling import dominant_theme


def public_pitch_q(prefix: str = "") -> Q:
    """Pitches everyone may see: accepted (decision released) and later states."""
    return Q(
        **{
            f"{prefix}state__in": (
                PitchState.CONFIRMED,
                PitchState.SCHEDULED,
                PitchState.PRESENTED,
            )
        }
    ) | (
        Q(**{f"{prefix}state": PitchState.ACCEPTED})
        & (
            Q(**{f"{prefix}event__call_for_pitches__isnull": True})
            | Q(
                **{
                    f"{prefix}event__call_for_pitches__decisions_released_at__isnull": (
                        False
                    )
                }
            )
        )
    )


STAGED_PITCH_STATES = (PitchState.ACCEPTED, PitchState.REJECTED)


def decisions_released(*, event_id: int) -> bool:
    """Whether the event's decisions are out (an event without a call: always)."""
    return not CallForPitches.objects.filter(
        event_id=event_id, decisions_released_at__isnull=True
    ).exists()


def with_release(pitches: QuerySet[Pitch]) -> QuerySet[Pitch]:
    """The pitches with ``decisions_out``: whether their event's decisions are out."""
    pending = CallForPitches.objects.filter(
        event_id=OuterRef("event_id"), decisions_released_at__isnull=True
    )
    return pitches.annotate(decisions_out=~Exists(pending))


def provider_pitch_state(pitch: Pitch, *, released: bool | None = None) -> str:
    """The state a pitch has for its provider and everyone but curators.

    A staged decision (accepted or rejected, not yet released) is still
    "in review" to them: it may change until the release.
    """
    if pitch.state not in STAGED_PITCH_STATES:
        return pitch.state
    if released is None:
        # Read with the pitch when its queryset was annotated (with_release).
        released = getattr(pitch, "decisions_out", None)
    if released is None:
        released = decisions_released(event_id=pitch.event_id)
    return pitch.state if released else PitchState.IN_REVIEW


def pitch_state_shown(
    *, user: AnyUser, pitch: Pitch, released: bool | None = None
) -> str:
    """The state of a pitch as the user may know it (curators: as it is)."""
    if mm_selectors.is_curator(user):
        return pitch.state
    return provider_pitch_state(pitch, released=released)


def pitch_state_q(*, user: AnyUser, states: Collection[str]) -> Q:
    """Pitches whose state, as the user may know it, is one of ``states``."""
    if mm_selectors.is_curator(user):
        return Q(state__in=states)
    staged = Q(
        state__in=STAGED_PITCH_STATES,
        event__call_for_pitches__isnull=False,
        event__call_for_pitches__decisions_released_at__isnull=True,
    )
    found = Q(state__in=states) & ~staged
    if PitchState.IN_REVIEW in states:
        found |= staged
    return found


def with_states_shown[P: Pitch](*, user: AnyUser, pitches: Iterable[P]) -> list[P]:
    """The pitches, each with ``state_shown`` and its label (one query per event)."""
    rows = list(pitches)
    released: dict[int, bool] = {}
    for pitch in rows:
        if pitch.event_id not in released:
            released[pitch.event_id] = decisions_released(event_id=pitch.event_id)
        state = pitch_state_shown(
            user=user, pitch=pitch, released=released[pitch.event_id]
        )
        pitch.state_shown = state  # type: ignore[attr-defined]
        pitch.state_shown_label = PitchState(state).label  # type: ignore[attr-defined]
    return rows


def pitch_visibility_q(*, user: AnyUser) -> Q | None:
    """Accepted pitches for everyone; providers also see their own; curators all.

    An acceptance is public only once the call's decisions are released (events
    without a call publish on acceptance): until then it is a staged decision,
    still revisable. Confirmed and later states come after the release.
    """
    if mm_selectors.is_curator(user):
        return None
    visible = public_pitch_q()
    providers = mm_selectors.provider_ids(user=user)
    if providers:
        visible |= Q(provider_id__in=providers)
    return visible


def events_visible_to(*, user: AnyUser) -> QuerySet[Event]:
    """Events are public."""
    return Event.objects.all()


def event_to_open(*, user: AnyUser) -> Event | None:
    """The event the roundtable's home opens: the one under way or the next
    to start (by the local date); when every event is over, the latest."""
    events = events_visible_to(user=user)
    coming = events.filter(ends_on__gte=timezone.localdate())
    return (
        coming.order_by("starts_on", "slug").first()
        or events.order_by("-starts_on", "slug").first()
    )


def sessions_visible_to(*, user: AnyUser) -> QuerySet[Session]:
    """Sessions of the agenda are public."""
    return Session.objects.select_related("event")


def pitches_visible_to(*, user: AnyUser) -> QuerySet[Pitch]:
    """Pitches the user may see, with provider, event and visible programmes."""
    qs = Pitch.objects.all()
    rule = pitch_visibility_q(user=user)
    if rule is not None:
        qs = qs.filter(rule)
    programmes = (
        mm_selectors.programmes_visible_to(user=user)
        .select_related(None)
        .prefetch_related(None)
        .only("pk", "ref", "title")
        .order_by("ref")
    )
    return qs.select_related("event", "provider", "session").prefetch_related(
        Prefetch("programmes", queryset=programmes)
    )


def agenda_of(*, user: AnyUser, event: Event) -> list[Session]:
    """The sessions of an event with their slots; hidden pitches are blanked.

    Three queries: sessions, slots with their pitches, and the visible pitch ids.
    The returned rows are for display only (never save them).
    """
    rule = pitch_visibility_q(user=user)
    slots = TimeSlot.objects.select_related("pitch__provider").order_by(
        "starts_at", "location", "id"
    )
    sessions = sessions_visible_to(user=user).filter(event=event)
    sessions = sessions.prefetch_related(Prefetch("slots", queryset=slots))
    rows = list(sessions)
    if rule is None:
        return rows
    visible_ids = set(
        Pitch.objects.filter(event=event).filter(rule).values_list("pk", flat=True)
    )
    for session in rows:
        for slot in session.slots.all():
            if slot.pitch_id not in visible_ids:
                slot.pitch = None
    return rows


# --- calls, actions and curation ------------------------------------------------------


def call_for_pitches_of(*, event: Event) -> CallForPitches | None:
    """The event's call for pitches, with its eligible groups."""
    return (
        CallForPitches.objects.filter(event=event)
        .prefetch_related("eligible_stakeholder_groups")
        .first()
    )


def allowed_pitch_actions(*, user: AnyUser, pitch: Pitch) -> list[str]:
    """The workflow actions the user may take on a pitch now (for buttons and API)."""
    if not (user.is_authenticated and user.is_active):
        return []
    call = CallForPitches.objects.filter(event_id=pitch.event_id).first()
    now = timezone.now()
    call_open = call is not None and call.is_open_at(now)
    released = call is not None and call.decisions_released
    owner = pitch.provider_id in mm_selectors.provider_ids(user=user)
    curator = mm_selectors.is_curator(user)
    state = pitch.state
    actions = []
    if owner and not curator:
        # A staged decision is not the provider's to know (or act on) yet.
        state = provider_pitch_state(pitch, released=released or call is None)
    if owner:
        if call_open and state in EDITABLE_PITCH_STATES:
            actions.append("edit")
        if call_open and state == PitchState.DRAFT:
            actions.append("submit")
    if (owner or pitch.presenter_id == user.pk) and (
        state == PitchState.ACCEPTED and released
    ):
        actions.append("confirm")
    if owner and state in WITHDRAWABLE_PITCH_STATES:
        actions.append("withdraw")
    if curator:
        if state == PitchState.SUBMITTED:
            actions.append("start_review")
        staged = state in (PitchState.ACCEPTED, PitchState.REJECTED) and not released
        if (state == PitchState.IN_REVIEW or staged) and not owner:
            actions.append("review")
        if state in (PitchState.IN_REVIEW, PitchState.REJECTED) and not released:
            actions.append("accept")
        if state in (PitchState.IN_REVIEW, PitchState.ACCEPTED) and not released:
            actions.append("reject")
        if state == PitchState.SCHEDULED:
            actions.append("mark_presented")
    return actions


def _weighted_review_score(prefix: str = "") -> Any:
    return sum(
        (
            F(f"{prefix}{name}") * Value(weight)
            for name, weight in REVIEW_WEIGHTS.items()
        ),
        Value(0.0),
    )


CURATION_STATES = (
    PitchState.SUBMITTED,
    PitchState.IN_REVIEW,
    PitchState.ACCEPTED,
    PitchState.REJECTED,
)


def review_queue(*, user: AnyUser, event: Event) -> QuerySet[Pitch]:
    """Pitches under curation with their aggregated scores (curators only).

    Each row carries ``review_count``, ``score`` (mean weighted score, 1..5),
    the mean of each criterion (``avg_relevance`` ...) and ``reviewed_by_me``.
    Best-scored first; unreviewed pitches last.
    """
    if not mm_selectors.is_curator(user):
        return Pitch.objects.none()
    per_criterion = {
        f"avg_{name}": Avg(f"reviews__{name}", output_field=FloatField())
        for name in REVIEW_WEIGHTS
    }
    return (
        Pitch.objects.filter(event=event, state__in=CURATION_STATES)
        .select_related("provider__stakeholder_group", "event")
        .annotate(
            review_count=Count("reviews"),
            score=Avg(_weighted_review_score("reviews__"), output_field=FloatField()),
            reviewed_by_me=Exists(
                Review.objects.filter(pitch=OuterRef("pk"), curator_id=user.pk)
            ),
            **per_criterion,
        )
        .order_by(F("score").desc(nulls_last=True), "title", "id")
    )


def reviews_visible_to(*, user: AnyUser) -> QuerySet[Review]:
    """Reviews are internal to the curators."""
    if not mm_selectors.is_curator(user):
        return Review.objects.none()
    return Review.objects.select_related("pitch", "curator")


def theme_order() -> list[str]:
    """Theme slugs in the taxonomy's order."""
    return list(
        Theme.objects.order_by("position", "slug").values_list("slug", flat=True)
    )


def pitch_themes_and_scores(
    *, pitch_ids: Iterable[int]
) -> dict[int, tuple[str, float]]:
    """Per pitch: its dominant theme (from its programmes' topics) and mean score."""
    ids = list(pitch_ids)
    order = theme_order()
    themes: dict[int, list[str]] = {pk: [] for pk in ids}
    rows = Pitch.objects.filter(pk__in=ids).values_list(
        "pk", "programmes__topics__theme_id"
    )
    for pk, theme in rows:
        if theme:
            themes[pk].append(theme)
    scores = dict(
        Review.objects.filter(pitch_id__in=ids)
        .values("pitch_id")
        .annotate(s=Avg(_weighted_review_score(), output_field=FloatField()))
        .values_list("pitch_id", "s")
    )
    return {
        pk: (dominant_theme(found, order), round(scores.get(pk) or 0.0, 4))
        for pk, found in themes.items()
    }


@dataclass(frozen=True)
class PitchBalance:
    """How accepted pitches spread over themes, regions and stakeholder groups."""

    total: int
    themes: tuple[tuple[str, int], ...]
    regions: tuple[tuple[str, int], ...]
    stakeholder_groups: tuple[tuple[str, int], ...]


def _counted(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def pitch_balance(*, user: AnyUser, event: Event) -> PitchBalance | None:
    """The balance view of accepted pitches (staged ones included); curators only."""
    if not mm_selectors.is_curator(user):
        return None
    pitches = list(
        Pitch.objects.filter(event=event, state__in=ACCEPTED_PITCH_STATES)
        .select_related("provider__stakeholder_group", "provider__country__region")
        .order_by("pk")
    )
    theme_names = dict(Theme.objects.values_list("slug", "name"))
    found = pitch_themes_and_scores(pitch_ids=[p.pk for p in pitches])
    themes: Counter[str] = Counter()
    regions: Counter[str] = Counter()
    groups: Counter[str] = Counter()
    for pitch in pitches:
        theme = found[pitch.pk][0]
        themes[
            theme_names.get(theme, "No theme") if theme != NO_THEME else "No theme"
        ] += 1
        country = pitch.provider.country
        region = country.region if country and country.region_id else None
        regions[region.name if region else "No region"] += 1
        groups[pitch.provider.stakeholder_group.name] += 1
    return PitchBalance(
        total=len(pitches),
        themes=_counted(themes),
        regions=_counted(regions),
        stakeholder_groups=_counted(groups),
    )


# --- agenda ---------------------------------------------------------------------------

AGENDA_SLOT_KINDS = (SlotKind.PITCH, SlotKind.BREAK)


def _local_iso(moment: dt.datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).isoformat()


def agenda_data(*, user: AnyUser, event: Event) -> dict[str, Any]:
    """The agenda as JSON-able data: sessions, pitch slots, visible pitches.

    Times are ISO 8601 in the event's time zone. This is what a published
    agenda version freezes, what the JSON export returns and what the
    iCalendar export reads.
    """
    tz = ZoneInfo(event.timezone)
    sessions = agenda_of(user=user, event=event)
    pitch_ids = [
        slot.pitch_id
        for session in sessions
        for slot in session.slots.all()
        if slot.pitch_id and slot.pitch is not None
    ]
    found = pitch_themes_and_scores(pitch_ids=pitch_ids)
    theme_names = dict(Theme.objects.values_list("slug", "name"))
    published_reports = set(
        SessionReport.objects.filter(
            session__event=event, published_at__isnull=False
        ).values_list("session_id", flat=True)
    )
    out_sessions = []
    for session in sessions:
        slots = []
        for slot in session.slots.all():
            if slot.kind not in AGENDA_SLOT_KINDS:
                continue
            pitch = slot.pitch
            slots.append(
                {
                    "id": slot.pk,
                    "kind": slot.kind,
                    "starts_at": _local_iso(slot.starts_at, tz),
                    "ends_at": _local_iso(slot.ends_at, tz),
                    "location": slot.location,
                    "pitch": None
                    if pitch is None
                    else {
                        "id": pitch.pk,
                        "title": pitch.title,
                        "presenter": pitch.presenter_name,
                        "provider": pitch.provider.name,
                        "provider_ref": pitch.provider.ref,
                        "theme": theme_names.get(found[pitch.pk][0], ""),
                    },
                }
            )
        out_sessions.append(
            {
                "id": session.pk,
                "kind": session.kind,
                "title": session.title,
                "description": session.description,
                "track": session.track,
                "room": session.room,
                "chair": session.chair_name,
                "capacity": session.capacity,
                "starts_at": _local_iso(session.starts_at, tz),
                "ends_at": _local_iso(session.ends_at, tz),
                "report_published": session.pk in published_reports,
                "slots": slots,
            }
        )
    return {
        "event": {
            "slug": event.slug,
            "name": event.name,
            "description": event.description,
            "venue": event.venue,
            "timezone": event.timezone,
            "starts_on": event.starts_on.isoformat(),
            "ends_on": event.ends_on.isoformat(),
        },
        "version": None,
        "published_at": None,
        "sessions": out_sessions,
    }


def published_agenda(*, event: Event) -> AgendaVersion | None:
    """The latest published version of the event's agenda."""
    return AgendaVersion.objects.filter(event=event).order_by("-number").first()


def agenda_versions_of(*, event: Event) -> QuerySet[AgendaVersion]:
    """Every published version, newest first (without the heavy snapshot)."""
    return (
        AgendaVersion.objects.filter(event=event)
        .defer("snapshot")
        .select_related("published_by")
        .order_by("-number")
    )


def pitch_ids_in(snapshot: dict[str, Any]) -> set[int]:
    """The pitches an agenda snapshot shows."""
    return {
        slot["pitch"]["id"]
        for session in snapshot.get("sessions", ())
        for slot in session.get("slots", ())
        if slot.get("pitch")
    }


def can_download_slide_deck(*, user: AnyUser, pitch: Pitch) -> bool:
    """Curators and the owner always; everyone once a published agenda shows it."""
    if not pitch.slide_deck:
        return False
    if mm_selectors.is_curator(user):
        return True
    if pitch.provider_id in mm_selectors.provider_ids(user=user):
        return True
    if not Pitch.objects.filter(public_pitch_q(), pk=pitch.pk).exists():
        return False
    version = published_agenda(event=pitch.event)
    return version is not None and pitch.pk in pitch_ids_in(version.snapshot)


# --- pitches for you ------------------------------------------------------------------


@dataclass(frozen=True)
class PitchForYou:
    """A pitch relevant to a member state's open needs, and why."""

    pitch: Pitch
    score: float
    reasons: tuple[str, ...]
    need_ids: tuple[int, ...]


def _reason_texts(reasons: Any, limit: int = 2) -> list[str]:
    return mm_explain.reason_texts(reasons)[:limit]


def needs_answered_by(*, user: AnyUser, pitch: Pitch) -> list[Match]:
    """The active needs, among those the user may see, that the pitch's
    programmes are matched with (not declined), best first, for its reviewers."""
    visible = mm_selectors.needs_visible_to(user=user, with_tags=False).filter(
        status__in=ACTIVE_NEED_STATUSES
    )
    return list(
        Match.objects.filter(
            programme__in=pitch.programmes.all(), need__in=visible.values("pk")
        )
        .exclude(status=MatchStatus.DECLINED)
        .select_related("need__member_state__country", "programme")
        .order_by("-score", "need_id", "programme_id")[:20]
    )


def pitches_for(*, user: AnyUser, event: Event | None = None) -> list[PitchForYou]:
    """For a member-state user: public pitches whose programmes meet its open needs.

    The engine's matches (not declined) between the state's open needs and a
    pitch's programmes come first, with their score; pitches without a match
    but sharing topics with a need follow, scored by the share of the need's
    topics they cover (halved, so engine matches rank first).
    """
    states = mm_selectors.member_state_ids(user=user)
    if not states:
        return []
    needs = {
        need.pk: need
        for need in Need.objects.filter(
            member_state_id__in=states, status__in=ACTIVE_NEED_STATUSES
        ).prefetch_related("topics")
    }
    if not needs:
        return []
    pitches_qs = pitches_visible_to(user=user).filter(public_pitch_q())
    if event is not None:
        pitches_qs = pitches_qs.filter(event=event)
    pitches = {pitch.pk: pitch for pitch in pitches_qs}
    if not pitches:
        return []
    best: dict[int, tuple[float, list[str], set[int]]] = {}
    matches = (
        Match.objects.filter(need_id__in=needs, programme__pitches__in=list(pitches))
        .exclude(status=MatchStatus.DECLINED)
        .values_list(
            "programme__pitches", "need_id", "programme__title", "score", "reasons"
        )
        .order_by("-score", "need_id", "programme_id")
    )
    for pitch_id, need_id, programme_title, score, reasons in matches:
        if pitch_id not in pitches:
            continue
        entry = best.setdefault(pitch_id, (0.0, [], set()))
        texts = entry[1]
        texts.append(
            gettext(
                "Matches your need “%(need)s” through %(programme)s (score %(score)s)"
            )
            % {
                "need": needs[need_id].title,
                "programme": programme_title,
                "score": f"{score:.2f}",
            }
        )
        if len(entry[2]) == 0:
            texts.extend(_reason_texts(reasons))
        entry[2].add(need_id)
        best[pitch_id] = (max(entry[0], score), texts, entry[2])
    pitch_topics: dict[int, set[str]] = defaultdict(set)
    for pk, topic in Pitch.objects.filter(
        pk__in=[pk for pk in pitches if pk not in best]
    ).values_list("pk", "programmes__topics"):
        if topic:
            pitch_topics[pk].add(topic)
    language = mm_explain.active_language()
    topic_names = {
        t.slug: mm_explain.localised_name(t, language)
        for need in needs.values()
        for t in need.topics.all()
    }
    for pk, topics in pitch_topics.items():
        for need in sorted(needs.values(), key=lambda n: n.pk):
            wanted = {t.slug for t in need.topics.all()}
            shared = topics & wanted
            if not shared:
                continue
            score = round(0.5 * len(shared) / len(wanted), 4)
            names = ", ".join(sorted(topic_names[s] for s in shared))
            entry = best.setdefault(pk, (0.0, [], set()))
            entry[1].append(
                gettext("Shares topics with your need “%(need)s”: %(topics)s")
                % {"need": need.title, "topics": names}
            )
            entry[2].add(need.pk)
            best[pk] = (max(entry[0], score), entry[1], entry[2])
    found = [
        PitchForYou(
            pitch=pitches[pk],
            score=round(score, 4),
            reasons=tuple(reasons),
            need_ids=tuple(sorted(need_ids)),
        )
        for pk, (score, reasons, need_ids) in best.items()
    ]
    return sorted(found, key=lambda f: (-f.score, f.pitch.title, f.pitch.pk))


# --- meetings -------------------------------------------------------------------------


def _meeting_related(qs: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return qs.select_related(
        "pitch__provider",
        "pitch__event",
        "member_state__country",
        "requested_by",
        "presenter",
        "slot__session",
        "need",
        "programme",
    )


def _with_need_shown(
    qs: QuerySet[Meeting],
    user: AnyUser,
    states: set[int] | None = None,
    providers: set[int] | None = None,
) -> QuerySet[Meeting]:
    """``need_shown``: whether the viewer may see the need a meeting names (a
    need can be confidential to the requesting state, or become so later)."""
    visible = mm_selectors.need_visibility_q(
        user=user, states=states, providers=providers
    )
    if visible is None:
        return qs.annotate(need_shown=Value(True))
    return qs.annotate(
        need_shown=Exists(Need.objects.filter(visible, pk=OuterRef("need_id")))
    )


def answers_meeting_requests(
    *, user: AnyUser, pitch: Pitch, provider_ids: Collection[int] | None = None
) -> bool:
    """Whether the user answers the pitch's meeting requests: its presenter or, while
    none is named, the members of its provider (``provider_ids``: the user's, when
    the caller has them)."""
    if pitch.presenter_id:
        return pitch.presenter_id == user.pk
    if provider_ids is None:
        provider_ids = mm_selectors.provider_ids(user=user)
    return pitch.provider_id in provider_ids


def meeting_requests_of(*, user: AnyUser) -> tuple[list[Meeting], list[Meeting]]:
    """The requests the user is to answer, and those its delegations sent (newest
    first)."""
    visible = meetings_visible_to(user=user).order_by("-created_at", "id")
    states = mm_selectors.member_state_ids(user=user)
    providers = mm_selectors.provider_ids(user=user)
    incoming = [
        m
        for m in visible
        if m.state == MeetingState.REQUESTED
        and answers_meeting_requests(user=user, pitch=m.pitch, provider_ids=providers)
    ]
    sent = [m for m in visible if m.member_state_id in states]
    return incoming, sent


def meetings_visible_to(*, user: AnyUser) -> QuerySet[Meeting]:
    """Meetings seen by curators and the two sides (the state, the provider);
    ``need_shown`` tells whether the viewer may see the need it names."""
    qs = _meeting_related(Meeting.objects.all())
    if mm_selectors.is_curator(user):
        return _with_need_shown(qs, user)
    if not (user.is_authenticated and user.is_active):
        return qs.none()
    states = mm_selectors.member_state_ids(user=user)
    providers = mm_selectors.provider_ids(user=user)
    return _with_need_shown(qs, user, states, providers).filter(
        Q(member_state_id__in=states)
        | Q(pitch__provider_id__in=providers)
        | Q(presenter_id=user.pk)
        | Q(pitch__presenter_id=user.pk)
    )


def meeting_schedule_of(
    *, user: AnyUser, event: Event | None = None
) -> QuerySet[Meeting]:
    """A person's accepted meetings (as requester or presenter), in time order."""
    if not (user.is_authenticated and user.is_active):
        return Meeting.objects.none()
    qs = Meeting.objects.filter(
        Q(requested_by_id=user.pk) | Q(presenter_id=user.pk),
        state=MeetingState.ACCEPTED,
    )
    if event is not None:
        qs = qs.filter(pitch__event=event)
    return _with_need_shown(_meeting_related(qs), user).order_by("starts_at", "id")


def free_meeting_slots(*, event: Event) -> QuerySet[TimeSlot]:
    """Future meeting slots of the event that no accepted meeting holds."""
    taken = Meeting.objects.filter(slot=OuterRef("pk"), state=MeetingState.ACCEPTED)
    return (
        TimeSlot.objects.filter(
            session__event=event, kind=SlotKind.MEETING, starts_at__gt=timezone.now()
        )
        .exclude(Exists(taken))
        .select_related("session")
        .order_by("starts_at", "location", "id")
    )


# --- breakouts and reports ------------------------------------------------------------


def breakouts_of(*, user: AnyUser, event: Event) -> QuerySet[Session]:
    """The event's breakouts with ``seats_taken`` and ``is_registered``."""
    mine: Any = Value(False)
    if user.is_authenticated:
        mine = Exists(
            BreakoutRegistration.objects.filter(session=OuterRef("pk"), user_id=user.pk)
        )
    return (
        Session.objects.filter(event=event, kind=SessionKind.BREAKOUT)
        .select_related("event")
        .annotate(seats_taken=Count("registrations"), is_registered=mine)
        .order_by("starts_at", "id")
    )


def report_of(*, session: Session) -> SessionReport | None:
    """The session's report, published or not (for the writers' checks)."""
    return SessionReport.objects.filter(session=session).first()


def presenters_for(*, provider_ids: Iterable[int]) -> QuerySet[User]:
    """The active people a pitch of these providers may name as its presenter."""
    return User.objects.filter(
        memberships__provider_id__in=provider_ids, is_active=True
    ).distinct()


def reports_visible_to(*, user: AnyUser) -> QuerySet[SessionReport]:
    """Published reports for all; drafts for curators, the rapporteur and chair."""
    qs = SessionReport.objects.select_related("session__event", "rapporteur")
    if mm_selectors.is_curator(user):
        return qs
    visible = Q(published_at__isnull=False)
    if user.is_authenticated and user.is_active:
        visible |= Q(rapporteur_id=user.pk) | Q(session__chair_id=user.pk)
    return qs.filter(visible)


def commitments_visible_to(*, user: AnyUser) -> QuerySet[Commitment]:
    """Commitments are public: made in the open at the roundtable."""
    return Commitment.objects.select_related(
        "provider", "event", "session", "pitch", "theme"
    ).prefetch_related("countries", "regions", "topics", "programmes")
