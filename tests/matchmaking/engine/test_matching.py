"""The pure matching engine: no database, no clock, no network."""

import hashlib
import json
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from matchmaking import engine
from matchmaking.dataset import synthetic
from matchmaking.engine import NeedProfile
from matchmaking.engine import ProgrammeProfile
from matchmaking.engine import Reason
from matchmaking.engine import allocate
from matchmaking.engine import build_index
from matchmaking.engine import eligibility
from matchmaking.engine import fairness_weights
from matchmaking.engine import naive_rank_all
from matchmaking.engine import why_not
from matchmaking.engine.text import LEXICON_DIR
from matchmaking.engine.text.analyser import Lexicon
from matchmaking.engine.text.analyser import clear_caches
from matchmaking.engine.text.analyser import default_lexicon
from matchmaking.engine.text.profile import TextProfile
from matchmaking.explain import Labels
from matchmaking.explain import render_reason

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


def components(n: NeedProfile, p: ProgrammeProfile) -> engine.Components:
    index = build_index([p], topic_themes=THEMES)
    return engine.score_components(
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
        engine.score_components(nf, f, topic_themes=THEMES).text for f in index.features
    ]
    assert text[0] > 0.5 > text[1]
    assert "csirt-establishment" in nf.topics  # implied by the French text


def test_components_and_total_stay_in_unit_interval_and_skip_missing_data():
    n = need(assistance_types=frozenset(), audiences=frozenset())
    c = components(n, programme())
    assert c.assistance is None or 0 <= c.assistance <= 1
    total = c.total(engine.Weights())
    assert 0.0 <= total <= 1.0
    only_topic = engine.Components(1.0, None, None, None, None)
    assert only_topic.total(engine.Weights()) == 1.0


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
    assert all(r.code in engine.REASON_CODES for r in result.matches[0].reasons)


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
    assert index.rank_need(need(), today=TODAY).unmet == "topic_missed"
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
            for name in engine.COMPONENT_NAMES:
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
    assert fair.assignments[0].value == pytest.approx(0.7 * engine.LDC_WEIGHT)


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


# -- text analysis: same results, faster paths, reusable profiles ---------------

# Profiles of these texts as the analysis made them before it was optimised
# (the per-channel, per-token implementation): concepts, and a digest of the
# whole profile as JSON (every field, in order), which must not change.
TEXT_SAMPLES = [
    (
        {
            "title": "Mise en place du CSIRT national",
            "description": "Créer l'équipe nationale de réponse aux incidents "
            "informatiques et former ses analystes.",
        },
        {
            "csirt": 3.0,
            "establishment": 3.0,
            "incident-response": 1.0,
            "security-operations": 1.0,
            # "former" is to train; "équipe" (team) is not equipment.
            "training": 1.0,
        },
        "9e5df81cdb4a7835d872",
    ),
    (
        {
            "title": "National CSIRT establishment",
            "summary": "Helps a country set up its computer incident response team.",
            "description": "Readiness assessment, incident handling procedures and "
            "training of the first analysts of the national CSIRT.",
        },
        {
            "maturity-assessment": 1.0,
            "assessment": 1.0,
            "csirt": 4.5,
            "establishment": 2.0,
            "incident-response": 2.5,
            "security-operations": 1.0,
            "training": 1.0,
        },
        "e555d937978cdb0de1d0",
    ),
    (
        {
            "title": "Estrategia nacional de ciberseguridad",
            "summary": "Apoyo para redactar la estrategia y su plan de acción.",
            "description": "Talleres con los ministerios y el sector privado sobre "
            "la protección de infraestructuras críticas.",
        },
        {
            "cybersecurity": 2.0,
            "strategy": 3.5,
            "action-plan": 1.5,
            "critical-infrastructure": 1.0,
            "training": 1.0,
            "private-sector": 1.0,
            "public-sector": 1.0,
        },
        "98ebd01391c3c4e2b2dc",
    ),
    (
        {
            "title": "Equipa de resposta a incidentes",
            "summary": "Formação em segurança da informação para os CSIRTs",
            "description": "Equipamento e formação em cibersegurança com a polícia "
            "e o ministério público.",
        },
        {
            "cybersecurity": 2.5,
            "csirt": 3.5,
            "incident-response": 2.0,
            "police": 1.0,
            "prosecution-judiciary": 1.0,
            "training": 2.5,
            "tools-equipment": 1.0,
            "public-sector": 1.0,
        },
        "e8ded72eb6901b178813",
    ),
    (
        {
            "title": "Национальная стратегия кибербезопасности",
            "summary": "Реагирование на компьютерные инциденты",
            "description": "Информационная безопасность и защита критической "
            "информационной инфраструктуры.",
        },
        {
            "cybersecurity": 3.0,
            "strategy": 2.0,
            "incident-response": 1.5,
            "critical-infrastructure": 1.0,
        },
        "df06df5dc96bd92f007b",
    ),
    (
        {
            "title": "الأمن السيبراني",
            "summary": "فريق الاستجابة لحوادث الحاسوب",
            "description": "والتدريب على أمن المعلومات وحماية البنية التحتية الحرجة",
        },
        {
            "cybersecurity": 3.0,
            "csirt": 1.5,
            "incident-response": 1.5,
            "critical-infrastructure": 1.0,
            "training": 1.0,
        },
        "cba837ac1d62705ec544",
    ),
    (
        {
            "title": "Cyber hygiene for SMEs",
            "description": "Awareness raising on phishing and ransomware; response "
            "to computer incidents; SOCs and CERTs.",
        },
        {
            "csirt": 1.0,
            "incident-response": 1.0,
            "security-operations": 1.0,
            "cyber-attacks": 1.0,
            "awareness": 1.0,
            "online-safety": 2.0,
            "phishing": 1.0,
            "smes": 2.0,
        },
        "ff1f9f4e1bc9aadd28d5",
    ),
]


