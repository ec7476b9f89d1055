"""Webhook subscriptions and deliveries: every write of the webhooks, and sending.

An event for the subscribed endpoints becomes one delivery per endpoint
(unique per endpoint and event key, so an event handed over twice is still
one delivery); each delivery is tried at once and then after 30 s, 2 min,
8 min, 32 min, 2 h 8 min and 8 h 32 min (four times longer each time), with the same
``webhook-id`` every time, until a 2xx answer. After
``WEBHOOK_DISABLE_AFTER_FAILURES`` failed attempts in a row, the endpoint is
disabled and its owner is told by mail.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.db.models import Q
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking.models import DeliveryState
from matchmaking.models import OutboxEvent
from matchmaking.models import WebhookDelivery
from matchmaking.models import WebhookEndpoint
from matchmaking.webhooks import mail
from matchmaking.webhooks import network
from matchmaking.webhooks import payloads
from matchmaking.webhooks import signing
from matchmaking.webhooks.events import TEST_EVENT
from matchmaking.webhooks.events import subscribable

RETRY_DELAYS = tuple(timedelta(seconds=30 * 4**n) for n in range(6))
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)
USER_AGENT = "CBM-Webhooks/1"


def disable_after() -> int:
    return int(getattr(settings, "WEBHOOK_DISABLE_AFTER_FAILURES", 20))


# --- subscriptions ---------------------------------------------------------------


def _clean_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    if not chosen:
        raise ValidationError({"event_types": [_("Choose at least one event type.")]})
    known = subscribable()
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise ValidationError(
            {"event_types": [_("Unknown event type: %(name)s.") % {"name": unknown[0]}]}
        )
    return sorted(chosen)


def _check_url(url: str) -> None:
    try:
        network.check_literal(url)
    except network.UnsafeDestination as refused:
        raise ValidationError(
            {
                "url": [
                    _("This URL cannot receive webhooks: %(why)s.") % {"why": refused}
                ]
            }
        ) from None


def create_endpoint(
    *, user: Any, url: str, event_types: Iterable[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Subscribe a URL; the secret is returned here only (shown once)."""
    endpoint = WebhookEndpoint(
        user=user,
        url=url,
        description=description,
        event_types=_clean_event_types(event_types),
        secret=signing.new_secret(),
    )
    endpoint.full_clean()
    _check_url(url)
    endpoint.save()
    return endpoint, endpoint.secret


def update_endpoint(
    *, user: Any, endpoint: WebhookEndpoint, changes: dict[str, Any]
) -> WebhookEndpoint:
    """Change the URL, description, event types, or turn it on or off.

    Turning a disabled endpoint back on starts its failure count afresh.
    """
    if endpoint.user_id != user.pk:
        raise ValidationError(_("This is not yours."))
    fields = []
    for name in ("url", "description", "event_types", "is_active"):
        if name in changes:
            value = changes[name]
            if name == "event_types":
                value = _clean_event_types(value)
            setattr(endpoint, name, value)
            fields.append(name)
    if "is_active" in changes:
        if endpoint.is_active:
            endpoint.failure_count = 0
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
        elif endpoint.disabled_at is None:
            endpoint.disabled_at = timezone.now()
            endpoint.disabled_reason = _("Turned off by its owner.")
        fields += ["failure_count", "disabled_at", "disabled_reason"]
    endpoint.full_clean()
    if "url" in changes:
        _check_url(endpoint.url)
    endpoint.save(update_fields=[*fields, "updated_at"])
    return endpoint


def delete_endpoint(*, user: Any, endpoint: WebhookEndpoint) -> None:
    """Remove the subscription and its delivery log."""
    if endpoint.user_id != user.pk:
        raise ValidationError(_("This is not yours."))
    endpoint.delete()


# --- events into deliveries -------------------------------------------------------


def record_event(*, event: OutboxEvent, owners: Iterable[int]) -> list[int]:
    """One delivery per active endpoint of ``owners`` subscribed to the event's
    kind; the ids of those created now (the outbox's webhooks channel).

    ``owners``: the event's recipients (who should hear and may see it now).
    Idempotent: the same event again creates nothing more.
    """
    return record_events([(event, list(owners))])


def record_events(batch: Sequence[tuple[OutboxEvent, Iterable[int]]]) -> list[int]:
    """``record_event`` for many events, reading the endpoints once."""
    owners = {pk for _event, people in batch for pk in people}
    if not owners:
        return []
    by_owner: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(
        is_active=True, user__is_active=True, user_id__in=sorted(owners)
    ).order_by("pk"):
        by_owner.setdefault(endpoint.user_id, []).append(endpoint)
    if not by_owner:
        return []
    now = timezone.now()
    rows = [
        WebhookDelivery(
            endpoint=endpoint,
            event=event,
            message_id=f"msg_{event.key.hex}",
            event_key=event.key.hex,
            event_type=event.kind,
            next_attempt_at=now,
        )
        for event, people in batch
        for pk in people
        for endpoint in by_owner.get(pk, [])
        if event.kind in endpoint.event_types
    ]
    if not rows:
        return []
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        WebhookDelivery.objects.filter(
            event_key__in=sorted({row.event_key for row in rows}),
            endpoint__in={row.endpoint_id for row in rows},
            attempts=0,
            state=DeliveryState.PENDING,
        ).values_list("pk", flat=True)
    )
    for delivery_id in created:
        _schedule(delivery_id)
    return created


