"""Bulk exchange of providers, programmes and needs as ``cbm-dataset/1`` JSON.

The format is described in DATASET.md. Records are matched by their ``ref``: an
import creates what is new, updates what differs and leaves the rest alone, so
importing the same file twice changes nothing. Validation reads the reference
data (countries, regions, languages, vocabularies) from the database and reports
every problem of a file at once; an import writes nothing unless there are none.

A new record's optional fields default (``description`` to "", ``capacity`` to
none, ``visibility`` to public...). An update sets only the fields its record
gives (``null`` resets one; ``eligibility`` is one field): a field left out
keeps its value. What the format does not carry is never touched: a row's
owner, a provider's verification, a need's ``shared_with`` and matching state.

An import never re-homes or declassifies a record silently: moving a need to
another country or a programme to another provider, and lowering a need's
visibility (confidential > registered > public), are problems naming the
record and field unless the caller allows them (``allow_moves``,
``allow_declassify``: the command's ``--allow-move`` and
``--allow-declassify``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from operator import itemgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from matchmaking import api_cache, jsontext
from matchmaking.engine.text.tokens import detect_language
from matchmaking.enums import NeedStatus, ProgrammeStatus, Visibility
from matchmaking.models import (
    LONG_TEXT,
    SHORT_TEXT,
    TAG_FIELDS,
    AssistanceType,
    Audience,
    CostModel,
    Country,
    DeliveryMode,
    Language,
    MemberState,
    Need,
    Priority,
    Programme,
    Provider,
    Region,
    StakeholderGroup,
    Topic,
    User,
    ends_before_start,
)
from matchmaking.names import name_key
from matchmaking.tasks import schedule_rematch

FORMAT = "cbm-dataset/1"
SECTIONS = ("providers", "programmes", "needs")

# Small enough for any database's limit on query parameters.
_CHUNK = 900
_BATCH = 500
IMPORT_CHANGE_REASON = "dataset import"
_MAX_POSITIVE_INT = 2_147_483_647
_REF = re.compile(r"[-a-zA-Z0-9_]+")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

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
_PROGRAMME_M2M = (*TAG_FIELDS, *Programme.ELIGIBILITY_FIELDS)
_NEED_M2M = TAG_FIELDS

# The vocabulary behind each slug field of the format, and its name in messages.
_VOCABULARIES: dict[str, tuple[type[models.Model], str]] = {
    "topics": (Topic, "topic"),
    "assistance_types": (AssistanceType, "assistance type"),
    "audiences": (Audience, "audience"),
    "delivery_modes": (DeliveryMode, "delivery mode"),
    "stakeholder_group": (StakeholderGroup, "stakeholder group"),
    "cost_model": (CostModel, "cost model"),
    "priority": (Priority, "priority"),
}


_FLAWS = {
    "nul": "contains a NUL character",
    "surrogate": "contains an unpaired surrogate (not valid Unicode)",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset, located by section, record ref and field."""

    ref: str
    section: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.section}[{self.ref}]" if self.ref else self.section
        path = ".".join(part for part in (where, self.field) if part)
        return f"{path}: {self.message}" if path else self.message