def _digest(profile: TextProfile) -> str:
    raw = json.dumps(profile.to_dict(), ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:20]


def _sample_records(count: int = 120) -> list[dict[str, str]]:
    """Varied records in several languages (synthetic data plus the samples)."""
    lines = "".join(
        synthetic.generate_lines(needs=count // 2, programmes=count // 2, seed=7)
    )
    data = json.loads(lines)
    records = [
        {k: r.get(k) or "" for k in ("title", "summary", "description")}
        for r in (*data["programmes"], *data["needs"])
    ]
    return records + [fields for fields, _, _ in TEXT_SAMPLES]


@pytest.mark.parametrize(("fields", "concepts", "digest"), TEXT_SAMPLES)
def test_text_profiles_are_the_same_as_before_the_optimisation(
    fields, concepts, digest
):
    clear_caches()
    profile = default_lexicon().profile(fields)
    assert list(profile.concepts.items()) == list(concepts.items())
    assert _digest(profile) == digest


def test_batch_and_parallel_analysis_give_the_single_record_profiles():
    lexicon = default_lexicon()
    records = _sample_records()
    lexicon.clear_memos()
    one_by_one = [lexicon.profile(fields) for fields in records]
    lexicon.clear_memos()
    batched = lexicon.profiles(records, workers=1)  # numpy batch scan
    lexicon.clear_memos()
    forked = lexicon.profiles(records, workers=2)  # in-process if it cannot fork
    assert [_digest(p) for p in batched] == [_digest(p) for p in one_by_one]
    assert [_digest(p) for p in forked] == [_digest(p) for p in one_by_one]


def test_text_profile_round_trips_through_json():
    profile = default_lexicon().profile(TEXT_SAMPLES[1][0])
    again = TextProfile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert again == profile
    assert list(again.words) == list(profile.words)
    fingerprint = default_lexicon().fingerprint
    assert len(fingerprint) == 16
    raw = json.loads((LEXICON_DIR / "concepts.json").read_text("utf-8"))
    assert fingerprint == Lexicon(raw["concepts"], raw["compounds"]).fingerprint
    assert fingerprint != Lexicon(raw["concepts"]).fingerprint


def test_cached_profiles_can_be_passed_back_by_content_or_by_key():
    programmes = [
        programme(key="cirt"),
        programme(key="law", title="Cybercrime law", summary="", description=""),
    ]
    index = build_index(programmes, topic_themes=THEMES)
    stored = {
        key: prof.to_dict() for key, prof in index.profile_cache.items()
    }  # what a service would persist (with lexicon.fingerprint)
    by_content = {k: TextProfile.from_dict(v) for k, v in stored.items()}
    by_key = {p.key: index.text_profile(p) for p in programmes}

    class Refuse(Lexicon):
        def profile(self, fields):
            raise AssertionError("profile recomputed")

        def profiles(self, records, *, workers=None):
            if records:
                raise AssertionError("profiles recomputed")
            return []

    refusing = Refuse.__new__(Refuse)
    refusing.__setstate__(default_lexicon().__getstate__())
    for cached in (by_content, by_key):
        again = build_index(
            programmes, topic_themes=THEMES, lexicon=refusing, profiles=cached
        )
        assert again.features == index.features
    n = need()
    batch = again.encode_needs([n], profiles={n.key: index.text_profile(n)})
    assert batch.features == index.encode_needs([n]).features


# -- vectorised paths agree with the reference ones ------------------------------


def _small_world():
    programmes = [
        programme(
            key=f"p{i:02d}",
            topics=frozenset(TOPICS[i % len(TOPICS) : i % len(TOPICS) + 2]),
            regions=frozenset([REGIONS[i % 4]] if i % 3 else []),
            languages=frozenset(LANGS[: 1 + i % 3]),
            ldc_only=i % 7 == 0,
            capacity=[None, 0, 1, 3][i % 4],
            delivery_modes=frozenset([["online"], ["hybrid"], ["in-person"]][i % 3]),
        )
        for i in range(30)
    ]
    # Twins: equal scores, so ties must be settled by key.
    programmes += [
        programme(key=f"twin-{k}", languages=frozenset(LANGS)) for k in "cab"
    ]
    needs = [
        need(
            key=f"n{i:02d}",
            languages=frozenset(LANGS[i % 3 : i % 3 + 1]),
            country_regions=frozenset(REGIONS[: 1 + i % 4]),
            topics=frozenset(TOPICS[i % 5 : i % 5 + i % 3]),
            audiences=frozenset() if i % 2 else frozenset({"csirt-staff"}),
            is_sids=i % 5 == 0,
        )
        for i in range(40)
    ]
    return programmes, needs


def test_candidates_and_allocation_agree_with_rankings():
    programmes, needs = _small_world()
    index = build_index(programmes, topic_themes=THEMES)
    batch = index.encode_needs(needs)
    ranked = index.rank_batch(batch, today=TODAY, top=5, explain=False)
    triples = list(engine.candidates_from_results(ranked))
    arcs = index.candidates(batch, today=TODAY, top_k=5, chunk_size=7)
    assert list(arcs) == triples
    capacity = {p.key: p.capacity_left for p in programmes}
    fair = fairness_weights(needs)
    assert (
        allocate(arcs, capacity=capacity, weights=fair, top_k=3).assignments
        == allocate(triples, capacity=capacity, weights=fair, top_k=3).assignments
    )


def test_chunked_and_forked_ranking_give_the_same_results():
    programmes, needs = _small_world()
    index = build_index(programmes, topic_themes=THEMES)
    batch = index.encode_needs(needs)
    whole = list(index.rank_batch(batch, today=TODAY, top=4, workers=1))
    chunked = list(index.rank_batch(batch, today=TODAY, top=4, chunk_size=6, workers=1))
    forked = list(index.rank_batch(batch, today=TODAY, top=4, chunk_size=6, workers=2))
    assert whole == chunked == forked
    twins = [
        [m.programme for m in r.matches if m.programme.startswith("twin-")]
        for r in whole
    ]
    assert ["twin-a", "twin-b", "twin-c"] in twins
    slow = naive_rank_all(needs, programmes, topic_themes=THEMES, today=TODAY, top=4)
    assert [
        (r.need, r.unmet, [(m.programme, m.score) for m in r.matches]) for r in whole
    ] == [(r.need, r.unmet, [(m.programme, m.score) for m in r.matches]) for r in slow]


def test_explanations_match_the_reference_function():
    programmes, needs = _small_world()
    index = build_index(programmes, topic_themes=THEMES)
    batch = index.encode_needs(needs)
    features = dict(zip((p.key for p in programmes), index.features, strict=True))
    by_key = {p.key: p for p in programmes}
    for b, result in enumerate(index.rank_batch(batch, today=TODAY, top=6)):
        for m in result.matches:
            assert m.reasons == engine.explain_match(
                needs[b],
                by_key[m.programme],
                need_features=batch.features[b],
                programme_features=features[m.programme],
                topic_themes=THEMES,
                today=TODAY,
            )


def test_programme_edit_rescored_against_kept_need_arrays():
    programmes, needs = _small_world()
    index = build_index(programmes, topic_themes=THEMES)
    batch = index.encode_needs(needs)
    index.top_needs("p03", batch, today=TODAY, top=5)  # keeps the need arrays
    edited = replace(
        programmes[3],
        topics=frozenset({"csirt-establishment"}),
        description="National CSIRT cyber exercises.",
    )
    index.upsert_programme(edited)
    # A new batch of the same encoded needs, as the service layer makes.
    again = engine.NeedBatch(
        keys=batch.keys, needs=batch.needs, features=batch.features
    )
    after = index.top_needs("p03", again, today=TODAY, top=5)
    i = index.position["p03"]
    expected = sorted(
        (
            (
                -engine.score_components(
                    f, index.features[i], topic_themes=THEMES
                ).total(engine.Weights()),
                n.key,
            )
            for n, f in zip(needs, batch.features, strict=True)
            if eligibility(n, edited, today=TODAY).eligible
        )
    )[:5]
    assert [(m.need, m.score) for m in after] == [(k, -s) for s, k in expected]
    assert after


# -- reach: a programme made for the need's region ------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        {"regions": frozenset({"002"})},
        {"countries": frozenset({"SEN"})},
        {"ldc_only": True},
    ],
)
def test_a_programme_made_for_the_needs_group_outranks_an_equal_worldwide_one(rule):
    worldwide = programme(key="a-worldwide")
    targeted = programme(key="b-targeted", **rule)
    index = build_index([worldwide, targeted], topic_themes=THEMES)
    [result] = index.rank_needs([need()], today=TODAY, top=2)
    assert [m.programme for m in result.matches] == ["b-targeted", "a-worldwide"]
    best, other = result.matches
    assert (best.components.reach, other.components.reach) == (1.0, 0.0)
    weights = engine.Weights()
    assert best.score == best.components.total(weights)
    # Only reach differs: its weight over the total is the whole gap.
    total = sum(getattr(weights, name) for name in engine.COMPONENT_NAMES)
    assert best.score - other.score == pytest.approx(weights.reach / total, abs=1e-6)
    # The reasons say which group it is made for (the LDCs: worldwide scope).
    [open_to] = [r for r in best.reasons if r.code == "open_to"]
    assert (open_to.params["scope"], open_to.params["ldc_only"]) != ("worldwide", False)
    assert engine.is_targeted(targeted)
    assert not engine.is_targeted(worldwide)


def test_reach_follows_a_programme_opened_worldwide():
    targeted = programme(key="p", regions=frozenset({"002"}))
    index = build_index([targeted, programme(key="q")], topic_themes=THEMES)
    batch = index.encode_needs([need()])
    before = index.top_needs("p", batch, today=TODAY, top=1)[0]
    index.upsert_programme(replace(targeted, regions=frozenset()))
    after = index.top_needs("p", batch, today=TODAY, top=1)[0]
    assert (before.components.reach, after.components.reach) == (1.0, 0.0)
    assert after.score < before.score
    [slow] = naive_rank_all(
        [need()], index.programmes, topic_themes=THEMES, today=TODAY, top=2
    )
    assert [(m.programme, m.score) for m in slow.matches] == [
        (m.programme, m.score)
        for m in index.rank_needs([need()], today=TODAY, top=2)[0].matches
    ]
