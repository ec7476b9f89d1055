"""The coordination view's figures, kept up to date on write.

What the view shows is computed from published programmes, their funding
organisations (a registered provider's name, else the organisation's),
eligible regions and countries (their top M49 region), topics (their theme),
budget lines or total budget in US dollars, and end date. Each published
programme's cells are stored (CoordinationShare: funder x top region x theme,
with the number of cells it is split over and its whole money in cents) with
its budget lines by year (CoordinationYear), and the sums over programmes are
kept beside them (CoordinationCell, CoordinationYearTotal), so the view reads
a few thousand pre-grouped rows instead of grouping every budget line.

``refresh_coordination_cells(programme_ids)`` recomputes the rows of some
programmes in the caller's transaction and adds the difference to the sums
(``x = x + delta``, rows locked in key order, so concurrent writers add up on
PostgreSQL). It is called by the writes that bypass the ORM's signals (the
funding's bulk writes, exchange rates, dataset imports); the signals below
catch every other save, delete and tag change of an input, and
``batched()`` gathers them into one refresh at the end of a service's
transaction. ``rebuild_coordination_cells()`` recomputes everything (the
migration's data step, the repair tool); ``coordination_cells_problems()``
compares what is kept with a rebuild."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from django.apps import apps as global_apps
from django.db import connection
from django.db import transaction
from django.db.models import Model
from django.db.models import signals

from matchmaking.enums import OrganisationRole
from matchmaking.enums import ProgrammeStatus
from matchmaking.models import BudgetLine
from matchmaking.models import CoordinationCell
from matchmaking.models import CoordinationShare
from matchmaking.models import CoordinationYear
from matchmaking.models import CoordinationYearTotal
from matchmaking.models import Country
from matchmaking.models import ParticipatingOrganisation
from matchmaking.models import Programme
from matchmaking.models import ProgrammeFunding
from matchmaking.models import Provider
from matchmaking.models import Region
from matchmaking.models import Topic

WORLD = "001"
NOT_STATED = ""
_CHUNK = 500
_UPSERT_ROWS = 100

ShareKey = tuple[str, str, str, int]  # funder, region, theme, split

# Per thread: the programmes gathered by ``batched()`` (None outside it).
_state = threading.local()


def _model(apps: Any, name: str) -> type[Model]:
    return apps.get_model("matchmaking", name)


def _table(model: type[Model], m2m: str | None = None) -> str:
    """The quoted table of a model, or of one of its many-to-many fields."""
    if m2m is not None:
        model = model._meta.get_field(m2m).remote_field.through
    return connection.ops.quote_name(model._meta.db_table)


def top_regions(apps: Any = global_apps) -> dict[str, str]:
    """M49 region code -> its top-level region (the world stays the world)."""
    parents = dict(_model(apps, "Region").objects.values_list("code", "parent_id"))

    def top(code: str) -> str:
        seen = 0
        while parents.get(code) and parents[code] != WORLD and seen < 5:
            code = parents[code]
            seen += 1
        return code

    return {code: top(code) for code in parents}


def top_region_sql(column: str, region_top: dict[str, str]) -> tuple[str, list[str]]:
    """SQL for the top region of a column of region codes (the world where the
    column is empty or names no region)."""
    whens = "".join(" WHEN %s THEN %s" for _ in region_top)
    params = [value for pair in sorted(region_top.items()) for value in pair]
    return f"CASE {column}{whens} ELSE %s END", [*params, WORLD]


def _in(column: str, ids: list[int] | None) -> tuple[str, list[int]]:
    """`` AND column IN (...)`` for some programmes (nothing for all)."""
    if ids is None:
        return "", []
    return f" AND {column} IN ({', '.join('%s' for _ in ids)})", list(ids)


def _shares_sql(
    apps: Any, region_top: dict[str, str], ids: list[int] | None
) -> tuple[str, list[object]]:
    """The cells of published programmes (all, or ``ids``): one row each of
    programme, funder, top region, theme, the number of cells the programme is
    split over, its money in whole cents and its end.

    A programme's cells are its distinct funders x top regions x themes (a
    missing axis is one "not stated" / worldwide cell). Money is summed in
    whole cents, exact on SQLite too (which stores decimals as floating
    point): the budget lines' US dollars, else the total budget's."""
    programme = _model(apps, "Programme")
    # Only quoted table names and generated placeholders are formatted into
    # this SQL (here and below); every value is a parameter.
    pub_in, pub_ids = _in("id", ids)
    po_in, po_ids = _in("po.programme_id", ids)
    er_in, er_ids = _in("er.programme_id", ids)
    ec_in, ec_ids = _in("ec.programme_id", ids)
    pt_in, pt_ids = _in("pt.programme_id", ids)
    bl_in, bl_ids = _in("programme_id", ids)
    regions_sql, regions_params = top_region_sql("er.region_id", region_top)
    countries_sql, countries_params = top_region_sql("c.region_id", region_top)
    params: list[object] = [
        ProgrammeStatus.PUBLISHED,
        *pub_ids,
        OrganisationRole.FUNDING,
        *po_ids,
        *regions_params,
        *er_ids,
        *countries_params,
        *ec_ids,
        *pt_ids,
        *bl_ids,
        NOT_STATED,
        WORLD,
        NOT_STATED,
    ]
    sql = f"""
    WITH pub AS (
        SELECT id, ends_on FROM {_table(programme)} WHERE status = %s{pub_in}
    ),
    fund AS (
        SELECT DISTINCT po.programme_id AS pid,
            COALESCE(NULLIF(pr.name, ''), po.name) AS funder
        FROM {_table(_model(apps, "ParticipatingOrganisation"))} po
        LEFT JOIN {_table(_model(apps, "Provider"))} pr ON pr.id = po.provider_id
        WHERE po.role = %s{po_in}
    ),
    fund_n AS (SELECT pid, COUNT(*) AS n FROM fund GROUP BY pid),
    reg AS (
        SELECT er.programme_id AS pid, {regions_sql} AS region
        FROM {_table(programme, "eligible_regions")} er
        WHERE 1 = 1{er_in}
        UNION
        SELECT ec.programme_id AS pid, {countries_sql} AS region
        FROM {_table(programme, "eligible_countries")} ec
        JOIN {_table(_model(apps, "Country"))} c ON c.iso3 = ec.country_id
        WHERE 1 = 1{ec_in}
    ),
    reg_n AS (SELECT pid, COUNT(*) AS n FROM reg GROUP BY pid),
    thm AS (
        SELECT DISTINCT pt.programme_id AS pid, t.theme_id AS theme
        FROM {_table(programme, "topics")} pt
        JOIN {_table(_model(apps, "Topic"))} t ON t.slug = pt.topic_id
        WHERE 1 = 1{pt_in}
    ),
    thm_n AS (SELECT pid, COUNT(*) AS n FROM thm GROUP BY pid),
    lines AS (
        SELECT programme_id AS pid,
            COALESCE(SUM(ROUND(amount_usd * 100)), 0) AS cents
        FROM {_table(_model(apps, "BudgetLine"))}
        WHERE 1 = 1{bl_in}
        GROUP BY programme_id
    )
    SELECT p.id, COALESCE(f.funder, %s), COALESCE(r.region, %s),
        COALESCE(t.theme, %s),
        COALESCE(fn.n, 1) * COALESCE(rn.n, 1) * COALESCE(tn.n, 1),
        COALESCE(l.cents, ROUND(pf.total_budget_usd * 100), 0),
        p.ends_on
    FROM pub p
    LEFT JOIN fund_n fn ON fn.pid = p.id
    LEFT JOIN reg_n rn ON rn.pid = p.id
    LEFT JOIN thm_n tn ON tn.pid = p.id
    LEFT JOIN lines l ON l.pid = p.id
    LEFT JOIN {_table(_model(apps, "ProgrammeFunding"))} pf ON pf.programme_id = p.id
    LEFT JOIN fund f ON f.pid = p.id
    LEFT JOIN reg r ON r.pid = p.id
    LEFT JOIN thm t ON t.pid = p.id
    """  # noqa: S608  # nosec B608 (table names from the models, values as parameters)
    return sql, params


def _year_sql(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(YEAR FROM {column}) AS INTEGER)"
    # SQLite's own strftime: Django's year extraction is a Python function.
    return f"CAST(strftime('%%Y', {column}) AS INTEGER)"


def _years_sql(apps: Any, ids: list[int] | None) -> tuple[str, list[object]]:
    """Published programmes' budget lines by programme and year of their
    start: programme, year, lines, US dollars in whole cents, its end."""
    pub_in, pub_ids = _in("p.id", ids)
    sql = f"""
    SELECT p.id, {_year_sql("bl.period_start")}, COUNT(*),
        COALESCE(SUM(ROUND(bl.amount_usd * 100)), 0), p.ends_on
    FROM {_table(_model(apps, "BudgetLine"))} bl
    JOIN {_table(_model(apps, "Programme"))} p ON p.id = bl.programme_id
    WHERE p.status = %s{pub_in}
    GROUP BY p.id, {_year_sql("bl.period_start")}, p.ends_on
    """  # noqa: S608  # nosec B608 (table names from the models, values as parameters)
    return sql, [ProgrammeStatus.PUBLISHED, *pub_ids]


def _fetch(sql: str, params: list[object]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _share_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    pid, funder, region, theme, split, cents, ends_on = row
    return (
        int(pid),
        funder,
        region,
        theme,
        int(split),
        int(cents),
        _day(ends_on),
    )


def _year_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    pid, year, lines, cents, ends_on = row
    return (int(pid), int(year), int(lines), int(cents), _day(ends_on))


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# --- keeping them up to date ------------------------------------------------


def refresh_coordination_cells(programme_ids: Iterable[int]) -> None:
    """Recompute the stored cells and years of some programmes (published or
    not, existing or deleted) and add the differences to the sums, in the
    caller's transaction. Call it after the writes, before the commit; in
    ``batched()``, the refresh happens once at its end."""
    pending = getattr(_state, "pending", None)
    if pending is not None:
        pending.update(programme_ids)
        return
    _refresh(programme_ids)


def _refresh(programme_ids: Iterable[int]) -> None:
    ids = sorted({int(pk) for pk in programme_ids if pk is not None})
    if not ids:
        return

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers share this lock; a rebuild's EXCLUSIVE one waits for them
            # to commit (and they for it), so none reads rows it replaces.
            tables = ", ".join(_table(_model(global_apps, name)) for name in _TABLES)
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {tables} IN ROW EXCLUSIVE MODE")
        region_top = top_regions()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            # One refresh of a programme at a time: the next one reads what
            # this one wrote (PostgreSQL; SQLite has one writer anyway).
            list(
                Programme.objects.select_for_update()
                .filter(pk__in=chunk)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            new_shares = [
                _share_row(row)
                for row in _fetch(*_shares_sql(global_apps, region_top, chunk))
            ]
            new_years = [
                _year_row(row) for row in _fetch(*_years_sql(global_apps, chunk))
            ]
            old_shares = list(
                CoordinationShare.objects.filter(programme_id__in=chunk).values_list(
                    *_SHARE_FIELDS
                )
            )
            old_years = list(
                CoordinationYear.objects.filter(programme_id__in=chunk).values_list(
                    *_YEAR_FIELDS
                )
            )
            changed = _changed(old_shares, new_shares) | _changed(old_years, new_years)
            if not changed:
                continue
            _replace(CoordinationShare, changed, new_shares, _SHARE_FIELDS)
            _replace(CoordinationYear, changed, new_years, _YEAR_FIELDS)
            _add_to_cells(
                _deltas(
                    [r for r in old_shares if r[0] in changed],
                    [r for r in new_shares if r[0] in changed],
                )
            )
            _add_to_years(
                _year_deltas(
                    [r for r in old_years if r[0] in changed],
                    [r for r in new_years if r[0] in changed],
                )
            )


_SHARE_FIELDS = (
    "programme_id",
    "funder",
    "region",
    "theme",
    "split",
    "cents",
    "ends_on",
)
_YEAR_FIELDS = ("programme_id", "year", "lines", "cents", "ends_on")


def _changed(old: list[tuple[Any, ...]], new: list[tuple[Any, ...]]) -> set[int]:
    """The programmes whose rows differ."""
    before: dict[int, Counter[tuple[Any, ...]]] = {}
    after: dict[int, Counter[tuple[Any, ...]]] = {}
    for rows, into in ((old, before), (new, after)):
        for row in rows:
            into.setdefault(row[0], Counter())[row] += 1
    return {
        pk for pk in before.keys() | after.keys() if before.get(pk) != after.get(pk)
    }


def _replace(
    model: type[Model],
    changed: set[int],
    rows: list[tuple[Any, ...]],
    fields: tuple[str, ...],
) -> None:
    model.objects.filter(programme_id__in=sorted(changed)).delete()
    model.objects.bulk_create(
        [
            model(**dict(zip(fields, row, strict=True)))
            for row in rows
            if row[0] in changed
        ],
        batch_size=_CHUNK,
    )


def _deltas(
    old: list[tuple[Any, ...]], new: list[tuple[Any, ...]]
) -> dict[ShareKey, tuple[int, int]]:
    """What the changed programmes add to each cell: (programmes, cents)."""
    deltas: dict[ShareKey, list[int]] = {}
    for rows, sign in ((old, -1), (new, 1)):
        for _pid, funder, region, theme, split, cents, _ends in rows:
            delta = deltas.setdefault((funder, region, theme, split), [0, 0])
            delta[0] += sign
            delta[1] += sign * cents
    return {key: (n, c) for key, (n, c) in deltas.items() if n or c}


def _year_deltas(
    old: list[tuple[Any, ...]], new: list[tuple[Any, ...]]
) -> dict[int, tuple[int, int]]:
    deltas: dict[int, list[int]] = {}
    for rows, sign in ((old, -1), (new, 1)):
        for _pid, year, lines, cents, _ends in rows:
            delta = deltas.setdefault(year, [0, 0])
            delta[0] += sign * lines
            delta[1] += sign * cents
    return {key: (n, c) for key, (n, c) in deltas.items() if n or c}


def _upsert(
    table: type[Model],
    keys: tuple[str, ...],
    values: tuple[str, str],
    rows: list[tuple[Any, ...]],
) -> None:
    """Add to the sums: INSERT ... ON CONFLICT DO UPDATE SET x = x + delta, in
    key order (two writers lock the rows they share in the same order)."""
    name = _table(table)
    columns = ", ".join((*keys, *values))
    adds = ", ".join(f"{v} = {name}.{v} + excluded.{v}" for v in values)
    width = len(keys) + len(values)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _UPSERT_ROWS):
            batch = rows[start : start + _UPSERT_ROWS]
            placeholders = ", ".join(
                "(" + ", ".join("%s" for _ in range(width)) + ")" for _ in batch
            )
            cursor.execute(
                f"INSERT INTO {name} ({columns}) VALUES {placeholders} "  # noqa: S608
                f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {adds}",  # nosec B608 (names from the model, values as parameters)
                [value for row in batch for value in row],
            )


def _add_to_cells(deltas: dict[ShareKey, tuple[int, int]]) -> None:
    _upsert(
        CoordinationCell,
        ("funder", "region", "theme", "split"),
        ("programmes", "cents"),
        [(*key, *deltas[key]) for key in sorted(deltas)],
    )


def _add_to_years(deltas: dict[int, tuple[int, int]]) -> None:
    _upsert(
        CoordinationYearTotal,
        ("year",),
        ("lines", "cents"),
        [(year, *deltas[year]) for year in sorted(deltas)],
    )


# --- rebuilding and checking ------------------------------------------------

_TABLES = (
    "CoordinationShare",
    "CoordinationYear",
    "CoordinationCell",
    "CoordinationYearTotal",
)


def rebuild_coordination_cells(apps: Any = global_apps) -> None:
    """Recompute every stored cell and year from the records (the migration's
    data step, the demo loader and the repair tool). On PostgreSQL the tables
    are locked against the refreshes of other transactions until the commit."""
    share, year, cell, total = (_model(apps, name) for name in _TABLES)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(_table(m) for m in (share, year, cell, total))
            cursor.execute(f"LOCK TABLE {tables} IN EXCLUSIVE MODE")
        for model in (share, year, cell, total):
            cursor.execute(f"DELETE FROM {_table(model)}")  # noqa: S608  # nosec B608 (a model's table)
        sql, params = _shares_sql(apps, top_regions(apps), None)
        cursor.execute(
            f"INSERT INTO {_table(share)} ({', '.join(_SHARE_FIELDS)}) {sql}",  # nosec B608 (names from the models)
            params,
        )
        sql, params = _years_sql(apps, None)
        cursor.execute(
            f"INSERT INTO {_table(year)} ({', '.join(_YEAR_FIELDS)}) {sql}",  # nosec B608 (names from the models)
            params,
        )
        cursor.execute(
            f"""INSERT INTO {_table(cell)}
            (funder, region, theme, split, programmes, cents)
            SELECT funder, region, theme, split, COUNT(*), SUM(cents)
            FROM {_table(share)} GROUP BY funder, region, theme, split
            """,  # noqa: S608  # nosec B608 (names from the models)
        )
        cursor.execute(
            f"""INSERT INTO {_table(total)} (year, lines, cents)
            SELECT year, SUM(lines), SUM(cents) FROM {_table(year)} GROUP BY year
            """,  # noqa: S608  # nosec B608 (names from the models)
        )


def coordination_cells_problems() -> list[str]:
    """How the stored cells and years differ from a rebuild (none: equal)."""
    region_top = top_regions()
    shares = Counter(
        _share_row(r) for r in _fetch(*_shares_sql(global_apps, region_top, None))
    )
    years = Counter(_year_row(r) for r in _fetch(*_years_sql(global_apps, None)))
    stored_shares = Counter(
        _share_row(r) for r in CoordinationShare.objects.values_list(*_SHARE_FIELDS)
    )
    stored_years = Counter(
        _year_row(r) for r in CoordinationYear.objects.values_list(*_YEAR_FIELDS)
    )
    problems = []
    for name, found, expected in (
        ("share", stored_shares, shares),
        ("year", stored_years, years),
    ):
        problems += [
            f"{name} kept but not computed: {row}"
            for row in sorted((found - expected).elements(), key=repr)
        ]
        problems += [
            f"{name} computed but not kept: {row}"
            for row in sorted((expected - found).elements(), key=repr)
        ]
    cells: dict[ShareKey, list[int]] = {}
    for _pid, funder, region, theme, split, cents, _ends in shares.elements():
        cell = cells.setdefault((funder, region, theme, split), [0, 0])
        cell[0] += 1
        cell[1] += cents
    stored_cells = {
        (f, r, t, int(s)): [int(n), int(c)]
        for f, r, t, s, n, c in CoordinationCell.objects.values_list(
            "funder", "region", "theme", "split", "programmes", "cents"
        )
        if n or c
    }
    if stored_cells != cells:
        problems += [
            f"cell {key}: kept {stored_cells.get(key)}, computed {cells.get(key)}"
            for key in sorted(stored_cells.keys() | cells.keys())
            if stored_cells.get(key) != cells.get(key)
        ]
    totals: dict[int, list[int]] = {}
    for _pid, year, lines, cents, _ends in years.elements():
        total = totals.setdefault(year, [0, 0])
        total[0] += lines
        total[1] += cents
    stored_totals = {
        int(y): [int(n), int(c)]
        for y, n, c in CoordinationYearTotal.objects.values_list(
            "year", "lines", "cents"
        )
        if n or c
    }
    if stored_totals != totals:
        problems += [
            f"year {year}: kept {stored_totals.get(year)}, computed {totals.get(year)}"
            for year in sorted(stored_totals.keys() | totals.keys())
            if stored_totals.get(year) != totals.get(year)
        ]
    return problems


# --- the writes the ORM signals ---------------------------------------------


@contextmanager
def batched() -> Iterator[None]:
    """In a transaction, gather the programmes the signals see changed and
    refresh them once at the end (nested: the outermost refreshes)."""
    if getattr(_state, "pending", None) is not None:
        yield
        return
    with transaction.atomic():
        _state.pending = set()
        _state.everything = False
        try:
            yield
            pending, everything = _state.pending, _state.everything
        finally:
            _state.pending = None
            _state.everything = False
        if everything:
            rebuild_coordination_cells()
        else:
            _refresh(pending)


def _changed_programmes(ids: Iterable[int]) -> None:
    refresh_coordination_cells(ids)


def _changed_everything() -> None:
    if getattr(_state, "pending", None) is not None:
        _state.everything = True
    else:
        rebuild_coordination_cells()


def _on_programme_saved(
    sender: Any,
    instance: Any,
    update_fields: Any = None,
    raw: bool = False,
    **kwargs: Any,
) -> None:
    if raw:
        return
    if update_fields is not None and not {"status", "ends_on"} & set(update_fields):
        return
    _changed_programmes([instance.pk])


def _on_programme_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    _changed_programmes([instance.pk])


def _on_part_changed(
    sender: Any, instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    """A funding organisation, budget line or total of a programme."""
    if raw:
        return
    _changed_programmes([instance.programme_id])


def _on_tags_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    """A programme's topics, eligible regions or countries."""
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not reverse:
        _changed_programmes([instance.pk])
    elif pk_set is not None:
        _changed_programmes(pk_set)
    else:
        _changed_everything()  # a tag cleared of all its programmes


