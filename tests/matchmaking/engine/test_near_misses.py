"""Near misses: programmes one hard rule away from serving a need."""

from __future__ import annotations

from datetime import date

from matchmaking.engine import Reason
from matchmaking.engine import build_index
from matchmaking.engine import near_misses
from matchmaking.engine import near_misses_many
from tests.matchmaking.engine.test_matching import THEMES
from tests.matchmaking.engine.test_matching import TODAY
from tests.matchmaking.engine.test_matching import need
from tests.matchmaking.engine.test_matching import programme


def test_near_misses_name_the_one_rule_that_excluded_each_programme():
    ended = date(2026, 5, 31)
    programmes = [
        programme(key="open"),  # eligible: a suggestion, not a near miss
        programme(key="ended", ends_on=ended),
        programme(key="asia-only", regions=frozenset({"142"})),
        programme(key="english-only", languages=frozenset({"en"})),
        # Two rules: not narrowly missed.
        programme(
            key="asia-english", regions=frozenset({"142"}), languages=frozenset({"en"})
        ),
        programme(key="draft", is_published=False),  # nobody's suggestion
        programme(  # one rule, but it would not suit the need anyway
            key="off-topic",
            ends_on=ended,
            topics=frozenset({"awareness"}),
            assistance_types=frozenset({"knowledge-products"}),
            audiences=frozenset({"general-public"}),
            title="Awareness campaigns for schools",
            summary="Posters and games on online safety.",
            description="Cyber hygiene for children and parents.",
        ),
    ]
    index = build_index(programmes, topic_themes=THEMES)
    found = near_misses(index, need(), today=TODAY, top=5)
    # Same text and tags: equal scores, so the key decides the order.
    assert [(m.programme, m.rule) for m in found] == [
        ("asia-only", "geography"),
        ("ended", "ended"),
        ("english-only", "language"),
    ]
    assert [m.reason for m in found] == [
        Reason("not_in_area", {"country": "SEN"}),
        Reason("ended", {"ends_on": "2026-05-31"}),
        Reason("no_shared_language", {"languages": ("fr",)}),
    ]
    assert near_misses(index, need(), today=TODAY, top=1)[0].programme == "asia-only"


def test_a_need_with_nothing_nearly_open_has_no_near_misses():
    index = build_index([programme()], topic_themes=THEMES)
    assert near_misses(index, need(), today=TODAY) == ()


def test_near_misses_of_many_needs_equal_each_needs_own():
    ended = date(2026, 5, 31)
    programmes = [
        programme(key="open"),
        programme(key="ended", ends_on=ended),
        programme(key="asia-only", regions=frozenset({"142"})),
        programme(key="english-only", languages=frozenset({"en"})),
        programme(key="ldc-only", ldc_only=True),
        programme(key="draft", is_published=False),
    ]
    index = build_index(programmes, topic_themes=THEMES)
    needs = [
        need(key="sen"),
        need(key="english", languages=frozenset({"en"})),
        need(key="thai", country="THA", country_regions=frozenset({"142", "035"})),
    ]
    batch = index.encode_needs(needs)
    many = near_misses_many(index, batch, today=TODAY, top=2)
    for one in needs:
        assert many.get(one.key, ()) == near_misses(index, one, today=TODAY, top=2)
    assert [m.programme for m in many["sen"]] == ["asia-only", "ended"]
