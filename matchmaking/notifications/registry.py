"""Where events go (channels) and what they are about (subjects).

Both are registries filled at start-up (``AppConfig.ready``): the notification
centre and mail register here, webhooks register from their own module, and
roundtable registers its subjects (meetings, pitches, calls) without
matchmaking importing it.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from matchmaking.models import OutboxEvent
    from matchmaking.models import User


# What delivering to a person reads of their account (who they are, where
# mail goes, in which language, their role for visibility): a batch reads a
# few thousand people, and a whole user row each was a third of its time.
RECIPIENT_FIELDS = (
    "id",
    "username",
    "first_name",
    "last_name",
    "email",
    "language",
    "is_active",
    "is_curator",
    "is_superuser",
)


@dataclass(frozen=True)
class Description:
    """What a person reads about an event: a line and a link, in their language."""

    title: str
    url: str


@dataclass(frozen=True)
class Subject:
    """How to deliver events about one type of object.

    ``audience``: the active users who should hear about the event AND may see
    its subject now (the handler applies the visibility rule, in bulk);
    ``may_see``: whether one user may see the subject now (re-checked before a
    mail leaves and when a digest or webhook is built); ``describe``: the line
    and link, in the active language, or None when the subject is gone;
    ``visible_ids`` (optional): which of these subject ids the user may see
    now, in one query (digests check many lines per person);
    ``by_organisation``: whether that answer depends only on the person's
    organisations and role (the same for colleagues: asked once for them);
    ``audiences`` (optional): ``audience`` for many events at once, by event
    id, in a few queries (the worker delivers events in batches);
    ``visible_ids_many`` (optional, with ``by_organisation``): ``visible_ids``
    for many organisations at once (by their visibility signature: one of
    their people and the subject ids asked about), in a few queries;
    ``preload`` (optional): load the subjects of many events at once before
    they are described (digests describe thousands of lines); ``mail``
    (optional): the template of the event's own mail and what it shows, for
    one recipient (None: the plain event mail).
    """

    audience: Callable[[OutboxEvent], Iterable[User]]
    may_see: Callable[[User, OutboxEvent], bool]
    describe: Callable[[OutboxEvent], Description | None]
    visible_ids: Callable[[User, list[int]], set[int]] | None = None
    by_organisation: bool = False
    audiences: Callable[[list[OutboxEvent]], dict[int, list[User]]] | None = None
    preload: Callable[[list[OutboxEvent]], None] | None = None
    visible_ids_many: (
        Callable[[dict[Any, tuple[User, list[int]]]], dict[Any, set[int]]] | None
    ) = None
    mail: Callable[[OutboxEvent, User], tuple[str, dict[str, Any]] | None] | None = None


# Nobody hears of what they did themselves, except an introduction: it is each
# side's copy of who the other is (name, role, e-mail, phone), and the person
# who accepted and introduced needs the state's contact as much as anyone.
TO_THE_ACTOR_TOO = frozenset({"match.introduced"})


class Delivery:
    """One event being delivered: its recipients are computed once for all channels."""

    def __init__(self, event: OutboxEvent) -> None:
        self.event = event

    @cached_property
    def subject(self) -> Subject | None:
        return SUBJECTS.get(self.event.subject_type)

    @cached_property
    def recipients(self) -> list[User]:
        """Active users who should hear and may see the subject, actor excluded."""
        if self.subject is None:
            return []
        return self.keep(self.subject.audience(self.event))

    def keep(self, audience: Iterable[User]) -> list[User]:
        """The audience without repeats, inactive accounts and (mostly) the actor."""
        seen: set[int] = set()
        found = []
        actor = None if self.event.kind in TO_THE_ACTOR_TOO else self.event.actor_id
        for user in audience:
            if user.pk in seen or user.pk == actor or not user.is_active:
                continue
            seen.add(user.pk)
            found.append(user)
        return found

    def may_see(self, user: User) -> bool:
        return self.subject is not None and self.subject.may_see(user, self.event)


def deliveries_of(events: list[OutboxEvent]) -> list[Delivery]:
    """Deliveries of many events, their recipients read in bulk where a subject can."""
    found = [Delivery(event) for event in events]
    by_type: dict[str, list[Delivery]] = {}
    for delivery in found:
        by_type.setdefault(delivery.event.subject_type, []).append(delivery)
    for name, group in by_type.items():
        subject = SUBJECTS.get(name)
        if subject is None or subject.audiences is None:
            continue
        audiences = subject.audiences([d.event for d in group])
        for delivery in group:
            delivery.__dict__["recipients"] = delivery.keep(
                audiences.get(delivery.event.pk, [])
            )
    return found


Channel = Callable[[Delivery], None]
BatchChannel = Callable[[list[Delivery]], None]

CHANNELS: dict[str, Channel] = {}
BATCH_CHANNELS: dict[str, BatchChannel] = {}
SUBJECTS: dict[str, Subject] = {}


def register_channel(
    name: str, channel: Channel, *, batch: BatchChannel | None = None
) -> None:
    """Deliver every event to ``channel`` too (idempotently: it may see one twice).

    ``batch`` (optional): the same for many deliveries at once, in a few queries.
    """
    CHANNELS[name] = channel
    if batch is not None:
        BATCH_CHANNELS[name] = batch
    else:
        BATCH_CHANNELS.pop(name, None)


def register_subject(name: str, subject: Subject) -> None:
    """Say how events about objects of type ``name`` are delivered."""
    SUBJECTS[name] = subject


def may_see(user: User, event: OutboxEvent) -> bool:
    """Whether the user may see the event's subject now."""
    subject = SUBJECTS.get(event.subject_type)
    return subject is not None and subject.may_see(user, event)


