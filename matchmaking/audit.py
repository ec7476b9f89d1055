"""Audit trail and security events.

Two concerns that answer "who did what, when":

* the **audit trail** of changes, kept by django-simple-history on needs,
  programmes, matches, providers (verification), memberships and roundtable
  pitches, reviews and meetings; :func:`history_entries` turns it into
  "field: old -> new" rows for curators;
* **security events** on the ``security`` logger: denied object access (an
  object that exists but the requester may not see, answered 404 like a
  missing one), failed logins and lockouts. Each record carries the event
  name, the user id (or ``anonymous``), the object type and id, a UTC ISO
  timestamp and the client IP, and never a password, token or session id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from matchmaking.logtext import escape_log_text
from matchmaking.logtext import log_value

security_log = logging.getLogger("security")

OBJECT_ACCESS_DENIED = "object_access_denied"
LOGIN_FAILED = "login_failed"
LOCKED_OUT = "locked_out"

# --- security events -----------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address as trusted proxies report it, else REMOTE_ADDR.

    Mirrors DRF's throttling rule (``NUM_PROXIES``): with N trusted proxies in
    front, the client is the N-th address from the right of X-Forwarded-For,
    the one the outermost trusted proxy appended. With none (the default),
    X-Forwarded-For is ignored, so a forged header cannot change the identity
    that login lockout counts against.
    """
    remote_addr = request.META.get("REMOTE_ADDR", "")
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies <= 0 or not forwarded:
        return remote_addr
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote_addr
    return addresses[-min(num_proxies, len(addresses))]


def _client_ip(request: Any) -> str:
    if request is None:
        return ""
    # DRF's Request proxies META to the Django request.
    return client_ip(getattr(request, "_request", request)) or ""


def _user_id(user: Any) -> int | str:
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return "anonymous"


def log_security_event(
    event: str,
    *,
    request: Any = None,
    user: Any = None,
    object_type: str = "",
    object_id: Any = None,
    **details: str,
) -> None:
    """Write one security event: who, what, which object, when (UTC), from where.

    ``details`` are short, non-secret facts (e.g. the username attempted);
    callers never pass credentials, tokens or session ids. Every string value
    is escaped (control characters) and quoted when needed, so text a user
    chose cannot forge a line or a field.
    """
    if user is None and request is not None:
        user = getattr(request, "user", None)
    payload: dict[str, Any] = {
        "event": event,
        "user_id": _user_id(user),
        "object_type": object_type,
        "object_id": object_id,
        "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "ip": _client_ip(request),
        **details,
    }
    message = " ".join(
        f"{key}={log_value(value)}"
        for key, value in payload.items()
        if value not in ("", None)
    )
    structured = {
        key: escape_log_text(value) if isinstance(value, str) else value
        for key, value in payload.items()
    }
    security_log.warning(message, extra={"security": structured})


def _object_type(model: type[models.Model]) -> str:
    return model._meta.model_name or model.__name__.lower()


def log_denied_access(
    request: Any, model: type[models.Model], object_id: Any, *, action: str = "view"
) -> None:
    """Record that the requester was refused an object that exists."""
    log_security_event(
        OBJECT_ACCESS_DENIED,
        request=request,
        object_type=_object_type(model),
        object_id=object_id,
        action=action,
    )


def hidden_object_pk(model: type[models.Model], **lookup: Any) -> Any:
    """The pk of the object the lookup names, if it exists at all, else None."""
    try:
        return (
            model._base_manager.filter(**lookup)
            .order_by()
            .values_list("pk", flat=True)
            .first()
        )
    except (TypeError, ValueError, ValidationError):
        return None


def note_if_hidden(request: Any, model: type[models.Model], **lookup: Any) -> None:
    """After a 404: log a denied access when the object exists but was hidden."""
    pk = hidden_object_pk(model, **lookup)
    if pk is not None:
        log_denied_access(request, model, pk)


def get_visible_or_404[M: models.Model](
    request: Any, queryset: QuerySet[M], **lookup: Any
) -> M:
    """``get_object_or_404`` over a visibility-scoped queryset, logging denials.

    The queryset comes from a selector; an object outside it answers 404 exactly
    like a missing one, and, when it does exist, leaves a security record. The
    extra existence query runs on the 404 path only.
    """
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        note_if_hidden(request, queryset.model, **lookup)
        raise Http404 from None
    except (TypeError, ValueError, ValidationError):
        raise Http404 from None


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_
) -> None:
    """``user_login_failed``: the username attempted and the IP, never the password."""
    username = str(credentials.get("username") or credentials.get("email") or "")
    log_security_event(
        LOGIN_FAILED,
        request=request,
        user=None,
        object_type="user",
        username=username[:150],
    )


