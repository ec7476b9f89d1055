"""The tag keys (slugs and codes) of a page of needs or programmes, in one query.

The API shows tags as keys only. Prefetching the vocabulary rows (with their
names in six languages) cost a query and a model instance per tag and
relation; reading the keys straight from the link tables costs one
``UNION ALL`` query for the whole page and no model instances.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import connection

from matchmaking import prepared
from matchmaking.models import TAG_FIELDS
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import TaggedRecord

# The tag relations of each kind of record, as the serializers name them.
TAGS_OF = {
    Need: TAG_FIELDS,
    Programme: (*TAG_FIELDS, *Programme.ELIGIBILITY_FIELDS),
}
# Attribute holding {relation: sorted keys}, plus "themes" (the topics' themes).
ATTRIBUTE = "_tag_keys"


def attach_tag_keys(records: Sequence[TaggedRecord]) -> None:
    """Set ``_tag_keys`` on every record of the page (one query, any page size)."""
    records = list(records)
    if not records:
        return
    model = type(records[0])
    ids = [record.pk for record in records]
    names = (*TAGS_OF[model], "themes")
    keys: dict[int, dict[str, set[str]]] = {
        pk: {name: set() for name in names} for pk in ids
    }
    # PostgreSQL: the ids as one array parameter per branch (a page of 100
    # with eight branches is otherwise 800 placeholders for the driver to
    # split and send); elsewhere a list of placeholders.
    array = connection.vendor == "postgresql"
    marks = "= ANY(%s)" if array else "IN (" + ", ".join(["%s"] * len(ids)) + ")"
    parts, params = [], []
    for position, (table, owner, key, join) in enumerate(_sources(model)):
        # The relation travels as its position: a parameter's type must be
        # known to PostgreSQL in a UNION, and an integer always is.
        # Quoted names from the models' metadata; the ids are parameters.
        sql = f"SELECT {position}, t.{owner}, {key} FROM {table} t{join} "  # noqa: S608  # nosec B608
        parts.append(sql + f"WHERE t.{owner} {marks}")
        if array:
            params.append(ids)
        else:
            params.extend(ids)
    with prepared.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for position, record_id, key in cursor.fetchall():
            keys[record_id][names[position]].add(str(key))
    for record in records:
        setattr(
            record,
            ATTRIBUTE,
            {name: sorted(values) for name, values in keys[record.pk].items()},
        )


@functools.cache
def _sources(model) -> tuple[tuple[str, str, str, str], ...]:
    """(link table, record column, key expression, join) per relation, in order.

    The last source is the topics' themes: the topic link joined to the topic.
    Names come from the models' metadata, quoted; no value is interpolated.
    """
    quote = connection.ops.quote_name
    sources = []
    for relation in TAGS_OF[model]:
        field = model._meta.get_field(relation)
        through = field.remote_field.through._meta
        sources.append(
            (
                quote(through.db_table),
                quote(through.get_field(field.m2m_field_name()).column),
                "t." + quote(through.get_field(field.m2m_reverse_field_name()).column),
                "",
            )
        )
    table, owner, topic, _join = sources[0]
    topic_meta = model._meta.get_field("topics").related_model._meta
    join = (
        f" JOIN {quote(topic_meta.db_table)} v"
        f" ON v.{quote(topic_meta.pk.column)} = {topic}"
    )
    theme = "v." + quote(topic_meta.get_field("theme").column)
    sources.append((table, owner, theme, join))
    return tuple(sources)


def tag_keys(record: TaggedRecord, relation: str) -> list[str]:
    """The keys of one relation; read for this record alone if not attached.

    Lists attach the keys of a whole page first (one query); a record read on
    its own costs one query here.
    """
    if getattr(record, ATTRIBUTE, None) is None:
        attach_tag_keys([record])
    return getattr(record, ATTRIBUTE)[relation]