class DatasetInvalid(Exception):
    """A dataset with problems; nothing of it was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass(frozen=True)
class ImportResult:
    """How many records of each section were created, updated or left unchanged."""

    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]

    def summary(self) -> str:
        """One line: created/updated/unchanged per section."""
        return "; ".join(
            f"{section}: {self.created[section]} created, "
            f"{self.updated[section]} updated, {self.unchanged[section]} unchanged"
            for section in SECTIONS
        )


# --- validation -----------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    """The codes and slugs a dataset may use, read from the database."""

    countries: dict[str, bool]  # iso3 -> may post needs (UN member or observer)
    regions: frozenset[str]
    languages: frozenset[str]
    slugs: dict[str, frozenset[str]]  # format field -> valid slugs

    @classmethod
    def load(cls) -> _Reference:
        return cls(
            countries={
                iso3: member or observer
                for iso3, member, observer in Country.objects.values_list(
                    "iso3", "is_un_member", "is_observer"
                )
            },
            regions=frozenset(Region.objects.values_list("code", flat=True)),
            languages=frozenset(Language.objects.values_list("code", flat=True)),
            slugs={
                name: frozenset(model.objects.values_list("pk", flat=True))
                for name, (model, _noun) in _VOCABULARIES.items()
            },
        )


@dataclass(frozen=True)
class _Row:
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


class _Record:
    """Reads the fields of one record, noting each problem on the checker."""

    def __init__(
        self, checker: _Checker, section: str, ref: str, data: dict[str, Any]
    ) -> None:
        self.checker = checker
        self.section = section
        self.ref = ref
        self.data = data
        self.ok = True

    def problem(self, field: str, message: str) -> None:
        self.ok = False
        self.checker.problems.append(Problem(self.ref, self.section, field, message))

    def unknown_fields(
        self, allowed: frozenset[str], data: dict[str, Any], prefix: str = ""
    ) -> None:
        for key in data:
            if key not in allowed:
                self.problem(f"{prefix}{key}", "unknown field")

    def text(self, name: str, *, required: bool = False, max_length: int = 0) -> str:
        value = self.data.get(name)
        if value is None:
            if required:
                self.problem(name, "required")
            return ""
        if not isinstance(value, str):
            self.problem(name, "must be a string")
            return ""
        if required and not value.strip():
            self.problem(name, "must not be empty")
        elif max_length and len(value) > max_length:
            self.problem(name, f"longer than {max_length} characters")
        return value

    def slug(self, name: str, *, required: bool = False) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                self.problem(name, "required")
            return None
        if not isinstance(value, str):
            self.problem(name, "must be a string")
            return None
        noun = _VOCABULARIES[name][1]
        if value not in self.checker.reference.slugs[name]:
            self.problem(name, f"unknown {noun} '{value}'")
            return None
        return value

    def codes(
        self,
        name: str,
        known: Container[str],
        noun: str,
        *,
        data: dict[str, Any] | None = None,
        prefix: str = "",
        required: bool = False,
    ) -> frozenset[str]:
        value = (self.data if data is None else data).get(name)
        field = f"{prefix}{name}"
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problem(field, "must be a list of strings")
            return frozenset()
        for code in value:
            if code not in known:
                self.problem(field, f"unknown {noun} '{code}'")
        if required and not value:
            self.problem(field, f"at least one {noun} is required")
        return frozenset(value)

    def tags(self, name: str, *, required: bool = False) -> frozenset[str]:
        model_noun = _VOCABULARIES[name][1]
        return self.codes(
            name, self.checker.reference.slugs[name], model_noun, required=required
        )

    def languages(self) -> frozenset[str]:
        return self.codes(
            "languages", self.checker.reference.languages, "language", required=True
        )

    def country(self, *, required: bool = False, un_state: bool = False) -> str | None:
        value = self.data.get("country")
        if value is None:
            if required:
                self.problem("country", "required")
            return None
        if not isinstance(value, str):
            self.problem("country", "must be a string")
            return None
        may_post = self.checker.reference.countries.get(value)
        if may_post is None:
            self.problem("country", f"unknown country '{value}'")
            return None
        if un_state and not may_post:
            self.problem("country", f"'{value}' is not a UN member or observer state")
            return None
        return value

    def date(self, name: str) -> date | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, str) and _DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(name, f"{value!r} is not a date (YYYY-MM-DD)")
        return None

    def choice(
        self, name: str, choices: type[models.TextChoices], default: str | None
    ) -> str | None:
        value = self.data.get(name)
        if value is None:
            return default
        if value not in choices.values:
            listed = ", ".join(choices.values)
            self.problem(name, f"unknown {name} {value!r} (one of {listed})")
            return default
        return value

    def boolean(self, name: str, data: dict[str, Any], prefix: str = "") -> bool:
        value = data.get(name, False)
        if not isinstance(value, bool):
            self.problem(f"{prefix}{name}", "must be true or false")
            return False
        return value


class _Checker:
    """Validates a whole dataset, collecting every problem and the valid rows."""

    def __init__(
        self,
        data: object,
        *,
        allow_moves: bool = False,
        allow_declassify: bool = False,
    ) -> None:
        self.problems: list[Problem] = []
        self.providers: list[_Row] = []
        self.programmes: list[_Row] = []
        self.needs: list[_Row] = []
        if not isinstance(data, dict):
            self.problems.append(Problem("", "", "", "the dataset must be an object"))
            return
        # Strings the database cannot store would fail the first query that
        # carries one (a ref looked up, a row written): refuse them first.
        if not self._storable(data):
            return
        self.reference = _Reference.load()
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
                    check(_Record(self, section, ref, record))
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
        wanted = values("programmes", "provider") - in_file
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
            for chunk in _chunks(sorted(keys))
            for key, ref in Provider.objects.filter(name_key__in=chunk)
            .exclude(ref__in=renamed)
            .values_list("name_key", "ref")
        }

    def _check_providers(self, record: _Record) -> None:
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
                _Row(record.ref, fields, {}, None, "", _given("providers", record.data))
            )

    def _check_programmes(self, record: _Record) -> None:
        provider = record.data.get("provider")
        if provider is None:
            record.problem("provider", "required")
        elif not isinstance(provider, str):
            record.problem("provider", "must be a string")
        elif provider not in self.known_providers:
            record.problem("provider", f"unknown provider '{provider}'")
        status = record.choice("status", ProgrammeStatus, None)
        fields: dict[str, Any] = {
            "title": record.text("title", required=True, max_length=300),
            "summary": record.text("summary", max_length=SHORT_TEXT),
            "description": record.text("description", max_length=LONG_TEXT),
        }
        m2m = {
            "topics": record.tags("topics", required=True),
            "assistance_types": record.tags("assistance_types"),
            "audiences": record.tags("audiences"),
            "languages": record.languages(),
            "delivery_modes": record.tags("delivery_modes"),
        }
        eligibility = record.data.get("eligibility")
        if eligibility is None:
            eligibility = {}
        if not isinstance(eligibility, dict):
            record.problem("eligibility", "must be an object")
            eligibility = {}
        reference = self.reference
        m2m["eligible_regions"] = record.codes(
            "regions",
            reference.regions,
            "region",
            data=eligibility,
            prefix="eligibility.",
        )
        m2m["eligible_countries"] = record.codes(
            "countries",
            reference.countries,
            "country",
            data=eligibility,
            prefix="eligibility.",
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
        record.unknown_fields(_PROGRAMME_FIELDS, record.data)
        if record.ok:
            given = _given("programmes", record.data)
            self.programmes.append(
                _Row(record.ref, fields, m2m, status, provider, given)
            )

    def _content_language(self, fields: dict[str, Any]) -> str:
        """The language of a record's text: cbm-dataset/1 has no field for it
        (and refuses unknown fields), so it is read from the text itself."""
        text = " ".join(
            str(fields.get(name) or "") for name in ("title", "summary", "description")
        )
        code = detect_language(text)
        return code if code in self.reference.languages else "en"

    def _check_needs(self, record: _Record) -> None:
        country = record.country(required=True, un_state=True)
        status = record.choice("status", NeedStatus, None)
        fields: dict[str, Any] = {
            "title": record.text("title", required=True, max_length=300),
            "summary": record.text("summary", max_length=SHORT_TEXT),
            "description": record.text("description", max_length=LONG_TEXT),
        }
        # Needs may come untagged (text only): the engine reads their text.
        m2m = {
            "topics": record.tags("topics"),
            "assistance_types": record.tags("assistance_types"),
            "audiences": record.tags("audiences"),
            "languages": record.languages(),
            "delivery_modes": record.tags("delivery_modes"),
        }
        fields["priority_id"] = record.slug("priority")
        fields["visibility"] = record.choice(
            "visibility", Visibility, Visibility.PUBLIC.value
        )
        fields["needed_by"] = record.date("needed_by")
        fields["content_language_id"] = self._content_language(fields)
        record.unknown_fields(_NEED_FIELDS, record.data)
        if record.ok and country:
            given = _given("needs", record.data)
            self.needs.append(_Row(record.ref, fields, m2m, status, country, given))


def _existing(
    model: type[models.Model], rows: Sequence[_Row], column: str
) -> dict[str, Any]:
    """A column of the rows already in the database, by ref."""
    refs = sorted({row.ref for row in rows})
    return {
        ref: value
        for chunk in _chunks(refs)
        for ref, value in model.objects.filter(ref__in=chunk).values_list("ref", column)
    }


def validate_dataset(
    *, data: object, allow_moves: bool = False, allow_declassify: bool = False
) -> list[Problem]:
    """Every problem of a ``cbm-dataset/1`` document, in file order; writes nothing."""
    return _Checker(
        data, allow_moves=allow_moves, allow_declassify=allow_declassify
    ).problems


# --- import ---------------------------------------------------------------


def _chunks[T](items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _values_by_chunk(
    model: type[models.Model], lookup: str, column: str, keys: Iterable[Any]
) -> list[Any]:
    keys = sorted(keys)
    return [
        value
        for chunk in _chunks(keys)
        for value in model.objects.filter(**{f"{lookup}__in": chunk}).values_list(
            column, flat=True
        )
    ]


def _ids_by_ref(model: type[models.Model], refs: Iterable[str]) -> dict[str, int]:
    refs = sorted(set(refs))
    return {
        ref: pk
        for chunk in _chunks(refs)
        for ref, pk in model.objects.filter(ref__in=chunk).values_list("ref", "pk")
    }


def _through(
    model: type[models.Model], name: str
) -> tuple[type[models.Model], str, str]:
    """The M2M's through model and its source and target column attnames."""
    field = model._meta.get_field(name)
    return (
        field.remote_field.through,
        f"{field.m2m_field_name()}_id",
        f"{field.m2m_reverse_field_name()}_id",
    )


