"""What the task worker's engine derives besides suggestions, stored for pages.

Web processes never build a matching index: near misses and the gap advisor's
checked changes are computed by the task worker (``matchmaking/derived.py``)
whenever suggestions are refreshed, and pages and the API read these rows,
filtered by what the reader may see.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from matchmaking.models.base import parent_fk
from matchmaking.models.records import Need
from matchmaking.models.records import Programme


class NearMiss(models.Model):
    """A programme one hard rule away from serving an active need."""

    need = parent_fk(Need, "near_misses", _("need"))
    programme = parent_fk(Programme, "+", _("programme"))
    rank = models.PositiveSmallIntegerField(_("rank"))
    score = models.FloatField(_("score"))
    rule = models.CharField(_("rule"), max_length=32)
    # The engine's reason (code and params), rendered in the reader's language.
    reason = models.JSONField(_("reason"), default=dict)

    class Meta:
        ordering = ["need", "rank"]
        verbose_name = _("near miss")
        verbose_name_plural = _("near misses")
        constraints = [
            models.UniqueConstraint(
                fields=["need", "programme"], name="near_miss_unique_pair"
            )
        ]

    def __str__(self) -> str:
        return f"{self.need_id} ~ {self.programme_id} ({self.rule})"


class SuggestedChange(models.Model):
    """One unmet need a change to a programme would serve (the gap advisor).

    One row per need: a page pools the rows of the needs its reader may see
    into one piece of advice per change, as ``engine.advise`` would over those
    needs (``value``: a language or delivery mode; the need's country for
    ``countries``; the places used when computed for ``places``).
    """

    programme = parent_fk(Programme, "+", _("programme"))
    need = parent_fk(Need, "+", _("need"))
    kind = models.CharField(_("kind"), max_length=16)
    value = models.CharField(_("value"), max_length=32, blank=True)

    class Meta:
        ordering = ["programme", "kind", "value", "need"]
        verbose_name = _("suggested change")
        verbose_name_plural = _("suggested changes")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "kind", "value", "need"],
                name="suggested_change_unique",
            )
        ]
        indexes = [models.Index(fields=["need"], name="suggested_change_need_idx")]

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.kind} {self.value} -> {self.need_id}"


class AllocationSlate(models.Model):
    """A capacity-aware slate asked for by a curator, computed by the task worker.

    ``computed_at`` is empty while the worker has not run it; ``pairs`` holds
    ``[need id, programme id, score]`` triples, best first.
    """

    fairness = models.BooleanField(_("favour LDCs and SIDS"), default=False)
    need_limit = models.PositiveSmallIntegerField(_("programmes per need"), default=1)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    pairs = models.JSONField(_("pairs"), default=list, blank=True)
    total_score = models.FloatField(_("total relevance"), default=0.0)
    needs_considered = models.PositiveIntegerField(_("needs considered"), default=0)
    needs_served = models.PositiveIntegerField(_("needs served"), default=0)
    seconds_candidates = models.FloatField(_("seconds ranking"), default=0.0)
    seconds_solve = models.FloatField(_("seconds solving"), default=0.0)
    status = models.CharField(_("solver status"), max_length=32, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("allocation slate")
        verbose_name_plural = _("allocation slates")

    def __str__(self) -> str:
        return f"slate {self.pk} ({self.requested_at:%Y-%m-%d %H:%M})"


class TextAnalysis(models.Model):
    """The engine's analysis of one record's text, kept by a digest of the text.

    The costliest part of encoding a record, and a function of its text and the
    lexicon alone: a new task worker reads these instead of analysing every
    record again (``suggestions.py``). Bookkeeping, not shown anywhere: no
    verbose names to translate.
    """

    # sha256 of the lexicon's fingerprint and the (title, summary,
    # description) analysed, in hex: an edited text or a new lexicon gets a
    # new row, and a full rematch deletes the rows no record uses any more.
    digest = models.CharField(max_length=64, primary_key=True)
    # TextProfile.to_dict() as JSON text (decoded in Python: cheaper to read
    # and write by the thousand than jsonb, and never queried inside).
    profile = models.TextField()

    def __str__(self) -> str:
        return self.digest
