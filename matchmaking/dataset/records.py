"""Reading one record of a ``cbm-dataset/1`` document (``checks`` reads the rest).

A :class:`Record` reads each field against the reference data (a
:class:`Reference`, loaded once per document) and notes every problem, named by
section, record ref and field, on the document's list of problems.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.apps import apps
from django.db import models

from matchmaking.models import Country
from matchmaking.models import Language
from matchmaking.models import Region
from matchmaking.reference import VOCABULARY_MODELS

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# The taxonomy vocabulary (reference.VOCABULARY_MODELS) behind each slug field
# of the format, and its name in messages.
_VOCABULARIES: dict[str, tuple[str, str]] = {
    "topics": ("topics", "topic"),
    "assistance_types": ("assistance_types", "assistance type"),
    "audiences": ("audiences", "audience"),
    "delivery_modes": ("delivery_modes", "delivery mode"),
    "stakeholder_group": ("stakeholder_groups", "stakeholder group"),
    "cost_model": ("cost_models", "cost model"),
    "priority": ("priorities", "priority"),
}


def _vocabulary(name: str) -> type[models.Model]:
    return apps.get_model("matchmaking", VOCABULARY_MODELS[name])


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


@dataclass(frozen=True)
class Reference:
    """The codes and slugs a dataset may use, read from the database."""

    countries: dict[str, bool]  # iso3 -> may post needs (UN member or observer)
    regions: frozenset[str]
    languages: frozenset[str]
    slugs: dict[str, frozenset[str]]  # format field -> valid slugs

    @classmethod
    def load(cls) -> Reference:
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
                name: frozenset(
                    _vocabulary(vocabulary).objects.values_list("pk", flat=True)
                )
                for name, (vocabulary, _noun) in _VOCABULARIES.items()
            },
        )


class Record:
    """Reads the fields of one record, noting each problem on the list."""

    def __init__(
        self,
        problems: list[Problem],
        reference: Reference,
        section: str,
        ref: str,
        data: dict[str, Any],
    ) -> None:
        self.problems = problems
        self.reference = reference
        self.section = section
        self.ref = ref
        self.data = data
        self.ok = True

    def problem(self, field: str, message: str) -> None:
        self.ok = False
        self.problems.append(Problem(self.ref, self.section, field, message))

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
        if value not in self.reference.slugs[name]:
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
            name, self.reference.slugs[name], model_noun, required=required
        )

    def languages(self) -> frozenset[str]:
        return self.codes(
            "languages", self.reference.languages, "language", required=True
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
        may_post = self.reference.countries.get(value)
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
