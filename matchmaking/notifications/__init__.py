"""Events and what people hear about them: the outbox, its channels, the centre.

Services call ``record(kind, obj, actor=...)`` inside their transaction; the
task worker delivers each event to every registered channel
(``register_channel``) once it commits. See /README "Notifications" and
``registry`` for how another module (webhooks, roundtable) plugs in.
"""

from matchmaking.notifications import channels, mail, reminders, subjects
from matchmaking.notifications.outbox import record, record_many
from matchmaking.notifications.registry import (
    CHANNELS,
    SUBJECTS,
    Delivery,
    Description,
    Subject,
    describe,
    may_see,
    register_channel,
    register_subject,
)


def register_builtins() -> None:
    """Register matchmaking's channels and subjects (called from ``ready()``)."""
    register_subject("match", subjects.MATCH)
    register_subject("need", subjects.NEED)
    register_channel("centre", channels.centre, batch=channels.centre_batch)
    register_channel("mail", mail.mail_channel, batch=mail.mail_batch)
    reminders.register_rule("interest", reminders.interest_unanswered)
    reminders.register_rule("needed_by", reminders.needed_by_near)


__all__ = [
    "CHANNELS",
    "SUBJECTS",
    "Delivery",
    "Description",
    "Subject",
    "describe",
    "may_see",
    "record",
    "record_many",
    "register_builtins",
    "register_channel",
    "register_subject",
]