def _upsert(
    model: type[models.Model],
    rows: list[_Row],
    *,
    m2m: Sequence[str],
    on_create: dict[str, Any],
    user: User | None,
) -> tuple[int, int, int]:
    """Create, update or leave alone each row by ref: (created, updated, unchanged)."""
    existing = {
        obj.ref: obj
        for chunk in _chunks([row.ref for row in rows])
        for obj in model.objects.filter(ref__in=chunk)
    }
    existing_pks = [obj.pk for obj in existing.values()]
    current: dict[str, dict[int, set[str]]] = {}
    for name in m2m:
        through, source, target = _through(model, name)
        current[name] = defaultdict(set)
        for chunk in _chunks(existing_pks):
            pairs = through.objects.filter(**{f"{source}__in": chunk}).values_list(
                source, target
            )
            for pk, key in pairs:
                current[name][pk].add(key)

    now = timezone.now()
    created: list[tuple[models.Model, _Row]] = []
    updated: list[models.Model] = []
    update_fields: set[str] = set()
    replaced: dict[str, list[tuple[models.Model, _Row]]] = defaultdict(list)
    unchanged = 0
    for row in rows:
        values = dict(row.fields)
        if row.status is not None:
            values["status"] = row.status
        obj = existing.get(row.ref)
        if obj is None:
            created.append((model(ref=row.ref, **{**on_create, **values}), row))
            continue
        # An update sets what the record gives; a field left out keeps its value.
        changed = [
            name
            for name, value in values.items()
            if (name in row.given or name == "status") and getattr(obj, name) != value
        ]
        changed_m2m = [
            name
            for name in m2m
            if name in row.given and current[name][obj.pk] != row.m2m[name]
        ]
        if not changed and not changed_m2m:
            unchanged += 1
            continue
        for name in changed:
            setattr(obj, name, values[name])
        obj.updated_at = now
        update_fields.update(changed)
        updated.append(obj)
        for name in changed_m2m:
            replaced[name].append((obj, row))

    # Bulk writes with one audit record per row (simple_history's bulk helpers:
    # one extra INSERT per batch), so an import is as traceable as a form edit.
    bulk_create_with_history(
        [obj for obj, _row in created],
        model,
        batch_size=_BATCH,
        default_user=user,
        default_change_reason=IMPORT_CHANGE_REASON,
    )
    if updated:
        bulk_update_with_history(
            updated,
            model,
            sorted({*update_fields, "updated_at"}),
            batch_size=_BATCH,
            default_user=user,
            default_change_reason=IMPORT_CHANGE_REASON,
        )
    for name in m2m:
        through, source, target = _through(model, name)
        stale = [obj.pk for obj, _row in replaced[name]]
        for chunk in _chunks(stale):
            through.objects.filter(**{f"{source}__in": chunk}).delete()
        through.objects.bulk_create(
            [
                through(**{source: obj.pk, target: key})
                for obj, row in [*created, *replaced[name]]
                for key in sorted(row.m2m[name])
            ],
            batch_size=_BATCH,
        )
    return len(created), len(updated), unchanged


