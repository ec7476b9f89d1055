"""Text search over programmes and needs: full-text on PostgreSQL, else icontains.

On PostgreSQL a query is matched against the stored search vectors
(``matchmaking/models/search.py``): every word of the query must be found,
either as a word starting with it (exact reading, accents ignored) or as the
same stem in one of the languages its script may be (English, French,
Spanish and Portuguese for Latin script, Russian for Cyrillic, Arabic), in
the title, summary or description of the record or of one of its
translations; a Chinese word must have all its character pairs. A query whose
words are misspelt still finds records whose title (or a translation's title)
is close to it by trigrams (pg_trgm word similarity, 0.6). Results are ranked
by ``ts_rank_cd`` (title above summary above description, words close
together first) plus the title's trigram similarity.

Elsewhere (SQLite: ``make run`` and the tests) each caller's own ``icontains``
search applies, unranked, as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db import transaction
from django.db.models import BooleanField
from django.db.models import Case
from django.db.models import Expression
from django.db.models import F
from django.db.models import FloatField
from django.db.models import Func
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Value
from django.db.models import When
from django.db.models.expressions import RawSQL

from matchmaking.engine.text.tokens import stopwords
from matchmaking.engine.text.tokens import words as text_words
from matchmaking.models import ContentTranslation
from matchmaking.models.search import CONFIGS
from matchmaking.models.search import VECTOR_COLUMN
from matchmaking.models.search import han_pairs
from matchmaking.models.search import has_vectors

RANK = "search_rank"
# A full-text search of the catalogue reads at most this many results (and one
# more, to tell that there are more) and ranks those: the page then says "more
# than 1,000" and counts its filters among them, as a search engine does,
# instead of reading and counting every match (41,000 of 100,000 programmes
# for "training").
CAP = 1000
MAX_WORDS = 10
# A word this long or longer also finds the words it begins ("secur" finds
# "security"); shorter ones would expand to too many words.
PREFIX_FROM = 3

_HAN_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_ARABIC = re.compile("[\u0600-\u06ff]")
_LATIN = re.compile("[a-zA-Z\u00c0-\u024f]")


def _configs(word: str) -> tuple[str, ...]:
    """The stemming configurations a word of this script may belong to."""
    if _CYRILLIC.search(word):
        return (CONFIGS["ru"],)
    if _ARABIC.search(word):
        return (CONFIGS["ar"],)
    if _LATIN.search(word):
        return tuple(CONFIGS[lang] for lang in ("en", "fr", "es", "pt"))
    return ()


@cache
def _stopwords() -> frozenset[str]:
    return frozenset().union(*stopwords().values())


def query_words(query: str) -> list[str]:
    """The words searched for: lower-cased, function words dropped (unless
    the query has nothing else), at most ``MAX_WORDS``.

    Words are what the engine reads as words (``words`` of
    ``matchmaking/engine/text/tokens.py``): an Arabic vowel sign or shadda
    ("تصيّد") or a Russian stress mark does not cut a word in two."""
    words = text_words(query)
    kept = [w for w in words if w not in _stopwords()] or words
    return kept[:MAX_WORDS]


def tsquery(query: str) -> tuple[str, list[Any]] | None:
    """The SQL of the query's ``tsquery`` and its parameters (None: no word)."""
    parts: list[str] = []
    params: list[Any] = []
    for word in query_words(query):
        if _HAN_CHAR.search(word):
            pairs = han_pairs(word).split()
            lexemes = [f"'{p}'" for p in pairs]
            if len(pairs) == 1 and len(pairs[0]) == 1:
                lexemes = [f"'{pairs[0]}':*"]
            parts.append("to_tsquery('simple', %s)")
            params.append(" & ".join(lexemes))
            continue
        suffix = ":*" if len(word) >= PREFIX_FROM else ""
        alternatives = [
            f"to_tsquery('simple', quote_literal(unaccent(%s)) || '{suffix}')"
        ]
        params.append(word)
        for config in _configs(word):
            alternatives.append("plainto_tsquery(%s::regconfig, %s)")
            params.extend([config, word])
        parts.append("(" + " || ".join(alternatives) + ")")
    if not parts:
        return None
    return "(" + " && ".join(parts) + ")", params


