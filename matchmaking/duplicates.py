"""Likely duplicates for the curators' review queue.

Two programmes look like the same offer registered twice when they come from
the same provider with nearly the same title, or when their title and summary
are nearly identical and their topics largely overlap. A need looks like a
repeat when the same state already has another active need whose text is
nearly the same.

"Nearly the same" is the Jaccard index of the texts' word sets: tokens of
``text.tokenize`` (lower-cased, Unicode-aware), accents folded, without the
lexicon's stop words in any language and without bare numbers (so "CSIRT
support 2026" and "CSIRT support 2027" compare as equal). Each check runs a
fixed number of queries and compares the page's items with at most
``MAX_CANDIDATES`` candidates (the most recent), listing at most
``MAX_PER_ITEM`` look-alikes per record, so it stays fast whatever the
catalogue's size.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from functools import lru_cache

from django.db.models import Q
from django.db.models import QuerySet

from matchmaking import selectors
from matchmaking.engine.text import LANGUAGES
from matchmaking.engine.text.tokens import stopwords
from matchmaking.engine.text.tokens import tokenize
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.models import Need
from matchmaking.models import Programme

# The same provider and this close a title: the same offer.
SAME_PROVIDER_TITLE = 0.5
# Otherwise: title and summary this close, and topics this close.
TEXT_SIMILARITY = 0.6
TOPIC_SIMILARITY = 0.5
# A need of the same state this close (title and summary).
NEED_SIMILARITY = 0.5
# Compared candidates at most (the most recent), per check.
MAX_CANDIDATES = 2_000
NO_TOPICS: frozenset[str] = frozenset()
# Likely duplicates listed per record at most (the most recent first).
MAX_PER_ITEM = 3


@dataclass(frozen=True)
class Duplicate:
    """A record of the queue and the existing record it looks like."""

    ref: str
    title: str
    other_ref: str
    other_title: str
    similarity: float  # 0..1, the Jaccard index that decided
    reason: str  # "same_provider", "same_text" or "same_state"

    @classmethod
    def of(cls, item: dict, other: dict, similarity: float, reason: str) -> Duplicate:
        """The pair of two rows (``ref`` and ``title``) that look alike."""
        return cls(
            ref=item["ref"],
            title=item["title"],
            other_ref=other["ref"],
            other_title=other["title"],
            similarity=round(similarity, 2),
            reason=reason,
        )


@cache
def _stop_words() -> frozenset[str]:
    words = stopwords()
    return frozenset().union(*(words[lang] for lang in LANGUAGES))


@lru_cache(maxsize=100_000)
def _fold(token: str) -> str:
    decomposed = unicodedata.normalize("NFKD", token)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=100_000)
def _comparable(token: str) -> str | None:
    """The token as compared (accents folded), None for a stop word or number."""
    if token in _stop_words() or token.isdigit() or len(token) <= 1:
        return None
    return _fold(token)


def words(*texts: str) -> frozenset[str]:
    """The comparable words of some texts."""
    found = {_comparable(token) for text in texts for token in tokenize(text or "")}
    found.discard(None)
    return frozenset(found)


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    """Shared items over all items (0 when both are empty)."""
    a = a if isinstance(a, frozenset | set) else set(a)
    b = b if isinstance(b, frozenset | set) else set(b)
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def _topics(model: type[Programme] | type[Need], pks: Iterable[int] | QuerySet) -> dict:
    through = model.topics.through
    column = "programme_id" if model is Programme else "need_id"
    found: dict[int, set[str]] = defaultdict(set)
    for pk, topic in (
        through.objects.filter(
            **{f"{column}__in": pks if isinstance(pks, QuerySet) else list(pks)}
        )
        .values_list(column, "topic_id")
        .order_by()
    ):
        found[pk].add(topic)
    return {pk: frozenset(topics) for pk, topics in found.items()}


def programme_duplicates(
    *, user: selectors.AnyUser, programme_ids: Sequence[int]
) -> list[Duplicate]:
    """Programmes among ``programme_ids`` that look like another one, in order.

    Candidates are programmes the user may see from the same providers or
    sharing a topic. Four queries: the items, their topics, the candidates,
    the candidates' topics.
    """
    if not programme_ids:
        return []
    visible = selectors.programmes_visible_to(user=user).select_related(None)
    visible = visible.prefetch_related(None)
    items = list(
        visible.filter(pk__in=programme_ids).values(
            "pk", "ref", "title", "summary", "provider_id"
        )
    )
    position = {pk: index for index, pk in enumerate(programme_ids)}
    items.sort(key=lambda item: position[item["pk"]])
    item_topics = _topics(Programme, [i["pk"] for i in items])
    all_topics = set().union(*item_topics.values()) if item_topics else set()
    candidate_rows = (
        visible.filter(
            Q(provider_id__in={i["provider_id"] for i in items})
            | Q(
                pk__in=Programme.topics.through.objects.filter(
                    topic_id__in=all_topics
                ).values("programme_id")
            )
        )
        .order_by("-created_at", "-id")
        .values("pk", "ref", "title", "summary", "provider_id")[:MAX_CANDIDATES]
    )
    candidates = list(candidate_rows)
    # The candidates' topics by subquery: an IN list of 2,000 ids costs more
    # to build and send than running the candidate query again.
    candidate_topics = _topics(Programme, candidate_rows.values("pk"))
    found: list[Duplicate] = []
    seen: set[frozenset[int]] = set()
    memo: dict[int, tuple[frozenset[str], frozenset[str]]] = {}

    def candidate_words(other: dict) -> tuple[frozenset[str], frozenset[str]]:
        # Lazily: most candidates fail the cheap provider and topic tests.
        if other["pk"] not in memo:
            title = words(other["title"])
            memo[other["pk"]] = (title, title | words(other["summary"]))
        return memo[other["pk"]]

    for item in items:
        title = words(item["title"])
        text = title | words(item["summary"])
        topics = item_topics.get(item["pk"], NO_TOPICS)
        listed = 0
        for other in candidates:
            if listed == MAX_PER_ITEM:
                break
            same_provider = other["provider_id"] == item["provider_id"]
            other_topics = candidate_topics.get(other["pk"], NO_TOPICS)
            # Cheap reject first: another provider's programme without a
            # shared topic can reach neither threshold (most candidates).
            if not same_provider and topics.isdisjoint(other_topics):
                continue
            if other["pk"] == item["pk"]:
                continue
            pair = frozenset((item["pk"], other["pk"]))
            if pair in seen:
                continue
            match = None
            if same_provider:
                score = jaccard(title, candidate_words(other)[0])
                if score >= SAME_PROVIDER_TITLE:
                    match = (score, "same_provider")
            if match is None and jaccard(topics, other_topics) >= TOPIC_SIMILARITY:
                score = jaccard(text, candidate_words(other)[1])
                if score >= TEXT_SIMILARITY:
                    match = (score, "same_text")
            if match:
                seen.add(pair)
                listed += 1
                found.append(Duplicate.of(item, other, *match))
    return found


def need_duplicates(
    *, user: selectors.AnyUser, need_ids: Sequence[int]
) -> list[Duplicate]:
    """Needs among ``need_ids`` that repeat another active need of their state.

    Two queries: the items and the active needs of their states.
    """
    if not need_ids:
        return []
    visible = selectors.needs_visible_to(user=user).select_related(None)
    visible = visible.prefetch_related(None)
    fields = ("pk", "ref", "title", "summary", "member_state_id")
    items = list(visible.filter(pk__in=need_ids).values(*fields))
    position = {pk: index for index, pk in enumerate(need_ids)}
    items.sort(key=lambda item: position[item["pk"]])
    candidates = list(
        visible.filter(
            member_state_id__in={i["member_state_id"] for i in items},
            status__in=ACTIVE_NEED_STATUSES,
        )
        .order_by("-created_at", "-id")
        .values(*fields)[:MAX_CANDIDATES]
    )
    by_state: dict[int, list[dict]] = defaultdict(list)
    for candidate in candidates:
        by_state[candidate["member_state_id"]].append(candidate)
    found: list[Duplicate] = []
    seen: set[frozenset[int]] = set()
    for item in items:
        text = words(item["title"], item["summary"])
        listed = 0
        for other in by_state[item["member_state_id"]]:
            if listed == MAX_PER_ITEM:
                break
            pair = frozenset((item["pk"], other["pk"]))
            if other["pk"] == item["pk"] or pair in seen:
                continue
            score = jaccard(text, words(other["title"], other["summary"]))
            if score >= NEED_SIMILARITY:
                seen.add(pair)
                listed += 1
                found.append(Duplicate.of(item, other, score, "same_state"))
    return found
