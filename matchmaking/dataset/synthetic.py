"""Synthetic ``cbm-dataset/1`` files of any size, for load and engine tests.

Everything comes from one ``random.Random(seed)`` and lists in a fixed order
(never a set), so a seed always gives byte-identical output. Records are written
one per line as they are made: memory stays bounded by the number of providers.

Only valid codes are used: countries from the M49 data (needs only from UN
member states), languages from the ISO 639-1 list, slugs from the taxonomy. The
text is built from topic phrases in English, French, Spanish, Portuguese,
Arabic and Russian, so text relevance has something to work with; those
phrases, the sentence templates and the words of provider names are JSON files
in ``data/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import json
import random
from collections import Counter
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from typing import TextIO

from matchmaking.names import name_key
from matchmaking.reference import DATA_DIR
from matchmaking.reference import load_countries
from matchmaking.reference import load_languages
from matchmaking.reference import load_regions
from matchmaking.reference import load_taxonomy

FORMAT = "cbm-dataset/1"
TEXT_LANGUAGES = ("en", "fr", "es", "pt", "ar", "ru")

# The phrase and name tables are data, in ``data/`` beside this module: read
# once, at import. JSON keeps the order of keys, so codes come out in the order
# the files list them (the generator draws from them by position).
DATA_FILES = Path(__file__).resolve().parent / "data"


def _no_repeated_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    counts = Counter(key for key, _value in pairs)
    repeated = sorted(key for key, count in counts.items() if count > 1)
    if repeated:
        # json keeps the last of two equal keys: an edit would vanish silently.
        raise ValueError(f"repeated keys: {', '.join(repeated)}")
    return dict(pairs)


def load_table(name: str) -> Any:
    """One of the tables in ``data/``, as JSON (a key given twice is an error)."""
    with (DATA_FILES / name).open(encoding="utf-8") as handle:
        return json.load(handle, object_pairs_hook=_no_repeated_keys)


Table = dict[str, dict[str, str]]


def _same_codes(table: Table, name: str) -> Table:
    """Every language names the same codes, in the same order, or the file is wrong."""
    codes = list(table["en"])
    for lang, texts in table.items():
        if list(texts) != codes:
            raise ValueError(f"{name}: {lang} does not list the codes of en in order")
    return table


@dataclass(frozen=True)
class _Templates:
    need_title: tuple[str, ...]
    need_open: tuple[str, ...]
    context: tuple[str, ...]
    need_ask: tuple[str, ...]
    prog_title: tuple[str, ...]
    prog_summary: tuple[str, ...]
    prog_open: tuple[str, ...]
    prog_detail: tuple[str, ...]
    prog_ask: tuple[str, ...]


_PHRASES = load_table("phrases.json")
# topic -> language -> (title, phrase, phrase): the title is a capitalised noun
# phrase; the phrases fit after "support for" / "appui concernant" / a colon.
TOPIC_TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    topic: {lang: tuple(texts) for lang, texts in by_language.items()}
    for topic, by_language in _PHRASES["topics"].items()
}
# language -> code -> text
AUDIENCE_TEXT: dict[str, dict[str, str]] = _same_codes(
    _PHRASES["audiences"], "audiences"
)
ASSISTANCE_TEXT: dict[str, dict[str, str]] = _same_codes(
    _PHRASES["assistance"], "assistance"
)
MODE_TEXT: dict[str, dict[str, str]] = _same_codes(_PHRASES["modes"], "modes")
_AUDIENCES = tuple(AUDIENCE_TEXT["en"])
_ASSISTANCE = tuple(ASSISTANCE_TEXT["en"])
# "and" between the last two items of a list, and the comma, per language.
_AND: dict[str, str] = _PHRASES["and"]
_COMMA: dict[str, str] = _PHRASES["comma"]

TEMPLATES: dict[str, _Templates] = {
    lang: _Templates(**{field: tuple(texts) for field, texts in fields.items()})
    for lang, fields in load_table("templates.json").items()
}

# Likely assistance types and audiences per topic, so tags hang together.
TOPIC_PROFILE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    topic: (tuple(profile["assistance"]), tuple(profile["audiences"]))
    for topic, profile in load_table("topic_profiles.json").items()
}

# Provider groups with their weights, and the words provider names are made of.
_PROVIDERS = load_table("providers.json")
GROUPS: tuple[tuple[str, int], ...] = tuple(_PROVIDERS["groups"].items())
_GROUP_DESCRIPTIONS: dict[str, str] = _PROVIDERS["descriptions"]
_GOV_BODIES = tuple(_PROVIDERS["government_bodies"])
_IGO_BODIES = tuple(_PROVIDERS["intergovernmental_bodies"])
_BRANDS = tuple(_PROVIDERS["brands"])
_COMPANY_KINDS = tuple(_PROVIDERS["company_kinds"])
_CSO_WORDS = tuple(_PROVIDERS["civil_society_words"])
_CSO_KINDS = tuple(_PROVIDERS["civil_society_kinds"])
_TECH_KINDS = tuple(_PROVIDERS["technical_community_kinds"])

# Richer economies post few needs: they are mostly providers.
_FEW_NEEDS_SUBREGIONS = frozenset({"021", "053", "154", "155"})
_FEW_NEEDS_COUNTRIES = frozenset(
    {"JPN", "KOR", "SGP", "ISR", "ITA", "ESP", "PRT", "GRC", "MLT", "CYP", "SVN"}
    | {"AND", "SMR", "MCO", "LIE", "CZE", "ARE", "QAT", "KWT", "BHR", "SAU", "BRN"}
)
# country-codes.csv lists Russian for many former Soviet states; the data uses
# it only where it is an official or working language of government.
_RUSSIAN_SPEAKING = frozenset({"RUS", "BLR", "KAZ", "KGZ", "TJK", "TKM", "UZB"})
_START = dt.date(2024, 1, 1)
_NEEDED_FROM = dt.date(2026, 6, 30)


@dataclass(frozen=True)
class _Country:
    iso3: str
    region_codes: tuple[str, ...]
    primary: str  # the text language
    languages: tuple[str, ...]  # valid ISO 639-1 codes, primary first
    names: dict[str, str]
    is_ldc: bool
    is_sids: bool
    weight: float


@dataclass(frozen=True)
class _World:
    """Reference data prepared for generation, in a fixed order."""

    members: tuple[_Country, ...]
    member_weights: tuple[float, ...]  # cumulative
    by_region: dict[str, tuple[_Country, ...]]
    region_codes: tuple[str, ...]
    target_regions: tuple[str, ...]  # where programmes target regions or countries
    region_names: dict[str, str]
    region_languages: dict[str, tuple[str, ...]]
    topics: tuple[str, ...]
    topics_by_theme: tuple[tuple[str, ...], ...]
    capitals: dict[str, str]


def _country_languages() -> dict[str, tuple[list[str], str]]:
    """Per iso3: its languages in country-codes.csv order, and its capital."""
    with (DATA_DIR / "country-codes.csv").open(encoding="utf-8-sig") as f:
        return {
            row["ISO3166-1-Alpha-3"]: (
                [code.split("-")[0] for code in row["Languages"].split(",") if code],
                row["Capital"],
            )
            for row in csv.DictReader(f)
            if row["ISO3166-1-Alpha-3"]
        }


@cache
def _world() -> _World:
    valid_languages = {code for code, _name in load_languages()}
    extra = _country_languages()
    members: list[_Country] = []
    capitals: dict[str, str] = {}
    for row in sorted(load_countries().values(), key=lambda c: c.iso3):
        listed, capital = extra.get(row.iso3, ([], ""))
        capitals[row.iso3] = capital
        if not row.is_un_member:
            continue
        codes = [
            c
            for c in dict.fromkeys(listed)
            if c in valid_languages and (c != "ru" or row.iso3 in _RUSSIAN_SPEAKING)
        ]
        primary = next((c for c in codes if c in TEXT_LANGUAGES), "en")
        languages = (primary, *(c for c in codes if c != primary))
        weight = 1.0
        if row.subregion in _FEW_NEEDS_SUBREGIONS or row.iso3 in _FEW_NEEDS_COUNTRIES:
            weight = 0.1
        elif row.is_ldc or row.is_sids:
            weight = 2.0
        members.append(
            _Country(
                iso3=row.iso3,
                region_codes=tuple(sorted(row.region_codes)),
                primary=primary,
                languages=languages,
                names={**row.names, "pt": row.names["es"]},
                is_ldc=row.is_ldc,
                is_sids=row.is_sids,
                weight=weight,
            )
        )
    by_region: dict[str, list[_Country]] = {}
    for country in members:
        for code in country.region_codes:
            by_region.setdefault(code, []).append(country)
    region_languages = {}
    for code, countries in by_region.items():
        counts = Counter(c.primary for c in countries)
        share = len(countries) / 5  # a language of a fifth of the region or more
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        region_languages[code] = tuple(
            lang for lang, n in top if n >= share or lang == top[0][0]
        )
    taxonomy = load_taxonomy()
    regions = load_regions()
    return _World(
        members=tuple(members),
        member_weights=tuple(itertools.accumulate(c.weight for c in members)),
        by_region={code: tuple(cs) for code, cs in sorted(by_region.items())},
        region_codes=tuple(sorted(by_region)),
        target_regions=tuple(
            code for code in sorted(by_region) if code not in _FEW_NEEDS_SUBREGIONS
        ),
        region_names={r.code: r.names["en"] for r in regions},
        region_languages=region_languages,
        topics=tuple(t["slug"] for th in taxonomy["themes"] for t in th["topics"]),
        topics_by_theme=tuple(
            tuple(t["slug"] for t in th["topics"]) for th in taxonomy["themes"]
        ),
        capitals=capitals,
    )


@dataclass(frozen=True)
class _Provider:
    ref: str
    name: str
    group: str


def _join(items: Sequence[str], lang: str) -> str:
    if len(items) < 2:
        return "".join(items)
    comma = _COMMA.get(lang, ", ")
    return comma.join(items[:-1]) + _AND[lang] + items[-1]


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Generator:
    def __init__(self, seed: int) -> None:
        # Not for security: a reproducible stream is the point.
        self.rng = random.Random(seed)  # noqa: S311
        self.random = self.rng.random
        self.world = _world()
        self.name_keys: set[str] = set()  # provider names must be unique

    # random.choice and randrange draw bits in a loop; one float is faster.
    def choice[T](self, seq: Sequence[T]) -> T:
        return seq[int(self.random() * len(seq))]

    def randrange(self, start: int, stop: int | None = None) -> int:
        if stop is None:
            start, stop = 0, start
        return start + int(self.random() * (stop - start))

    def day(self, start: dt.date, span_days: int) -> dt.date:
        return start + dt.timedelta(days=self.randrange(span_days))

    # --- tags ---

    def topics(self) -> list[str]:
        rng = self.rng
        theme = self.choice(self.world.topics_by_theme)
        chosen = rng.sample(theme, self.choice((1, 1, 2, 2, 2, 3)))
        if rng.random() < 0.2:
            other = self.choice(self.world.topics)
            if other not in chosen:
                chosen.append(other)
        return chosen

    def tags(self, topics: Sequence[str]) -> tuple[list[str], list[str]]:
        """Assistance types and audiences, mostly from the topics' profiles."""
        rng = self.rng
        assistance: list[str] = []
        audiences: list[str] = []
        for topic in topics:
            likely_assistance, likely_audiences = TOPIC_PROFILE[topic]
            assistance.append(self.choice(likely_assistance))
            audiences.append(self.choice(likely_audiences))
        if rng.random() < 0.3:
            assistance.append(self.choice(_ASSISTANCE))
        if rng.random() < 0.2:
            audiences.append(self.choice(_AUDIENCES))
        return list(dict.fromkeys(assistance)), list(dict.fromkeys(audiences))

    def modes(self) -> list[str]:
        return self.choice(
            (
                ["in-person"],
                ["online"],
                ["hybrid"],
                ["in-person", "hybrid"],
                ["online", "hybrid"],
                ["in-person", "online"],
            )
        )

    # --- text ---

    def text(
        self,
        lang: str,
        topics: Sequence[str],
        assistance: Sequence[str],
        audiences: Sequence[str],
        modes: Sequence[str],
    ) -> dict[str, str]:
        """The values every template may use, in one language."""
        first = TOPIC_TEXT[topics[0]][lang]
        pick = self.randrange(1, 3)
        if len(topics) > 1:
            p2 = TOPIC_TEXT[topics[-1]][lang][self.randrange(1, 3)]
        else:
            p2 = first[3 - pick]  # the topic's other phrase
        assist = [ASSISTANCE_TEXT[lang][a] for a in assistance] or [
            ASSISTANCE_TEXT[lang]["technical-assistance"]
        ]
        aud = [AUDIENCE_TEXT[lang][a] for a in audiences] or [
            AUDIENCE_TEXT[lang]["policymakers"]
        ]
        return {
            "T": first[0],
            "p1": first[pick],
            "p2": p2,
            "assist": _join(assist, lang),
            "assist1": assist[0],
            "Assist1": _capitalise(assist[0]),
            "aud": _join(aud, lang),
            "aud1": aud[0],
            "mode": _join([MODE_TEXT[lang][m] for m in modes], lang),
        }

    def pick(self, options: Sequence[str], values: dict[str, str]) -> str:
        return _capitalise(self.choice(options).format(**values))

    # --- records ---

    def provider(self, index: int) -> tuple[_Provider, dict]:
        rng = self.rng
        world = self.world
        group = rng.choices(
            [g for g, _w in GROUPS],
            cum_weights=list(itertools.accumulate(w for _g, w in GROUPS)),
        )[0]
        country = self.choice(world.members)
        region = self.choice(world.region_codes)
        if group == "government":
            name = f"{country.names['en']} {self.choice(_GOV_BODIES)}"
        elif group == "intergovernmental":
            name = f"{world.region_names[region]} {self.choice(_IGO_BODIES)}"
        elif group == "private-sector":
            name = f"{self.choice(_BRANDS)} {self.choice(_COMPANY_KINDS)}"
        elif group == "civil-society":
            name = f"{self.choice(_CSO_WORDS)} {self.choice(_CSO_KINDS)}"
        elif group == "academia":
            city = world.capitals.get(country.iso3) or country.names["en"]
            name = f"University of {city} Centre for Cybersecurity"
        else:
            name = f"{world.region_names[region]} {self.choice(_TECH_KINDS)}"
        # Provider names are unique (folded): a repeated one gets a number,
        # which draws nothing from the random stream.
        base, number = name, 1
        while name_key(name) in self.name_keys:
            number += 1
            name = f"{base} {number}"
        self.name_keys.add(name_key(name))
        ref = f"syn-prov-{index:06d}"
        record = {
            "ref": ref,
            "name": name,
            "stakeholder_group": group,
            "country": country.iso3,
            "website": f"https://{ref}.example.org",
            "description": _GROUP_DESCRIPTIONS[group],
        }
        return _Provider(ref=ref, name=name, group=group), record

    def eligibility(self) -> tuple[dict, list[str]]:
        """Eligibility and the languages that suit the countries it targets."""
        rng = self.rng
        world = self.world
        roll = rng.random()
        regions: list[str] = []
        countries: list[str] = []
        ldc = sids = False
        if roll < 0.35:
            languages = ["en", *rng.sample(TEXT_LANGUAGES[1:], self.randrange(4))]
        elif roll < 0.75:
            regions = sorted(
                rng.sample(world.target_regions, self.choice((1, 1, 1, 2)))
            )
            languages = list(
                dict.fromkeys(
                    lang for code in regions for lang in world.region_languages[code]
                )
            )
        elif roll < 0.88:
            pool = world.by_region[self.choice(world.target_regions)]
            picked = rng.sample(pool, min(len(pool), self.randrange(2, 9)))
            countries = sorted(c.iso3 for c in picked)
            languages = list(dict.fromkeys(c.primary for c in picked))[:3]
        elif roll < 0.95:
            ldc = True
            if rng.random() < 0.5:
                regions = [self.choice(("002", "142", "202"))]
            languages = ["en", "fr", *rng.sample(("ar", "pt", "es"), self.randrange(3))]
        else:
            sids = True
            if rng.random() < 0.5:
                regions = [self.choice(("009", "029", "054", "057", "061"))]
            languages = ["en", *rng.sample(("fr", "es", "pt"), self.randrange(3))]
        if "en" not in languages and rng.random() < 0.6:
            languages.append("en")
        eligibility = {
            "regions": regions,
            "countries": countries,
            "ldc_only": ldc,
            "sids_only": sids,
        }
        return eligibility, languages

    def programme(self, index: int, provider: _Provider) -> dict:
        rng = self.rng
        topics = self.topics()
        assistance, audiences = self.tags(topics)
        modes = self.modes()
        eligibility, languages = self.eligibility()
        lang = "en" if "en" in languages and rng.random() < 0.8 else languages[0]
        if lang not in TEMPLATES:
            lang = "en"
        templates = TEMPLATES[lang]
        values = self.text(lang, topics, assistance, audiences, modes)
        values["P"] = provider.name
        description = " ".join(
            (
                self.pick(templates.prog_open, values),
                self.pick(templates.prog_detail, values),
                self.pick(templates.prog_ask, values),
            )
        )
        starts = self.day(_START, 3 * 365)
        if rng.random() < 0.08:  # some programmes have already ended
            starts = self.day(dt.date(2022, 1, 1), 2 * 365)
            ends = self.day(dt.date(2024, 6, 1), 570)
        else:
            ends = starts + dt.timedelta(days=self.randrange(365, 4 * 365))
        record = {
            "ref": f"syn-prog-{index:06d}",
            "provider": provider.ref,
            "title": self.pick(templates.prog_title, values),
            "summary": self.pick(templates.prog_summary, values),
            "description": description,
            **_tags(topics, assistance, audiences, languages, modes),
            "eligibility": eligibility,
            "cost_model": rng.choices(
                ("free", "cost-shared", "fee"), cum_weights=(65, 90, 100)
            )[0],
        }
        if rng.random() < 0.6:
            record["capacity"] = self.randrange(1, 31)
        record["starts_on"] = starts.isoformat()
        record["ends_on"] = max(ends, starts).isoformat()
        return record

    def need(self, index: int) -> dict:
        rng = self.rng
        world = self.world
        country = rng.choices(world.members, cum_weights=world.member_weights)[0]
        topics = self.topics()
        assistance, audiences = self.tags(topics)
        modes = self.modes()
        lang = country.primary
        languages = [lang]
        local = [c for c in country.languages[1:] if c not in languages]
        if lang != "en" and rng.random() < 0.4:
            languages.append("en")
        if local and rng.random() < 0.15:
            languages.append(self.choice(local))
        if local and rng.random() < 0.03:  # only a local language will do
            languages = [self.choice(local)]
        templates = TEMPLATES[lang]
        values = self.text(lang, topics, assistance, audiences, modes)
        values["C"] = country.names[lang]
        description = " ".join(
            (
                self.pick(templates.need_open, values),
                self.pick(templates.context, values),
                self.pick(templates.need_ask, values),
            )
        )
        record = {
            "ref": f"syn-need-{index:06d}",
            "country": country.iso3,
            "title": self.pick(templates.need_title, values),
            "description": description,
            **_tags(topics, assistance, audiences, languages, modes),
            "priority": rng.choices(("low", "medium", "high"), cum_weights=(2, 7, 10))[
                0
            ],
            "visibility": rng.choices(
                ("public", "registered", "confidential"), cum_weights=(75, 90, 100)
            )[0],
        }
        if rng.random() < 0.9:
            record["needed_by"] = self.day(_NEEDED_FROM, 2 * 365 + 180).isoformat()
        return record


