"""Curators hold every permission of the project's own apps, without a group."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

# "axes": curators see login lockouts and lift them (delete the attempt).
# Two-factor devices (otp_totp) stay with superusers: whoever adds a device to
# an account can sign in as its owner.
CURATED_APPS = frozenset({"matchmaking", "roundtable", "django_tasks_database", "axes"})


class CuratorBackend(BaseBackend):
    """Grant curators (active, ``is_curator``) the project apps' model permissions.

    Authentication stays with ModelBackend; this only answers permission
    questions, so the admin works for curators who are staff. Superuser rights
    and Django's own auth tables stay out of reach.
    """

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        app_label = perm.split(".", 1)[0]
        return self.has_module_perms(user_obj, app_label)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return bool(
            user_obj.is_active
            and getattr(user_obj, "is_curator", False)
            and app_label in CURATED_APPS
        )
