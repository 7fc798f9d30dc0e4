"""One writer at a time per SQLite file within a process, queued on a Python lock.

SQLite lets one connection write at a time; the others poll with sleeps of up to 100 ms
(its busy handler), so concurrent saves in one worker waited in 1, 2, 5, 10... ms steps and
the slowest took seconds. The threads of a process wait on a lock of their own instead and
each goes on as soon as the previous writer's transaction ends. Other processes still meet
the busy handler (SQLite is the one-worker, one-kab/kota set-up).

The lock is taken before the statement that opens a write transaction (Python 3.11's
sqlite3 opens one before INSERT, UPDATE, DELETE and REPLACE) and given back when the
transaction ends: commit, rollback, close, or a script that commits.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from _typeshed import StrOrBytesPath

WAIT_SECONDS = 30

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()
# What sqlite3 skips before looking at the first word: blanks and SQL comments.
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.S)
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN")


def lock_for(database: str) -> threading.Lock:
    key = database if database in ("", ":memory:") or database.startswith("file:") else os.path.realpath(database)
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def opens_write(sql: str) -> bool:
    """Whether `sql` starts a write transaction (a plain BEGIN too: what follows may write)."""
    leading = _LEADING.match(sql)  # always matches: it may match nothing
    start = leading.end() if leading else 0
    return sql[start:start + 7].upper().startswith(_WRITES)


class OneWriterCursor(sqlite3.Cursor):
    # Made only by OneWriterConnection.cursor: its connection is one of ours.
    def execute(self, sql: str, parameters: Any = (), /) -> OneWriterCursor:
        cast(OneWriterConnection, self.connection).before(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> OneWriterCursor:
        cast(OneWriterConnection, self.connection).before(sql)
        return super().executemany(sql, seq_of_parameters)

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(script)  # commits first, runs outside a transaction
        finally:
            cast(OneWriterConnection, self.connection).after()


class OneWriterConnection(sqlite3.Connection):
    """Pass as `factory=` to sqlite3.connect (SQLAlchemy: connect_args)."""

    def __init__(self, database: StrOrBytesPath, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self.writer = lock_for(os.fsdecode(database))
        self.writing = False

    # sqlite3's overloads type a cursor by its factory; ours is always a OneWriterCursor by default.
    def cursor(  # type: ignore[override]
        self, factory: Callable[[sqlite3.Connection], sqlite3.Cursor] = OneWriterCursor,
    ) -> sqlite3.Cursor:
        return super().cursor(factory)

    # The connection's own shortcuts make a plain cursor: send them through ours.
    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        return self.cursor().executescript(script)

    def reserve(self) -> None:
        """Take the writer lock now, for a transaction that reads what it is about to write."""
        if not self.writing:
            if not self.writer.acquire(timeout=WAIT_SECONDS):
                raise sqlite3.OperationalError("database is locked")
            self.writing = True

    def before(self, sql: str) -> None:
        if not self.writing and opens_write(sql):
            self.reserve()

    def after(self) -> None:
        """Give the lock back once no transaction is open (a failed COMMIT leaves it open)."""
        if self.writing and not self.in_transaction:
            self.writing = False
            self.writer.release()

    def _end(self) -> None:
        if self.writing:
            self.writing = False
            self.writer.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.after()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None, /) -> Literal[False]:
        try:
            return super().__exit__(kind, error, traceback)
        finally:
            self.after()


def reserve(dbapi_connection: object) -> None:
    """Take the writer lock if this is one of our SQLite connections (PostgreSQL: nothing)."""
    if isinstance(dbapi_connection, OneWriterConnection):
        dbapi_connection.reserve()
