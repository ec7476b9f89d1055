"""A deploy check: production never lets webhooks reach this machine's services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Warning as CheckWarning


def loopback_webhooks(app_configs: Any = None, **kwargs: Any) -> list[CheckWarning]:
    """``manage.py check --deploy`` warns when loopback webhooks are allowed."""
    if getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", False) and not settings.DEBUG:
        return [
            CheckWarning(
                "WEBHOOK_ALLOW_LOOPBACK is on: a webhook could reach services "
                "listening on this machine.",
                hint="Leave it off outside tests and local development.",
                id="cbm.W001",
            )
        ]
    return []
