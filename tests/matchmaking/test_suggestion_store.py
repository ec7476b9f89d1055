"""Storing rankings: one merge on PostgreSQL, the portable path elsewhere, same rows.

Both paths must leave acted-on matches and curators' proposals untouched,
remove the engine suggestions that left a need's top, insert and update the
rest, and announce only the new suggestions good enough to tell about.
"""

from __future__ import annotations

import pytest
from django.db import connection

from matchmaking import engine
from matchmaking import suggestion_store
from matchmaking.enums import MatchOrigin
from matchmaking.enums import MatchStatus
from matchmaking.models import EventKind
from matchmaking.models import Match
from matchmaking.models import OutboxEvent
from tests.factories import MatchFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db

COMPONENTS = engine.Components(
    topic=1.0, text=0.5, audience=None, assistance=None, delivery=None
)


def _result(need: str, *ranked: tuple[str, float]) -> engine.NeedResult:
    reasons = (engine.Reason("language", {"languages": ("fr",)}),)
    return engine.NeedResult(
        need=need,
        matches=tuple(
            engine.Match(need, ref, score, COMPONENTS, reasons) for ref, score in ranked
        ),
    )


@pytest.fixture
def stored():
    """Need N with engine suggestions of A and B, interest in C, a proposal of D."""
    need = NeedFactory(ref="n")
    programmes = {ref: ProgrammeFactory(ref=ref) for ref in "abcde"}
    for ref, status, origin in (
        ("a", MatchStatus.SUGGESTED, MatchOrigin.ENGINE),
        ("b", MatchStatus.SUGGESTED, MatchOrigin.ENGINE),
        ("c", MatchStatus.INTEREST, MatchOrigin.ENGINE),
        ("d", MatchStatus.SUGGESTED, MatchOrigin.CURATOR),
    ):
        MatchFactory(
            need=need,
            programme=programmes[ref],
            status=status,
            origin=origin,
            score=0.1,
            rank=None,
        )
    return need, {ref: p.pk for ref, p in programmes.items()}


def _store(need, ids, *ranked):
    return suggestion_store.persist_results(
        [_result("n", *ranked)], need_ids={"n": need.pk}, programme_ids=ids
    )


def _rows(need):
    return sorted(
        Match.objects.filter(need=need).values_list(
            "programme__ref", "status", "origin", "rank", "score"
        )
    )


def _check_merge(stored) -> None:
    need, ids = stored
    # New top: E first, C (acted on), A; B left the top; D is a proposal.
    written = _store(need, ids, ("e", 0.9), ("c", 0.8), ("a", 0.7), ("d", 0.6))
    assert written == 2  # E inserted, A updated; C and D untouched
    assert _rows(need) == [
        ("a", "suggested", "engine", 3, 0.7),
        ("c", "interest", "engine", None, 0.1),
        ("d", "suggested", "curator", None, 0.1),
        ("e", "suggested", "engine", 1, 0.9),
    ]
    new = OutboxEvent.objects.filter(kind=EventKind.SUGGESTION_NEW)
    e = Match.objects.get(need=need, programme__ref="e")
    assert list(new.values_list("subject_id", flat=True)) == [e.pk]
    # The same ranking again: updated in place, nothing new to announce.
    assert _store(need, ids, ("e", 0.9), ("c", 0.8), ("a", 0.7)) == 2
    assert new.count() == 1
    assert Match.objects.get(pk=e.pk).reasons == [
        {"code": "language", "params": {"languages": ["fr"]}}
    ]


def test_storing_a_ranking_merges_it_and_leaves_acted_on_matches(stored):
    _check_merge(stored)


@pytest.mark.postgres
def test_the_postgresql_merge_is_one_statement_with_the_same_result(
    stored, django_assert_max_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    need, ids = stored
    # A need's few rows go with the merge as arrays (one statement); then the
    # need's unmet flag (its check, its update) and the announcements.
    with django_assert_max_num_queries(8):
        _store(need, ids, ("b", 0.5))
    assert [r[0] for r in _rows(need)] == ["b", "c", "d"]


@pytest.mark.postgres
def test_the_postgresql_merge_through_its_staging_table_has_the_same_result(
    stored, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    # More rows than go with the statement: copied into a temporary table.
    monkeypatch.setattr(suggestion_store, "_INLINE_ROWS", 0)
    _check_merge(stored)
