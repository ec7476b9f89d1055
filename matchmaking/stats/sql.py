"""Raw SQL of the statistics: table names, fences, the geography of programmes."""

from __future__ import annotations

from django.db import connection
from django.db import models
from django.db.models import QuerySet

from matchmaking.models import Country
from matchmaking.models import Programme
from matchmaking.models import Topic
from matchmaking.stats.scope import ColumnDimension
from matchmaking.stats.scope import RowDimension


def table_name(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def materialized() -> str:
    """Keeps PostgreSQL from folding a CTE into the query that reads it."""
    return "MATERIALIZED " if connection.vendor == "postgresql" else ""


def fenced(sql: str) -> str:
    """A subquery PostgreSQL plans apart (OFFSET 0), with no parallel workers."""
    return f"{sql} OFFSET 0" if connection.vendor == "postgresql" else sql


def compiled_sql(queryset: QuerySet) -> tuple[str, tuple]:
    """A queryset compiled for embedding as a subquery of raw SQL."""
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def row_source(
    rows: RowDimension, through: type[models.Model], owner: str, *, distinct: bool
) -> str:
    """(owner id, row key) pairs from a through table of topics.

    By theme, an owner with two topics of a theme gives the pair twice unless
    ``distinct``.
    """
    table = table_name(through)
    if rows == "topic":
        return f'SELECT "{owner}_id" AS oid, "topic_id" AS r FROM {table}'  # noqa: S608  # nosec B608
    return (
        f'SELECT {"DISTINCT " if distinct else ""}x."{owner}_id" AS oid, '  # noqa: S608  # nosec B608
        f't."theme_id" AS r FROM {table} x '
        f'INNER JOIN {table_name(Topic)} t ON t."slug" = x."topic_id"'
    )


# Geography of programmes in SQL (the engine's rules: matching._geography and
# the LDC-only / SIDS-only flags), for the supply side of the statistics. Only
# table and column names from the models are put into these strings; every
# value is a query parameter.
FLAGS_SQL = (
    "CASE WHEN c.is_ldc THEN 1 ELSE 0 END AS ldc, "
    "CASE WHEN c.is_sids THEN 1 ELSE 0 END AS sids, "
    "CASE WHEN c.is_ldc AND c.is_sids THEN 1 ELSE 0 END AS both_flags"
)


def allowed_sql(p: str, x: str) -> str:
    """Programme (alias ``p``) flags let in a country of area ``x``'s flags."""
    return (
        f"(NOT {p}.ldc_only OR {x}.ldc = 1) AND (NOT {p}.sids_only OR "
        f"{x}.sids = 1) AND (NOT ({p}.ldc_only AND {p}.sids_only) OR "
        f"{x}.both_flags = 1)"
    )


def every_column_sql(columns: ColumnDimension) -> str:
    """(col, ldc, sids, both_flags): each column, and what kinds of country it holds."""
    country = table_name(Country)
    return (
        "SELECT g.col, MAX(g.ldc) AS ldc, MAX(g.sids) AS sids, "  # noqa: S608  # nosec B608
        "MAX(g.both_flags) AS both_flags FROM "
        f"(SELECT c.{columns}_id AS col, {FLAGS_SQL} FROM {country} c) g "
        "WHERE g.col IS NOT NULL GROUP BY g.col"
    )


def open_columns_sql(columns: ColumnDimension, offered: str) -> str:
    """(pid, provider, col): programmes with an eligibility list, columns reached.

    Only programmes in the subquery ``offered`` (its parameters are needed
    twice). A column is reached through an eligible country in it, or an
    eligible grouping (region, sub-region, intermediate region) holding one of
    its countries that the programme's LDC-only / SIDS-only flags let in. A
    (pid, col) pair can come more than once: callers count distinct values.
    Programmes open to everyone have no row here (see ``worldwide_sql``).
    """
    column = f"{columns}_id"
    country = table_name(Country)
    by_region = table_name(Programme.eligible_regions.through)
    by_country = table_name(Programme.eligible_countries.through)
    groupings = " UNION ALL ".join(
        f"SELECT c.{level} AS code, c.{column} AS col, {FLAGS_SQL} "  # noqa: S608  # nosec B608
        f"FROM {country} c"
        for level in ("region_id", "subregion_id", "intermediate_region_id")
    )
    reach = (
        "SELECT g.code, g.col, MAX(g.ldc) AS ldc, MAX(g.sids) AS sids, "  # noqa: S608  # nosec B608
        f"MAX(g.both_flags) AS both_flags FROM ({groupings}) g "
        "WHERE g.code IS NOT NULL AND g.col IS NOT NULL GROUP BY g.code, g.col"
    )
    return (
        "SELECT er.programme_id AS pid, p.provider_id AS provider, "  # noqa: S608  # nosec B608
        f"reach.col FROM {by_region} er "
        f"INNER JOIN ({offered}) p ON p.id = er.programme_id "
        f"INNER JOIN ({reach}) reach ON reach.code = er.region_id "
        f"WHERE {allowed_sql('p', 'reach')} "
        "UNION ALL "
        "SELECT ec.programme_id AS pid, p.provider_id AS provider, "
        f"c.{column} AS col FROM {by_country} ec "
        f"INNER JOIN ({offered}) p ON p.id = ec.programme_id "
        f"INNER JOIN (SELECT c.iso3, c.{column}, {FLAGS_SQL} FROM {country} c) c "
        f"ON c.iso3 = ec.country_id "
        f"WHERE c.{column} IS NOT NULL AND {allowed_sql('p', 'c')}"
    )


def worldwide_sql(p: str) -> str:
    """Programme ``p`` has no eligibility list: it is open to everyone."""
    by_region = table_name(Programme.eligible_regions.through)
    by_country = table_name(Programme.eligible_countries.through)
    return (
        f"NOT EXISTS (SELECT 1 FROM {by_region} er "  # noqa: S608  # nosec B608
        f"WHERE er.programme_id = {p}.id) "
        f"AND NOT EXISTS (SELECT 1 FROM {by_country} ec "
        f"WHERE ec.programme_id = {p}.id)"
    )
