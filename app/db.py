"""Engine and sessions. SQLite (the embedded default) gets WAL, foreign keys, a busy timeout
and one writer at a time per process."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def make_engine(url: str, connections: int = 10) -> Engine:
    """`connections`: the pool a worker keeps (PostgreSQL); app.admission admits no more requests at once."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": WRITE_WAIT_SECONDS,
                                                  "factory": OneWriterConnection})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A few connections beyond the admitted requests for work outside them (start-up, /ready).
    return create_engine(url, pool_size=connections, max_overflow=5, pool_pre_ping=True, pool_recycle=1800)


WRITE_WAIT_SECONDS = 30

# SQLite lets one connection write at a time; the others poll with sleeps of up to 100 ms
# (its busy handler), so concurrent saves in one worker waited in 1, 2, 5, 10... ms steps
# and the slowest took seconds. Threads of a process queue on this lock instead and each
# starts the moment the previous writer commits. Other processes still meet the busy handler.
_writer = threading.Lock()
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class OneWriterCursor(sqlite3.Cursor):
    def execute(self, sql, parameters=(), /):
        self.connection.before(sql)
        return super().execute(sql, parameters)

    def executemany(self, sql, seq_of_parameters, /):
        self.connection.before(sql)
        return super().executemany(sql, seq_of_parameters)


class OneWriterConnection(sqlite3.Connection):
    """A connection that takes the process's writer lock before its first write of a
    transaction and gives it back when the transaction ends."""

    writing = False

    def cursor(self, factory=OneWriterCursor):
        return super().cursor(factory)

    def before(self, sql: str) -> None:
        if not self.writing and sql.lstrip()[:7].upper().startswith(_WRITES):
            if not _writer.acquire(timeout=WRITE_WAIT_SECONDS):
                raise sqlite3.OperationalError("database is locked")
            self.writing = True

    def _done(self) -> None:
        if self.writing:
            self.writing = False
            _writer.release()

    def commit(self):
        try:
            super().commit()
        finally:
            self._done()

    def rollback(self):
        try:
            super().rollback()
        finally:
            self._done()

    def close(self):
        try:
            super().close()
        finally:
            self._done()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_scope(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
