"""Statements that run on every chat request (the hold and the settlement), sent straight
to the SQLite driver.

SQLAlchemy Core's work per execution (the compiled-cache lookup, parameter processing,
result set-up, event dispatch) cost about three times what SQLite itself spends on these
short statements, on the one writer thread every request waits for (issue 14). A
:class:`HotStatement` is still written once, as a SQLAlchemy expression: on SQLite it is
compiled once per set of parameter names, its values go through the same type processors
(dates stored exactly as SQLAlchemy stores them), and it runs on the connection's own
DBAPI cursor inside the caller's transaction. On PostgreSQL it runs as any statement.

For statements whose result is a row count (INSERT, UPDATE, DELETE: :meth:`execute`) or
one row (a SELECT: :meth:`first`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql.expression import Executable

_Compiled = tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]


class HotStatement:
    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[frozenset[str], _Compiled] = {}
        self._fixed: dict[frozenset[str], dict[str, Any]] = {}
        self._result: tuple[tuple[str, Callable | None], ...] | None = None

    def execute(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run it with ``params`` in ``conn``'s transaction; the number of rows it changed."""
        if conn.dialect.name != "sqlite":
            return conn.execute(self.statement, params).rowcount
        cursor = self._run(conn, params)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """A SELECT's first row, by column name (None when there is none)."""
        if conn.dialect.name != "sqlite":
            row = conn.execute(self.statement, params).first()
            return None if row is None else row._mapping
        cursor = self._run(conn, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return {
            name: value if process is None else process(value)
            for (name, process), value in zip(self._columns(conn), row, strict=True)
        }

    def _run(self, conn: Connection, params: Mapping[str, Any]):
        sql, names, processors = self._compiled.get(frozenset(params)) or self._compile(
            conn, params
        )
        fixed = self._fixed[frozenset(params)]
        if fixed:
            params = {**fixed, **params}
        values = [
            params[name] if process is None else process(params[name])
            for name, process in zip(names, processors, strict=True)
        ]
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute(sql, values)
        return cursor

    def _columns(self, conn: Connection) -> tuple[tuple[str, Callable | None], ...]:
        """A SELECT's column names with their result processors, found once."""
        if self._result is None:
            dialect = conn.dialect
            self._result = tuple(
                (
                    column.key,
                    column.type.dialect_impl(dialect).result_processor(dialect, None),
                )
                for column in self.statement.selected_columns
            )
        return self._result

    def _compile(self, conn: Connection, params: Mapping[str, Any]) -> _Compiled:
        dialect = conn.dialect
        compiled = self.statement.compile(dialect=dialect, column_keys=list(params))
        names = tuple(compiled.positiontup or ())
        # Values fixed in the statement itself (literal(0)) are sent as parameters too.
        fixed = {name: compiled.binds[name].value for name in names if name not in params}
        missing = [name for name, value in fixed.items() if value is None]
        if missing:  # not given, or a column's Python-side default (only SQLAlchemy's)
            raise TypeError(f"HotStatement needs every parameter given; missing {missing}")
        self._fixed[frozenset(params)] = fixed
        processors = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        entry = (str(compiled), names, processors)
        self._compiled[frozenset(params)] = entry
        return entry
