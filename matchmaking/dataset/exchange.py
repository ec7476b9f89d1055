"""Import and export of providers, programmes and needs as ``cbm-dataset/1`` JSON.

The format is described in docs/DATASET.md. Records are matched by their ``ref``: an
import creates what is new, updates what differs and leaves the rest alone, so
importing the same file twice changes nothing. The document is first checked
(``matchmaking.dataset.checks``, every problem at once); an import writes
nothing unless there are none.

A new record's optional fields default (``description`` to "", ``capacity`` to
none, ``visibility`` to public...). An update sets only the fields its record
gives (``null`` resets one; ``eligibility`` is one field): a field left out
keeps its value. What the format does not carry is never touched: a row's
owner, a provider's verification, a need's ``shared_with`` and matching state.
Moving or declassifying a record needs ``allow_moves`` / ``allow_declassify``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from operator import attrgetter
from operator import itemgetter
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db import transaction
from django.db.models import Q
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history
from simple_history.utils import bulk_update_with_history

from matchmaking import api_cache
from matchmaking.coordination_cells import batched
from matchmaking.coordination_cells import funded_by
from matchmaking.coordination_cells import refresh_coordination_cells
from matchmaking.dataset.checks import FORMAT
from matchmaking.dataset.checks import NEED_M2M
from matchmaking.dataset.checks import PROGRAMME_M2M
from matchmaking.dataset.checks import SECTIONS
from matchmaking.dataset.checks import Checker
from matchmaking.dataset.checks import DatasetInvalid
from matchmaking.dataset.checks import Row
from matchmaking.dataset.checks import chunks
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.funding.services import FundingInput
from matchmaking.funding.services import funding_by_programme
from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_fundings
from matchmaking.models import TAG_FIELDS
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import User
from matchmaking.models.search import SEARCHED_FIELDS
from matchmaking.models.search import refresh_search_vectors
from matchmaking.tasks import schedule_rematch

_BATCH = 500
IMPORT_CHANGE_REASON = "dataset import"


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


# --- import ---------------------------------------------------------------


def _ids_by_ref(model: type[models.Model], refs: Iterable[str]) -> dict[str, int]:
    refs = sorted(set(refs))
    return {
        ref: pk
        for chunk in chunks(refs)
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
    rows: list[Row],
    *,
    m2m: Sequence[str],
    on_create: dict[str, Any],
    user: User | None,
) -> tuple[int, int, int]:
    """Create, update or leave alone each row by ref: (created, updated, unchanged)."""
    existing = {
        obj.ref: obj
        for chunk in chunks([row.ref for row in rows])
        for obj in model.objects.filter(ref__in=chunk)
    }
    existing_pks = [obj.pk for obj in existing.values()]
    current: dict[str, dict[int, set[str]]] = {}
    for name in m2m:
        through, source, target = _through(model, name)
        current[name] = defaultdict(set)
        for chunk in chunks(existing_pks):
            pairs = through.objects.filter(**{f"{source}__in": chunk}).values_list(
                source, target
            )
            for pk, key in pairs:
                current[name][pk].add(key)

    now = timezone.now()
    created: list[tuple[models.Model, Row]] = []
    updated: list[models.Model] = []
    update_fields: set[str] = set()
    replaced: dict[str, list[tuple[models.Model, Row]]] = defaultdict(list)
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
    # Bulk writes skip save(): the stored search vectors (PostgreSQL) follow here.
    refresh_search_vectors(
        model,
        [obj.pk for obj, _row in created]
        + ([obj.pk for obj in updated] if SEARCHED_FIELDS & update_fields else []),
    )
    for name in m2m:
        through, source, target = _through(model, name)
        stale = [obj.pk for obj, _row in replaced[name]]
        for chunk in chunks(stale):
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


def _upsert_records(
    model: type[models.Model],
    rows: list[Row],
    *,
    owners: dict[str, int],
    owner_field: str,
    m2m: Sequence[str],
    status: str,
    user: User | None,
) -> tuple[int, int, int]:
    """Upsert the programmes or the needs: each row linked to its owner (a
    provider or a member state, by the ref or country the row names); new
    records start in ``status``, owned by the importing user."""
    for row in rows:
        row.fields[owner_field] = owners[row.link]
    return _upsert(
        model, rows, m2m=m2m, on_create={"status": status, "owner": user}, user=user
    )


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


def _back_to_verification(rows: list[Row]) -> list[Row]:
    """Rows that change the identity of a verified provider also clear its
    verification (as Provider.save does; bulk writes do not call it)."""
    identity = Provider.IDENTITY_FIELDS
    verified = {
        values["ref"]: values
        for chunk in chunks(sorted(row.ref for row in rows))
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
@batched()
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
    checker = Checker(data, allow_moves=allow_moves, allow_declassify=allow_declassify)
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

    counts["programmes"] = _upsert_records(
        Programme,
        checker.programmes,
        owners=_ids_by_ref(Provider, (row.link for row in checker.programmes)),
        owner_field="provider_id",
        m2m=PROGRAMME_M2M,
        status=ProgrammeStatus.PUBLISHED,
        user=user,
    )
    _write_funding(checker.funding)
    counts["needs"] = _upsert_records(
        Need,
        checker.needs,
        owners=_member_state_ids({row.link for row in checker.needs}),
        owner_field="member_state_id",
        m2m=NEED_M2M,
        status=NeedStatus.OPEN,
        user=user,
    )
    api_cache.changed()  # bulk writes send no signal
    # Nor for the coordination view's cells: the programmes written and those
    # funded by a provider written (its name is their funder's).
    refresh_coordination_cells(
        [
            *_ids_by_ref(Programme, (row.ref for row in checker.programmes)).values(),
            *funded_by(
                _ids_by_ref(Provider, (row.ref for row in checker.providers)).values()
            ),
        ]
    )
    result = ImportResult(
        created={section: counts[section][0] for section in SECTIONS},
        updated={section: counts[section][1] for section in SECTIONS},
        unchanged={section: counts[section][2] for section in SECTIONS},
    )
    if any(result.created.values()) or any(result.updated.values()):
        schedule_rematch()
    return result


def _write_funding(funding: dict[str, Any]) -> None:
    """Replace the funding of the programmes whose records give one that
    differs from what they hold, all at once (the checker parsed each record
    already: nothing is refused here). Funding given unchanged is left alone,
    so importing the same file twice rewrites no row."""
    if not funding:
        return
    programmes = _ids_by_ref(Programme, funding)
    stored: dict[int, dict[str, Any]] = {}
    for chunk in chunks(sorted(programmes.values())):
        stored.update(funding_by_programme(chunk))
    providers = _ids_by_ref(
        Provider, _participant_providers([*funding.values(), *stored.values()])
    )
    changed = {}
    for ref, data in funding.items():
        given = parse_funding(data, providers=providers)
        pk = programmes[ref]
        if _as_stored(given) != _stored_funding(stored.get(pk, {}), providers):
            changed[pk] = given
    if changed:
        write_fundings(fundings=changed)


def _as_stored(funding: FundingInput) -> FundingInput:
    """Funding in the order it is read back: participants by role, budget
    lines by start (each stable, as written)."""
    return replace(
        funding,
        participants=tuple(sorted(funding.participants, key=attrgetter("role"))),
        budget_lines=tuple(
            sorted(funding.budget_lines, key=attrgetter("period_start"))
        ),
    )


def _stored_funding(
    data: dict[str, Any], providers: dict[str, int]
) -> FundingInput | None:
    """A programme's funding as held (None: unreadable, so rewritten)."""
    try:
        return _as_stored(parse_funding(data, providers=providers))
    except ValidationError:
        return None


def _participant_providers(fundings: Iterable[Any]) -> set[str]:
    """The provider refs the participants of funding records name."""
    return {
        item["provider"]
        for data in fundings
        for item in (data.get("participants") or [])
        if isinstance(item, dict) and isinstance(item.get("provider"), str)
    }


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

    Providers of the exported programmes are included. Runs 18 queries whatever
    the size: providers, programmes and 7 of their M2Ms, needs and 5 of theirs,
    and the programmes' funding (3).
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
        PROGRAMME_M2M,
        "provider__ref",
        "ldc_only",
        "sids_only",
        "cost_model_id",
        "capacity",
        "starts_on",
        "ends_on",
    )
    funding = funding_by_programme(programmes.values("pk"))
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
            **({"funding": funding[p["pk"]]} if p["pk"] in funding else {}),
        }
        for p in programme_rows
    ]

    need_rows, tags = _record_rows(
        needs,
        NEED_M2M,
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
