"""The pure matching engine: no database, no clock, no network."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaking import matching
from matchmaking.matching import (
    Labels,
    NeedProfile,
    ProgrammeProfile,
    Reason,
    allocate,
    build_index,
    eligibility,
    fairness_weights,
    naive_rank_all,
    render_reason,
    why_not,
)

TODAY = date(2026, 6, 1)
THEMES = {
    "csirt-establishment": "incident",
    "incident-response": "incident",
    "cyber-exercises": "incident",
    "digital-forensics": "cybercrime",
    "law-enforcement": "cybercrime",
    "national-strategy": "policy",
    "awareness": "skills",
}
LABELS = Labels(
    topics={
        "csirt-establishment": "Establishing national CSIRTs",
        "incident-response": "Incident response",
    },
    themes={"incident": "Incident management"},
    languages={"fr": "French", "en": "English"},
    regions={"002": "Africa", "011": "Western Africa"},
    countries={"SEN": "Senegal", "FRA": "France"},
    delivery_modes={"in-person": "in person"},
)


def need(**kwargs) -> NeedProfile:
    base = {
        "key": "sen-csirt",
        "country": "SEN",
        "languages": frozenset({"fr"}),
        "country_regions": frozenset({"002", "202", "011"}),
        "is_ldc": True,
        "is_sids": False,
        "topics": frozenset({"csirt-establishment"}),
        "assistance_types": frozenset({"training"}),
        "audiences": frozenset({"csirt-staff"}),
        "delivery_modes": frozenset({"in-person"}),
        "title": "Mise en place du CSIRT national",
        "description": "Créer l'équipe nationale de réponse aux incidents "
        "informatiques et former ses analystes.",
    }
    base.update(kwargs)
    return NeedProfile(**base)


def programme(**kwargs) -> ProgrammeProfile:
    base = {
        "key": "cirt",
        "languages": frozenset({"en", "fr"}),
        "topics": frozenset({"csirt-establishment"}),
        "assistance_types": frozenset({"training"}),
        "audiences": frozenset({"csirt-staff"}),
        "delivery_modes": frozenset({"in-person"}),
        "title": "National CSIRT establishment",
        "summary": "Helps a country set up its computer incident response team.",
        "description": "Readiness assessment, incident handling procedures and "
        "training of the first analysts of the national CSIRT.",
    }
    base.update(kwargs)
    return ProgrammeProfile(**base)


def failed(n: NeedProfile, p: ProgrammeProfile) -> tuple[str, ...]:
    return eligibility(n, p, today=TODAY).failed


# -- eligibility: each hard rule ---------------------------------------------


def test_worldwide_programme_is_open_to_any_country():
    result = eligibility(need(), programme(), today=TODAY)
    assert result.eligible
    assert result.scope == "worldwide"


def test_programme_listing_the_country_is_eligible():
    result = eligibility(need(), programme(countries=frozenset({"SEN"})), today=TODAY)
    assert (result.failed, result.scope) == ((), "country")


@pytest.mark.parametrize(
    ("code", "level"),
    [("002", "region"), ("202", "sub-region"), ("011", "intermediate region")],
)
def test_programme_listing_a_grouping_of_the_country_is_eligible(code, level):
    result = eligibility(need(), programme(regions=frozenset({code})), today=TODAY)
    assert (result.failed, result.scope, result.region) == ((), "region", code), level


def test_programme_for_other_places_fails_geography():
    p = programme(regions=frozenset({"419"}), countries=frozenset({"FRA"}))
    assert failed(need(), p) == ("geography",)


def test_ldc_only_programme_needs_a_least_developed_country():
    p = programme(ldc_only=True)
    assert failed(need(is_ldc=True), p) == ()
    assert failed(need(is_ldc=False), p) == ("ldc_only",)


def test_sids_only_programme_needs_a_small_island_state():
    p = programme(sids_only=True)
    assert failed(need(is_sids=True), p) == ()
    assert failed(need(is_sids=False), p) == ("sids_only",)


def test_programme_without_a_shared_language_is_ineligible():
    assert failed(need(), programme(languages=frozenset({"en"}))) == ("language",)


def test_programme_that_ended_before_today_is_ineligible():
    assert failed(need(), programme(ends_on=date(2026, 5, 31))) == ("ended",)
    assert failed(need(), programme(ends_on=TODAY)) == ()


def test_unpublished_programme_is_ineligible():
    assert failed(need(), programme(is_published=False)) == ("unpublished",)


def test_programme_with_no_capacity_left_is_ineligible():
    assert failed(need(), programme(capacity=3, capacity_used=3)) == ("capacity_full",)
    assert failed(need(), programme(capacity=3, capacity_used=2)) == ()
    assert failed(need(), programme(capacity=None, capacity_used=99)) == ()


def test_every_failed_rule_is_reported_and_explained():
    p = programme(
        countries=frozenset({"FRA"}),
        languages=frozenset({"en"}),
        sids_only=True,
        is_published=False,
        ends_on=date(2025, 1, 1),
    )
    assert failed(need(), p) == (
        "geography",
        "sids_only",
        "language",
        "ended",
        "unpublished",
    )
    texts = [render_reason(r, LABELS) for r in why_not(need(), p, today=TODAY)]
    assert texts == [
        "Not open to Senegal",
        "Reserved for small island developing states",
        "Not offered in French",
        "Ended on 2025-01-01",
        "Not published",
    ]


# -- relevance components ----------------------------------------------------


def components(n: NeedProfile, p: ProgrammeProfile) -> matching.Components:
    index = build_index([p], topic_themes=THEMES)
    return matching.score_components(
        index.need_features(n), index.features[0], topic_themes=THEMES
    )


def test_same_topic_scores_higher_than_same_theme_which_beats_nothing():
    n = need(title="", description="")
    exact = components(n, programme(topics=frozenset({"csirt-establishment"})))
    theme = components(n, programme(topics=frozenset({"incident-response"})))
    other = components(n, programme(topics=frozenset({"awareness"})))
    assert exact.topic == pytest.approx(1.0)
    assert theme.topic == pytest.approx(0.5)
    assert other.topic == pytest.approx(0.0)


def test_assistance_and_audience_are_the_share_of_the_need_covered():
    n = need(
        assistance_types=frozenset({"training", "mentoring"}),
        audiences=frozenset({"csirt-staff", "policymakers"}),
    )
    c = components(n, programme(audiences=frozenset({"csirt-staff", "women"})))
    assert (c.assistance, c.audience) == (0.5, 0.5)


@pytest.mark.parametrize(
    ("wanted", "offered", "expected"),
    [
        ({"in-person"}, {"in-person", "online"}, 1.0),
        ({"in-person"}, {"hybrid"}, 0.5),
        ({"hybrid"}, {"online"}, 0.5),
        ({"in-person"}, {"online"}, 0.0),
    ],
)
def test_delivery_mode_component(wanted, offered, expected):
    n = need(delivery_modes=frozenset(wanted))
    assert components(n, programme(delivery_modes=frozenset(offered))).delivery == (
        expected
    )


def test_text_relevance_works_across_languages():
    french = need(topics=frozenset(), assistance_types=frozenset())
    csirt = programme(key="csirt")
    forensics = programme(
        key="forensics",
        title="Digital forensics laboratory",
        summary="Equips police with forensic tools.",
        description="Training investigators to handle electronic evidence.",
    )
    index = build_index([csirt, forensics], topic_themes=THEMES)
    nf = index.need_features(french)
    text = [
        matching.score_components(nf, f, topic_themes=THEMES).text
        for f in index.features
    ]
    assert text[0] > 0.5 > text[1]
    assert "csirt-establishment" in nf.topics  # implied by the French text


def test_components_and_total_stay_in_unit_interval_and_skip_missing_data():
    n = need(assistance_types=frozenset(), audiences=frozenset())
    c = components(n, programme())
    assert c.assistance is None or 0 <= c.assistance <= 1
    total = c.total(matching.Weights())
    assert 0.0 <= total <= 1.0
    only_topic = matching.Components(1.0, None, None, None, None)
    assert only_topic.total(matching.Weights()) == 1.0


# -- ranking, explanations, determinism ----------------------------------------


def test_ranking_puts_the_relevant_programme_first_with_reasons():
    programmes = [
        programme(key="cirt", regions=frozenset({"002"}), ldc_only=True),
        programme(
            key="forensics",
            topics=frozenset({"digital-forensics"}),
            title="Digital forensics laboratory",
            summary="Equips police with forensic tools.",
            description="Electronic evidence handling for investigators.",
        ),
        programme(key="closed", is_published=False),
    ]
    index = build_index(programmes, topic_themes=THEMES)
    result = index.rank_need(need(), today=TODAY)
    assert [m.programme for m in result.matches] == ["cirt", "forensics"]
    assert result.unmet is None
    texts = [render_reason(r, LABELS) for r in result.matches[0].reasons]
    assert "Both concern establishing national CSIRTs" in texts
    assert "Delivered in French" in texts
    assert "Open to least developed countries in Africa" in texts
    assert "Delivered in person" in texts
    assert all(r.code in matching.REASON_CODES for r in result.matches[0].reasons)


def test_explanations_render_in_plain_english():
    assert render_reason(
        Reason("also_covers", {"topics": ("incident-response",)}), LABELS
    ) == ("Also covers: incident response")
    assert render_reason(
        Reason("same_theme", {"theme": "incident", "topics": ("incident-response",)}),
        LABELS,
    ) == ("Related work under Incident management: incident response")
    assert render_reason(Reason("open_to", {"scope": "worldwide"})) == "Open worldwide"
    assert render_reason(
        Reason("open_to", {"scope": "country", "country": "SEN"}), LABELS
    ) == ("Open to Senegal")
    assert render_reason(Reason("shared_concepts", {"concepts": ("CSIRT",)})) == (
        "Both mention CSIRT"
    )


def test_ties_are_broken_by_programme_key_and_runs_are_deterministic():
    twins = [programme(key=k) for k in ("b-twin", "a-twin", "c-twin")]
    index = build_index(twins, topic_themes=THEMES)
    first = index.rank_need(need(), today=TODAY)
    again = build_index(list(reversed(twins)), topic_themes=THEMES).rank_need(
        need(), today=TODAY
    )
    assert [m.programme for m in first.matches] == ["a-twin", "b-twin", "c-twin"]
    assert first == again
    assert len({m.score for m in first.matches}) == 1


def test_top_needs_ranks_needs_for_a_programme():
    index = build_index([programme(regions=frozenset({"002"}))], topic_themes=THEMES)
    needs = [
        need(key="sen", topics=frozenset({"csirt-establishment"})),
        need(key="tgo", topics=frozenset({"awareness"}), title="", description=""),
        need(key="fra", country="FRA", country_regions=frozenset({"150"})),
    ]
    batch = index.encode_needs(needs)
    matches = index.top_needs("cirt", batch, today=TODAY, top=5)
    assert [m.need for m in matches] == ["sen", "tgo"]
    assert matches[0].score > matches[1].score


def test_unmet_reasons():
    index = build_index(
        [
            programme(
                key="awareness",
                topics=frozenset({"awareness"}),
                title="Awareness campaigns for schools",
                summary="Posters and games on online safety.",
                description="Cyber hygiene for children and parents.",
            ),
            programme(key="english-only", languages=frozenset({"en"})),
        ],
        topic_themes=THEMES,
    )
    assert index.rank_need(need(), today=TODAY).unmet == "none_relevant"
    nowhere = need(key="x", languages=frozenset({"ru"}))
    result = index.rank_need(nowhere, today=TODAY)
    assert (result.matches, result.unmet) == ((), "no_eligible")
    assert render_reason(Reason("no_eligible")) == "No programme is open to this need"


def test_updating_a_programme_changes_the_next_ranking():
    index = build_index(
        [programme(key="a"), programme(key="b", topics=frozenset({"awareness"}))],
        topic_themes=THEMES,
    )
    assert index.rank_need(need(), today=TODAY).matches[0].programme == "a"
    index.upsert_programme(programme(key="a", capacity=1, capacity_used=1))
    assert [m.programme for m in index.rank_need(need(), today=TODAY).matches] == ["b"]
    index.upsert_programme(programme(key="c", topics=frozenset({"iot-security"})))
    keys = [m.programme for m in index.rank_need(need(), today=TODAY).matches]
    assert sorted(keys) == ["b", "c"]


def test_naive_scorer_gives_the_same_rankings_as_the_index():
    programmes = [
        programme(key=f"p{i}", topics=frozenset(t), regions=frozenset(r))
        for i, (t, r) in enumerate(
            [
                ({"csirt-establishment"}, set()),
                ({"incident-response", "awareness"}, {"002"}),
                ({"digital-forensics"}, {"419"}),
                ({"national-strategy"}, set()),
                ({"cyber-exercises"}, {"011"}),
            ]
        )
    ]
    needs = [
        need(key="n1"),
        need(key="n2", topics=frozenset(), audiences=frozenset()),
        need(
            key="n3", delivery_modes=frozenset({"online"}), languages=frozenset({"en"})
        ),
    ]
    # Enough needs for the dense (many rows) path as well as the sparse one.
    needs += [replace(n, key=f"{n.key}-{i}") for i in range(6) for n in needs]
    index = build_index(programmes, topic_themes=THEMES)
    fast = index.rank_needs(needs, today=TODAY, top=3, explain=False)
    assert fast == index.rank_needs(
        needs, today=TODAY, top=3, explain=False, chunk_size=4
    )
    slow = naive_rank_all(needs, programmes, topic_themes=THEMES, today=TODAY, top=3)
    assert [(r.need, r.unmet) for r in fast] == [(r.need, r.unmet) for r in slow]
    for f, s in zip(fast, slow, strict=True):
        assert [(m.programme, m.score) for m in f.matches] == [
            (m.programme, m.score) for m in s.matches
        ]
        for fm, sm in zip(f.matches, s.matches, strict=True):
            for name in ("topic", "text", "audience", "assistance", "delivery"):
                assert getattr(fm.components, name) == pytest.approx(
                    getattr(sm.components, name)
                )


# -- allocation ----------------------------------------------------------------


def test_allocation_respects_capacities_and_need_limits():
    candidates = [
        ("n1", "p1", 0.9),
        ("n1", "p2", 0.8),
        ("n2", "p1", 0.85),
        ("n3", "p1", 0.7),
        ("n3", "p2", 0.6),
    ]
    slate = allocate(candidates, capacity={"p1": 1, "p2": None}, need_limits={"n1": 2})
    pairs = [(a.need, a.programme) for a in slate.assignments]
    # p1 has one place and n1 may take two programmes: n1 gets p1 and p2 (1.7),
    # which beats giving p1 to n2 (0.85 + 0.8); n3 gets p2 (unlimited).
    assert pairs == [("n1", "p1"), ("n1", "p2"), ("n3", "p2")]
    assert slate.total_score == pytest.approx(0.9 + 0.8 + 0.6)
    one_each = allocate(candidates, capacity={"p1": 1, "p2": None})
    assert [(a.need, a.programme) for a in one_each.assignments] == [
        ("n1", "p2"),
        ("n2", "p1"),
        ("n3", "p2"),
    ]
    assert slate.status == "optimal"
    assert slate.solve_seconds >= 0


def test_allocation_maximises_the_total_not_greedy_choices():
    candidates = [("a", "x", 0.9), ("a", "y", 0.8), ("b", "x", 0.85)]
    slate = allocate(candidates, capacity={"x": 1, "y": 1})
    assert [(s.need, s.programme) for s in slate.assignments] == [
        ("a", "y"),
        ("b", "x"),
    ]


def test_fairness_weights_favour_ldc_and_sids_needs():
    rich = need(key="rich", is_ldc=False, is_sids=False)
    poor = need(key="poor", is_ldc=True, is_sids=False)
    candidates = [("rich", "p", 0.8), ("poor", "p", 0.7)]
    plain = allocate(candidates, capacity={"p": 1})
    fair = allocate(
        candidates, capacity={"p": 1}, weights=fairness_weights([rich, poor])
    )
    assert [a.need for a in plain.assignments] == ["rich"]
    assert [a.need for a in fair.assignments] == ["poor"]
    assert fair.assignments[0].value == pytest.approx(0.7 * matching.LDC_WEIGHT)


def test_allocation_skips_full_programmes_and_handles_empty_input():
    slate = allocate([("a", "p", 0.5)], capacity={"p": 0})
    assert (slate.assignments, slate.total_score) == ((), 0.0)


# -- properties ------------------------------------------------------------------

REGIONS = ["002", "011", "150", "419"]
LANGS = ["en", "fr", "es"]
TOPICS = sorted(THEMES)


@st.composite
def programmes_strategy(draw):
    count = draw(st.integers(min_value=1, max_value=6))
    modes = st.sets(st.sampled_from(["in-person", "online", "hybrid"]))
    return [
        programme(
            key=f"p{i}",
            languages=frozenset(draw(st.sets(st.sampled_from(LANGS), min_size=1))),
            topics=frozenset(draw(st.sets(st.sampled_from(TOPICS)))),
            regions=frozenset(draw(st.sets(st.sampled_from(REGIONS), max_size=2))),
            ldc_only=draw(st.booleans()),
            sids_only=draw(st.booleans()),
            is_published=draw(st.booleans()),
            ends_on=draw(st.sampled_from([None, date(2026, 1, 1), date(2027, 1, 1)])),
            capacity=draw(st.sampled_from([None, 0, 1, 5])),
            delivery_modes=frozenset(draw(modes)),
        )
        for i in range(count)
    ]


@st.composite
def needs_strategy(draw):
    return [
        need(
            key=f"n{i}",
            languages=frozenset(draw(st.sets(st.sampled_from(LANGS), min_size=1))),
            country_regions=frozenset(draw(st.sets(st.sampled_from(REGIONS)))),
            is_ldc=draw(st.booleans()),
            is_sids=draw(st.booleans()),
            topics=frozenset(draw(st.sets(st.sampled_from(TOPICS)))),
            delivery_modes=frozenset(
                draw(st.sets(st.sampled_from(["in-person", "online", "hybrid"])))
            ),
        )
        for i in range(draw(st.integers(min_value=1, max_value=4)))
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programmes=programmes_strategy(), needs=needs_strategy())
def test_rankings_never_contain_ineligible_programmes_and_scores_stay_in_range(
    programmes, needs
):
    index = build_index(programmes, topic_themes=THEMES)
    by_key = {p.key: p for p in programmes}
    for result in index.rank_needs(needs, today=TODAY, top=10, explain=False):
        n = next(x for x in needs if x.key == result.need)
        for m in result.matches:
            assert eligibility(n, by_key[m.programme], today=TODAY).eligible
            assert 0.0 <= m.score <= 1.0
        eligible = [p for p in programmes if eligibility(n, p, today=TODAY).eligible]
        assert len(result.matches) == len(eligible)
        assert (result.unmet == "no_eligible") == (not eligible)


def test_profiles_are_frozen():
    with pytest.raises(AttributeError):
        need().key = "other"  # type: ignore[misc]
    assert replace(programme(), key="x").key == "x"
