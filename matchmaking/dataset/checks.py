"""Validation of a ``cbm-dataset/1`` document (the format is in docs/DATASET.md).

Validation reads the reference data (countries, regions, languages,
vocabularies) from the database and reports every problem of a file at once,
each naming its section, record ref and field; ``exchange`` writes nothing
unless there are none. Each record is read field by field (``records``) into a
:class:`Row` in model terms.

An import never re-homes or declassifies a record silently: moving a need to
another country or a programme to another provider, and lowering a need's
visibility (confidential > registered > public), are problems naming the
record and field unless the caller allows them (``allow_moves``,
``allow_declassify``: the command's ``--allow-move`` and
``--allow-declassify``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models

from matchmaking import jsontext
from matchmaking.dataset.records import Problem
from matchmaking.dataset.records import Record
from matchmaking.dataset.records import Reference
from matchmaking.engine.text.tokens import detect_language
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.funding.services import parse_funding
from matchmaking.models import LONG_TEXT
from matchmaking.models import SHORT_TEXT
from matchmaking.models import TAG_FIELDS
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import ends_before_start
from matchmaking.names import name_key

FORMAT = "cbm-dataset/1"
SECTIONS = ("providers", "programmes", "needs")

# Small enough for any database's limit on query parameters.
_CHUNK = 900
_MAX_POSITIVE_INT = 2_147_483_647
_REF = re.compile(r"[-a-zA-Z0-9_]+")

_TOP_LEVEL_FIELDS = frozenset({"format", "about", *SECTIONS, "judgments"})
_PROVIDER_FIELDS = frozenset(
    {"ref", "name", "stakeholder_group", "country", "website", "description"}
)
_PROGRAMME_FIELDS = frozenset(
    {
        "ref",
        "provider",
        "status",
        "title",
        "summary",
        "description",
        *TAG_FIELDS,
        "eligibility",
        "cost_model",
        "capacity",
        "starts_on",
        "ends_on",
        "funding",
    }
)
_ELIGIBILITY_FIELDS = frozenset({"regions", "countries", "ldc_only", "sids_only"})
_NEED_FIELDS = frozenset(
    {
        "ref",
        "country",
        "status",
        "title",
        "summary",
        "description",
        *TAG_FIELDS,
        "priority",
        "visibility",
        "needed_by",
    }
)
PROGRAMME_M2M = (*TAG_FIELDS, *Programme.ELIGIBILITY_FIELDS)
NEED_M2M = TAG_FIELDS

_FLAWS = {
    "nul": "contains a NUL character",
    "surrogate": "contains an unpaired surrogate (not valid Unicode)",
}


class DatasetInvalid(Exception):
    """A dataset with problems; nothing of it was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class Row:
    """A valid record, in model terms: attnames, M2M target keys, status if given."""

    ref: str
    fields: dict[str, Any]
    m2m: dict[str, frozenset[str]]
    status: str | None
    link: str  # programmes: the provider's ref; needs: the country's iso3
    given: frozenset[str]  # the attnames and M2Ms the record sets (updates)


# Format fields whose model names differ (others are the same name).
_MODEL_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "providers": {
        "name": ("name", "name_key"),
        "stakeholder_group": ("stakeholder_group_id",),
        "country": ("country_id",),
    },
    "programmes": {
        "provider": ("provider_id",),
        "cost_model": ("cost_model_id",),
        "eligibility": (
            "eligible_regions",
            "eligible_countries",
            "ldc_only",
            "sids_only",
        ),
        # Written by matchmaking.funding.services, not a programme field.
        "funding": (),
    },
    "needs": {"country": ("member_state_id",), "priority": ("priority_id",)},
}

# From least to most restricted: an import may only raise a need's level.
_VISIBILITY_RANK = {
    Visibility.PUBLIC.value: 0,
    Visibility.REGISTERED.value: 1,
    Visibility.CONFIDENTIAL.value: 2,
}


def _given(section: str, data: dict[str, Any]) -> frozenset[str]:
    """The model fields and M2Ms a record sets: the keys it has (``null``
    included); the content language follows the text, which is required."""
    renames = _MODEL_NAMES[section]
    names = {"content_language_id"}
    for key in data:
        names.update(renames.get(key, (key,)))
    return frozenset(names)


