"""Who takes part: member states, providers, and the memberships of users."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from matchmaking.enums import MembershipRole
from matchmaking.models.base import LONG_TEXT
from matchmaking.models.base import Timestamped
from matchmaking.models.base import choice_field
from matchmaking.models.base import limited_text
from matchmaking.models.base import new_provider_ref
from matchmaking.models.base import optional_fk
from matchmaking.models.base import parent_fk
from matchmaking.models.base import protected_fk
from matchmaking.models.base import user_fk
from matchmaking.models.reference import Country
from matchmaking.models.reference import StakeholderGroup
from matchmaking.names import name_key


class MemberState(Timestamped):
    """A UN member or observer state; its focal points are its members."""

    country = models.OneToOneField(
        Country,
        on_delete=models.PROTECT,
        related_name="member_state",
        verbose_name=_("country"),
    )

    class Meta:
        ordering = ["country__name_en"]
        verbose_name = _("member state")
        verbose_name_plural = _("member states")

    def __str__(self) -> str:
        return str(self.country)

    def clean(self) -> None:
        if self.country_id and not (
            self.country.is_un_member or self.country.is_observer
        ):
            raise ValidationError(
                {"country": _("Only UN member and observer states can post needs.")}
            )


class Provider(Timestamped):
    """An organisation offering capacity-building programmes."""

    ref = models.SlugField(
        _("reference"), max_length=100, unique=True, default=new_provider_ref
    )
    name = models.CharField(_("name"), max_length=200)
    stakeholder_group = protected_fk(
        StakeholderGroup, _("stakeholder group"), related_name="providers"
    )
    country = optional_fk(
        Country, _("country"), on_delete=models.PROTECT, related_name="providers"
    )
    website = models.URLField(_("website"), blank=True)
    description = limited_text(_("description"), LONG_TEXT, blank=True)
    is_verified = models.BooleanField(_("verified"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = user_fk(_("verified by"))
    # The name as compared for uniqueness (matchmaking.names.name_key): set
    # on every save, unique in the database.
    name_key = models.TextField(editable=False, default="")
    # Audit trail (who, when, what changed), verification above all.
    history = HistoricalRecords()

    # What a verification vouches for: changing any of these on a verified
    # provider sends it back to the curators' queue.
    IDENTITY_FIELDS = ("name", "stakeholder_group_id", "country_id", "website")
    VERIFICATION_FIELDS = ("is_verified", "verified_at", "verified_by")

    class Meta:
        ordering = ["name"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_verified=False) | Q(verified_at__isnull=False),
                name="provider_verified_has_date",
            ),
            models.UniqueConstraint(
                fields=["name_key"], name="provider_unique_name_key"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.name_key = name_key(self.name)
        update_fields = kwargs.get("update_fields")
        extra = {"name_key"}
        if self._identity_changed_since_verified():
            self.is_verified = False
            self.verified_at = None
            self.verified_by = None
            self._change_reason = "identity changed: verification withdrawn"
            extra.update(self.VERIFICATION_FIELDS)
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, *extra}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        taken = Provider.objects.filter(name_key=name_key(self.name or ""))
        if self.pk:
            taken = taken.exclude(pk=self.pk)
        if self.name and taken.exists():
            raise ValidationError(
                {"name": self.unique_error_message(Provider, ("name",))}
            )

    def validate_constraints(self, exclude=None):
        # clean() checks the name key against the name as given, naming the
        # field; the stored key may be stale until save() sets it.
        super().validate_constraints(exclude={*(exclude or ()), "name_key"})

    def _identity_changed_since_verified(self) -> bool:
        """Whether the stored row is verified and this one differs in identity."""
        if self.pk is None or not self.is_verified:
            return False
        stored = (
            Provider.objects.filter(pk=self.pk)
            .values(*self.IDENTITY_FIELDS, "is_verified")
            .first()
        )
        return bool(
            stored
            and stored["is_verified"]
            and any(
                stored[field] != getattr(self, field) for field in self.IDENTITY_FIELDS
            )
        )


def organisation_fields(
    related_name: str,
) -> tuple[
    models.ForeignKey[MemberState | None, MemberState | None],
    models.ForeignKey[Provider | None, Provider | None],
    models.CharField[str, str],
]:
    """The member state or the provider a membership or an invitation is for
    (one of the two: see ``one_organisation``), both reached back through
    ``related_name``, and the role there."""
    return (
        optional_fk(
            MemberState,
            _("member state"),
            on_delete=models.CASCADE,
            related_name=related_name,
        ),
        optional_fk(
            Provider, _("provider"), on_delete=models.CASCADE, related_name=related_name
        ),
        choice_field(
            _("role"), MembershipRole, max_length=20, default=MembershipRole.FOCAL_POINT
        ),
    )


def one_organisation(
    *, name: str, message: str | Promise | None = None
) -> models.CheckConstraint:
    """A membership or an invitation is for a member state or for a provider."""
    return models.CheckConstraint(
        condition=(
            Q(member_state__isnull=False, provider__isnull=True)
            | Q(member_state__isnull=True, provider__isnull=False)
        ),
        name=name,
        violation_error_message=message,
    )


class Membership(Timestamped):
    """Links a user to the member state or the provider they act for."""

    user = parent_fk(settings.AUTH_USER_MODEL, "memberships", _("user"))
    member_state, provider, role = organisation_fields("memberships")
    history = HistoricalRecords()

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            one_organisation(
                name="membership_one_organisation",
                message=_(
                    "A membership links to a member state or to a provider, not both."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "member_state"],
                condition=Q(member_state__isnull=False),
                name="membership_unique_state",
            ),
            models.UniqueConstraint(
                fields=["user", "provider"],
                condition=Q(provider__isnull=False),
                name="membership_unique_provider",
            ),
        ]

    def __str__(self) -> str:
        org = self.member_state or self.provider
        return f"{self.user} - {org} ({self.get_role_display()})"
