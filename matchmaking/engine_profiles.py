"""Engine profiles from the database: what the matching engine reads of needs and
programmes (tags, places, capacity used, the owners' translations), in a few
queries per relation whatever the number of records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField
from django.db.models import Count
from django.db.models import IntegerField
from django.db.models import QuerySet
from django.db.models import Value

from matchmaking import engine
from matchmaking.enums import ACTIVE_NEED_STATUSES
from matchmaking.enums import CAPACITY_MATCH_STATUSES
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import TAG_FIELDS
from matchmaking.models import ContentTranslation
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Programme

# Ids named per statement when a list of them is given.
_IDS = 2000


@dataclass(frozen=True)
class _Related:
    """A record's tag sets and its translations' text (see :func:`_related`)."""

    # relation -> owner id -> set of related keys
    tags: dict[str, dict[int, frozenset[str]]]
    # owner id -> the text of its translations (for the matching engine)
    translated: dict[int, str]


def _related_rows(
    model: type[Programme] | type[Need],
    field_names: Sequence[str],
    ids: Sequence[int] | QuerySet[Any] | None,
) -> QuerySet[Any]:
    """The UNION ALL of :func:`_related`: (part, owner id, key, title, summary).

    A tag's key is its slug; a translation's key is its language.
    """
    parts = []
    none = Value(None, output_field=CharField())
    for position, name in enumerate(field_names):
        relation = model._meta.get_field(name)
        through = relation.remote_field.through
        owner = relation.m2m_field_name()
        target = relation.m2m_reverse_field_name()
        rows = through.objects.all()
        if ids is not None:
            rows = rows.filter(**{f"{owner}_id__in": ids})
        parts.append(
            rows.order_by().values_list(
                Value(position, output_field=IntegerField()),
                f"{owner}_id",
                f"{target}_id",
                none,
                none,
            )
        )
    translations = ContentTranslation.objects.filter(
        content_type=ContentType.objects.get_for_model(model)
    )
    if ids is not None:
        translations = translations.filter(object_id__in=ids)
    parts.append(
        translations.order_by().values_list(
            Value(len(field_names), output_field=IntegerField()),
            "object_id",
            "language_id",
            "title",
            "summary",
        )
    )
    return parts[0].union(*parts[1:], all=True)


def _related(
    model: type[Programme] | type[Need],
    field_names: Sequence[str],
    ids: Sequence[int] | QuerySet[Any] | None,
) -> _Related:
    """The records' tag sets and translations, in one query for all of them.

    ``ids``: a list, or a query of the ids (read as a subquery); None: all.
    One UNION ALL of the relations and the translations, each row tagged with
    its part's position: a single record's refresh paid a round trip per
    relation (five tags, and a programme's regions and countries) and one for
    its translations, 3-4 ms each on a busy database server.
    """
    found: list[dict[int, set[str]]] = [defaultdict(set) for _ in field_names]
    texts: list[tuple[int, str, str, str]] = []
    chunks: list[Any] = [ids]
    if ids is not None and not isinstance(ids, QuerySet):
        # Each part names the ids: a few thousand at most per statement.
        wanted = list(ids)
        chunks = [wanted[i : i + _IDS] for i in range(0, len(wanted), _IDS)]
    for chunk in chunks:
        for position, owner_id, key, title, summary in _related_rows(
            model, field_names, chunk
        ):
            if position < len(field_names):
                found[position][owner_id].add(key)
            else:
                texts.append((owner_id, key, title, summary))
    # In the order the translations were read in (by record, then language).
    texts.sort(key=lambda row: (row[0], row[1]))
    translated: dict[int, list[str]] = {}
    for owner_id, _language, title, summary in texts:
        translated.setdefault(owner_id, []).extend(t for t in (title, summary) if t)
    return _Related(
        tags={
            name: {k: frozenset(v) for k, v in sets.items()}
            for name, sets in zip(field_names, found, strict=True)
        },
        translated={pk: "\n".join(parts) for pk, parts in translated.items()},
    )


def capacity_rows(ids: Sequence[int] | None = None) -> QuerySet[Match]:
    """(programme id, matches holding one of its places) rows, as a query."""
    rows = Match.objects.filter(status__in=CAPACITY_MATCH_STATUSES)
    if ids is not None:
        rows = rows.filter(programme_id__in=ids)
    return (
        rows.order_by()  # a match's ordering would join its need
        .values("programme_id")
        .annotate(n=Count("id"))
        .values_list("programme_id", "n")
    )


def capacity_used(ids: Sequence[int] | None = None) -> dict[int, int]:
    """programme id -> the matches holding one of its places."""
    return dict(capacity_rows(ids))


@dataclass(frozen=True)
class Loaded[P]:
    """Engine profiles with the database ids behind their keys."""

    profiles: list[P]
    ids: dict[str, int]


def load_programmes(
    ids: Sequence[int] | None = None,
) -> Loaded[engine.ProgrammeProfile]:
    """Programme profiles (all statuses: eligibility rules out unpublished ones)."""
    rows = Programme.objects.all()
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    fields = (
        "id",
        "ref",
        "status",
        "ldc_only",
        "sids_only",
        "starts_on",
        "ends_on",
        "capacity",
        "title",
        "summary",
        "description",
    )
    related = _related(
        Programme, (*TAG_FIELDS, "eligible_regions", "eligible_countries"), ids
    )
    tags = related.tags
    regions = tags["eligible_regions"]
    countries = tags["eligible_countries"]
    used = capacity_used(ids)
    translated = related.translated
    empty: frozenset[str] = frozenset()
    profiles, keys = [], {}
    for row in rows.order_by("ref").values(*fields):
        pk = row["id"]
        keys[row["ref"]] = pk
        profiles.append(
            engine.ProgrammeProfile(
                key=row["ref"],
                languages=tags["languages"].get(pk, empty),
                topics=tags["topics"].get(pk, empty),
                assistance_types=tags["assistance_types"].get(pk, empty),
                audiences=tags["audiences"].get(pk, empty),
                delivery_modes=tags["delivery_modes"].get(pk, empty),
                regions=regions.get(pk, empty),
                countries=countries.get(pk, empty),
                ldc_only=row["ldc_only"],
                sids_only=row["sids_only"],
                is_published=row["status"] == ProgrammeStatus.PUBLISHED,
                starts_on=row["starts_on"],
                ends_on=row["ends_on"],
                capacity=row["capacity"],
                capacity_used=used.get(pk, 0),
                title=row["title"],
                summary=_with_translations(row["summary"], translated.get(pk)),
                description=row["description"],
            )
        )
    return Loaded(profiles=profiles, ids=keys)


def load_needs(
    queryset: QuerySet[Need] | None = None,
) -> Loaded[engine.NeedProfile]:
    """Need profiles of the given needs (default: every active need)."""
    rows = queryset if queryset is not None else active_needs()
    # The related rows are read by a subquery of the same needs: thousands
    # of ids as parameters cost more to send and parse than the query itself.
    wanted = rows.order_by().values("id")
    values = list(
        rows.order_by("ref").values(
            "id",
            "ref",
            "member_state__country_id",
            # The country's facts joined here, not read in a query of their
            # own (a round trip of a single need's refresh).
            "member_state__country__region_id",
            "member_state__country__subregion_id",
            "member_state__country__intermediate_region_id",
            "member_state__country__is_ldc",
            "member_state__country__is_sids",
            "title",
            "summary",
            "description",
        )
    )
    related = _related(Need, TAG_FIELDS, wanted)
    tags, translated = related.tags, related.translated
    empty: frozenset[str] = frozenset()
    profiles, keys = [], {}
    for row in values:
        pk = row["id"]
        country = row["member_state__country_id"]
        keys[row["ref"]] = pk
        regions = (
            row["member_state__country__region_id"],
            row["member_state__country__subregion_id"],
            row["member_state__country__intermediate_region_id"],
        )
        profiles.append(
            engine.NeedProfile(
                key=row["ref"],
                country=country,
                languages=tags["languages"].get(pk, empty),
                country_regions=frozenset(c for c in regions if c),
                is_ldc=row["member_state__country__is_ldc"],
                is_sids=row["member_state__country__is_sids"],
                topics=tags["topics"].get(pk, empty),
                assistance_types=tags["assistance_types"].get(pk, empty),
                audiences=tags["audiences"].get(pk, empty),
                delivery_modes=tags["delivery_modes"].get(pk, empty),
                title=row["title"],
                summary=_with_translations(row["summary"], translated.get(pk)),
                description=row["description"],
            )
        )
    return Loaded(profiles=profiles, ids=keys)


def _with_translations(summary: str, translated: str | None) -> str:
    """The summary the engine reads: the original, then the owner's translations.

    A translation restates the record in another language, so it is read with
    the summary's weight: the record then also shares words with texts in
    that language.
    """
    return f"{summary}\n{translated}" if translated else summary


def active_needs() -> QuerySet[Need]:
    """Needs still looking for help: the ones the engine ranks programmes for."""
    return Need.objects.filter(status__in=ACTIVE_NEED_STATUSES)
