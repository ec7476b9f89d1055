"""What a webhook says about an event: built when it is sent, for its subscriber.

Each attempt asks the outbox whether the subscriber may see the event's
subject *now* (``notifications.may_see``, the selectors of the pages and the
API); an event about something hidden since is never described: the delivery
is withheld. The data: the subject's type and id, its line and link in the
subscriber's language, and for needs, programmes, matches and saved-search
alerts the references an API client follows (``ref``, API ``path``); for a
message its match, side and text (the subscriber is of the other side).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation

from matchmaking import notifications
from matchmaking import selectors
from matchmaking.conversations import selectors as conversations
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import OutboxEvent
from matchmaking.models import Programme
from matchmaking.models import SavedSearch
from matchmaking.models import WebhookDelivery
from matchmaking.models import WebhookEndpoint
from matchmaking.savedsearches import queries

# Codes of the outbox payload that may be passed on (never free text or ids
# of other objects).
PASSED_ON = ("from", "to", "reminder")


def _need(user: Any, pk: int) -> dict[str, Any] | None:
    found = selectors.needs_visible_to(user=user, with_tags=False).filter(pk=pk)
    return _record_detail("need", found.first())


def _programme(user: Any, pk: int) -> dict[str, Any] | None:
    found = selectors.programmes_visible_to(user=user, with_tags=False).filter(pk=pk)
    return _record_detail("programme", found.first())


def _record_detail(kind: str, record: Need | Programme | None) -> dict[str, Any] | None:
    """A need or programme (``kind``) as a webhook names it; None if hidden."""
    if record is None:
        return None
    return {
        "object": kind,
        "ref": record.ref,
        "title": record.title,
        "status": record.status,
        "path": f"/api/v1/{kind}s/{record.ref}/",
    }


def _match(user: Any, pk: int) -> dict[str, Any] | None:
    match: Match | None = selectors.matches_visible_to(user=user).filter(pk=pk).first()
    if match is None:
        return None
    return {
        "object": "match",
        "id": match.pk,
        "status": match.status,
        "need": match.need.ref,
        "programme": match.programme.ref,
        "path": f"/api/v1/matches/{match.pk}/",
    }


def _message(user: Any, pk: int) -> dict[str, Any] | None:
    message = conversations.message_visible_to(user=user, pk=pk)
    if message is None or message.is_hidden:
        return None
    return {
        "object": "message",
        "id": message.pk,
        "match": message.match_id,
        "side": message.side,
        "text": message.body,
        "created_at": message.created_at.isoformat(),
        "path": f"/api/v1/matches/{message.match_id}/messages/",
    }


def _saved_search(user: Any, pk: int) -> dict[str, Any] | None:
    search = SavedSearch.objects.filter(pk=pk, user=user).first()
    if search is None:
        return None
    return {
        "object": "saved_search",
        "id": search.pk,
        "name": search.name,
        "path": f"/api/v1/saved-searches/{search.pk}/",
    }


DETAILS: dict[str, Callable[[Any, int], dict[str, Any] | None]] = {
    "need": _need,
    "programme": _programme,
    "match": _match,
    "savedsearch": _saved_search,
    "message": _message,
}


def _record(user: Any, event: OutboxEvent) -> dict[str, Any] | None:
    """The need or programme a saved-search alert is about, as the user sees it."""
    scope = event.payload.get("scope")
    if scope not in queries.FILTERS:
        return None
    read = _programme if scope == "programmes" else _need
    return read(user, int(event.payload.get("record_id", 0)))


def test_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "object": "webhook",
        "id": endpoint.pk,
        "path": f"/api/v1/webhooks/{endpoint.pk}/",
    }


def describe(delivery: WebhookDelivery) -> dict[str, Any] | None:
    """The event's data for the endpoint's owner; None when anything is hidden."""
    endpoint = delivery.endpoint
    user = endpoint.user
    if not user.is_active:
        return None
    event = delivery.event
    if event is None:
        return test_data(endpoint)
    if not notifications.may_see(user, event):
        return None
    data: dict[str, Any] = {"object": event.subject_type, "id": event.subject_id}
    details = DETAILS.get(event.subject_type)
    if details is not None:
        found = details(user, event.subject_id)
        if found is None:
            return None
        data.update(found)
    if event.subject_type == "savedsearch":
        record = _record(user, event)
        if record is None:
            return None
        data["item"] = record
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        line = notifications.describe(event)
    if line is None:
        return None
    data["summary"] = line.title
    data["url"] = line.url
    data.update({k: event.payload[k] for k in PASSED_ON if k in event.payload})
    return data
