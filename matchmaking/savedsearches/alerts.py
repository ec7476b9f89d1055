"""Saved-search alerts, through the outbox.

A published or changed programme or need records a ``searchable`` event in
the change's transaction (one insert: saving stays as fast). Its delivery (the
``savedsearches`` channel, in the task worker) runs every saved search of the
list *as its owner* (through the owner's selector, among listed records, none
of the owner's own organisation) and records one ``saved_search.match`` event
per search that selects the record, at most one a day per search and record.
Those go to the notification centre, mail, digests and webhooks like any other
event; the ``savedsearch`` subject re-checks, at each delivery, that the
owner may still see the record.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from matchmaking import notifications
from matchmaking import selectors
from matchmaking.models import EventKind
from matchmaking.models import Need
from matchmaking.models import OutboxEvent
from matchmaking.models import Programme
from matchmaking.models import SavedSearch
from matchmaking.models import SearchScope
from matchmaking.models import User
from matchmaking.notifications import Delivery
from matchmaking.notifications import Description
from matchmaking.notifications import Subject
from matchmaking.notifications.tasks import deliver_events_task
from matchmaking.savedsearches import queries

SEARCHABLE = "searchable"
# A record that keeps changing alerts a search once a day at most.
QUIET = timedelta(days=1)


def _scope(record: Any) -> str:
    return (
        SearchScope.PROGRAMMES if isinstance(record, Programme) else SearchScope.NEEDS
    )


def record_change(record: Need | Programme) -> None:
    """Note, in the caller's transaction, that a record is new or changed."""
    scope = _scope(record)
    if not queries.is_listed(scope, record.status):
        return
    event = OutboxEvent.objects.create(
        kind=EventKind.SAVED_SEARCH_MATCH,
        subject_type=SEARCHABLE,
        subject_id=record.pk,
        payload={"scope": scope},
    )
    transaction.on_commit(partial(deliver_events_task.enqueue, [event.pk]))


def _own(scope: str, user: Any, record: Any) -> bool:
    if scope == SearchScope.PROGRAMMES:
        return record.provider_id in selectors.provider_ids(user=user)
    return record.member_state_id in selectors.member_state_ids(user=user)


def _sees(user: Any, scope: str, record_id: int) -> bool:
    records = queries.visible(scope, user).filter(queries.listed(scope), pk=record_id)
    return records.exists()


def matching_searches(*, scope: str, record_id: int) -> list[SavedSearch]:
    """The saved searches of active users that select the record as they see it."""
    record = queries.MODELS[scope].objects.filter(pk=record_id).first()
    if record is None:
        return []
    found = []
    searches = (
        SavedSearch.objects.filter(scope=scope, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    for search in searches:
        if _own(scope, search.user, record):
            continue
        records = queries.visible(scope, search.user).filter(pk=record_id)
        if queries.matches(scope=scope, query=search.query, records=records).exists():
            found.append(search)
    return found


def alert(delivery: Delivery) -> None:
    """The ``savedsearches`` channel: a searchable event becomes alerts."""
    event = delivery.event
    if event.subject_type != SEARCHABLE:
        return
    scope = str(event.payload.get("scope"))
    if scope not in queries.FILTERS:
        return
    found = matching_searches(scope=scope, record_id=event.subject_id)
    if not found:
        return
    now = timezone.now()
    recent = set(
        OutboxEvent.objects.filter(
            kind=EventKind.SAVED_SEARCH_MATCH,
            subject_type="savedsearch",
            subject_id__in=[search.pk for search in found],
            payload__record_id=event.subject_id,
            created_at__gte=now - QUIET,
        ).values_list("subject_id", flat=True)
    )
    fresh = [search for search in found if search.pk not in recent]
    notifications.record_many(
        EventKind.SAVED_SEARCH_MATCH,
        fresh,
        payloads=[
            {"scope": scope, "record_id": event.subject_id, "source": event.pk}
            for _search in fresh
        ],
    )
    SavedSearch.objects.filter(pk__in=[search.pk for search in fresh]).update(
        last_match_at=now
    )


# --- the subjects: who hears, who may see, what they read ---------------------------


def _alert_search(event: OutboxEvent) -> SavedSearch | None:
    return (
        SavedSearch.objects.select_related("user").filter(pk=event.subject_id).first()
    )


def _alert_audience(event: OutboxEvent) -> list[User]:
    search = _alert_search(event)
    if search is None or not _alert_may_see(search.user, event):
        return []
    return [search.user]


def _alert_may_see(user: Any, event: OutboxEvent) -> bool:
    scope = str(event.payload.get("scope"))
    return (
        scope in queries.FILTERS
        and SavedSearch.objects.filter(pk=event.subject_id, user_id=user.pk).exists()
        and _sees(user, scope, int(event.payload.get("record_id", 0)))
    )


def _alert_describe(event: OutboxEvent) -> Description | None:
    search = _alert_search(event)
    scope = str(event.payload.get("scope"))
    if search is None or scope not in queries.FILTERS:
        return None
    record = (
        queries.MODELS[scope]
        .objects.filter(pk=event.payload.get("record_id"))
        .only("ref", "title")
        .first()
    )
    if record is None:
        return None
    page = "programme-detail" if scope == SearchScope.PROGRAMMES else "need-detail"
    return Description(
        title=_("%(what)s (%(search)s): %(title)s")
        % {
            "what": EventKind.SAVED_SEARCH_MATCH.label,
            "search": search.name,
            "title": record.title,
        },
        url=reverse(page, args=[record.ref]),
    )


ALERT = Subject(
    audience=_alert_audience, may_see=_alert_may_see, describe=_alert_describe
)
# Nobody hears of the change itself: only of the alerts it makes.
CHANGE = Subject(
    audience=lambda event: [],
    may_see=lambda user, event: False,
    describe=lambda event: None,
)


def register() -> None:
    """Plug saved searches into the outbox (called from the app's ``ready()``)."""
    notifications.register_subject("savedsearch", ALERT)
    notifications.register_subject(SEARCHABLE, CHANGE)
    notifications.register_channel("savedsearches", alert)