def union_sql(sources: Sequence[QuerySet[Any]]) -> tuple[str, list[Any]]:
    """One ``UNION`` of single-column querysets (ids), compiled with their
    parameters."""
    parts: list[str] = []
    params: list[Any] = []
    for source in sources:
        sql, source_params = source.order_by().query.sql_with_params()
        parts.append(sql)
        params.extend(source_params)
    return " UNION ".join(parts), params


def _matching_ids(
    model: Any, query: str, also: Sequence[QuerySet[Any]]
) -> RawSQL | None:
    """The ids of ``model``'s rows the query finds, with those of ``also``:
    one self-contained ``UNION`` (each branch reads its own index, whatever
    the outer alias), so the outer query joins one set of ids instead of
    testing several conditions on every row."""
    found = tsquery(query)
    if found is None:
        return None
    sql, params = found
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    translations = quote(ContentTranslation._meta.db_table)
    type_id = ContentType.objects.get_for_model(model).pk
    # "<%": word similarity above pg_trgm.word_similarity_threshold (0.6).
    # The records with the words are read once (a materialized CTE, through
    # the GIN index); the trigram branches run only when there are none (a
    # misspelt query), so a word matching much of the catalogue costs no
    # trigram scan of the titles.
    # Only quoted model names are formatted in; every value is a parameter.
    sql = " ".join(
        (
            "WITH fts AS MATERIALIZED (SELECT id FROM",
            table,
            "WHERE",
            quote(VECTOR_COLUMN),
            "@@",
            sql,
            ") SELECT id FROM fts UNION SELECT id FROM",
            table,
            "WHERE NOT EXISTS (SELECT 1 FROM fts) AND %s <%% title",
            "UNION SELECT object_id FROM",
            translations,
            "WHERE NOT EXISTS (SELECT 1 FROM fts) AND content_type_id = %s",
            "AND %s <%% title",
        )
    )
    params = [*params, query, type_id, query]
    if also:
        also_sql, also_params = union_sql(also)
        sql = f"{sql} UNION {also_sql}"
        params.extend(also_params)
    return RawSQL(sql, params)  # noqa: S611  # nosec B611


def _nothing_sql(table: str, tsquery_sql: str) -> str:
    """SQL true when no row of ``table`` has the query's words. The rows are
    a materialized CTE so that the planner reads them through the GIN index:
    a plain ``EXISTS`` hopes to meet one early in a sequential scan and, for
    a misspelt query, reads the whole table."""
    return " ".join(
        (
            "(WITH worded AS MATERIALIZED (SELECT id FROM",
            table,
            "WHERE",
            VECTOR_COLUMN,
            "@@",
            tsquery_sql,
            ") SELECT NOT EXISTS (SELECT 1 FROM worded))",
        )
    )


