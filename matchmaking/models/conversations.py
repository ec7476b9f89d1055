"""The conversation of a match: messages between its two sides, and read markers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from matchmaking.models.base import NOTE_TEXT
from matchmaking.models.base import limited_text
from matchmaking.models.base import parent_fk
from matchmaking.models.base import user_fk
from matchmaking.models.matches import Match


class MessageSide(models.TextChoices):
    """Which side of a match a message comes from."""

    STATE = "state", _("Member state")
    PROVIDER = "provider", _("Provider")


class Message(models.Model):
    """One message of a match's conversation (plain text; links made clickable)."""

    match = parent_fk(Match, "messages", _("match"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    side = models.CharField(_("side"), max_length=8, choices=MessageSide.choices)
    body = limited_text(_("message"), NOTE_TEXT)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    # Moderation: a curator hides a message with a reason (the audit trail
    # keeps who and when); the parties then read the reason instead.
    hidden_at = models.DateTimeField(_("hidden"), null=True, blank=True)
    hidden_by = user_fk(_("hidden by"))
    hidden_reason = limited_text(_("reason for hiding"), NOTE_TEXT, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["match", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["match", "id"], name="message_match_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | ~Q(hidden_reason=""),
                name="message_hidden_with_reason",
            )
        ]

    def __str__(self) -> str:
        return f"message {self.pk} on match {self.match_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class ConversationRead(models.Model):
    """How far one person has read one match's conversation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="+")
    # The id of the last message read (ids grow: later messages are unread).
    last_read_id = models.PositiveBigIntegerField(default=0)
    read_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "match"], name="conversation_read_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read match {self.match_id} to {self.last_read_id}"