def preload(events: Iterable[OutboxEvent]) -> None:
    """Load the subjects of many events at once, for the subjects that can."""
    by_type: dict[str, list[OutboxEvent]] = {}
    for event in events:
        by_type.setdefault(event.subject_type, []).append(event)
    for name, group in by_type.items():
        subject = SUBJECTS.get(name)
        if subject is not None and subject.preload is not None:
            subject.preload(group)


def visible_subjects_of_many(
    lines: dict[int, tuple[User, list[OutboxEvent]]],
    signatures: Mapping[int, Hashable],
) -> dict[int, set[int]]:
    """For each person (by id), the ids of their events whose subjects they may
    see now: ``visible_subjects`` for many people, asked once per organisation
    (``signatures``: what visibility depends on, per person) for the subjects
    whose visibility depends on nothing else."""
    shared: dict[tuple[Hashable, str], tuple[User, list[OutboxEvent]]] = {}
    for user_id, (user, events) in lines.items():
        for event in events:
            subject = SUBJECTS.get(event.subject_type)
            if subject is not None and subject.by_organisation and subject.visible_ids:
                key = (signatures[user_id], event.subject_type)
                shared.setdefault(key, (user, []))[1].append(event)
    answers: dict[tuple[Hashable, str], set[int]] = {}
    many: dict[str, dict[Hashable, tuple[User, list[int]]]] = {}
    for key, (someone, events) in shared.items():
        ids = sorted({e.subject_id for e in events})
        subject = SUBJECTS[key[1]]
        if subject.visible_ids_many is not None:
            many.setdefault(key[1], {})[key[0]] = (someone, ids)
        elif subject.visible_ids is not None:
            answers[key] = subject.visible_ids(someone, ids)
    for name, asks in many.items():
        visible_ids_many = SUBJECTS[name].visible_ids_many
        if visible_ids_many is not None:
            for signature, seen in visible_ids_many(asks).items():
                answers[(signature, name)] = seen
    found: dict[int, set[int]] = {}
    for user_id, (user, events) in lines.items():
        own = [
            e
            for e in events
            if not (
                (subject := SUBJECTS.get(e.subject_type)) is not None
                and subject.by_organisation
                and subject.visible_ids
            )
        ]
        seen = visible_subjects(user, own) if own else set()
        for event in events:
            answer = answers.get((signatures[user_id], event.subject_type))
            if answer is not None and event.subject_id in answer:
                seen.add(event.pk)
        found[user_id] = seen
    return found


def visible_subjects(user: User, events: Iterable[OutboxEvent]) -> set[int]:
    """The ids of these events whose subjects the user may see now."""
    by_type: dict[str, list[OutboxEvent]] = {}
    for event in events:
        by_type.setdefault(event.subject_type, []).append(event)
    found: set[int] = set()
    for name, group in by_type.items():
        subject = SUBJECTS.get(name)
        if subject is None:
            continue
        if subject.visible_ids is not None:
            ids = subject.visible_ids(user, sorted({e.subject_id for e in group}))
            found |= {e.pk for e in group if e.subject_id in ids}
        else:
            found |= {e.pk for e in group if subject.may_see(user, e)}
    return found


def describe(event: OutboxEvent) -> Description | None:
    """The event's line and link in the active language (call after ``may_see``)."""
    subject = SUBJECTS.get(event.subject_type)
    return None if subject is None else subject.describe(event)
