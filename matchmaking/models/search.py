"""The stored search vectors of programmes and needs (PostgreSQL only).

On PostgreSQL, migration 0025 adds a ``search_vector`` column (``tsvector``,
GIN-indexed) to the programme and need tables; the models do not declare it,
so SQLite (``make run``, the tests) never sees it and keeps the plain
``icontains`` search (``matchmaking/search.py``). A record's vector holds its
title (weight A), summary (B) and description (C) in its content language, and
every owner's translation's title (A) and summary (B) in the translation's
language, each twice: stemmed with the language's text search configuration
(english, french, spanish, russian, arabic, portuguese) and as exact words
(``simple`` after ``unaccent``), so that a word matches whatever language the
query is in. Chinese has no configuration and no spaces: its text is turned
into overlapping character pairs before it reaches ``simple`` (see
:func:`han_pairs`), so any stretch of two characters or more can be found.

Saving a record or a translation refreshes the record's vector
(``TaggedRecord.save``, ``ContentTranslation.save``/``delete``); bulk writes
(the dataset import, the IATI import, deleting a translation through a
queryset) call :func:`refresh_search_vectors` themselves.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db import models

VECTOR_COLUMN = "search_vector"
# The tables that have one: programme and need (see migration 0025).
SEARCHED_TABLES = ("matchmaking_programme", "matchmaking_need")
# The fields whose change changes the vector.
SEARCHED_FIELDS = frozenset(
    {"title", "summary", "description", "content_language", "content_language_id"}
)

# Content language -> PostgreSQL text search configuration (all ship with
# PostgreSQL 12+); any other language is read as exact words only.
CONFIGS = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "ru": "russian",
    "ar": "arabic",
    "pt": "portuguese",
}
# A field is read up to this length (the longest a record's field may be).
MAX_CHARS = 10_000
_BATCH = 500

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}]+")


def han_pairs(text: str) -> str:
    """``text`` with each run of Chinese characters replaced by its character
    pairs (a lone character stays itself), separated by spaces.

    Any two or more consecutive characters of the original are then a run of
    whole pairs in the vector, so a query split the same way finds them, where
    a dictionary segmentation may cut the query and the text differently.
    """

    def pairs(match: re.Match[str]) -> str:
        run = match.group(0)
        if len(run) == 1:
            return f" {run} "
        return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "

    return _HAN_RUN.sub(pairs, unicodedata.normalize("NFC", text))


def _pieces(
    language: str, weighted: Iterable[tuple[str, str]]
) -> Iterator[tuple[str, str, str]]:
    """(configuration, weight, text) of one language's fields, both readings."""
    config = CONFIGS.get(language)
    for weight, text in weighted:
        if not text:
            continue
        text = han_pairs(text[:MAX_CHARS])
        if config:
            yield config, weight, text
        yield "simple", weight, text


def document_pieces(
    record: dict[str, Any], translations: Sequence[dict[str, Any]]
) -> list[tuple[str, str, str]]:
    """What goes into a record's vector, in order: its own text, then the
    translations' (by language)."""
    out = list(
        _pieces(
            record["content_language_id"],
            (
                ("A", record["title"]),
                ("B", record["summary"]),
                ("C", record["description"]),
            ),
        )
    )
    for translation in sorted(translations, key=lambda t: t["language_id"]):
        out.extend(
            _pieces(
                translation["language_id"],
                (("A", translation["title"]), ("B", translation["summary"])),
            )
        )
    return out


def has_vectors(model: type[models.Model]) -> bool:
    """Whether ``model``'s table has a stored search vector on this database."""
    return connection.vendor == "postgresql" and model._meta.db_table in SEARCHED_TABLES


# One UPDATE per batch: the pieces as parallel arrays, each turned into a
# weighted vector and concatenated per record in order (cbm_tsvector_agg, an
# aggregate over ``||`` made by migration 0025, so positions follow on). The
# exact-word reading goes through unaccent. A record without text gets an
# empty vector.
_UPDATE_SQL = """
UPDATE {table} AS r SET {column} = COALESCE(v.vector, ''::tsvector)
FROM unnest(%s::bigint[]) AS ids(id)
LEFT JOIN (
    SELECT x.id, cbm_tsvector_agg(
        setweight(
            to_tsvector(
                x.config::regconfig,
                CASE WHEN x.config = 'simple' THEN unaccent(x.text) ELSE x.text END
            ),
            x.weight::"char"
        ) ORDER BY x.position
    ) AS vector
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::int[])
        AS x(id, config, weight, text, position)
    GROUP BY x.id
) AS v ON v.id = ids.id
WHERE r.id = ids.id
"""


def refresh_search_vectors(
    model: type[models.Model],
    ids: Iterable[int],
    *,
    translation_model: type[models.Model] | None = None,
) -> None:
    """Recompute the stored vectors of these records (nothing off PostgreSQL).

    ``translation_model``: ContentTranslation as a migration sees it (by
    default the record's ``translations`` relation names it).
    """
    ids = sorted(set(ids))
    if not ids or not has_vectors(model):
        return
    if translation_model is None:
        # Not imported: its module imports this one.
        translation_model = model._meta.get_field("translations").related_model
    type_id = ContentType.objects.get_for_model(model).pk
    sql = _UPDATE_SQL.format(
        table=connection.ops.quote_name(model._meta.db_table),
        column=connection.ops.quote_name(VECTOR_COLUMN),
    )
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        translations: dict[int, list[dict[str, Any]]] = {}
        for row in translation_model.objects.filter(
            content_type_id=type_id, object_id__in=chunk
        ).values("object_id", "language_id", "title", "summary"):
            translations.setdefault(row["object_id"], []).append(row)
        columns: tuple[list[Any], ...] = ([], [], [], [], [])
        for record in model._default_manager.filter(pk__in=chunk).values(
            "pk", "title", "summary", "description", "content_language_id"
        ):
            pieces = document_pieces(record, translations.get(record["pk"], []))
            for position, (config, weight, text) in enumerate(pieces):
                for column, value in zip(
                    columns,
                    (record["pk"], config, weight, text, position),
                    strict=True,
                ):
                    column.append(value)
        with connection.cursor() as cursor:
            cursor.execute(sql, [chunk, *columns])


def refresh_translated(content_type_id: int, object_id: int) -> None:
    """Recompute the vector of the record a translation belongs to."""
    if connection.vendor != "postgresql":
        return
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is not None and has_vectors(model):
        refresh_search_vectors(model, [object_id])
