"""Owners' translations of the title and summary of needs, programmes, pitches."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from matchmaking.models.base import SHORT_TEXT
from matchmaking.models.base import Timestamped
from matchmaking.models.base import limited_text
from matchmaking.models.base import protected_fk
from matchmaking.models.base import user_fk
from matchmaking.models.reference import Language
from matchmaking.models.search import refresh_translated


class ContentTranslation(Timestamped):
    """The owner's translation of a need's, programme's or pitch's title and summary.

    One per object and language, never in the object's own content language
    (``matchmaking.translations`` enforces it); the matching engine reads the
    translations' text too.
    """

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField()
    content_object = GenericForeignKey("content_type", "object_id")
    language = protected_fk(Language, _("language"))
    title = models.CharField(_("title"), max_length=300)
    summary = limited_text(_("summary"), SHORT_TEXT, blank=True)
    created_by = user_fk(_("added by"))

    class Meta:
        ordering = ["language_id", "id"]
        verbose_name = _("translation")
        verbose_name_plural = _("translations")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "language"],
                name="content_translation_one_per_language",
                violation_error_message=_(
                    "There is already a translation in this language."
                ),
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.language_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        # The record's stored search vector holds its translations' text too.
        refresh_translated(self.content_type_id, self.object_id)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        deleted = super().delete(*args, **kwargs)
        refresh_translated(self.content_type_id, self.object_id)
        return deleted
