"""The mail to a webhook's owner when it is disabled after repeated failures."""

from __future__ import annotations

from django.utils.translation import gettext as _

from matchmaking.models import WebhookEndpoint
from matchmaking.notifications.mail import queue_mail


def send_disabled_notice(*, endpoint_id: int) -> bool:
    """Tell the owner, in their language, that the webhook was turned off
    (through the mail outbox: retried while the SMTP server is down)."""
    endpoint = (
        WebhookEndpoint.objects.select_related("user").filter(pk=endpoint_id).first()
    )
    if endpoint is None or not endpoint.user.email or endpoint.is_active:
        return False

    def compose() -> tuple[str, str]:
        return (
            _("Your webhook is disabled"),
            _(
                "Your webhook %(url)s failed %(count)s times in a row, so it is "
                "disabled: no more events are sent to it.\n\n"
                "When the receiver works again, turn the webhook back on in your "
                "account (Webhooks) or with the API (PATCH is_active=true)."
            )
            % {"url": endpoint.url, "count": endpoint.failure_count},
        )

    # Keyed by the endpoint and when it was disabled: one notice per disabling.
    return bool(
        queue_mail(
            recipients=[endpoint.user.email],
            compose=compose,
            key=f"webhook-disabled:{endpoint.pk}:{endpoint.disabled_at:%Y%m%dT%H%M%S%f}",
        )
    )