def send_test_event(*, user: Any, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to the endpoint, even if not subscribed."""
    if endpoint.user_id != user.pk:
        raise ValidationError(_("This is not yours."))
    if not endpoint.is_active:
        raise ValidationError(
            {"is_active": [_("Turn the webhook on before sending a test event.")]}
        )
    key = secrets.token_hex(16)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        message_id=f"msg_{key}",
        event_key=f"test_{key}",
        event_type=TEST_EVENT,
        next_attempt_at=timezone.now(),
    )
    _schedule(delivery.pk)
    return delivery


@task
def attempt_task(delivery_id: int) -> None:
    """The task worker's side: one attempt of one delivery."""
    attempt(delivery_id=delivery_id)


@task
def deliver_due_task() -> None:
    """The task worker's sweep: every delivery whose retry is due."""
    deliver_due()


def _enqueue(delivery_id: int, run_after: datetime | None) -> None:
    if run_after is None:
        attempt_task.enqueue(delivery_id)
    elif attempt_task.get_backend().supports_defer:
        attempt_task.using(run_after=run_after).enqueue(delivery_id)
    # else: a backend that cannot wait leaves retries to the sweep
    # (deliver_due_task, `manage.py deliver_webhooks`).


def _schedule(delivery_id: int, run_after: datetime | None = None) -> None:
    """Hand the attempt to the task worker once the transaction commits."""
    transaction.on_commit(partial(_enqueue, delivery_id, run_after))


# --- attempts -----------------------------------------------------------------------


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for this worker (a lease), if it is due and free."""
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=now + timedelta(seconds=3 * timeout + 30))
    )


def build_request(
    delivery: WebhookDelivery, data: dict[str, Any], now: datetime
) -> tuple[bytes, dict[str, str]]:
    """The signed body and headers of one attempt."""
    body = json.dumps(
        {
            "type": delivery.event_type,
            "timestamp": (delivery.event or delivery).created_at.isoformat(),
            "data": data,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signing.sign(
            secret=delivery.endpoint.secret,
            message_id=delivery.message_id,
            timestamp=timestamp,
            body=body,
        ),
    }
    return body, headers


def attempt(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """Try one delivery if it is due and no other worker holds it."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint__user", "event").get(
        pk=delivery_id
    )
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _finish(delivery, DeliveryState.FAILED, error=_("The webhook is disabled."))
        return delivery
    data = payloads.describe(delivery)
    if data is None:
        # Never named: not even in the log.
        _finish(delivery, DeliveryState.WITHHELD, error="")
        return delivery
    body, headers = build_request(delivery, data, now)
    sent = network.post(endpoint.url, body=body, headers=headers)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = sent.status
    delivery.last_duration_ms = sent.duration_ms
    delivery.response_excerpt = sent.excerpt
    if sent.status is not None and 200 <= sent.status < 300:
        _finish(delivery, DeliveryState.SUCCEEDED, error="")
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failure_count=0, last_success_at=now
        )
        return delivery
    error = sent.error or _("The answer was HTTP %(status)s.") % {"status": sent.status}
    if delivery.attempts >= MAX_ATTEMPTS:
        _finish(delivery, DeliveryState.FAILED, error=error)
    else:
        delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
        _finish(delivery, DeliveryState.PENDING, error=error)
        _schedule(delivery.pk, run_after=delivery.next_attempt_at)
    _count_failure(endpoint.pk, now)
    return delivery


def _finish(delivery: WebhookDelivery, state: str, *, error: str) -> None:
    delivery.state = state
    delivery.last_error = error[:300]
    delivery.claimed_until = None
    delivery.save(
        update_fields=[
            "state",
            "attempts",
            "next_attempt_at",
            "claimed_until",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "last_duration_ms",
            "response_excerpt",
        ]
    )


@transaction.atomic
def _count_failure(endpoint_id: int, now: datetime) -> None:
    """One more failure in a row; at the limit, disable and tell the owner."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        failure_count=F("failure_count") + 1
    )
    endpoint = (
        WebhookEndpoint.objects.select_for_update()
        .select_related("user")
        .get(pk=endpoint_id)
    )
    if not endpoint.is_active or endpoint.failure_count < disable_after():
        return
    endpoint.is_active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = _("%(count)s failed attempts in a row.") % {
        "count": endpoint.failure_count
    }
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    endpoint.deliveries.filter(state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED,
        claimed_until=None,
        last_error=_("The webhook is disabled."),
    )
    # Queued with the disabling (the mail outbox sends it after the commit).
    mail.send_disabled_notice(endpoint_id=endpoint.pk)


def deliver_due(*, now: datetime | None = None, limit: int = 200) -> int:
    """Try the deliveries that are due (the worker's sweep); how many were tried."""
    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            state=DeliveryState.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(attempt(delivery_id=pk, now=now) is not None for pk in due)
