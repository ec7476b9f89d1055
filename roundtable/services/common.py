"""What the roundtable services share: states that allow an action, role checks, mail
through the mail outbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from matchmaking import selectors as mm_selectors
from matchmaking.models import User
from matchmaking.notifications.mail import queue_mail
from roundtable.models import CallForPitches
from roundtable.models import Event
from roundtable.models import Meeting
from roundtable.models import Pitch

MEETING_REQUEST_TTL = dt.timedelta(
    hours=getattr(settings, "ROUNDTABLE_MEETING_REQUEST_TTL_HOURS", 72)
)


PITCH_FIELDS = (
    "title",
    "abstract",
    "content_language",
    "presenter_name",
    "duration_seconds",
)


def _illegal(
    obj: Pitch | Meeting, action: str, *, state: str | None = None
) -> ValidationError:
    """The refusal of ``action`` in the object's state (or the ``state`` label
    its reader may know)."""
    return ValidationError(
        {
            "state": _("This %(what)s is %(state)s: it cannot be %(action)s.")
            % {
                "what": obj._meta.verbose_name,
                "state": (state or obj.get_state_display()).lower(),
                "action": action,
            }
        }
    )


def _require_curator(user: User) -> None:
    if not mm_selectors.is_curator(user):
        raise PermissionDenied


def _require_provider_member(user: User, provider_id: int) -> None:
    if not (
        user.is_authenticated
        and user.is_active
        and provider_id in mm_selectors.provider_ids(user=user)
    ):
        raise PermissionDenied


def _locked_pitch(pitch: Pitch) -> Pitch:
    return (
        Pitch.objects.select_for_update(of=("self",))
        .select_related("event", "provider", "presenter")
        .get(pk=pitch.pk)
    )


def _call_of(event: Event) -> CallForPitches:
    call = CallForPitches.objects.filter(event=event).first()
    if call is None:
        raise ValidationError(_("This event has no call for pitches."))
    return call


def _queue_mail(
    compose: Callable[[], tuple[str, str]],
    recipients: Iterable[str],
    *,
    category: str,
    key: str | None = None,
) -> None:
    """Mail each recipient in their profile language, through the mail outbox.

    ``compose`` returns (subject, body); it runs once per language. The rows
    are written in the caller's transaction and sent after the commit,
    retried while the SMTP server is down; a recipient who chose a digest or
    no mail for ``category`` reads it in the notification centre instead.
    """
    queue_mail(recipients=recipients, compose=compose, category=category, key=key)
