"""Curators hold an explicit allow-list of model permissions, without a group."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from matchmaking.accounts import policy


class CuratorBackend(BaseBackend):
    """Grant curators (active, ``is_curator``) the permissions of
    ``policy.CURATOR_MODEL_PERMISSIONS``.

    Authentication stays with ModelBackend; this only answers permission
    questions, so the admin works for curators who are staff. Nothing of
    Django's auth tables, two-factor devices or the audit trail is on the list,
    and accounts and tokens only as far as the policy allows.
    """

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return policy.curator_has_model_perm(user_obj, perm)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return policy.curator_has_module_perms(user_obj, app_label)
