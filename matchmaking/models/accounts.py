"""People and their access: users, API tokens, invitations, sign-in throttling."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from matchmaking.enums import TokenScope
from matchmaking.models.base import choice_field
from matchmaking.models.base import language_field
from matchmaking.models.base import parent_fk
from matchmaking.models.base import user_fk
from matchmaking.models.organisations import one_organisation
from matchmaking.models.organisations import organisation_fields


class User(AbstractUser):
    """A person signed in to the platform; curators are the secretariat."""

    is_curator = models.BooleanField(
        _("curator"),
        default=False,
        help_text=_("Curators verify organisations, curate matches and pitches."),
    )
    language = language_field(help_text=_("Pages and emails are in this language."))

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username


class ApiToken(models.Model):
    """A personal API token; only a hash of the secret is stored."""

    user = parent_fk(settings.AUTH_USER_MODEL, "api_tokens", _("user"))
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    scope = choice_field(_("scope"), TokenScope, default=TokenScope.READ)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def save(self, *args, **kwargs) -> None:
        """Refuse a save that reassigns, re-keys or un-revokes the token."""
        if self.pk is not None:
            fields = ("user_id", "prefix", "key_hash", "scope", "revoked_at")
            before = type(self)._base_manager.filter(pk=self.pk).values(*fields).first()
            if before is not None:
                refusal = token_change_refusal(
                    before=before, after={f: getattr(self, f) for f in fields}
                )
                if refusal:
                    raise ValidationError(refusal)
        super().save(*args, **kwargs)


class Invitation(models.Model):
    """A curator's invitation to join a member state or a provider."""

    email = models.EmailField(_("email"))
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    member_state, provider, role = organisation_fields("invitations")
    invited_by = user_fk(_("invited by"))
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = user_fk(_("accepted by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [
            one_organisation(name="invitation_one_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.member_state or self.provider}"


class SignInThrottle(models.Model):
    """Failed sign-ins of one account from any address (accounts/throttle.py).

    Bookkeeping, not shown anywhere: no verbose names to translate.
    """

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.username}: {self.failures}"


def token_change_refusal(*, before: dict[str, Any], after: dict[str, Any]) -> str:
    """Why a saved token may not become ``after`` ("" when it may).

    ``before``/``after`` map field attnames to values. Nobody, superusers
    included, reassigns a token, changes its key or scope, or un-revokes it.
    """
    for name in ("user_id", "prefix", "key_hash", "scope"):
        if before[name] != after[name]:
            return f"{name} of a token never changes"
    if before["revoked_at"] is not None and after["revoked_at"] != before["revoked_at"]:
        return "a revoked token stays revoked"
    return ""
