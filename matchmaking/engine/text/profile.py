"""What a record's text says (TextProfile) and the lexicon concepts it is made of."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    """One lexicon concept and what it implies in the taxonomy."""

    id: str
    label: str
    labels: Mapping[str, str]
    topics: Mapping[str, float]
    audiences: Mapping[str, float]
    assistance_types: Mapping[str, float]


PROFILE_FIELDS = ("concepts", "topics", "audiences", "assistance_types", "words")
# Part of Lexicon.fingerprint: bump it whenever a change to the analysis code
# alters profiles, so that profiles cached by callers are recomputed.
ANALYSIS_VERSION = 6


@dataclass(frozen=True)
class TextProfile:
    """What a record's text says: weighted concept mentions and implied tags."""

    concepts: Mapping[str, float]
    topics: Mapping[str, float]
    audiences: Mapping[str, float]
    assistance_types: Mapping[str, float]
    words: Mapping[str, float]

    def to_dict(self) -> dict[str, dict[str, float]]:
        """A plain JSON-able dict of the profile (see :meth:`from_dict`)."""
        return {name: dict(getattr(self, name)) for name in PROFILE_FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, float]]) -> TextProfile:
        """The profile that :meth:`to_dict` gave, e.g. after a JSON round trip."""
        return cls(
            **{
                name: {str(k): float(v) for k, v in data[name].items()}
                for name in PROFILE_FIELDS
            }
        )