class Checker:
    """Validates a whole dataset, collecting every problem and the valid rows."""

    def __init__(
        self,
        data: object,
        *,
        allow_moves: bool = False,
        allow_declassify: bool = False,
    ) -> None:
        self.problems: list[Problem] = []
        self.providers: list[Row] = []
        self.programmes: list[Row] = []
        self.needs: list[Row] = []
        # Programmes' funding as given (ref -> object), written after them.
        self.funding: dict[str, Any] = {}
        if not isinstance(data, dict):
            self.problems.append(Problem("", "", "", "the dataset must be an object"))
            return
        # Strings the database cannot store would fail the first query that
        # carries one (a ref looked up, a row written): refuse them first.
        if not self._storable(data):
            return
        self.reference = Reference.load()
        self._check_header(data)
        self.known_providers = self._known_providers(data)
        self.provider_names = self._provider_names(data)
        checks = {
            "providers": self._check_providers,
            "programmes": self._check_programmes,
            "needs": self._check_needs,
        }
        for section, check in checks.items():
            if section in data:
                for ref, record in self._records(data, section):
                    check(Record(self.problems, self.reference, section, ref, record))
        if not allow_moves:
            self._refuse_moves()
        if not allow_declassify:
            self._refuse_declassifying()

    def _refuse_moves(self) -> None:
        """An existing programme keeps its provider, a need its country."""
        for section, records, model, field, link, owner_path, move in (
            (
                "programmes",
                self.programmes,
                Programme,
                "provider",
                "provider_id",
                "provider__ref",
                "the programme from provider '{before}' to '{after}'",
            ),
            (
                "needs",
                self.needs,
                Need,
                "country",
                "member_state_id",
                "member_state__country_id",
                "the need from {before} to {after}",
            ),
        ):
            rows = [row for row in records if link in row.given]
            owners = _existing(model, rows, owner_path)
            for row in rows:
                before = owners.get(row.ref)
                if before is not None and before != row.link:
                    self.problems.append(
                        Problem(
                            row.ref,
                            section,
                            field,
                            f"would move {move.format(before=before, after=row.link)}"
                            "; an import moves records only when told to "
                            "(--allow-move)",
                        )
                    )

    def _refuse_declassifying(self) -> None:
        """An existing need's visibility may rise, never fall."""
        rows = [row for row in self.needs if "visibility" in row.given]
        levels = _existing(Need, rows, "visibility")
        for row in rows:
            before, after = levels.get(row.ref), row.fields["visibility"]
            if before is not None and (
                _VISIBILITY_RANK[after] < _VISIBILITY_RANK[before]
            ):
                self.problems.append(
                    Problem(
                        row.ref,
                        "needs",
                        "visibility",
                        f"would lower the visibility from {before} to {after}; "
                        "an import declassifies only when told to "
                        "(--allow-declassify)",
                    )
                )

    def _storable(self, data: dict[str, Any]) -> bool:
        """Note each string no database can store, or too deep a nesting."""
        try:
            unsafe = list(jsontext.unsafe_strings(data))
        except jsontext.TooDeep:
            self.problems.append(
                Problem(
                    "",
                    "",
                    "",
                    f"nested more than {jsontext.MAX_DEPTH} levels deep "
                    "(arrays and objects)",
                )
            )
            return False
        for item in unsafe:
            self.problems.append(self._located(data, item.path, _FLAWS[item.flaw]))
        return not unsafe

    @staticmethod
    def _located(data: dict, path: tuple[str | int, ...], message: str) -> Problem:
        """A problem at a path, named by section, record ref and field."""
        if len(path) >= 2 and path[0] in SECTIONS and isinstance(path[1], int):
            section, index = str(path[0]), path[1]
            record = data[section][index]
            ref = record.get("ref") if isinstance(record, dict) else None
            if not (isinstance(ref, str) and _REF.fullmatch(ref) and len(ref) <= 100):
                ref = f"#{index}"
            return Problem(ref, section, ".".join(map(str, path[2:])), message)
        return Problem("", "", ".".join(map(str, path)), message)

    def _check_header(self, data: dict[str, Any]) -> None:
        fmt = data.get("format")
        if fmt is None:
            self.problems.append(Problem("", "", "format", "required"))
        elif fmt != FORMAT:
            self.problems.append(
                Problem("", "", "format", f"expected '{FORMAT}', got {fmt!r}")
            )
        if not isinstance(data.get("about", ""), str):
            self.problems.append(Problem("", "", "about", "must be a string"))
        self.problems.extend(
            Problem("", "", key, "unknown field")
            for key in data
            if key not in _TOP_LEVEL_FIELDS
        )

    def _records(self, data: dict, section: str) -> Iterator[tuple[str, dict]]:
        """The section's records with their refs; "#index" names one without."""
        raw = data[section]
        if not isinstance(raw, list):
            self.problems.append(Problem("", section, "", "must be a list"))
            return
        seen: set[str] = set()
        for index, record in enumerate(raw):
            label = f"#{index}"
            if not isinstance(record, dict):
                self.problems.append(Problem(label, section, "", "must be an object"))
                continue
            ref = record.get("ref")
            if ref is None:
                self.problems.append(Problem(label, section, "ref", "required"))
            elif not isinstance(ref, str) or not _REF.fullmatch(ref) or len(ref) > 100:
                self.problems.append(
                    Problem(
                        label,
                        section,
                        "ref",
                        f"{ref!r} is not a ref (up to 100 letters, digits, "
                        "hyphens and underscores)",
                    )
                )
            elif ref in seen:
                self.problems.append(
                    Problem(ref, section, "ref", f"duplicate ref '{ref}'")
                )
                label = ref
            else:
                seen.add(ref)
                label = ref
            yield label, record

    def _known_providers(self, data: dict[str, Any]) -> set[str]:
        """Provider refs programmes may point to: the file's and the database's."""

        def values(section: str, field: str) -> set[str]:
            records = data.get(section)
            if not isinstance(records, list):
                return set()
            return {
                record[field]
                for record in records
                if isinstance(record, dict) and isinstance(record.get(field), str)
            }

        in_file = values("providers", "ref")
        wanted = (values("programmes", "provider") | _funding_providers(data)) - in_file
        return in_file | set(_values_by_chunk(Provider, "ref", "ref", wanted))

    def _provider_names(self, data: dict[str, Any]) -> dict[str, str]:
        """Name keys taken in the database by providers the file does not
        rename (name key -> ref); the file's providers add theirs in order."""
        records = data.get("providers")
        if not isinstance(records, list):
            records = []
        renamed = {
            record["ref"]
            for record in records
            if isinstance(record, dict) and isinstance(record.get("ref"), str)
        }
        keys = {
            name_key(record["name"])
            for record in records
            if isinstance(record, dict) and isinstance(record.get("name"), str)
        }
        return {
            key: ref
            for chunk in chunks(sorted(keys))
            for key, ref in Provider.objects.filter(name_key__in=chunk)
            .exclude(ref__in=renamed)
            .values_list("name_key", "ref")
        }

    def _check_providers(self, record: Record) -> None:
        fields = {
            "name": record.text("name", required=True, max_length=200),
            "stakeholder_group_id": record.slug("stakeholder_group", required=True),
            "country_id": record.country(),
            "website": record.text("website", max_length=200),
            "description": record.text("description", max_length=LONG_TEXT),
        }
        if fields["website"]:
            try:
                URLValidator()(fields["website"])
            except ValidationError:
                record.problem("website", f"{fields['website']!r} is not a URL")
        fields["name_key"] = name_key(fields["name"])
        same = self.provider_names.setdefault(fields["name_key"], record.ref)
        if fields["name"] and same != record.ref:
            record.problem(
                "name",
                f"the name of provider '{same}' already (names are compared "
                "ignoring case, accents and look-alike letters)",
            )
        record.unknown_fields(_PROVIDER_FIELDS, record.data)
        if record.ok:
            self.providers.append(
                Row(record.ref, fields, {}, None, "", _given("providers", record.data))
            )

    def _check_programmes(self, record: Record) -> None:
        provider = record.data.get("provider")
        if provider is None:
            record.problem("provider", "required")
        elif not isinstance(provider, str):
            record.problem("provider", "must be a string")
        elif provider not in self.known_providers:
            record.problem("provider", f"unknown provider '{provider}'")
        status = record.choice("status", ProgrammeStatus, None)
        fields, m2m = _text_and_tags(record, topics_required=True)
        eligibility = record.data.get("eligibility")
        if eligibility is None:
            eligibility = {}
        if not isinstance(eligibility, dict):
            record.problem("eligibility", "must be an object")
            eligibility = {}
        reference = self.reference
        for name, known, noun in (
            ("regions", reference.regions, "region"),
            ("countries", reference.countries, "country"),
        ):
            m2m[f"eligible_{name}"] = record.codes(
                name, known, noun, data=eligibility, prefix="eligibility."
            )
        fields["ldc_only"] = record.boolean("ldc_only", eligibility, "eligibility.")
        fields["sids_only"] = record.boolean("sids_only", eligibility, "eligibility.")
        record.unknown_fields(_ELIGIBILITY_FIELDS, eligibility, "eligibility.")
        fields["cost_model_id"] = record.slug("cost_model")
        capacity = record.data.get("capacity")
        if capacity is not None and (
            isinstance(capacity, bool)
            or not isinstance(capacity, int)
            or not 0 <= capacity <= _MAX_POSITIVE_INT
        ):
            record.problem("capacity", "must be a whole number, 0 or more")
        fields["capacity"] = capacity
        fields["starts_on"] = record.date("starts_on")
        fields["ends_on"] = record.date("ends_on")
        starts_on, ends_on = fields["starts_on"], fields["ends_on"]
        if ends_before_start(starts_on, ends_on):
            record.problem("ends_on", "is before starts_on")
        fields["content_language_id"] = self._content_language(fields)
        self._check_funding(record)
        record.unknown_fields(_PROGRAMME_FIELDS, record.data)
        if record.ok:
            given = _given("programmes", record.data)
            self.programmes.append(
                Row(record.ref, fields, m2m, status, provider, given)
            )

    def _check_funding(self, record: Record) -> None:
        """Roles and money (optional): every problem named ``funding.<path>``."""
        if "funding" not in record.data:
            return
        if record.data["funding"] is None:  # null: no funding recorded
            self.funding[record.ref] = {}
            return
        funding = record.data["funding"]
        try:
            parse_funding(funding, providers=dict.fromkeys(self.known_providers, 0))
        except ValidationError as error:
            for where, messages in error.message_dict.items():
                for message in messages:
                    record.problem(f"funding.{where}", message)
            return
        self.funding[record.ref] = funding

    def _content_language(self, fields: dict[str, Any]) -> str:
        """The language of a record's text: cbm-dataset/1 has no field for it
        (and refuses unknown fields), so it is read from the text itself."""
        text = " ".join(
            str(fields.get(name) or "") for name in ("title", "summary", "description")
        )
        code = detect_language(text)
        return code if code in self.reference.languages else "en"

    def _check_needs(self, record: Record) -> None:
        country = record.country(required=True, un_state=True)
        status = record.choice("status", NeedStatus, None)
        # Needs may come untagged (text only): the engine reads their text.
        fields, m2m = _text_and_tags(record, topics_required=False)
        fields["priority_id"] = record.slug("priority")
        fields["visibility"] = record.choice(
            "visibility", Visibility, Visibility.PUBLIC.value
        )
        fields["needed_by"] = record.date("needed_by")
        fields["content_language_id"] = self._content_language(fields)
        record.unknown_fields(_NEED_FIELDS, record.data)
        if record.ok and country:
            given = _given("needs", record.data)
            self.needs.append(Row(record.ref, fields, m2m, status, country, given))


