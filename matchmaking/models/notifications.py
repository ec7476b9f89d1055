"""The event outbox and what people hear about it (notification centre).

An ``OutboxEvent`` is written in the same transaction as the change it tells
about (``matchmaking.notifications.record``); the task worker delivers it
afterwards to every registered channel (``matchmaking.notifications.registry``).
The row names its subject by type and id only: every text a person reads is
built at delivery, after checking they may see the subject then.
(Named ``OutboxEvent``: ``roundtable.Event`` is a roundtable meeting.)
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from matchmaking.enums import Category
from matchmaking.enums import EventKind
from matchmaking.enums import MailMode
from matchmaking.enums import MailStatus
from matchmaking.models.base import optional_fk
from matchmaking.models.base import user_fk


class OutboxEvent(models.Model):
    """One thing that happened, waiting to be (or already) delivered."""

    # The idempotency key: a channel that delivers an event twice (a worker
    # crashed after delivering, before marking it) recognises it by this key.
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    # The object the event is about ("match", "need", "meeting", ...), by id:
    # roundtable's objects cannot be foreign keys of a matchmaking model.
    subject_type = models.CharField(max_length=24)
    subject_id = models.PositiveBigIntegerField()
    actor = user_fk()
    # Ids and codes only (no free text): {"from": "interest", "to": "introduced"}.
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # Channels that already took the event (a failed channel is retried alone).
    channels_done = models.JSONField(default=list, blank=True)
    # Set on events that must happen once only (a reminder: its object, rule
    # and threshold): a second run that computes the same one records nothing.
    # NULL (not ""): many events have none, and NULLs are not unique.
    once_key = models.CharField(max_length=120, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(delivered_at__isnull=True),
                name="outbox_undelivered_idx",
            ),
            models.Index(fields=["subject_type", "subject_id"], name="outbox_subj_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject_type}#{self.subject_id}"


class Notification(models.Model):
    """One event in one person's notification centre."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    event = models.ForeignKey(
        OutboxEvent, on_delete=models.CASCADE, related_name="notifications"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            # A redelivered event is not a second notification.
            models.UniqueConstraint(
                fields=["event", "user"], name="notification_once_per_user"
            )
        ]
        indexes = [
            models.Index(fields=["user", "-id"], name="notification_user_idx"),
            models.Index(
                fields=["user"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.user_id}"


CATEGORY_OF_KIND: dict[str, str] = {
    EventKind.SUGGESTION_NEW: Category.SUGGESTIONS,
    EventKind.MATCH_INTEREST: Category.MATCHES,
    EventKind.MATCH_INTRODUCED: Category.MATCHES,
    EventKind.MATCH_DECLINED: Category.MATCHES,
    EventKind.MATCH_STATUS: Category.MATCHES,
    EventKind.MATCH_FEEDBACK: Category.MATCHES,
    EventKind.MESSAGE_NEW: Category.MESSAGES,
    EventKind.NEED_UNMET: Category.CURATION,
    EventKind.PITCH_DECISION: Category.ROUNDTABLE,
    EventKind.MEETING_REQUESTED: Category.MEETINGS,
    EventKind.MEETING_ACCEPTED: Category.MEETINGS,
    EventKind.MEETING_CANCELLED: Category.MEETINGS,
    EventKind.MEETING_EXPIRING: Category.MEETINGS,
    EventKind.CALL_OPENED: Category.ROUNDTABLE,
    EventKind.CALL_CLOSING: Category.ROUNDTABLE,
    EventKind.SAVED_SEARCH_MATCH: Category.ALERTS,
    EventKind.REMINDER: Category.REMINDERS,
}

# What a busy focal point would choose: at once what needs an answer from
# them (interest, introductions, messages, meetings, reminders), suggestions
# and alerts once a day, the secretariat's alerts in its daily digest.
DEFAULT_MAIL_MODES: dict[str, str] = {
    Category.SUGGESTIONS: MailMode.DAILY,
    Category.MATCHES: MailMode.IMMEDIATELY,
    Category.MESSAGES: MailMode.IMMEDIATELY,
    Category.MEETINGS: MailMode.IMMEDIATELY,
    Category.ROUNDTABLE: MailMode.IMMEDIATELY,
    Category.REMINDERS: MailMode.IMMEDIATELY,
    Category.CURATION: MailMode.DAILY,
    Category.ALERTS: MailMode.DAILY,
}


class NotificationPreference(models.Model):
    """How one person hears about one category by e-mail (absent: the default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    category = models.CharField(max_length=16, choices=Category.choices)
    mode = models.CharField(max_length=16, choices=MailMode.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category"], name="preference_once_per_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.category}: {self.mode}"


class MailMessage(models.Model):
    """One mail to one person, kept until the SMTP server took it (the mail outbox)."""

    # Unique per event and person (or per digest period): a redelivered event
    # or a digest built twice is not a second mail.
    key = models.CharField(max_length=120, unique=True)
    # Empty for a mail to an address without an account (a join request's
    # confirmation link, an invitation): capped per address instead.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    event = optional_fk(OutboxEvent, on_delete=models.CASCADE)
    # Empty for a mail someone asked for (a confirmation link, an invitation,
    # a notice about their own account): no unsubscribe link, no preference.
    category = models.CharField(max_length=16, choices=Category.choices, blank=True)
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    text = models.TextField()
    html = models.TextField(blank=True)
    status = models.CharField(
        max_length=8, choices=MailStatus.choices, default=MailStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    # A sender holds the row until then (another worker leaves it alone).
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="mail_pending_idx",
            ),
            models.Index(fields=["user", "sent_at"], name="mail_user_sent_idx"),
            models.Index(fields=["to", "sent_at"], name="mail_to_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
