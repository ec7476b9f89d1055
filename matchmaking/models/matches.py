"""Matches of a programme to a need and the steps of their follow-up."""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from matchmaking.enums import DeclineCode
from matchmaking.enums import DeliveryOutcome
from matchmaking.enums import MatchOrigin
from matchmaking.enums import MatchStatus
from matchmaking.models.base import NOTE_TEXT
from matchmaking.models.base import SHORT_TEXT
from matchmaking.models.base import Timestamped
from matchmaking.models.base import choice_field
from matchmaking.models.base import limited_text
from matchmaking.models.base import parent_fk
from matchmaking.models.base import user_fk
from matchmaking.models.records import Need
from matchmaking.models.records import Programme


class Match(Timestamped):
    """A programme proposed for a need (by engine or curator) and its follow-up."""

    need = parent_fk(Need, "matches", _("need"))
    programme = parent_fk(Programme, "matches", _("programme"))
    score = models.FloatField(_("score"), default=0.0)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)
    components = models.JSONField(_("score components"), default=dict, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    status = choice_field(_("status"), MatchStatus, default=MatchStatus.SUGGESTED)
    origin = choice_field(_("origin"), MatchOrigin, default=MatchOrigin.ENGINE)
    note = limited_text(_("curator's note"), NOTE_TEXT, blank=True)
    decline_reason = limited_text(_("reason for declining"), NOTE_TEXT, blank=True)
    decline_code = choice_field(
        _("kind of reason for declining"),
        DeclineCode,
        blank=True,
        default=DeclineCode.NONE,
    )
    feedback_rating = models.PositiveSmallIntegerField(
        _("rating"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    feedback_outcome = choice_field(_("outcome"), DeliveryOutcome, blank=True)
    feedback_comments = limited_text(_("comments"), SHORT_TEXT, blank=True)
    created_by = user_fk(_("created by"))
    # Every human step (interest, introduction, agreement ...) is recorded.
    # Engine suggestions are written in bulk (matchmaking/suggestions.py) and
    # get no per-row history: see docs/operations.md. components and reasons
    # are the engine's explanation, rewritten on every rematch.
    history = HistoricalRecords(excluded_fields=["components", "reasons"])

    class Meta:
        ordering = ["need", "rank", "-score", "programme_id"]
        verbose_name = _("match")
        verbose_name_plural = _("matches")
        constraints = [
            models.UniqueConstraint(
                fields=["need", "programme"], name="match_unique_need_programme"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=1),
                name="match_score_in_unit_interval",
            ),
            models.CheckConstraint(
                condition=Q(feedback_rating__isnull=True)
                | (Q(feedback_rating__gte=1) & Q(feedback_rating__lte=5)),
                name="match_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "status"]),
            # The match board: latest first, overall and by status.
            models.Index(fields=["-updated_at", "id"], name="match_latest_idx"),
            models.Index(
                fields=["status", "-updated_at", "id"], name="match_status_latest_idx"
            ),
            # Gap statistics: a need's live matches and the needs of the match
            # history read from the index alone (not the wide match rows).
            models.Index(fields=["need", "status", "id"], name="match_need_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.need} ↔ {self.programme}"


class MatchEvent(models.Model):
    """One step in a match's history."""

    match = parent_fk(Match, "events", _("match"))
    from_status = choice_field(_("from"), MatchStatus, blank=True)
    to_status = choice_field(_("to"), MatchStatus)
    actor = user_fk(_("by"))
    note = limited_text(_("note"), NOTE_TEXT, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["match", "at", "id"]
        verbose_name = _("match event")
        verbose_name_plural = _("match history")

    def __str__(self) -> str:
        return f"{self.match_id}: {self.from_status or '-'} → {self.to_status}"