def _funding_providers(data: dict[str, Any]) -> set[str]:
    """The provider refs the programmes' participating organisations name."""
    refs: set[str] = set()
    records = data.get("programmes")
    for record in records if isinstance(records, list) else ():
        funding = record.get("funding") if isinstance(record, dict) else None
        participants = (
            funding.get("participants") if isinstance(funding, dict) else None
        )
        for item in participants if isinstance(participants, list) else ():
            if isinstance(item, dict) and isinstance(item.get("provider"), str):
                refs.add(item["provider"])
    return refs


def chunks[T](items: Sequence[T]) -> Iterator[Sequence[T]]:
    """The items in slices of at most ``_CHUNK``."""
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _values_by_chunk(
    model: type[models.Model], lookup: str, column: str, keys: Iterable[Any]
) -> list[Any]:
    keys = sorted(keys)
    return [
        value
        for chunk in chunks(keys)
        for value in model.objects.filter(**{f"{lookup}__in": chunk}).values_list(
            column, flat=True
        )
    ]


def _existing(
    model: type[models.Model], rows: Sequence[Row], column: str
) -> dict[str, Any]:
    """A column of the rows already in the database, by ref."""
    refs = sorted({row.ref for row in rows})
    return {
        ref: value
        for chunk in chunks(refs)
        for ref, value in model.objects.filter(ref__in=chunk).values_list("ref", column)
    }


def validate_dataset(
    *, data: object, allow_moves: bool = False, allow_declassify: bool = False
) -> list[Problem]:
    """Every problem of a ``cbm-dataset/1`` document, in file order; writes nothing."""
    return Checker(
        data, allow_moves=allow_moves, allow_declassify=allow_declassify
    ).problems


def _text_and_tags(
    record: Record, *, topics_required: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A need's or programme's texts and tags: (fields, many-to-many values)."""
    fields: dict[str, Any] = {
        "title": record.text("title", required=True, max_length=300),
        "summary": record.text("summary", max_length=SHORT_TEXT),
        "description": record.text("description", max_length=LONG_TEXT),
    }
    m2m = {
        "topics": record.tags("topics", required=topics_required),
        "assistance_types": record.tags("assistance_types"),
        "audiences": record.tags("audiences"),
        "languages": record.languages(),
        "delivery_modes": record.tags("delivery_modes"),
    }
    return fields, m2m