class _OwnColumn(Expression):
    """A column of the queried table that its model does not declare (the
    search vector), qualified with the table's alias in this query."""

    def __init__(self, column: str, alias: str | None = None) -> None:
        super().__init__(output_field=FloatField())
        self.column = column
        self.alias = alias

    def resolve_expression(self, query=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        clone = self.copy()
        clone.alias = query.get_initial_alias()
        return clone

    def relabeled_clone(self, change_map):  # type: ignore[no-untyped-def]
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        alias = compiler.quote_name(self.alias)
        return f"{alias}.{connection.ops.quote_name(self.column)}", []


class _Matches(_OwnColumn):
    """The queried row's search vector matches a ``tsquery`` (SQL, params)."""

    def __init__(self, tsquery_sql: str, params: list[Any], alias: str | None = None):
        super().__init__(VECTOR_COLUMN, alias)
        self.output_field = BooleanField()
        self.tsquery_sql = tsquery_sql
        self.params = params

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        column, _ = super().as_sql(compiler, connection)
        return f"{column} @@ {self.tsquery_sql}", list(self.params)


# Rows read first to tell whether any has a query's words (``prepare``).
_SAMPLE = 500

# One lexeme of a tsquery as PostgreSQL writes it, and whether it is a prefix.
_LEXEME = re.compile(r"'((?:[^'\\]|'')*)'(:\*)?")


def _split_top(text: str, separator: str) -> list[str] | None:
    """``text`` cut at ``separator`` outside quotes and parentheses (None:
    unbalanced)."""
    parts: list[str] = []
    depth, start, quoted, i = 0, 0, False, 0
    while i < len(text):
        char = text[i]
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
            if depth < 0:
                return None
        elif not quoted and not depth and text.startswith(separator, i):
            parts.append(text[start:i].strip())
            i = start = i + len(separator)
            continue
        i += 1
    if quoted or depth:
        return None
    return [*parts, text[start:].strip()]


def simplest_tsquery(text: str) -> str:
    """The same ``tsquery`` (as PostgreSQL writes it) without the alternatives
    another one already finds: per word, a lexeme or a prefix that starts
    with a prefix of the same word is dropped ('national' and 'national':*
    under 'national':*), and repeats.

    Each word's alternatives (the exact reading and four stemmings) are
    mostly the same lexeme: ``'national':* | 'nation' | 'national' |
    'national' | 'national'``. The rows found are the same, and so is
    ``ts_rank_cd`` (a position counts once however many alternatives find
    it), but each row tests, and ranks, half the terms: at 100,000
    programmes the three-word query's bounded scan took about half the time.
    A query of any other shape (a word PostgreSQL cut in two) is kept."""
    # "|" binds less than "&": an "|" outside parentheses makes one word.
    alone = _split_top(text, " | ")
    words = [text] if alone is not None and len(alone) > 1 else _split_top(text, " & ")
    if words is None:
        return text
    kept: list[str] = []
    for word in words:
        inner = word
        if word.startswith("(") and word.endswith(")"):
            inner = word[1:-1].strip()
            if _split_top(inner, " & ") is None:
                return text
        items = _split_top(inner, " | ")
        if items is None:
            return text
        terms: list[tuple[str, bool]] = []
        for item in items:
            found = _LEXEME.fullmatch(item)
            if found is None:
                return text
            terms.append((found.group(1), found.group(2) is not None))
        prefixes: list[str] = []
        for lexeme in sorted({t for t, prefix in terms if prefix}, key=len):
            if not lexeme.startswith(tuple(prefixes)):
                prefixes.append(lexeme)
        exact: list[str] = []
        for lexeme, prefix in terms:
            found_by_prefix = bool(prefixes) and lexeme.startswith(tuple(prefixes))
            if not prefix and lexeme not in exact and not found_by_prefix:
                exact.append(lexeme)
        alternatives = [f"'{p}':*" for p in prefixes] + [f"'{e}'" for e in exact]
        kept.append(
            alternatives[0]
            if len(alternatives) == 1
            else "( " + " | ".join(alternatives) + " )"
        )
    return " & ".join(kept)


@dataclass(frozen=True)
class Prepared:
    """A query read once for a bounded search (``prepare``)."""

    query: str
    # The query's tsquery, as a constant: the planner then reads its words'
    # frequencies (an expression, ``unaccent`` being only stable, it guessed
    # 0.5 % of the rows for any query).
    tsquery: str
    # No row has the words: titles close to the query by trigrams are found
    # and ranked by that closeness.
    typo: bool

    def tsquery_sql(self) -> tuple[str, list[Any]]:
        """The constant tsquery as SQL and its parameter."""
        return "%s::tsquery", [self.tsquery]


def prepare(model: Any, query: str) -> Prepared | None:
    """``query`` read for a bounded search of ``model`` (``bounded_ids``),
    None where there is none (no word; SQLite; full text off).

    Whether any row has the words: first among a few hundred rows (a common
    word is met there at once), else through the GIN index whatever the
    planner guesses: for a misspelt word it has no frequency to read, guessed
    about a thousand rows and, hoping to meet one early, read all 100,000
    vectors (0.4 s) to find none; the index alone would read every match of
    a common word (55 ms for "training")."""
    found = tsquery(query)
    if found is None or not full_text(model):
        return None
    sql, params = found
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(VECTOR_COLUMN)
    # Built by tsquery(): fixed SQL, every value a parameter.
    statement = " ".join(
        (
            "SELECT",
            f"({sql})::text,",
            "CASE WHEN EXISTS (SELECT 1 FROM (SELECT",
            column,
            "FROM",
            table,
            f"LIMIT {_SAMPLE}) sample WHERE",
            column,
            f"@@ {sql}) THEN false ELSE NOT EXISTS (SELECT 1 FROM",
            table,
            "WHERE",
            column,
            f"@@ {sql}) END",
        )
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(statement, [*params, *params, *params])
        text, typo = cursor.fetchone()
        cursor.execute("SET LOCAL enable_seqscan = on")
    return Prepared(query, simplest_tsquery(str(text)), bool(typo))


def bounded_ids(
    queryset: QuerySet[Any],
    prepared: Prepared,
    *,
    also: Sequence[QuerySet[Any]] = (),
    limit: int,
    columns: Sequence[str] = ("pk",),
) -> tuple[str, list[Any]]:
    """SQL selecting ``columns`` (the id first) of at most ``limit`` rows of
    ``queryset`` the query finds (full text, see ``search``), and its
    parameters.

    Each way of finding a row is a branch read through its own index and cut
    at ``limit`` rows (the rows with the words; the titles and translated
    titles near a misspelt query, only when no row has the words; the ids of
    ``also``), so a word found in half the catalogue costs ``limit`` rows, not
    half the table; fewer than ``limit`` ids are then every row found. The
    other branches leave out the rows with the words and are read only when
    those are fewer than ``limit`` (``UNION ALL``): a cut set keeps the rows
    with the words first, and a common word's search does not read the
    programmes of a topic or country it names. Which rows a cut branch keeps
    is the order the index reads them: ranking the ones kept is the
    caller's."""
    model = queryset.model
    near = Func(
        Value(prepared.query),
        F("title"),
        function="",
        arg_joiner=" <%% ",
        output_field=BooleanField(),
    )
    translated = ContentTranslation.objects.filter(
        near, content_type=ContentType.objects.get_for_model(model)
    ).values("object_id")
    words = _Matches(*prepared.tsquery_sql())
    typo = (
        (queryset.filter(near), queryset.filter(pk__in=translated))
        if prepared.typo
        else ()
    )
    others = [*typo, *(queryset.filter(pk__in=ids) for ids in also)]
    if not prepared.typo:
        # A misspelt query's words are in no row: nothing to leave out.
        others = [other.exclude(words) for other in others]
    parts: list[str] = []
    params: list[Any] = []
    for branch in (queryset.filter(words), *others):
        sql, branch_params = (
            branch.select_related(None)
            .order_by()
            .values(*columns)[:limit]
            .query.sql_with_params()
        )
        parts.append(f"({sql})")
        params.extend(branch_params)
    # Compiled querysets: every value stays a parameter.
    sql = parts[0]
    if others:
        rest = " UNION ".join(parts[1:])
        sql = " ".join((sql, "UNION ALL (SELECT other.* FROM (", rest, ") other)"))
    sql = " ".join(("SELECT found.* FROM (", sql, ") found"))
    return f"{sql} LIMIT %s", [*params, limit]


def bounded_count(
    queryset: QuerySet[Any],
    prepared: Prepared,
    *,
    also: Sequence[QuerySet[Any]] = (),
    limit: int,
) -> int:
    """How many rows of ``queryset`` the query finds, counted up to ``limit``
    (``bounded_ids``)."""
    sql, params = bounded_ids(queryset, prepared, also=also, limit=limit)
    with connection.cursor() as cursor:
        # bounded_ids(): compiled querysets, every value a parameter.
        cursor.execute(" ".join(("SELECT COUNT(*) FROM (", sql, ") n")), params)
        return int(cursor.fetchone()[0])


def rank_sql(
    model: Any, query: str, alias: str, *, prepared: Prepared | None = None
) -> tuple[str, list[Any]]:
    """The relevance of a row of ``model`` (table alias ``alias``) as SQL:
    ``ts_rank_cd``, plus the title's trigram similarity when no record has
    the words (misspelt); computed only where it is selected or ordered by
    (the page's candidates, not the counts). ``prepared``: the query read
    once (``prepare``), whose tsquery is a constant and whose misspelling is
    known."""
    quote = connection.ops.quote_name
    if prepared is not None:
        sql, params = prepared.tsquery_sql()
        rank = f"ts_rank_cd({alias}.{quote(VECTOR_COLUMN)}, {sql})"
        if not prepared.typo:
            return rank, params
        # Fixed SQL, every value a parameter.
        return (
            f"({rank} + word_similarity(%s, {alias}.{quote('title')}))",
            [*params, query],
        )
    found = tsquery(query)
    assert found is not None  # noqa: S101  # callers checked
    sql, params = found
    few = _nothing_sql(quote(model._meta.db_table), sql)
    # Built by tsquery(): fixed SQL, every value a parameter.
    return (
        f"(ts_rank_cd({alias}.{quote(VECTOR_COLUMN)}, {sql}) + CASE WHEN {few} "
        f"THEN word_similarity(%s, {alias}.{quote('title')}) ELSE 0 END)",
        [*params, *params, query],
    )


def rank(model: Any, query: str) -> Expression:
    """``rank_sql`` as an annotation of the queried table."""
    found = tsquery(query)
    assert found is not None  # noqa: S101  # callers checked
    sql, params = found
    none = _nothing_sql(connection.ops.quote_name(model._meta.db_table), sql)
    similarity = Func(Value(query), F("title"), function="word_similarity")
    return Func(
        _OwnColumn(VECTOR_COLUMN),
        # Built by tsquery(): fixed SQL, every value a parameter.
        RawSQL(sql, params),  # noqa: S611  # nosec B611
        function="ts_rank_cd",
        output_field=FloatField(),
    ) + Case(
        When(RawSQL(none, params, output_field=BooleanField()), then=similarity),  # noqa: S611  # nosec B611
        default=Value(0.0),
        output_field=FloatField(),
    )


def full_text(model: Any) -> bool:
    """Whether ``search`` reads ``model``'s stored vectors here (PostgreSQL
    with ``SEARCH_FULL_TEXT`` on, the default)."""
    return bool(settings.SEARCH_FULL_TEXT) and has_vectors(model)


def search(
    queryset: QuerySet[Any],
    query: str,
    *,
    fallback: Q,
    also: Sequence[QuerySet[Any]] = (),
) -> QuerySet[Any]:
    """The rows of ``queryset`` a text query finds.

    PostgreSQL with ``SEARCH_FULL_TEXT`` on: full-text and trigram
    matching, annotated with their relevance as ``search_rank`` (computed
    only if ordered by); elsewhere ``fallback`` (the caller's ``icontains``
    condition). ``also``: querysets of the ids of other rows found (by a
    provider's or country's name), on both.
    """
    model = queryset.model
    if not full_text(model):
        found = fallback
        for ids in also:
            found |= Q(pk__in=ids)
        return queryset.filter(found)
    ids = _matching_ids(model, query, also)
    if ids is None:
        # No word to search for: only what ``also`` finds, unranked.
        found = Q(pk__in=[])
        for extra in also:
            found |= Q(pk__in=extra)
        return queryset.filter(found).annotate(**{RANK: Value(0.0)})
    return queryset.filter(pk__in=ids).annotate(**{RANK: rank(model, query)})


def is_ranked(queryset: QuerySet[Any]) -> bool:
    """Whether ``search`` ranked this queryset (order by ``search_rank``)."""
    return RANK in queryset.query.annotations