def _tags(
    topics: list[str],
    assistance: list[str],
    audiences: list[str],
    languages: list[str],
    modes: list[str],
) -> dict[str, list[str]]:
    """The five tag lists a need and a programme both have, as the format names
    them (in the format's order)."""
    return {
        "topics": topics,
        "assistance_types": assistance,
        "audiences": audiences,
        "languages": languages,
        "delivery_modes": modes,
    }


def default_provider_count(programmes: int) -> int:
    """About three programmes per provider."""
    return 0 if programmes == 0 else max(1, round(programmes / 3))


def generate_lines(
    *, needs: int, programmes: int, seed: int, providers: int | None = None
) -> Iterator[str]:
    """The dataset as lines of JSON text (each ending in a newline), in order."""
    if providers is None:
        providers = default_provider_count(programmes)
    if min(needs, programmes, providers) < 0:
        raise ValueError("sizes cannot be negative")
    if programmes and not providers:
        raise ValueError("programmes need at least one provider")
    generator = _Generator(seed)
    about = (
        f"Synthetic dataset: {providers} providers, {programmes} programmes, "
        f"{needs} needs, seed {seed}. Made by manage.py generate_dataset; the "
        "organisations and texts are generated, the codes and slugs are real."
    )
    yield "{\n"
    yield f'"format": "{FORMAT}",\n'
    yield f'"about": {json.dumps(about)},\n'

    def section(
        name: str, records: Iterator[dict], last: bool = False
    ) -> Iterator[str]:
        yield f'"{name}": ['
        separator = "\n"
        for record in records:
            yield separator + json.dumps(record, ensure_ascii=False)
            separator = ",\n"
        yield "\n]" + ("\n" if last else ",\n")

    made: list[_Provider] = []

    def provider_records() -> Iterator[dict]:
        for index in range(1, providers + 1):
            provider, record = generator.provider(index)
            made.append(provider)
            yield record

    def programme_records() -> Iterator[dict]:
        for index in range(1, programmes + 1):
            yield generator.programme(index, made[generator.randrange(len(made))])

    yield from section("providers", provider_records())
    yield from section("programmes", programme_records())
    yield from section("needs", (generator.need(i) for i in range(1, needs + 1)), True)
    yield "}\n"


def write_dataset(
    out: TextIO,
    *,
    needs: int,
    programmes: int,
    seed: int,
    providers: int | None = None,
) -> None:
    """Write a synthetic dataset to a text stream, a few thousand lines at a time."""
    buffer: list[str] = []
    for line in generate_lines(
        needs=needs, programmes=programmes, seed=seed, providers=providers
    ):
        buffer.append(line)
        if len(buffer) >= 2000:
            out.write("".join(buffer))
            buffer.clear()
    out.write("".join(buffer))
