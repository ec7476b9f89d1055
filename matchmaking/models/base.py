"""Shared by the models: text limits, the UN languages, timestamps, fresh refs."""

from __future__ import annotations

import secrets

from django.core.validators import (
    MaxLengthValidator,
)
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")

# Text limits (README "Text limits"): every free-text field has one, checked by
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
