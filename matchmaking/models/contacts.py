"""People's contact details and the introductions that reveal them."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from matchmaking.models.matches import Match


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("Unknown time zone %(zone)s."), params={"zone": value}, code="time_zone"
        )


class Profile(models.Model):
    """What a person adds to their account: a phone number, a time zone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    phone = models.CharField(
        _("phone"),
        max_length=40,
        blank=True,
        help_text=_("Shown to the other side of a match once you are introduced."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="UTC", validators=[validate_time_zone]
    )

    def __str__(self) -> str:
        return f"{self.user_id}"


class Introduction(models.Model):
    """Who introduces each side of a match to the other (made at "introduced")."""

    match = models.OneToOneField(
        Match, on_delete=models.CASCADE, related_name="introduction"
    )
    state_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    provider_contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"introduction of match {self.match_id}"
