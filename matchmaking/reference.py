"""Reference data shipped with the project: UN M49 countries and the taxonomy.

Pure readers over the files in ``matchmaking/data/`` (sources in docs/data.md). The
data migrations, dataset validation and the database-free ranking command all
read through here, so every part of the product agrees on the same codes.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")

_M49_COLUMNS = {
    "region": ("Region Code", "Region Name"),
    "subregion": ("Sub-region Code", "Sub-region Name"),
    "intermediate": ("Intermediate Region Code", "Intermediate Region Name"),
}
# country-codes.csv gives a UNTERM English short name to the UN member states
# and the two observer states, with three slips in this copy: Côte d'Ivoire and
# Türkiye have empty cells, and the Cook Islands and Niue (states in free
# association with New Zealand, marked "**" by UNTERM) are not UN members.
_OBSERVER_STATES = {"VAT", "PSE"}
_MEMBERS_WITHOUT_UNTERM = {"CIV", "TUR"}
_NOT_MEMBERS = {"COK", "NIU"}


@dataclass(frozen=True)
class RegionRow:
    """An M49 region, sub-region or intermediate region."""

    code: str
    level: str
    parent: str | None
    names: dict[str, str]


@dataclass(frozen=True)
class CountryRow:
    """One M49 country or area with its groupings and names."""

    iso3: str
    iso2: str
    m49: str
    region: str | None
    subregion: str | None
    intermediate: str | None
    is_ldc: bool
    is_lldc: bool
    is_sids: bool
    is_un_member: bool
    is_observer: bool
    names: dict[str, str]

    @property
    def region_codes(self) -> frozenset[str]:
        """Every M49 grouping code the country belongs to."""
        return frozenset(
            c for c in (self.region, self.subregion, self.intermediate) if c
        )


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


@cache
def _m49_by_language() -> dict[str, list[dict[str, str]]]:
    return {
        lang: _read_csv(DATA_DIR / "m49" / f"unsd-m49-{lang}.csv")
        for lang in UN_LANGUAGES
    }


@cache
def _unterm() -> dict[str, dict[str, str]]:
    return {
        row["ISO3166-1-Alpha-3"]: row
        for row in _read_csv(DATA_DIR / "country-codes.csv")
        if row["ISO3166-1-Alpha-3"]
    }


@cache
def load_regions() -> tuple[RegionRow, ...]:
    """All M49 regions, sub-regions and intermediate regions, parents first."""
    found: dict[str, RegionRow] = {}
    per_lang = _m49_by_language()
    for index, row in enumerate(per_lang["en"]):
        parent = None
        for level, (code_col, name_col) in _M49_COLUMNS.items():
            code = row[code_col]
            if not code:
                continue
            if code not in found:
                names = {lang: per_lang[lang][index][name_col] for lang in UN_LANGUAGES}
                found[code] = RegionRow(
                    code=code, level=level, parent=parent, names=names
                )
            parent = code
    order = {"region": 0, "subregion": 1, "intermediate": 2}
    return tuple(sorted(found.values(), key=lambda r: (order[r.level], r.code)))


@cache
def load_countries() -> dict[str, CountryRow]:
    """Every M49 country or area with an ISO alpha-3 code, by that code."""
    per_lang = _m49_by_language()
    unterm = _unterm()
    countries: dict[str, CountryRow] = {}
    for index, row in enumerate(per_lang["en"]):
        iso3 = row["ISO-alpha3 Code"]
        if not iso3:
            continue
        is_un_state = (
            bool(unterm.get(iso3, {}).get("UNTERM English Short"))
            or iso3 in _MEMBERS_WITHOUT_UNTERM
        ) and iso3 not in _NOT_MEMBERS
        names = {
            lang: per_lang[lang][index]["Country or Area"] for lang in UN_LANGUAGES
        }
        countries[iso3] = CountryRow(
            iso3=iso3,
            iso2=row["ISO-alpha2 Code"],
            m49=row["M49 Code"],
            region=row["Region Code"] or None,
            subregion=row["Sub-region Code"] or None,
            intermediate=row["Intermediate Region Code"] or None,
            is_ldc=bool(row["Least Developed Countries (LDC)"]),
            is_lldc=bool(row["Land Locked Developing Countries (LLDC)"]),
            is_sids=bool(row["Small Island Developing States (SIDS)"]),
            is_un_member=is_un_state and iso3 not in _OBSERVER_STATES,
            is_observer=iso3 in _OBSERVER_STATES,
            names=names,
        )
    return countries


@cache
def load_taxonomy() -> dict:
    """The ``cbm-taxonomy/1`` vocabularies as shipped."""
    return json.loads((DATA_DIR / "taxonomy.json").read_text(encoding="utf-8"))


@cache
def load_taxonomy_names() -> dict[str, dict[str, dict[str, str]]]:
    """Translated vocabulary names: ``{vocabulary: {slug: {lang: name}}}``.

    ``taxonomy_i18n.json`` translates every entry of ``taxonomy.json`` (themes
    and topics included), with the UN's established terms.
    """
    data = json.loads((DATA_DIR / "taxonomy_i18n.json").read_text(encoding="utf-8"))
    return data["names"]


VOCABULARY_MODELS = {
    "themes": "Theme",
    "topics": "Topic",
    "assistance_types": "AssistanceType",
    "audiences": "Audience",
    "delivery_modes": "DeliveryMode",
    "stakeholder_groups": "StakeholderGroup",
    "cost_models": "CostModel",
    "priorities": "Priority",
}
# The models that hold this data (names as in their ``matchmaking.<name>``
# labels): the curators' allow-list and the API cache's reference family read
# them here, without loading the models.
REFERENCE_MODELS = (
    "region",
    "country",
    "language",
    *(model_name.lower() for model_name in VOCABULARY_MODELS.values()),
)
TRANSLATED_LANGUAGES = ("ar", "es", "fr", "ru", "zh")


def sync_vocabulary_names(apps) -> None:
    """Store the translated vocabulary names (skipped before the columns exist)."""
    names = load_taxonomy_names()
    for vocabulary, model_name in VOCABULARY_MODELS.items():
        model = apps.get_model("matchmaking", model_name)
        fields = [f"name_{lang}" for lang in TRANSLATED_LANGUAGES]
        if not all(hasattr(model, field) for field in fields):
            return
        rows = list(model.objects.filter(pk__in=names.get(vocabulary, {})))
        for row in rows:
            for lang in TRANSLATED_LANGUAGES:
                setattr(row, f"name_{lang}", names[vocabulary][row.pk].get(lang, ""))
        model.objects.bulk_update(rows, fields)


@cache
def load_languages() -> tuple[tuple[str, str], ...]:
    """ISO 639-1 codes with their English names."""
    return tuple(
        (row["code"], row["name"]) for row in _read_csv(DATA_DIR / "languages.csv")
    )


@cache
def topic_themes() -> dict[str, str]:
    """Map each topic slug to its theme slug."""
    return {
        topic["slug"]: theme["slug"]
        for theme in load_taxonomy()["themes"]
        for topic in theme["topics"]
    }


def sync_reference_data(apps) -> None:
    """Insert or update every reference row; safe to run again after a data update."""
    region_model = apps.get_model("matchmaking", "Region")
    for region in load_regions():
        region_model.objects.update_or_create(
            code=region.code,
            defaults={
                "level": region.level,
                "parent_id": region.parent,
                **{f"name_{lang}": region.names[lang] for lang in UN_LANGUAGES},
            },
        )
    country_model = apps.get_model("matchmaking", "Country")
    for country in load_countries().values():
        country_model.objects.update_or_create(
            iso3=country.iso3,
            defaults={
                "iso2": country.iso2,
                "m49": country.m49,
                "region_id": country.region,
                "subregion_id": country.subregion,
                "intermediate_region_id": country.intermediate,
                "is_ldc": country.is_ldc,
                "is_lldc": country.is_lldc,
                "is_sids": country.is_sids,
                "is_un_member": country.is_un_member,
                "is_observer": country.is_observer,
                **{f"name_{lang}": country.names[lang] for lang in UN_LANGUAGES},
            },
        )
    language_model = apps.get_model("matchmaking", "Language")
    for code, name in load_languages():
        language_model.objects.update_or_create(code=code, defaults={"name": name})

    taxonomy = load_taxonomy()
    theme_model = apps.get_model("matchmaking", "Theme")
    topic_model = apps.get_model("matchmaking", "Topic")
    position = 0
    for theme_pos, theme in enumerate(taxonomy["themes"]):
        theme_model.objects.update_or_create(
            slug=theme["slug"],
            defaults={
                "name": theme["name"],
                "position": theme_pos,
                "gfce_working_group": theme.get("gfce_working_group", ""),
            },
        )
        for topic in theme["topics"]:
            topic_model.objects.update_or_create(
                slug=topic["slug"],
                defaults={
                    "name": topic["name"],
                    "theme_id": theme["slug"],
                    "cmm_dimension": topic.get("cmm"),
                    "position": position,
                },
            )
            position += 1
    for vocabulary, model_name in VOCABULARY_MODELS.items():
        if vocabulary in ("themes", "topics"):
            continue  # written above, with their own fields
        model = apps.get_model("matchmaking", model_name)
        for pos, entry in enumerate(taxonomy[vocabulary]):
            model.objects.update_or_create(
                slug=entry["slug"], defaults={"name": entry["name"], "position": pos}
            )
    sync_vocabulary_names(apps)
