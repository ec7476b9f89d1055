"""How each person wants to hear about each category, and the one-click way out."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from matchmaking.models import DEFAULT_MAIL_MODES
from matchmaking.models import Category
from matchmaking.models import MailMode
from matchmaking.models import NotificationPreference
from matchmaking.models import Profile
from matchmaking.models import User

_UNSUBSCRIBE_SALT = "matchmaking.notifications.unsubscribe"


def mail_modes(*, user: User) -> dict[str, str]:
    """Every category's mail mode for the user (defaults filled in)."""
    modes = dict(DEFAULT_MAIL_MODES)
    modes.update(
        NotificationPreference.objects.filter(user=user).values_list("category", "mode")
    )
    return modes


def mail_modes_for(*, users: Iterable[User], category: str) -> dict[int, str]:
    """One category's mode for many users, in one query."""
    ids = [u.pk for u in users]
    chosen = dict(
        NotificationPreference.objects.filter(
            user_id__in=ids, category=category
        ).values_list("user_id", "mode")
    )
    default = DEFAULT_MAIL_MODES[category]
    return {pk: chosen.get(pk, default) for pk in ids}


@transaction.atomic
def set_mail_modes(*, user: User, modes: Mapping[str, str]) -> dict[str, str]:
    """Store the user's choices; an unknown category or mode names the field."""
    errors = {}
    for category, mode in modes.items():
        if category not in Category.values:
            errors[category] = _("Unknown category.")
        elif mode not in MailMode.values:
            errors[category] = _("Choose one of: %(modes)s.") % {
                "modes": ", ".join(MailMode.values)
            }
    if errors:
        raise ValidationError(errors)
    for category, mode in modes.items():
        NotificationPreference.objects.update_or_create(
            user=user, category=category, defaults={"mode": mode}
        )
    return mail_modes(user=user)


def profile_of(user: User) -> Profile:
    """The user's profile (phone, time zone), unsaved defaults when none yet."""
    return Profile.objects.filter(user=user).first() or Profile(user=user)


@transaction.atomic
def update_profile(
    *, user: User, phone: str | None = None, time_zone: str | None = None
) -> Profile:
    """Change the phone shown to introduced partners or the time zone of digests."""
    profile = Profile.objects.select_for_update().filter(user=user).first()
    profile = profile or Profile(user=user)
    if phone is not None:
        profile.phone = phone.strip()
    if time_zone is not None:
        profile.time_zone = time_zone  # full_clean names the field when unknown
    profile.full_clean(exclude=["user"])
    profile.save()
    return profile


def unsubscribe_token(*, user: User, category: str) -> str:
    """A signed token that turns one category's mail off for one user."""
    return signing.dumps({"u": user.pk, "c": category}, salt=_UNSUBSCRIBE_SALT)


def read_unsubscribe_token(*, token: str) -> tuple[User, str] | None:
    """The user and category a token names (None: a bad or forged token)."""
    try:
        data = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    user = User.objects.filter(pk=data.get("u")).first()
    category = data.get("c")
    if user is None or category not in Category.values:
        return None
    return user, category


def unsubscribe(*, token: str) -> tuple[User, str] | None:
    """Turn off the category the token names (None: a bad or forged token)."""
    found = read_unsubscribe_token(token=token)
    if found is not None:
        set_mail_modes(user=found[0], modes={found[1]: MailMode.NEVER})
    return found
