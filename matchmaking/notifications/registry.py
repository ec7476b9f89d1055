"""Where events go (channels) and what they are about (subjects).

Both are registries filled at start-up (``AppConfig.ready``): the notification
centre and mail register here, webhooks register from their own module, and
roundtable registers its subjects (meetings, pitches, calls) without
matchmaking importing it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matchmaking.models import OutboxEvent, User


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
    now, in one query (digests check many lines per person).
    """

    audience: Callable[[OutboxEvent], Iterable[User]]
    may_see: Callable[[User, OutboxEvent], bool]
    describe: Callable[[OutboxEvent], Description | None]
    visible_ids: Callable[[User, list[int]], set[int]] | None = None


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
        seen: set[int] = set()
        found = []
        for user in self.subject.audience(self.event):
            if user.pk in seen or user.pk == self.event.actor_id or not user.is_active:
                continue
            seen.add(user.pk)
            found.append(user)
        return found

    def may_see(self, user: User) -> bool:
        return self.subject is not None and self.subject.may_see(user, self.event)


Channel = Callable[[Delivery], None]

CHANNELS: dict[str, Channel] = {}
SUBJECTS: dict[str, Subject] = {}


def register_channel(name: str, channel: Channel) -> None:
    """Deliver every event to ``channel`` too (idempotently: it may see one twice)."""
    CHANNELS[name] = channel


def register_subject(name: str, subject: Subject) -> None:
    """Say how events about objects of type ``name`` are delivered."""
    SUBJECTS[name] = subject


def may_see(user: User, event: OutboxEvent) -> bool:
    """Whether the user may see the event's subject now."""
    subject = SUBJECTS.get(event.subject_type)
    return subject is not None and subject.may_see(user, event)


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
