"""Shared by the models: text limits, the UN languages, timestamps, fresh refs,
and the kinds of relation the models use again and again."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING
from typing import Any
from typing import overload

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

    from matchmaking.models.accounts import User

UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")

# Text limits (docs/data.md): every free-text field has one, checked by
# the model (full_clean), the forms, the API (maxLength in its schema) and the
# dataset import. Titles and names are CharFields of 200 or 300 characters.
# The matching engine reads at most LONG_TEXT characters of a field
# (engine.text.tokens.MAX_ANALYSED_CHARS), so no field can make the index slow.
NOTE_TEXT = 2_000  # notes, reasons, comments, messages
SHORT_TEXT = 5_000  # summaries, abstracts
LONG_TEXT = 10_000  # descriptions, reports, guidance


def limited_text(
    verbose_name: str | Promise, max_length: int, **options: bool
) -> models.TextField:
    """A TextField of at most ``max_length`` characters, checked by full_clean."""
    return models.TextField(
        verbose_name,
        max_length=max_length,
        validators=[MaxLengthValidator(max_length)],
        **options,
    )


def new_ref(prefix: str) -> str:
    """A fresh external reference such as ``need-3f9a1c2b``."""
    return f"{prefix}-{secrets.token_hex(4)}"


def new_need_ref() -> str:
    return new_ref("need")


def new_programme_ref() -> str:
    return new_ref("prog")


def new_provider_ref() -> str:
    return new_ref("prov")


class Timestamped(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


def choice_field(
    verbose_name: str | Promise,
    choices: type[models.TextChoices],
    *,
    max_length: int = 16,
    **options: Any,
) -> models.CharField[str | int | Combinable, str]:
    """One value of ``choices`` (a status, a kind, a role), stored as its code."""
    return models.CharField(
        verbose_name, max_length=max_length, choices=choices.choices, **options
    )


def language_field(**options: Any) -> models.CharField[str | int | Combinable, str]:
    """A person's preferred language for pages and mail (empty: the site's)."""
    return models.CharField(
        _("preferred language"),
        max_length=8,
        blank=True,
        default="",
        choices=settings.LANGUAGES,
        **options,
    )


# Relations. Most links of the models are of a few kinds; these say which, and
# keep the choices that come with the kind (may it be empty, what happens when
# its target goes, is there a way back) the same everywhere. A target given by
# name ("self", settings.AUTH_USER_MODEL) is typed Any, a model class exactly.


@overload
def optional_fk[M: models.Model](
    to: type[M],
    verbose_name: str | Promise | None = ...,
    *,
    on_delete: Any = ...,
    related_name: str = ...,
    **options: Any,
) -> models.ForeignKey[M | Combinable | None, M | None]: ...
@overload
def optional_fk(
    to: str,
    verbose_name: str | Promise | None = ...,
    *,
    on_delete: Any = ...,
    related_name: str = ...,
    **options: Any,
) -> models.ForeignKey[Any, Any]: ...
def optional_fk(
    to: Any,
    verbose_name: str | Promise | None = None,
    *,
    on_delete: Any = models.SET_NULL,
    related_name: str = "+",
    **options: Any,
) -> models.ForeignKey[Any, Any]:
    """A link that may be empty; emptied when its target is deleted unless
    ``on_delete`` says otherwise; no way back from the target unless named
    (no ``verbose_name``: bookkeeping no page shows)."""
    return models.ForeignKey(
        to,
        on_delete=on_delete,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
        **options,
    )


def user_fk(
    verbose_name: str | Promise | None = None, **options: Any
) -> models.ForeignKey[User | Combinable | None, User | None]:
    """The person who did something to the row (decided, published, wrote it):
    may be unknown, and forgotten when their account is deleted."""
    return optional_fk(settings.AUTH_USER_MODEL, verbose_name, **options)


def tags[M: models.Model](
    to: type[M], verbose_name: str | Promise, *, blank: bool = True, **options: Any
) -> models.ManyToManyField[M, Any]:
    """A set of entries of a vocabulary or reference table (no way back)."""
    return models.ManyToManyField(
        to, blank=blank, related_name="+", verbose_name=verbose_name, **options
    )


@overload
def parent_fk[M: models.Model](
    to: type[M],
    related_name: str,
    verbose_name: str | Promise,
    *,
    one: bool = ...,
    **options: Any,
) -> models.ForeignKey[M | Combinable, M]: ...
@overload
def parent_fk(
    to: str,
    related_name: str,
    verbose_name: str | Promise,
    *,
    one: bool = ...,
    **options: Any,
) -> models.ForeignKey[Any, Any]: ...
def parent_fk(
    to: Any,
    related_name: str,
    verbose_name: str | Promise,
    *,
    one: bool = False,
    **options: Any,
) -> models.ForeignKey[Any, Any]:
    """The row this one is part of: required, deleted with it, and listed on it
    as ``related_name`` (one=True: it has at most one such row)."""
    field = models.OneToOneField if one else models.ForeignKey
    return field(
        to,
        on_delete=models.CASCADE,
        related_name=related_name,
        verbose_name=verbose_name,
        **options,
    )


def protected_fk[M: models.Model](
    to: type[M], verbose_name: str | Promise, *, related_name: str = "+", **options: Any
) -> models.ForeignKey[M | Combinable, M]:
    """A required link whose target cannot be deleted while this row needs it."""
    return models.ForeignKey(
        to,
        on_delete=models.PROTECT,
        related_name=related_name,
        verbose_name=verbose_name,
        **options,
    )


def in_order(
    start: str,
    end: str,
    *,
    name: str,
    message: str | Promise | None = None,
    same_ok: bool = False,
    open_ok: bool = False,
) -> models.CheckConstraint:
    """The database's "dates in order" rule: ``end`` comes after ``start`` (or
    on it, with ``same_ok``); with ``open_ok`` an empty start or end passes."""
    condition = Q(**{f"{end}__{'gte' if same_ok else 'gt'}": F(start)})
    if open_ok:
        condition = (
            Q(**{f"{start}__isnull": True}) | Q(**{f"{end}__isnull": True}) | condition
        )
    return models.CheckConstraint(
        condition=condition, name=name, violation_error_message=message
    )