def _member_state_ids(countries: set[str]) -> dict[str, int]:
    """The member state of each country, created where missing."""
    found = dict(
        MemberState.objects.filter(country_id__in=sorted(countries)).values_list(
            "country_id", "pk"
        )
    )
    missing = [MemberState(country_id=iso3) for iso3 in sorted(countries - set(found))]
    MemberState.objects.bulk_create(missing)
    found.update({state.country_id: state.pk for state in missing})
    return found


def _back_to_verification(rows: list[_Row]) -> list[_Row]:
    """Rows that change the identity of a verified provider also clear its
    verification (as Provider.save does; bulk writes do not call it)."""
    identity = Provider.IDENTITY_FIELDS
    verified = {
        values["ref"]: values
        for chunk in _chunks(sorted(row.ref for row in rows))
        for values in Provider.objects.filter(ref__in=chunk, is_verified=True).values(
            "ref", *identity
        )
    }
    cleared = {"is_verified": False, "verified_at": None, "verified_by_id": None}
    result = []
    for row in rows:
        stored = verified.get(row.ref)
        if stored and any(
            name in row.given and stored[name] != row.fields[name] for name in identity
        ):
            row = replace(
                row, fields={**row.fields, **cleared}, given=row.given | set(cleared)
            )
        result.append(row)
    return result