def _on_provider_saving(
    sender: Any, instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    if raw or instance.pk is None:
        return
    instance._coordination_name = (
        type(instance)
        .objects.filter(pk=instance.pk)
        .values_list("name", flat=True)
        .first()
    )


def _on_provider_saved(
    sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    """A provider's name is the funder's name of its funding participations."""
    if (
        raw
        or created
        or getattr(instance, "_coordination_name", instance.name) == instance.name
    ):
        return
    _changed_programmes(_funded_by([instance.pk]))


def funded_by(provider_ids: Iterable[int]) -> list[int]:
    """The programmes that name some providers as funders."""
    return _funded_by(provider_ids)


def _funded_by(provider_ids: Iterable[int]) -> list[int]:
    return list(
        ParticipatingOrganisation.objects.filter(
            provider_id__in=list(provider_ids), role=OrganisationRole.FUNDING
        )
        .order_by()
        .values_list("programme_id", flat=True)
        .distinct()
    )


def _on_topic_saved(
    sender: Any, instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return

    _changed_programmes(
        Programme.topics.through.objects.filter(topic_id=instance.pk).values_list(
            "programme_id", flat=True
        )
    )


def _on_country_saved(
    sender: Any, instance: Any, raw: bool = False, **kwargs: Any
) -> None:
    if raw:
        return

    _changed_programmes(
        Programme.eligible_countries.through.objects.filter(
            country_id=instance.pk
        ).values_list("programme_id", flat=True)
    )


def _on_reference_changed(sender: Any, raw: bool = False, **kwargs: Any) -> None:
    """A region (the tree of top regions), or a deleted topic or country."""
    if raw:
        return
    _changed_everything()


def connect_signals() -> None:
    """Keep the cells on every ORM write of what they are computed from."""
    uid = "coordination-cells"
    signals.post_save.connect(_on_programme_saved, Programme, dispatch_uid=uid)
    signals.post_delete.connect(_on_programme_deleted, Programme, dispatch_uid=uid)
    for part in (ParticipatingOrganisation, BudgetLine, ProgrammeFunding):
        signals.post_save.connect(_on_part_changed, part, dispatch_uid=uid)
        signals.post_delete.connect(_on_part_changed, part, dispatch_uid=uid)
    for name in ("topics", "eligible_regions", "eligible_countries"):
        through = getattr(Programme, name).through
        signals.m2m_changed.connect(_on_tags_changed, through, dispatch_uid=uid)
    signals.pre_save.connect(_on_provider_saving, Provider, dispatch_uid=uid)
    signals.post_save.connect(_on_provider_saved, Provider, dispatch_uid=uid)
    signals.post_save.connect(_on_topic_saved, Topic, dispatch_uid=uid)
    signals.post_save.connect(_on_country_saved, Country, dispatch_uid=uid)
    for reference in (Topic, Country):
        signals.post_delete.connect(_on_reference_changed, reference, dispatch_uid=uid)
    signals.post_save.connect(_on_reference_changed, Region, dispatch_uid=uid)
    signals.post_delete.connect(_on_reference_changed, Region, dispatch_uid=uid)
