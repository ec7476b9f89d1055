"""The engine's text analyses kept in the database, by a digest of the text.

Analysing a record's text is the costliest part of encoding it, and depends on
the text and the lexicon alone. The task worker keeps the analyses it made in
memory (``suggestions.py``); these rows carry them over to the next process
(a restarted worker, ``manage.py rematch``), which then analyses only the
texts that changed. A full rematch stores what is missing and deletes the rows
no record uses any more.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

from matchmaking import engine
from matchmaking.engine.text.analyser import default_lexicon
from matchmaking.engine.text.profile import TextProfile
from matchmaking.models import TextAnalysis

# What the engine caches an analysis by: a record's (title, summary, description).
type TextKey = tuple[str, str, str]

_CHUNK = 2000


def text_key(record: engine.NeedProfile | engine.ProgrammeProfile) -> TextKey:
    """The text an analysis is made of (the engine's cache key)."""
    return (record.title, record.summary, record.description)


def _digest(fingerprint: str, key: TextKey) -> str:
    text = "\x00".join((fingerprint, *key))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def stored_analyses(
    keys: Iterable[TextKey], *, fingerprint: str | None = None
) -> dict[TextKey, TextProfile]:
    """The stored analyses of these texts (those found), by text.

    ``fingerprint``: the lexicon's (default: the shipped lexicon's); an
    analysis made with another lexicon is never returned.
    """
    fingerprint = fingerprint or default_lexicon().fingerprint
    by_digest = {_digest(fingerprint, key): key for key in set(keys)}
    wanted = list(by_digest)
    found: dict[TextKey, TextProfile] = {}
    # One object per distinct key and float across all the profiles read:
    # json.loads makes every word stem and weight anew for each text, and a
    # worker holds every text's analysis (at 30,000 x 30,000 a few hundred MB
    # of repeated strings and floats).
    shared: dict[Any, Any] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = TextAnalysis.objects.filter(
            pk__in=wanted[start : start + _CHUNK]
        ).values_list("digest", "profile")
        for digest, profile in rows:
            # to_dict()'s JSON: keys and values come back as they were
            # (floats and ints alike, in order), so the profile is the same.
            fields = json.loads(profile)
            found[by_digest[digest]] = TextProfile(
                **{name: _shared(part, shared) for name, part in fields.items()}
            )
    return found


def _shared(values: dict[str, Any], shared: dict[Any, Any]) -> dict[str, Any]:
    """``values`` with its keys and float values replaced by equal ones met before.

    Floats are looked up by (float, value): 1.0 and 1 are equal keys, and an
    int must stay an int; zeros are left as they are (0.0 equals -0.0).
    """
    same = shared.setdefault
    return {
        same(key, key): (
            same((float, value), value) if type(value) is float and value else value
        )
        for key, value in values.items()
    }


def keep_analyses(
    analyses: Mapping[TextKey, TextProfile],
    *,
    used: Collection[TextKey],
    fingerprint: str | None = None,
) -> tuple[int, int]:
    """Store the analyses of the texts ``used`` that are not stored yet, and
    delete the stored ones of any other text (or lexicon).

    Returns (stored, deleted).
    """
    fingerprint = fingerprint or default_lexicon().fingerprint
    digests = {_digest(fingerprint, key): key for key in used}
    existing = set(TextAnalysis.objects.values_list("digest", flat=True))
    new = [
        TextAnalysis(
            digest=digest,
            profile=json.dumps(
                analyses[key].to_dict(), ensure_ascii=False, separators=(",", ":")
            ),
        )
        for digest, key in digests.items()
        if digest not in existing and key in analyses
    ]
    TextAnalysis.objects.bulk_create(new, batch_size=_CHUNK, ignore_conflicts=True)
    unused = sorted(existing - digests.keys())
    for start in range(0, len(unused), _CHUNK):
        TextAnalysis.objects.filter(pk__in=unused[start : start + _CHUNK]).delete()
    return len(new), len(unused)