@transaction.atomic
def import_dataset(
    *,
    data: object,
    user: User | None = None,
    allow_moves: bool = False,
    allow_declassify: bool = False,
) -> ImportResult:
    """Upsert a ``cbm-dataset/1`` document by ref; on a problem, write nothing.

    ``allow_moves`` lets records change provider or country, ``allow_declassify``
    lets needs' visibility fall; without them either is a problem.
    """
    checker = _Checker(data, allow_moves=allow_moves, allow_declassify=allow_declassify)
    if checker.problems:
        raise DatasetInvalid(checker.problems)
    counts = {
        "providers": _upsert(
            Provider,
            _back_to_verification(checker.providers),
            m2m=(),
            on_create={},
            user=user,
        )
    }

    provider_ids = _ids_by_ref(Provider, (row.link for row in checker.programmes))
    for row in checker.programmes:
        row.fields["provider_id"] = provider_ids[row.link]
    counts["programmes"] = _upsert(
        Programme,
        checker.programmes,
        m2m=_PROGRAMME_M2M,
        on_create={"status": ProgrammeStatus.PUBLISHED, "owner": user},
        user=user,
    )

    states = _member_state_ids({row.link for row in checker.needs})
    for row in checker.needs:
        row.fields["member_state_id"] = states[row.link]
    counts["needs"] = _upsert(
        Need,
        checker.needs,
        m2m=_NEED_M2M,
        on_create={"status": NeedStatus.OPEN, "owner": user},
        user=user,
    )
    api_cache.changed()  # bulk writes send no signal
    result = ImportResult(
        created={section: counts[section][0] for section in SECTIONS},
        updated={section: counts[section][1] for section in SECTIONS},
        unchanged={section: counts[section][2] for section in SECTIONS},
    )
    if any(result.created.values()) or any(result.updated.values()):
        schedule_rematch()
    return result


# --- export ---------------------------------------------------------------


