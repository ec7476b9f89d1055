"""Match explanations: stored as code + params, rendered on read in any language."""

from __future__ import annotations

import pytest
from django.utils import translation

from matchmaking import explain
from matchmaking import suggestion_store
from matchmaking.engine import Reason
from matchmaking.engine.text.analyser import default_lexicon

pytestmark = pytest.mark.django_db


def test_a_reason_is_stored_without_text():
    stored = suggestion_store.reason_json(Reason("language", {"languages": ("fr",)}))
    assert stored == {"code": "language", "params": {"languages": ["fr"]}}


def test_reasons_render_in_english_with_reference_names():
    with translation.override("en"):
        texts = explain.reason_texts(
            [
                {
                    "code": "shared_topics",
                    "params": {"topics": ["csirt-establishment"]},
                },
                {"code": "language", "params": {"languages": ["fr", "es"]}},
                {"code": "not_in_area", "params": {"country": "SEN"}},
                {"code": "open_to", "params": {"scope": "region", "region": "002"}},
            ]
        )
    assert texts == [
        "Both concern establishing and maturing national CSIRTs/CERTs",
        "Delivered in French and Spanish",
        "Not open to Senegal",
        "Open to Africa",
    ]


def test_names_follow_the_active_language_with_an_english_fallback():
    reasons = [
        {"code": "not_in_area", "params": {"country": "SEN"}},
        {"code": "language", "params": {"languages": ["ar"]}},
        {"code": "shared_concepts", "params": {"concepts": ["csirt"]}},
    ]
    with translation.override("fr"):
        country, language, concept = explain.reason_texts(reasons)
    # Country names from the UN M49 table, language names from Django, concept
    # labels from the lexicon: all in French, whatever the catalogue holds.
    assert "Sénégal" in country
    assert "arabe" in language.lower()
    assert default_lexicon().label("csirt", "fr") in concept
    with translation.override("zh-hans"):
        (concept_zh,) = explain.reason_texts(reasons[2:])
    assert "计算机安全事件响应小组" in concept_zh


def test_a_row_written_before_render_on_read_keeps_its_english_text():
    legacy = [
        {"code": "shared_topics", "params": {}, "text": "Both concern CSIRTs"},
        "Same topic: CSIRT establishment",
        {"code": "from-a-newer-engine", "params": {}, "text": "Something new"},
    ]
    with translation.override("en"):
        assert explain.reason_texts(legacy) == [
            "Both concern CSIRTs",
            "Same topic: CSIRT establishment",
            "Something new",
        ]
    with translation.override("fr"):
        # Rendered from the code where it can be, else the stored text.
        assert explain.explained(legacy)[1:] == [
            "Same topic: CSIRT establishment",
            {"code": "from-a-newer-engine", "params": {}, "text": "Something new"},
        ]


def test_render_reason_uses_the_labels_passed_in():
    reason = Reason("delivery", {"modes": ("in-person",)})
    labels = explain.Labels(delivery_modes={"in-person": "In person"})
    with translation.override("en"):
        assert explain.render_reason(reason, labels) == "Delivered in person"
        with pytest.raises(KeyError):
            explain.render_reason(Reason("unknown-code"))
