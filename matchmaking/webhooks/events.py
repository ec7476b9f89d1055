"""The event types a webhook may subscribe to: the outbox's kinds."""

from __future__ import annotations

from django.utils.functional import Promise

from matchmaking.models import EventKind

# Sent on request only (POST webhooks/{id}/test/): not subscribed to.
TEST_EVENT = "webhook.test"
SAVED_SEARCH_MATCH = EventKind.SAVED_SEARCH_MATCH.value


def subscribable() -> set[str]:
    return set(EventKind.values)


def event_type_choices() -> list[tuple[str, str | Promise]]:
    return list(EventKind.choices)