def _tags_by_pk(
    model: type[models.Model], name: str, records: QuerySet
) -> dict[int, list[str]]:
    """One query: the sorted target keys of an M2M for every row of a queryset."""
    through, source, target = _through(model, name)
    found: dict[int, list[str]] = defaultdict(list)
    pairs = through.objects.filter(**{f"{source}__in": records.values("pk")})
    for pk, key in pairs.values_list(source, target).order_by():
        found[pk].append(key)
    for keys in found.values():
        keys.sort()
    return found


def _record_rows(
    records: QuerySet, m2m: Sequence[str], *fields: str
) -> tuple[list[dict[str, Any]], dict[str, dict[int, list[str]]]]:
    """The needs' or programmes' rows (by ref) with ``fields``, and their tags."""
    rows = sorted(
        records.order_by().values(
            "pk", "ref", "status", "title", "summary", "description", *fields
        ),
        key=itemgetter("ref"),
    )
    return rows, {name: _tags_by_pk(records.model, name, records) for name in m2m}


def _record_head(
    row: dict[str, Any],
    owner: str,
    owner_field: str,
    tags: dict[str, dict[int, list[str]]],
) -> dict[str, Any]:
    """What an exported need or programme starts with: its ref, its ``owner``
    (read from ``owner_field``), status, text and tags."""
    return {
        "ref": row["ref"],
        owner: row[owner_field],
        "status": row["status"],
        "title": row["title"],
        "summary": row["summary"],
        "description": row["description"],
        **{name: tags[name].get(row["pk"], []) for name in TAG_FIELDS},
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def export_dataset(
    *,
    providers: QuerySet[Provider],
    programmes: QuerySet[Programme],
    needs: QuerySet[Need],
    about: str = "",
) -> dict:
    """The records of the querysets as a ``cbm-dataset/1`` document, sorted by ref.

    Providers of the exported programmes are included. Runs 15 queries whatever
    the size: providers, programmes and 7 of their M2Ms, needs and 5 of theirs.
    """
    programmes = programmes.select_related(None).prefetch_related(None)
    needs = needs.select_related(None).prefetch_related(None)
    provider_rows = (
        Provider.objects.filter(
            Q(pk__in=providers.values("pk"))
            | Q(pk__in=programmes.values("provider_id"))
        )
        .order_by()
        .values_list(
            "ref",
            "name",
            "stakeholder_group_id",
            "country_id",
            "website",
            "description",
        )
    )
    exported_providers = [
        {
            "ref": ref,
            "name": name,
            "stakeholder_group": group,
            "country": country,
            "website": website,
            "description": description,
        }
        for ref, name, group, country, website, description in sorted(provider_rows)
    ]

    # Sorted here, not in SQL: collations differ between databases.
    programme_rows, tags = _record_rows(
        programmes,
        _PROGRAMME_M2M,
        "provider__ref",
        "ldc_only",
        "sids_only",
        "cost_model_id",
        "capacity",
        "starts_on",
        "ends_on",
    )
    exported_programmes = [
        {
            **_record_head(p, "provider", "provider__ref", tags),
            "eligibility": {
                "regions": tags["eligible_regions"].get(p["pk"], []),
                "countries": tags["eligible_countries"].get(p["pk"], []),
                "ldc_only": p["ldc_only"],
                "sids_only": p["sids_only"],
            },
            "cost_model": p["cost_model_id"],
            "capacity": p["capacity"],
            "starts_on": _iso(p["starts_on"]),
            "ends_on": _iso(p["ends_on"]),
        }
        for p in programme_rows
    ]

    need_rows, tags = _record_rows(
        needs,
        _NEED_M2M,
        "member_state__country_id",
        "priority_id",
        "visibility",
        "needed_by",
    )
    exported_needs = [
        {
            **_record_head(n, "country", "member_state__country_id", tags),
            "priority": n["priority_id"],
            "visibility": n["visibility"],
            "needed_by": _iso(n["needed_by"]),
        }
        for n in need_rows
    ]
    return {
        "format": FORMAT,
        "about": about,
        "providers": exported_providers,
        "programmes": exported_programmes,
        "needs": exported_needs,
    }
