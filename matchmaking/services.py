"""Writes and workflows of the matchmaking side.

Each transition is one function that checks the current state and the actor's
rights and raises ``ValidationError`` (illegal move) or ``PermissionDenied``
(not the actor's business). Callers that must hide objects turn a missing
right into a 404 before calling: these checks are the last line, not the first.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from collections.abc import Set
from dataclasses import dataclass
from typing import Any
from typing import cast

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction
from django.db.models import Field
from django.utils import timezone
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from matchmaking import audit
from matchmaking import coordination_cells
from matchmaking import notifications
from matchmaking import selectors
from matchmaking.accounts import policy
from matchmaking.enums import CAPACITY_MATCH_STATUSES
from matchmaking.enums import MatchOrigin
from matchmaking.enums import MatchStatus
from matchmaking.enums import MembershipRole
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import TAG_FIELDS
from matchmaking.models import EventKind
from matchmaking.models import Language
from matchmaking.models import Match
from matchmaking.models import MatchEvent
from matchmaking.models import Membership
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import User
from matchmaking.notifications.introductions import introduce as introduce_contacts
from matchmaking.savedsearches import alerts as saved_search_alerts
from matchmaking.tasks import schedule_need_refresh
from matchmaking.tasks import schedule_programme_refresh

AnyUser = selectors.AnyUser

# --- needs and programmes -------------------------------------------------

NEED_M2M = TAG_FIELDS
NEED_FIELDS = tuple(f for f in Need.EDITABLE_FIELDS if f not in NEED_M2M)
PROGRAMME_M2M = (*TAG_FIELDS, *Programme.ELIGIBILITY_FIELDS)
PROGRAMME_FIELDS = tuple(f for f in Programme.EDITABLE_FIELDS if f not in PROGRAMME_M2M)

NEED_TRANSITIONS: dict[str, frozenset[str]] = {
    NeedStatus.DRAFT: frozenset({NeedStatus.OPEN, NeedStatus.WITHDRAWN}),
    NeedStatus.OPEN: frozenset(
        {NeedStatus.IN_DISCUSSION, NeedStatus.CLOSED, NeedStatus.WITHDRAWN}
    ),
    NeedStatus.IN_DISCUSSION: frozenset(
        {
            NeedStatus.OPEN,
            NeedStatus.IN_DELIVERY,
            NeedStatus.CLOSED,
            NeedStatus.WITHDRAWN,
        }
    ),
    NeedStatus.IN_DELIVERY: frozenset({NeedStatus.FULFILLED, NeedStatus.CLOSED}),
    NeedStatus.FULFILLED: frozenset({NeedStatus.CLOSED}),
    NeedStatus.CLOSED: frozenset({NeedStatus.OPEN}),
    NeedStatus.WITHDRAWN: frozenset({NeedStatus.DRAFT}),
}
PROGRAMME_TRANSITIONS: dict[str, frozenset[str]] = {
    ProgrammeStatus.DRAFT: frozenset(
        {ProgrammeStatus.PUBLISHED, ProgrammeStatus.CLOSED}
    ),
    ProgrammeStatus.PUBLISHED: frozenset(
        {ProgrammeStatus.PAUSED, ProgrammeStatus.CLOSED}
    ),
    ProgrammeStatus.PAUSED: frozenset(
        {ProgrammeStatus.PUBLISHED, ProgrammeStatus.CLOSED}
    ),
    ProgrammeStatus.CLOSED: frozenset({ProgrammeStatus.DRAFT}),
}


def default_content_language(user: Any) -> str:
    """A new text's language: the author's UI language when known, else English."""
    preferred = getattr(user, "language", "") or translation.get_language() or "en"
    code = preferred.split("-")[0]
    return code if Language.objects.filter(code=code).exists() else "en"


@dataclass(frozen=True)
class _Rules:
    """How a need or a programme is written: its fields, its life, its refresh.

    Curators and the members of its owner (``owner_of`` a record: a member
    state or provider among the ``owner_ids`` a user acts for) write one;
    ``refused`` is the error for a move its life does not allow, with
    ``%(old)s`` and ``%(new)s``.
    """

    fields: tuple[str, ...]
    m2m: tuple[str, ...]
    transitions: dict[str, frozenset[str]]
    refresh: Callable[[int], None]
    owner_ids: Callable[[User], set[int]]
    owner_of: Callable[[Any], int]
    refused: str | Promise
    # Dates that name a deadline or an end: refused in the past when written
    # (imports of historical records bypass this; see docs/data.md).
    future_dates: tuple[str, ...] = ()

    def may_edit(self, user: User, record: Need | Programme) -> bool:
        return selectors.is_curator(user) or self.owner_of(record) in (
            self.owner_ids(user)
        )


_NEED = _Rules(
    NEED_FIELDS,
    NEED_M2M,
    NEED_TRANSITIONS,
    lambda pk: schedule_need_refresh(need_id=pk),
    lambda user: selectors.member_state_ids(user=user),
    lambda need: need.member_state_id,
    gettext_lazy("A need cannot go from %(old)s to %(new)s."),
    ("needed_by",),
)
_PROGRAMME = _Rules(
    PROGRAMME_FIELDS,
    PROGRAMME_M2M,
    PROGRAMME_TRANSITIONS,
    lambda pk: schedule_programme_refresh(programme_id=pk),
    lambda user: selectors.provider_ids(user=user),
    lambda programme: programme.provider_id,
    gettext_lazy("A programme cannot go from %(old)s to %(new)s."),
    ("ends_on",),
)


def _set_fields(
    obj: Any, fields: Iterable[str], data: dict[str, Any], stored: Any = None
) -> list[str]:
    """Set ``data`` on ``obj``; the fields that differ from ``stored`` (the
    row as saved: a form's validation already set its values on ``obj``)."""
    stored = obj if stored is None else stored
    changed = []
    for field in fields:
        if field in data and getattr(stored, field) != data[field]:
            setattr(obj, field, data[field])
            changed.append(field)
    return changed


def _set_m2m(obj: Any, fields: Iterable[str], data: dict[str, Any]) -> list[str]:
    changed = []
    for field in fields:
        if field in data:
            manager = getattr(obj, field)
            new = {getattr(o, "pk", o) for o in data[field]}
            if {o.pk for o in manager.all()} != new:
                manager.set(new)
                changed.append(field)
    return changed


def _concrete(record: Need | Programme, name: str) -> Field[Any, Any]:
    return cast("Field[Any, Any]", record._meta.get_field(name))


def _refuse_past_dates(
    record: Need | Programme, rules: _Rules, written: Iterable[str]
) -> None:
    """A deadline or end date the user writes must not be in the past.

    Only dates written now are checked, so a record whose date has since
    passed can still be opened and saved unchanged.
    """
    today = timezone.localdate()
    errors = {
        name: _("%(field)s cannot be in the past.")
        % {"field": capfirst(str(_concrete(record, name).verbose_name))}
        for name in rules.future_dates
        if name in written
        and (value := getattr(record, name)) is not None
        and value < today
    }
    if errors:
        raise ValidationError(errors)


def _create_record(
    record: Need | Programme,
    rules: _Rules,
    *,
    user: User,
    data: dict[str, Any],
) -> None:
    """Fill a new need or programme from ``data``, check it and save it."""
    if not rules.may_edit(user, record):
        raise PermissionDenied
    written = _set_fields(record, rules.fields, data)
    _refuse_past_dates(record, rules, written)
    if "content_language" not in data:
        record.content_language_id = default_content_language(user)
    record.full_clean(exclude=["ref"])
    record.save()
    _set_m2m(record, rules.m2m, data)
    rules.refresh(record.pk)
    saved_search_alerts.record_change(record)


def _update_record(
    record: Need | Programme, rules: _Rules, *, user: User, data: dict[str, Any]
) -> list[str]:
    """Apply ``data`` to a need or programme the user may edit; what changed.

    Its suggestions are refreshed when what matching reads changed.
    """
    if not rules.may_edit(user, record):
        raise PermissionDenied
    stored = type(record).objects.get(pk=record.pk)
    changed = _set_fields(record, rules.fields, data, stored)
    _refuse_past_dates(record, rules, changed)
    record.full_clean()
    if changed:
        record.save(update_fields=[*changed, "updated_at"])
    tags = _set_m2m(record, rules.m2m, data)
    if tags and not changed:
        # A change of tags or places alone is an edit too: the task worker
        # catches up with edits by their time, and pages tell an edit not yet
        # matched by it.
        record.save(update_fields=["updated_at"])
    changed += tags
    if changed:
        rules.refresh(record.pk)
        saved_search_alerts.record_change(record)
    return changed


def _move_status(
    record: Need | Programme, rules: _Rules, *, user: User, status: str
) -> Need | Programme:
    """Move a need or programme the user may edit to ``status``, if its life allows."""
    if not rules.may_edit(user, record):
        raise PermissionDenied
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if status not in rules.transitions.get(record.status, frozenset()):
        raise ValidationError(
            {
                "status": rules.refused
                % {"old": record.get_status_display(), "new": status}
            }
        )
    audit.set_change_reason(record, f"status set to {status}")
    record.status = status
    record.save(update_fields=["status", "updated_at"])
    rules.refresh(record.pk)
    saved_search_alerts.record_change(record)
    return record


# A need and a programme are written by the same steps (their differences are
# their _Rules), for the pages, the API and the imports alike.


def _rules_of(record: Need | Programme) -> _Rules:
    return _NEED if isinstance(record, Need) else _PROGRAMME


def can_edit_record(*, user: User, record: Need | Programme) -> bool:
    """Curators and the members of the owning state (a need) or provider (a
    programme) edit a record."""
    return _rules_of(record).may_edit(user, record)


def may_create_record(*, user: User, model: type[Need] | type[Programme]) -> bool:
    """Curators and those acting for a member state (needs) or a provider
    (programmes) create records."""
    rules = _NEED if model is Need else _PROGRAMME
    return selectors.is_curator(user) or bool(rules.owner_ids(user))


@transaction.atomic
@coordination_cells.batched()
def create_record(
    *,
    user: User,
    owner: MemberState | Provider,
    data: dict[str, Any],
    publish: bool,
) -> Need | Programme:
    """Post a need for a state or register a programme for a provider the user
    acts for (a draft unless published)."""
    record: Need | Programme
    if isinstance(owner, MemberState):
        opened = NeedStatus.OPEN if publish else NeedStatus.DRAFT
        record = Need(member_state=owner, owner=user, status=opened)
    else:
        published = ProgrammeStatus.PUBLISHED if publish else ProgrammeStatus.DRAFT
        record = Programme(provider=owner, owner=user, status=published)
    _create_record(record, _rules_of(record), user=user, data=data)
    _set_shared_with(record, data)
    return record


@transaction.atomic
@coordination_cells.batched()
def update_record(
    *, user: User, record: Need | Programme, data: dict[str, Any]
) -> Need | Programme:
    """Edit a need or programme; its suggestions are refreshed when what
    matching reads changed."""
    _update_record(record, _rules_of(record), user=user, data=data)
    _set_shared_with(record, data)
    return record


@transaction.atomic
@coordination_cells.batched()
def set_record_status(
    *, user: User, record: Need | Programme, status: str
) -> Need | Programme:
    """Move a need (publish, withdraw, close, reopen) or a programme (publish,
    pause, close, reopen) through its life."""
    return _move_status(record, _rules_of(record), user=user, status=status)


def _set_shared_with(record: Need | Programme, data: dict[str, Any]) -> None:
    # Who may see a confidential need is not what matching reads: no refresh.
    if isinstance(record, Need) and "shared_with" in data:
        record.shared_with.set(data["shared_with"])


@transaction.atomic
def verify_provider(
    *, user: User, provider: Provider, verified: bool = True
) -> Provider:
    """Curators vouch for (or withdraw trust in) a provider."""
    if not policy.may_verify_provider(user):
        raise PermissionDenied
    provider.is_verified = verified
    provider.verified_at = timezone.now() if verified else None
    provider.verified_by = user if verified else None
    audit.set_change_reason(
        provider, "verified" if verified else "verification withdrawn"
    )
    provider.save(
        update_fields=["is_verified", "verified_at", "verified_by", "updated_at"]
    )
    return provider


PROVIDER_FIELDS = ("name", "stakeholder_group", "country", "website", "description")


@transaction.atomic
def register_provider(*, user: User, data: dict[str, Any]) -> Provider:
    """A signed-in user with no organisation registers one (unverified) and joins it."""
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied
    if not policy.may_register_provider(user):
        raise ValidationError(
            _("You already act for an organisation: ask a curator to add another.")
        )
    provider = Provider(
        is_verified=False, **{f: data[f] for f in PROVIDER_FIELDS if f in data}
    )
    provider.full_clean()
    _save_provider(provider)
    Membership.objects.create(user=user, provider=provider, role=MembershipRole.MANAGER)
    return provider


@transaction.atomic
def update_provider(
    *, user: User, provider: Provider, data: dict[str, Any]
) -> Provider:
    """Members of a provider (and curators) edit its profile; not its verification."""
    if not policy.may_edit_provider(user=user, provider=provider):
        raise PermissionDenied
    changed = _set_fields(provider, PROVIDER_FIELDS, data)
    provider.full_clean()
    if changed:
        _save_provider(provider, update_fields=[*changed, "updated_at"])
    return provider


def _save_provider(provider: Provider, **kwargs: Any) -> None:
    """Save; a name taken meanwhile by a concurrent write (the database's
    unique name key refuses it) is the same error as one taken before."""
    try:
        with transaction.atomic():
            provider.save(**kwargs)
    except IntegrityError as error:
        if "name_key" not in str(
            error
        ):  # the constraint (PostgreSQL), the column (SQLite)
            raise
        raise ValidationError(
            {"name": provider.unique_error_message(Provider, ("name",))}
        ) from None


# --- matches ----------------------------------------------------------------

STATE = "state"
PROVIDER = "provider"
CURATOR = "curator"


@dataclass(frozen=True)
class Transition:
    """A legal move of a match: from which states, to which, and who may make it."""

    sources: frozenset[str]
    target: str
    parties: frozenset[str]


_OPEN = frozenset(
    {
        MatchStatus.SUGGESTED,
        MatchStatus.INTEREST,
        MatchStatus.INTRODUCED,
        MatchStatus.AGREED,
    }
)
MATCH_TRANSITIONS: dict[str, Transition] = {
    "express_interest": Transition(
        frozenset({MatchStatus.SUGGESTED}),
        MatchStatus.INTEREST,
        frozenset({STATE, CURATOR}),
    ),
    "introduce": Transition(
        frozenset({MatchStatus.INTEREST}),
        MatchStatus.INTRODUCED,
        frozenset({PROVIDER, CURATOR}),
    ),
    "agree": Transition(
        frozenset({MatchStatus.INTRODUCED}),
        MatchStatus.AGREED,
        frozenset({STATE, PROVIDER, CURATOR}),
    ),
    "start_delivery": Transition(
        frozenset({MatchStatus.AGREED}),
        MatchStatus.IN_DELIVERY,
        frozenset({PROVIDER, CURATOR}),
    ),
    "complete": Transition(
        frozenset({MatchStatus.IN_DELIVERY}),
        MatchStatus.COMPLETED,
        frozenset({STATE, PROVIDER, CURATOR}),
    ),
    "decline": Transition(
        _OPEN, MatchStatus.DECLINED, frozenset({STATE, PROVIDER, CURATOR})
    ),
}

# The workflow step, as the audit trail names it.
MATCH_CHANGE_REASONS = {
    "express_interest": "interest expressed",
    "introduce": "introduced",
    "agree": "agreed",
    "start_delivery": "delivery started",
    "complete": "completed",
    "decline": "declined",
}

# How a match's progress moves its need along.
_NEED_FOLLOWS: dict[str, tuple[str, str]] = {
    MatchStatus.INTEREST: (NeedStatus.OPEN, NeedStatus.IN_DISCUSSION),
    MatchStatus.IN_DELIVERY: (NeedStatus.IN_DISCUSSION, NeedStatus.IN_DELIVERY),
    MatchStatus.COMPLETED: (NeedStatus.IN_DELIVERY, NeedStatus.FULFILLED),
}


# What each step tells the parties (the outbox event's kind).
_MATCH_EVENT_KINDS = {
    "express_interest": EventKind.MATCH_INTEREST,
    "introduce": EventKind.MATCH_INTRODUCED,
    "decline": EventKind.MATCH_DECLINED,
}

# Who may rate a completed delivery.
FEEDBACK_PARTIES = frozenset({STATE, CURATOR})


def _parties(
    match: Match, *, curator: bool, state_ids: Set[int], provider_ids: Set[int]
) -> frozenset[str]:
    parties = set()
    if curator:
        parties.add(CURATOR)
    if match.need.member_state_id in state_ids:
        parties.add(STATE)
    if match.programme.provider_id in provider_ids:
        parties.add(PROVIDER)
    return frozenset(parties)


def _actions(match: Match, parties: frozenset[str]) -> list[str]:
    return [
        name
        for name, t in MATCH_TRANSITIONS.items()
        if match.status in t.sources and parties & t.parties
    ]


def match_parties(*, user: User, match: Match) -> frozenset[str]:
    """The roles the user holds towards this match."""
    return _parties(
        match,
        curator=selectors.is_curator(user),
        state_ids=selectors.member_state_ids(user=user),
        provider_ids=selectors.provider_ids(user=user),
    )


def allowed_match_actions(*, user: User, match: Match) -> list[str]:
    """The actions the user may take on this match now, in workflow order."""
    return _actions(match, match_parties(user=user, match=match))


@dataclass(frozen=True)
class MatchActions:
    """What a user may do on one match now."""

    match: Match
    actions: list[str]  # in workflow order, "decline" included
    can_give_feedback: bool


def match_actions(*, user: AnyUser, matches: Sequence[Match]) -> list[MatchActions]:
    """The actions the user may take on each match (their roles read in one query).

    Nothing for an anonymous visitor.
    """
    if not user.is_authenticated:
        return []
    states, providers = selectors.memberships(user=user)
    curator = selectors.is_curator(user)
    found = []
    for match in matches:
        parties = _parties(
            match, curator=curator, state_ids=states, provider_ids=providers
        )
        found.append(
            MatchActions(
                match=match,
                actions=_actions(match, parties),
                can_give_feedback=match.status == MatchStatus.COMPLETED
                and bool(parties & FEEDBACK_PARTIES),
            )
        )
    return found


@transaction.atomic
def transition_match(
    *,
    user: User,
    match: Match,
    action: str,
    note: str = "",
    feedback: dict[str, Any] | None = None,
    decline_code: str = "",
) -> Match:
    """Apply one workflow action to a match, record it, and move the need along.

    Declining takes a reason (``note``) and, optionally, its kind
    (``decline_code``, a :class:`DeclineCode`): labelled data for the engine.
    """
    transition = MATCH_TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError({"action": _("Unknown action %(a)s.") % {"a": action}})
    match = (
        Match.objects.select_for_update()
        .select_related("need", "programme")
        .get(pk=match.pk)
    )
    if not match_parties(user=user, match=match) & transition.parties:
        raise PermissionDenied
    if match.status not in transition.sources:
        raise ValidationError(
            {
                "status": _("This match is %(status)s: it cannot be moved that way.")
                % {"status": match.get_status_display()}
            }
        )
    if action == "decline" and not note.strip():
        raise ValidationError({"reason": _("Say why the match is declined.")})
    if transition.target == MatchStatus.AGREED:
        _check_capacity(match.programme)
    update = ["status", "updated_at"]
    old = match.status
    match.status = transition.target
    if action == "decline":
        match.decline_reason = note
        match.decline_code = decline_code
        update += ["decline_reason", "decline_code"]
    if action == "complete" and feedback:
        _apply_feedback(match, feedback)
        update += ["feedback_rating", "feedback_outcome", "feedback_comments"]
    match.full_clean(exclude=["need", "programme"])
    audit.set_change_reason(match, MATCH_CHANGE_REASONS[action])
    match.save(update_fields=update)
    MatchEvent.objects.create(
        match=match, from_status=old, to_status=match.status, actor=user, note=note
    )
    if action == "introduce":
        introduce_contacts(match=match, actor=user)
    notifications.record(
        _MATCH_EVENT_KINDS.get(action, EventKind.MATCH_STATUS),
        match,
        actor=user,
        payload={"from": old, "to": match.status},
    )
    if match.programme.capacity is not None and (
        (old in CAPACITY_MATCH_STATUSES) != (match.status in CAPACITY_MATCH_STATUSES)
    ):
        # Places taken or freed change who the programme is open to.
        schedule_programme_refresh(programme_id=match.programme_id)
    follow = _NEED_FOLLOWS.get(match.status)
    if follow:
        # A save, not update(): the need's audit trail records the move too.
        need = (
            Need.objects.select_for_update()
            .filter(pk=match.need_id, status=follow[0])
            .first()
        )
        if need is not None:
            need.status = follow[1]
            audit.set_change_reason(need, f"match {MATCH_CHANGE_REASONS[action]}")
            need.save(update_fields=["status", "updated_at"])
    return match


def _check_capacity(programme: Programme) -> None:
    if programme.capacity is None:
        return
    taken = programme.matches.filter(status__in=CAPACITY_MATCH_STATUSES).count()
    if taken >= programme.capacity:
        raise ValidationError({"programme": _("This programme has no capacity left.")})


def _apply_feedback(match: Match, feedback: dict[str, Any]) -> None:
    match.feedback_rating = feedback.get("rating")
    match.feedback_outcome = feedback.get("outcome", "")
    match.feedback_comments = feedback.get("comments", "")


@transaction.atomic
def record_feedback(*, user: User, match: Match, feedback: dict[str, Any]) -> Match:
    """The state (or a curator) rates a completed delivery."""
    parties = match_parties(user=user, match=match)
    if not parties & FEEDBACK_PARTIES:
        raise PermissionDenied
    if match.status != MatchStatus.COMPLETED:
        raise ValidationError(
            {"status": _("Feedback is given once the delivery is completed.")}
        )
    _apply_feedback(match, feedback)
    match.full_clean(exclude=["need", "programme"])
    audit.set_change_reason(match, "feedback recorded")
    match.save(
        update_fields=[
            "feedback_rating",
            "feedback_outcome",
            "feedback_comments",
            "updated_at",
        ]
    )
    notifications.record(EventKind.MATCH_FEEDBACK, match, actor=user)
    return match


@transaction.atomic
def propose_match(
    *,
    user: User,
    need: Need,
    programme: Programme,
    note: str,
    origin: MatchOrigin = MatchOrigin.CURATOR,
) -> Match:
    """A curator proposes a programme for a need by hand (or from a roundtable
    meeting: ``origin``), with a note."""
    if not selectors.is_curator(user):
        raise PermissionDenied
    if not note.strip():
        raise ValidationError({"note": _("Say why you propose this match.")})
    match, created = Match.objects.get_or_create(
        need=need,
        programme=programme,
        defaults={
            "origin": origin,
            "note": note,
            "created_by": user,
        },
    )
    if not created:
        if match.status != MatchStatus.SUGGESTED:
            raise ValidationError(
                {
                    "programme": _(
                        "This programme is already being followed up for the need."
                    )
                }
            )
        match.origin = origin
        match.note = note
        match.created_by = user
        audit.set_change_reason(match, "proposed by a curator")
        match.save(update_fields=["origin", "note", "created_by", "updated_at"])
    MatchEvent.objects.create(
        match=match, from_status="", to_status=match.status, actor=user, note=note
    )
    notifications.record(
        EventKind.SUGGESTION_NEW, match, actor=user, payload={"origin": "curator"}
    )
    return match


@transaction.atomic
def apply_slate(
    *, user: User, pairs: Sequence[tuple[int, int]], note: str
) -> list[Match]:
    """Propose every (need id, programme id) pair of an allocation slate at once.

    All or nothing: a pair whose need or programme is gone, or that is
    already being followed up, refuses the whole slate, naming it.
    """
    if not selectors.is_curator(user):
        raise PermissionDenied
    if not note.strip():
        raise ValidationError({"note": _("Say why you propose this match.")})
    needs = Need.objects.in_bulk([n for n, _p in pairs])
    programmes = Programme.objects.in_bulk([p for _n, p in pairs])
    proposed = []
    for need_id, programme_id in dict.fromkeys(pairs):
        if need_id not in needs or programme_id not in programmes:
            raise ValidationError(
                {"pairs": _("The slate has changed: propose a slate again.")}
            )
        proposed.append(
            propose_match(
                user=user,
                need=needs[need_id],
                programme=programmes[programme_id],
                note=note,
            )
        )
    return proposed
