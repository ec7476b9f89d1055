"""The synthetic generator's tables are data files: they load, fit the taxonomy
and every template, and ship in the package."""

from __future__ import annotations

import string
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from django.conf import settings

from matchmaking.dataset import synthetic
from matchmaking.reference import load_taxonomy

TAXONOMY = load_taxonomy()
TOPICS = [t["slug"] for theme in TAXONOMY["themes"] for t in theme["topics"]]


def _slugs(vocabulary: str) -> list[str]:
    return [entry["slug"] for entry in TAXONOMY[vocabulary]]


def test_the_data_files_are_the_four_tables():
    assert sorted(p.name for p in synthetic.DATA_FILES.iterdir()) == [
        "phrases.json",
        "providers.json",
        "templates.json",
        "topic_profiles.json",
    ]


def test_every_topic_has_a_title_and_two_phrases_in_every_language():
    assert list(synthetic.TOPIC_TEXT) == TOPICS
    for texts in synthetic.TOPIC_TEXT.values():
        assert list(texts) == list(synthetic.TEXT_LANGUAGES)
        assert all(len(t) == 3 and all(p.strip() for p in t) for t in texts.values())


@pytest.mark.parametrize(
    ("table", "vocabulary"),
    [
        (synthetic.AUDIENCE_TEXT, "audiences"),
        (synthetic.ASSISTANCE_TEXT, "assistance_types"),
        (synthetic.MODE_TEXT, "delivery_modes"),
    ],
)
def test_code_tables_name_taxonomy_slugs_in_every_language(table, vocabulary):
    assert list(table) == list(synthetic.TEXT_LANGUAGES)
    for texts in table.values():
        assert set(texts) <= set(_slugs(vocabulary))
        assert list(texts) == list(table["en"])
        assert all(text.strip() for text in texts.values())


def test_topic_profiles_use_taxonomy_slugs():
    assert list(synthetic.TOPIC_PROFILE) == TOPICS
    for assistance, audiences in synthetic.TOPIC_PROFILE.values():
        assert set(assistance) <= set(synthetic.ASSISTANCE_TEXT["en"])
        assert set(audiences) <= set(synthetic.AUDIENCE_TEXT["en"])


def test_provider_tables_cover_every_stakeholder_group():
    groups = [group for group, _weight in synthetic.GROUPS]
    assert groups == _slugs("stakeholder_groups")
    assert all(weight > 0 for _group, weight in synthetic.GROUPS)
    assert list(synthetic._GROUP_DESCRIPTIONS) == groups


def test_every_template_fills_from_the_fields_the_generator_passes():
    fields = {"T", "p1", "p2", "assist", "assist1", "Assist1", "aud", "aud1", "mode"}
    fields |= {"C", "P"}  # the country (needs) or provider (programmes)
    for lang, templates in synthetic.TEMPLATES.items():
        assert lang in synthetic.TEXT_LANGUAGES
        for name, texts in vars(templates).items():
            assert texts, (lang, name)
            for text in texts:
                used = {f for _l, f, _s, _c in string.Formatter().parse(text) if f}
                assert used <= fields, (lang, name, text)


def test_a_table_whose_languages_disagree_is_refused():
    table = {"en": {"a": "A", "b": "B"}, "fr": {"b": "B", "a": "A"}}
    with pytest.raises(ValueError, match="modes: fr does not list the codes of en"):
        synthetic._same_codes(table, "modes")


def test_a_table_naming_a_key_twice_is_refused(tmp_path, monkeypatch):
    (tmp_path / "modes.json").write_text(
        '{"en": {"online": "online", "online": "remote"}}', encoding="utf-8"
    )
    monkeypatch.setattr(synthetic, "DATA_FILES", tmp_path)
    with pytest.raises(ValueError, match="repeated keys: online"):
        synthetic.load_table("modes.json")


def test_every_data_file_of_the_app_ships_in_the_package():
    root = Path(settings.BASE_DIR)
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["matchmaking"]
    app = root / "matchmaking"
    data = [
        str(path.relative_to(app))
        for path in app.rglob("*")
        if path.is_file()
        and path.suffix in {".json", ".csv"}
        and "__pycache__" not in path.parts
    ]
    assert "dataset/data/phrases.json" in data
    assert [p for p in data if not any(fnmatch(p, g) for g in patterns)] == []
