"""Webhooks of API clients and saved searches: what a user asked to hear about.

A ``WebhookEndpoint`` is a URL its owner subscribed to event types; each event
for it is one ``WebhookDelivery`` (the delivery log), tried until it succeeds
or gives up (``matchmaking/webhooks/``). A ``SavedSearch`` is a catalogue or
needs-register query kept as an alert (``matchmaking/savedsearches/``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from matchmaking.enums import DeliveryState
from matchmaking.enums import SearchScope
from matchmaking.models.base import Timestamped
from matchmaking.models.base import optional_fk
from matchmaking.models.base import parent_fk
from matchmaking.models.notifications import OutboxEvent

# Enough for any real URL; more is refused by full_clean and the API.
URL_LENGTH = 2_000
QUERY_LENGTH = 2_000


class WebhookEndpoint(Timestamped):
    """A URL that receives signed events of the types its owner chose."""

    user = parent_fk(settings.AUTH_USER_MODEL, "webhook_endpoints", _("owner"))
    url = models.URLField(
        max_length=URL_LENGTH,
        validators=[URLValidator(schemes=["http", "https"])],
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    # Needed in clear to sign: shown once, never served again.
    secret = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    # Failed attempts since the last success (any delivery of this endpoint).
    failure_count = models.PositiveIntegerField(default=0, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One event for one endpoint: the same ``message_id`` on every attempt."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The outbox event (None for a test event): its subject is described
    # afresh at each attempt, for a subscriber who may still see it.
    event = optional_fk(
        OutboxEvent, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    # The webhook-id header: the event's idempotency key, on every attempt.
    message_id = models.CharField(max_length=40)
    # An event redelivered to the channel finds its delivery (unique per
    # endpoint) instead of making a second one.
    event_key = models.CharField(max_length=64)
    event_type = models.CharField(max_length=32)
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker's lease on the row while it sends (no two workers send it).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True, default="")
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_key"], name="webhook_delivery_once"
            ),
            models.CheckConstraint(
                condition=~Q(state="pending") | Q(next_attempt_at__isnull=False),
                name="webhook_delivery_pending_is_scheduled",
            ),
        ]
        indexes = [
            models.Index(
                fields=["state", "next_attempt_at"], name="webhook_delivery_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.event_type}, {self.state})"


class SavedSearch(models.Model):
    """A query of the programme catalogue or the needs register, kept as an alert.

    ``query`` is the API's query string (``theme=…&region=…``), the same on the
    page and in the API; new or changed records matching it are an event.
    """

    user = parent_fk(settings.AUTH_USER_MODEL, "saved_searches", _("owner"))
    name = models.CharField(_("name"), max_length=200)
    scope = models.CharField(max_length=16, choices=SearchScope.choices)
    query = models.CharField(max_length=QUERY_LENGTH, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_match_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "scope", "query"], name="saved_search_once"
            ),
        ]

    def __str__(self) -> str:
        return self.name
