"""The gap advisor on built worlds where the one change that unlocks a need is known."""

from __future__ import annotations

from datetime import date

import pytest

from matchmaking.engine import build_index
from matchmaking.engine.advisor import Advice
from matchmaking.engine.advisor import advise
from matchmaking.engine.advisor import apply_change
from tests.matchmaking.engine.test_matching import THEMES
from tests.matchmaking.engine.test_matching import TODAY
from tests.matchmaking.engine.test_matching import need
from tests.matchmaking.engine.test_matching import programme

SEN = need()  # Senegal (LDC, Africa), French, CSIRT establishment, in person


@pytest.mark.parametrize(
    ("changed", "kind", "value"),
    [
        ({"regions": frozenset({"142"})}, "countries", "SEN"),
        ({"ldc_only": False, "sids_only": True}, "lift_sids_only", ""),
        ({"languages": frozenset({"en"})}, "language", "fr"),
        ({"ends_on": date(2026, 1, 31)}, "end_date", TODAY.isoformat()),
        ({"capacity": 2, "capacity_used": 2}, "places", "3"),
        (
            {  # only a theme, another audience and type: short by the delivery mode
                "delivery_modes": frozenset({"online"}),
                "topics": frozenset({"incident-response"}),
                "audiences": frozenset({"policymakers"}),
                "assistance_types": frozenset({"policy-advice"}),
            },
            "delivery_mode",
            "in-person",
        ),
    ],
)
def test_the_one_change_that_unlocks_a_need_is_found_and_checked(changed, kind, value):
    closed = programme(key="closed", **changed)
    index = build_index([closed], topic_themes=THEMES)
    assert index.rank_need(SEN, today=TODAY).unmet is not None
    advice = advise(index, [SEN], today=TODAY)
    assert advice == (Advice("closed", kind, value, ("sen-csirt",), 1.0),)
    # Re-run the engine with the change made: the need is served.
    opened = build_index([apply_change(closed, kind, value)], topic_themes=THEMES)
    result = opened.rank_need(SEN, today=TODAY)
    assert (result.unmet, [m.programme for m in result.matches]) == (None, ["closed"])


def test_no_delivery_mode_is_advised_for_a_programme_of_materials_tools_or_money():
    # A toolkit offered online serves an in-person need as it is: its
    # delivery mode is not what keeps it from the need, so no change to it is
    # advised, and it scores as if it shared the need's mode.
    kit = programme(
        key="kit",
        delivery_modes=frozenset({"online"}),
        assistance_types=frozenset({"knowledge-products", "tools-equipment"}),
    )
    course = programme(key="course", delivery_modes=frozenset({"online"}))
    index = build_index([kit, course], topic_themes=THEMES)
    result = index.rank_need(SEN, today=TODAY)
    delivery = {m.programme: m.components.delivery for m in result.matches}
    assert delivery == {"kit": 1.0, "course": 0.0}
    # The course taught online is advised to add in-person sessions; the kit is not.
    assert advise(index, [SEN], today=TODAY) == (
        Advice("course", "delivery_mode", "in-person", ("sen-csirt",), 1.0),
    )


def test_advice_pools_needs_and_ranks_by_weight():
    mali = need(key="mli-csirt", country="MLI")
    niger = need(key="ner-csirt", country="NER")
    asia = programme(key="asia", regions=frozenset({"142"}))
    english = programme(key="english", languages=frozenset({"en"}))
    off_topic = programme(  # would not serve them even if open
        key="schools",
        regions=frozenset({"142"}),
        topics=frozenset({"awareness"}),
        assistance_types=frozenset({"knowledge-products"}),
        audiences=frozenset({"general-public"}),
        title="Awareness campaigns for schools",
        summary="Posters and games on online safety.",
        description="Cyber hygiene for children and parents.",
    )
    index = build_index([asia, english, off_topic], topic_themes=THEMES)
    weights = {"sen-csirt": 1.5, "mli-csirt": 1.5, "ner-csirt": 1.0}
    advice = advise(index, [SEN, mali, niger], today=TODAY, weights=weights)
    assert advice == (
        Advice(
            "asia",
            "countries",
            "MLI,NER,SEN",
            ("mli-csirt", "ner-csirt", "sen-csirt"),
            4.0,
        ),
        Advice(
            "english", "language", "fr", ("mli-csirt", "ner-csirt", "sen-csirt"), 4.0
        ),
    )
    only = advise(index, [SEN], today=TODAY, programmes={"english"})
    assert only == (Advice("english", "language", "fr", ("sen-csirt",), 1.0),)
