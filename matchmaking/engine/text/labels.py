"""The concepts' display names, read from the lexicon file without compiling it.

Pages name a match's shared concepts in the reader's language; that needs the
names only, not the stemmed terms a :class:`~.analyser.Lexicon` compiles (and
not numpy or the stemmers), so web processes read them here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from typing import Any

from matchmaking.engine.text import LANGUAGES
from matchmaking.engine.text import LEXICON_DIR


def labels_of(raw: Mapping[str, Any]) -> dict[str, str]:
    """One lexicon concept's name per language: the first term of each."""
    terms = raw["terms"]
    return {
        lang: terms[lang][0].replace("=", "")
        for lang in (*LANGUAGES, "zh")
        if terms.get(lang)
    }


@cache
def concept_labels() -> dict[str, dict[str, str]]:
    """Every shipped concept's names by language, by concept id (read once)."""
    raw = json.loads((LEXICON_DIR / "concepts.json").read_text(encoding="utf-8"))
    return {concept["id"]: labels_of(concept) for concept in raw["concepts"]}
