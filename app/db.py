"""The engine, and reads for display. SQLite (the embedded default) gets WAL, foreign keys, a busy timeout
and one writer at a time per process (app.sqlite_writer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, Result, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql import Executable
from sqlmodel import Session, create_engine

from app.sqlite_writer import WAIT_SECONDS, OneWriterConnection


def make_engine(url: str, connections: int = 10) -> Engine:
    """`connections`: the pool a worker keeps (PostgreSQL); app.admission admits no more requests at once."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": WAIT_SECONDS,
                                                  "factory": OneWriterConnection})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A few connections beyond the admitted requests for work outside them (start-up, /ready).
    return create_engine(url, pool_size=connections, max_overflow=5, pool_pre_ping=True, pool_recycle=1800)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={WAIT_SECONDS * 1000}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def read_rows(session: Session, statement: Executable, params: dict[str, Any] | None = None) -> Result[*tuple[Any, ...]]:
    """A read for display, on the session's connection but outside the ORM: its rows cost less to
    build and, unlike the ORM's, do not keep the session and everything it loaded alive while a
    cache holds them. Like any read on the connection, it sees what is committed or flushed."""
    return session.connection().execute(statement, params or {})
