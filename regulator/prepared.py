"""A queryset's SQL compiled once and run again with new values: for the few reads every page makes.

Building and compiling a queryset costs more Python than its SQL costs PostgreSQL on the small indexed reads of
every request (the signed-in user, the grants shared with a department, a public list page): ~0.2 ms of query
building and ~0.3 ms of the ORM's row machinery around a 0.3 ms query (docs/bench-scale.md, "Prepared reads"). A
`Prepared` builds its queryset once per database alias with marker values in place of the request's, keeps the
SQL and the positions of the markers among the parameters, and runs that SQL on a cursor with the request's
values, converting each column as the ORM would (the backend's converters: SQLite's dates, booleans, decimals).

Only for querysets whose varying values are parameters: the value itself (`=`, `IN`) or a LIKE pattern around it
(`contains`, `startswith`); compiling refuses a marker it cannot find. Where the shape of the query depends on
the values (which filters apply, how many terms), one Prepared per shape (publicity/selectors.py).
"""

from collections.abc import Callable, Mapping
from threading import Lock

from django.db import connections, router
from django.db.models import QuerySet


def _convert(rows: list, converters: tuple, connection) -> list:
    """The rows with each column converted as the ORM's results_iter would (compiler.get_converters)."""
    if not converters:
        return rows
    converted = []
    for row in rows:
        row = list(row)
        for index, functions, expression in converters:
            value = row[index]
            for function in functions:
                value = function(value, expression, connection)
            row[index] = value
        converted.append(tuple(row))
    return converted


def _converters(compiler) -> tuple:
    fields = [column[0] for column in compiler.select[: compiler.col_count]]
    return tuple((index, tuple(functions), expression)
                 for index, (functions, expression) in compiler.get_converters(fields).items())


class _Compiled:
    __slots__ = ("sql", "params", "slots", "converters")

    def __init__(self, sql, params, slots, converters):
        self.sql, self.params, self.slots, self.converters = sql, params, slots, converters


class Prepared:
    """`build(**values)` returns the queryset (a values_list: the rows are tuples); `rows(**values)` runs its SQL.

    `markers` names each varying value and gives the value it is compiled with: of the field's type, and one that
    no other parameter of the query can equal (e.g. a negative id, or a string of letters no data holds), since it
    is found among the parameters by equality. A string marker may also be found inside a parameter, as a LIKE
    pattern built from it (`contains`, `startswith`): the value then takes its place escaped as the ORM escapes it.
    Each marker must be found at least once (a value the SQL ignores would be silently ignored here)."""

    def __init__(self, model, build: Callable[..., QuerySet], markers: Mapping[str, object]):
        self.model = model
        self.build = build
        self.markers = dict(markers)
        self._compiled: dict[str, _Compiled] = {}
        self._lock = Lock()

    def _compile(self, alias: str) -> _Compiled:
        queryset = self.build(**self.markers).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        slots = []  # (index, name, None) for the value itself; (index, name, (before, after)) for a LIKE pattern
        for name, marker in self.markers.items():
            found = 0
            for index, param in enumerate(params):
                if type(param) is type(marker) and param == marker:
                    slots.append((index, name, None))
                    found += 1
                elif isinstance(marker, str) and isinstance(param, str) and marker in param:
                    before, _marker, after = param.partition(marker)
                    if marker in after or before.strip("%") or after.strip("%"):
                        raise ValueError(f"prepared query: {name!r} is in a parameter it cannot be put back into")
                    slots.append((index, name, (before, after)))
                    found += 1
            if not found:
                raise ValueError(f"prepared query: the value of {name!r} is not among the parameters")
        return _Compiled(sql, tuple(params), tuple(slots), _converters(compiler))

    def compiled(self, alias: str) -> _Compiled:
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(alias)
                if compiled is None:
                    compiled = self._compiled[alias] = self._compile(alias)
        return compiled

    def rows(self, *, using: str | None = None, **values) -> list[tuple]:
        alias = using or router.db_for_read(self.model)
        compiled = self.compiled(alias)
        params = list(compiled.params)
        connection = connections[alias]
        for index, name, pattern in compiled.slots:
            value = values[name]
            if pattern is not None:
                value = f"{pattern[0]}{connection.ops.prep_for_like_query(value)}{pattern[1]}"
            params[index] = value
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        return _convert(rows, compiled.converters, connection)
