"""Asking to join: a provider organisation's application or a focal-point nomination.

A request is written by someone without an account. It reaches the curators
only once the address it gives has been proven (a signed link mailed to it);
a curator then verifies it (the organisation is created and verified, the
requester gets an account with the right role) or rejects it with a reason.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from matchmaking.enums import JoinKind
from matchmaking.enums import JoinStatus
from matchmaking.models.base import NOTE_TEXT
from matchmaking.models.base import choice_field
from matchmaking.models.base import language_field
from matchmaking.models.base import limited_text
from matchmaking.models.base import optional_fk
from matchmaking.models.base import user_fk
from matchmaking.models.organisations import MemberState
from matchmaking.models.organisations import Provider
from matchmaking.models.reference import Country
from matchmaking.models.reference import StakeholderGroup

# A nomination letter: a PDF of at most this many pages and bytes.
MAX_LETTER_PAGES = 10
MAX_LETTER_BYTES = 5 * 1024 * 1024


def nomination_letter_path(instance: JoinRequest, filename: str) -> str:
    """Letters are stored under a generated name, never the uploader's."""
    del instance, filename
    return f"nominations/{uuid.uuid4().hex}.pdf"


class JoinRequest(models.Model):
    """A request to join the platform, from outside, for a curator to decide."""

    kind = choice_field(_("joining as"), JoinKind)
    status = choice_field(_("status"), JoinStatus, default=JoinStatus.UNCONFIRMED)
    contact_name = models.CharField(_("your name"), max_length=200)
    email = models.EmailField(_("email"))
    position = models.CharField(
        _("your role"),
        max_length=200,
        help_text=_("Your position, for example “Head of the national CERT”."),
    )
    language = language_field()
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    stakeholder_group = optional_fk(
        StakeholderGroup, _("stakeholder group"), on_delete=models.PROTECT
    )
    country = optional_fk(Country, _("country"), on_delete=models.PROTECT)
    website = models.URLField(_("website"), blank=True)
    message = limited_text(_("message"), NOTE_TEXT, blank=True)
    nomination_letter = models.FileField(
        _("nomination letter"), upload_to=nomination_letter_path, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    email_confirmed_at = models.DateTimeField(
        _("e-mail confirmed"), null=True, blank=True
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = user_fk(_("decided by"))
    reason = limited_text(_("reason"), NOTE_TEXT, blank=True)
    provider = optional_fk(Provider, _("provider"))
    member_state = optional_fk(MemberState, _("member state"))
    user = user_fk(_("account"))
    # Audit trail: who confirmed, verified or rejected, when, and why.
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("request to join")
        verbose_name_plural = _("requests to join")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""),
                name="joinrequest_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_label} ({self.email})"

    @property
    def organisation_label(self) -> str:
        """What the request is for: the organisation's name, or the state."""
        if self.kind == JoinKind.PROVIDER:
            return self.organisation_name
        return str(self.country) if self.country_id else ""

    def clean(self) -> None:
        super().clean()
        errors: dict[str, ValidationError] = {}
        if self.kind == JoinKind.PROVIDER:
            if not self.organisation_name.strip():
                errors["organisation_name"] = ValidationError(
                    _("Enter the organisation's name."), code="required"
                )
            if not self.stakeholder_group_id:
                errors["stakeholder_group"] = ValidationError(
                    _("Choose the organisation's stakeholder group."), code="required"
                )
        elif self.kind == JoinKind.FOCAL_POINT:
            if not self.country_id:
                errors["country"] = ValidationError(
                    _("Choose the member state you are nominated by."),
                    code="required",
                )
            elif not (self.country.is_un_member or self.country.is_observer):
                errors["country"] = ValidationError(
                    _("Only UN member and observer states can post needs."),
                    code="invalid",
                )
        if errors:
            raise ValidationError(errors)
