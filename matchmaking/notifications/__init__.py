"""Events and what people hear about them: the outbox, its channels, the centre.

Services call ``record(kind, obj, actor=...)`` inside their transaction; the
task worker delivers each event to every registered channel
(``register_channel``) once it commits. See docs/notifications.md and
``registry`` for how another module (webhooks, roundtable) plugs in.
"""

from matchmaking.notifications import channels
from matchmaking.notifications import mail
from matchmaking.notifications import reminders
from matchmaking.notifications import subjects
from matchmaking.notifications.outbox import record
from matchmaking.notifications.outbox import record_many
from matchmaking.notifications.registry import CHANNELS
from matchmaking.notifications.registry import SUBJECTS
from matchmaking.notifications.registry import Delivery
from matchmaking.notifications.registry import Description
from matchmaking.notifications.registry import Subject
from matchmaking.notifications.registry import describe
from matchmaking.notifications.registry import may_see
from matchmaking.notifications.registry import register_channel
from matchmaking.notifications.registry import register_subject


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
