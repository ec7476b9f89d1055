"""Reads whose SQL is built once per shape: the API's hottest reads.

Django builds and compiles a queryset's SQL anew every time it runs one: for
a need's page of matches with their programmes and providers about as much
CPU as the rest of the page's reading. A prepared read builds its queryset
once per *shape* with stand-ins for the values that vary (the *slots*: a
record's id or ref), keeps the SQL and what turns its rows into instances,
and later sends the same SQL with the values in the stand-ins' places: the
same statement, the same rows, the same instances as the queryset gives
(``select_related`` and ``only`` included), without building it.

The shape's key is the caller's promise: two builds with the same key may
differ in their slot values only. A key therefore names everything else the
queryset is made of (who reads it: ``selectors.signature_of``; the page's
bounds are added here). Kept per process, at most ``MAX_SHAPES`` shapes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS
from django.db import connections
from django.db.backends.utils import CursorWrapper
from django.db.models import Model
from django.db.models import QuerySet
from django.db.models import prefetch_related_objects
from django.db.models.query import get_related_populators

MAX_SHAPES = 512


@dataclass(frozen=True)
class _Rows:
    """A compiled read of model instances (``ModelIterable``'s work, kept)."""

    sql: str
    params: tuple
    slots: tuple[tuple[int, int], ...]  # (position in params, slot number)
    db: str
    model: type[Model]
    start: int  # the model's columns in a row
    end: int
    init_list: tuple[str, ...]
    populators: tuple
    columns: tuple  # the selected expressions (for their converters)
    fetch_mode: Any
    prefetch: tuple[str, ...]  # prefetch_related's lookups, run on the rows


@dataclass(frozen=True)
class _Value:
    """A compiled read of one value (a count)."""

    sql: str
    params: tuple
    slots: tuple[tuple[int, int], ...]
    db: str


_EMPTY = object()  # a shape Django answers without a query (an empty set)
_shapes: OrderedDict[Hashable, Any] = OrderedDict()
_lock = threading.Lock()


def _stand_ins(values: tuple) -> tuple:
    """A stand-in per slot value, of its type, that no real value equals."""
    found: list[Any] = []
    for number, value in enumerate(values):
        if type(value) is int:
            found.append(-7_318_214_907_145_219_341 + number)
        elif type(value) is str:
            found.append(f"\x1fcbm-prepared-slot-{number}\x1f")
        else:
            raise TypeError(f"a prepared read's slot takes an int or a str: {value!r}")
    return tuple(found)


def _slots(params, stand_ins: tuple) -> tuple[tuple[int, int], ...]:
    """Where each stand-in went in the statement's parameters."""
    where = []
    for position, param in enumerate(params):
        for number, stand_in in enumerate(stand_ins):
            if type(param) is type(stand_in) and param == stand_in:
                where.append((position, number))
    if {number for _position, number in where} != set(range(len(stand_ins))):
        raise ValueError("a slot's value did not reach the statement as given")
    return tuple(where)


def _bind(entry: _Rows | _Value, values: tuple) -> list:
    params = list(entry.params)
    for position, number in entry.slots:
        params[position] = values[number]
    return params


def _remember(key: Hashable, make: Callable[[], Any]) -> Any:
    with _lock:
        entry = _shapes.get(key)
        if entry is not None:
            _shapes.move_to_end(key)
            return entry
    entry = make()  # outside the lock: it queries the database
    with _lock:
        _shapes[key] = entry
        while len(_shapes) > MAX_SHAPES:
            _shapes.popitem(last=False)
    return entry


def _compile_rows(queryset: QuerySet, stand_ins: tuple) -> _Rows | object:
    query = queryset.query
    prefetch = tuple(queryset._prefetch_related_lookups)
    if (
        not all(isinstance(lookup, str) for lookup in prefetch)
        or queryset._known_related_objects
        or queryset._iterable_class.__name__ != "ModelIterable"
        or queryset._fetch_mode.track_peers
    ):
        raise ValueError("a prepared read takes model rows (prefetches by name)")
    compiler = query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return _EMPTY
    if compiler.annotation_col_map or compiler.has_extra_select:
        raise ValueError("a prepared read takes no annotations or extra columns")
    select, klass_info = compiler.select, compiler.klass_info
    select_fields = klass_info["select_fields"]
    start, end = select_fields[0], select_fields[-1] + 1
    return _Rows(
        sql=sql,
        params=tuple(params),
        slots=_slots(params, stand_ins),
        db=queryset.db,
        model=klass_info["model"],
        start=start,
        end=end,
        init_list=tuple(f[0].target.attname for f in select[start:end]),
        populators=tuple(
            get_related_populators(
                klass_info, select, queryset.db, queryset._fetch_mode
            )
        ),
        columns=tuple(s[0] for s in select[: compiler.col_count]),
        fetch_mode=queryset._fetch_mode,
        prefetch=prefetch,
    )


def _compile_value(run: Callable[[], Any], db: str, stand_ins: tuple):
    """The one statement ``run`` sends (captured as it runs with the stand-ins)."""
    sent: list[tuple[str, Any]] = []

    def capture(execute, sql, params, many, context):
        sent.append((sql, params))
        return execute(sql, params, many, context)

    with connections[db].execute_wrapper(capture):
        run()
    if not sent:
        return _EMPTY
    if len(sent) != 1:
        raise ValueError("a prepared value is read with one statement")
    sql, params = sent[0]
    params = tuple(params or ())
    return _Value(sql=sql, params=params, slots=_slots(params, stand_ins), db=db)


class _PreparingCursor(psycopg.Cursor):
    """Binds on the server and has it prepare the statement (once per
    connection: psycopg remembers what it prepared)."""

    def execute(self, query, params=None, **kwargs):
        kwargs["prepare"] = True
        return super().execute(query, params, **kwargs)


def cursor(using: str = DEFAULT_DB_ALIAS) -> CursorWrapper:
    """A cursor for the hot reads: on PostgreSQL, where the settings allow
    prepared statements (``prepare_threshold``), the server parses and plans
    each statement once per connection (planning was most of the database's
    time for these reads); otherwise the connection's own cursor. Either way
    through Django's wrapper (execute wrappers, query logging)."""
    connection = connections[using]
    if (
        connection.vendor != "postgresql"
        or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None
    ):
        return connection.cursor()
    connection.ensure_connection()
    raw = _PreparingCursor(connection.connection)
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def _run_rows(entry: _Rows, values: tuple) -> list[Model]:
    connection = connections[entry.db]
    with cursor(entry.db) as found:
        found.execute(entry.sql, _bind(entry, values))
        rows = found.fetchall()
    converters = []
    for position, column in enumerate(entry.columns):
        found = connection.ops.get_db_converters(column) + column.get_db_converters(
            connection
        )
        if found:
            converters.append((position, found, column))
    found_rows = []
    for row in rows:
        if converters:
            row = list(row)
            for position, convert, column in converters:
                value = row[position]
                for converter in convert:
                    value = converter(value, column, connection)
                row[position] = value
        obj = entry.model.from_db(
            entry.db,
            entry.init_list,
            row[entry.start : entry.end],
            fetch_mode=entry.fetch_mode,
        )
        for populator in entry.populators:
            populator.populate(row, obj)
        found_rows.append(obj)
    if entry.prefetch and found_rows:
        prefetch_related_objects(found_rows, *entry.prefetch)
    return found_rows


class Prepared:
    """A read of ``build(*values)`` whose SQL is built once per ``key``.

    ``build`` makes the queryset from the slot values (ints or strs) and
    nothing else that varies under the key. Paginators take it as a queryset:
    ``count()``, slices (each a shape of its own) and ``get()``.
    """

    ordered = True  # build's queryset is ordered (checked when it is built)

    def __init__(
        self, key: Hashable, build: Callable[..., QuerySet], *values: Any
    ) -> None:
        self.key = key
        self.build = build
        self.values = values

    def _template(self) -> tuple[QuerySet, tuple]:
        stand_ins = _stand_ins(self.values)
        queryset = self.build(*stand_ins)
        return queryset, stand_ins

    def _rows(self, shape: Hashable, cut: Callable[[QuerySet], QuerySet]):
        def make():
            queryset, stand_ins = self._template()
            return _compile_rows(cut(queryset), stand_ins)

        entry = _remember((self.key, shape), make)
        if entry is _EMPTY:
            return []
        return _run_rows(entry, self.values)

    def __getitem__(self, bounds: slice) -> list[Model]:
        if not isinstance(bounds, slice) or bounds.step is not None:
            raise TypeError("a prepared read is sliced by bounds only")
        start, stop = bounds.start or 0, bounds.stop

        def cut(queryset: QuerySet) -> QuerySet:
            if not queryset.ordered:
                raise ValueError("a prepared read is paged in a set order")
            return queryset[start:stop]

        return self._rows(("rows", start, stop), cut)

    def get(self) -> Model:
        """The one row, as ``QuerySet.get()`` finds it (or its errors)."""
        # As get() asks: no ordering, at most 21 rows.
        rows = self._rows(("get",), lambda queryset: queryset.order_by()[:21])
        if len(rows) == 1:
            return rows[0]
        model = self._model()
        if not rows:
            raise model.DoesNotExist(
                f"{model._meta.object_name} matching query does not exist."
            )
        raise model.MultipleObjectsReturned(
            f"get() returned more than one {model._meta.object_name} -- it "
            f"returned {'more than 20' if len(rows) > 20 else len(rows)}!"
        )

    def _model(self) -> type[Model]:
        return self.build(*_stand_ins(self.values)).model

    def count(self) -> int:
        def make():
            queryset, stand_ins = self._template()
            return _compile_value(queryset.count, queryset.db, stand_ins)

        entry = _remember((self.key, "count"), make)
        if entry is _EMPTY:
            return 0
        with cursor(entry.db) as found:
            found.execute(entry.sql, _bind(entry, self.values))
            row = found.fetchone()
        return int(row[0]) if row and row[0] is not None else 0