def on_locked_out(
    sender: Any,
    request: HttpRequest | None = None,
    username: str | None = None,
    ip_address: str | None = None,
    **_: Any,
) -> None:
    """django-axes ``user_locked_out``: who was locked out, from where."""
    log_security_event(
        LOCKED_OUT,
        request=request,
        user=None,
        object_type="user",
        username=str(username or "")[:150],
    )


def connect_security_signals() -> None:
    """Hook failed logins and django-axes lockouts (called from the app's ready)."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.connect(on_login_failed, dispatch_uid="security-login-failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="security-locked-out")


# --- audit trail -----------------------------------------------------------------

HISTORY_LIMIT = 50
# Bookkeeping that changes with every save and says nothing to a reader.
_NOT_SHOWN = ["updated_at"]
_KINDS = {
    "+": pgettext_lazy("history change", "created"),
    "~": pgettext_lazy("history change", "changed"),
    "-": pgettext_lazy("history change", "deleted"),
}


@dataclass(frozen=True)
class FieldChange:
    """One field of one change: its label and the values before and after."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One historical record as a curator reads it."""

    at: datetime
    user: str
    kind: str
    reason: str
    changes: tuple[FieldChange, ...]


def _shown(field: models.Field | None, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, frozenset):  # an M2M: the related ids
        return ", ".join(f"#{pk}" for pk in sorted(value)) or "—"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if field is not None and field.is_relation:
        return f"#{value}"
    text = str(value)
    return text if len(text) <= 120 else f"{text[:119]}…"


def _label(model: type[models.Model], name: str) -> tuple[str, models.Field | None]:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # dropped since the record was written
        return name, None
    return str(getattr(field, "verbose_name", name)), field


def _m2m_snapshots(
    model: type[models.Model], records: list[Any]
) -> dict[str, dict[int, frozenset]]:
    """Audited M2M values per historical record: one query per M2M field.

    (simple_history's ``diff_against`` would run two queries per record pair.)
    """
    if not records:
        return {}
    snapshots = {}
    for field in getattr(records[0], "_history_m2m_fields", ()):
        through = getattr(records[0], field.name).model
        target = model._meta.get_field(field.name).m2m_reverse_field_name()
        values: dict[int, set] = {record.pk: set() for record in records}
        pairs = through.objects.filter(history__in=list(values)).values_list(
            "history_id", target
        )
        for history_id, pk in pairs:
            values[history_id].add(pk)
        snapshots[field.name] = {k: frozenset(v) for k, v in values.items()}
    return snapshots


def _changes(
    model: type[models.Model],
    new: Any,
    old: Any,
    m2m: dict[str, dict[int, frozenset]],
) -> tuple[FieldChange, ...]:
    if old is None:
        return ()
    delta = new.diff_against(old, excluded_fields=[*_NOT_SHOWN, *m2m])
    rows = []
    for change in delta.changes:
        label, field = _label(model, change.field)
        rows.append(
            FieldChange(label, _shown(field, change.old), _shown(field, change.new))
        )
    for name, values in m2m.items():
        if values[old.pk] != values[new.pk]:
            label, field = _label(model, name)
            rows.append(
                FieldChange(
                    label, _shown(field, values[old.pk]), _shown(field, values[new.pk])
                )
            )
    return tuple(rows)


def history_entries(
    obj: models.Model, *, limit: int = HISTORY_LIMIT
) -> list[HistoryEntry]:
    """The latest changes to ``obj``, oldest first, each diffed with the one before.

    Callers pass an object they already got through a selector, and show the
    result to curators only. One query, plus one per audited M2M field.
    """
    records = list(
        obj.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )[: limit + 1]
    )
    records.reverse()
    model = type(obj)
    m2m = _m2m_snapshots(model, records)
    entries = []
    for index, record in enumerate(records):
        if index == 0 and len(records) > limit:
            continue  # only there to diff the first shown one against
        previous = records[index - 1] if index else None
        user = record.history_user
        entries.append(
            HistoryEntry(
                at=record.history_date,
                user=user.get_username() if user else str(_("system")),
                kind=str(_KINDS.get(record.history_type, record.history_type)),
                reason=record.history_change_reason or "",
                changes=_changes(model, record, previous, m2m),
            )
        )
    return entries


def set_change_reason(obj: models.Model, reason: str) -> None:
    """Name the workflow step on the next save's historical record."""
    obj._change_reason = reason
