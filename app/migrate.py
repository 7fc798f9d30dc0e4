"""Run Alembic from code (`kla db upgrade`) with the app's database URL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Connection

ROOT = Path(__file__).resolve().parent.parent


class BrokenReferences(RuntimeError):
    """SQLite's foreign key check after a migration found dangling rows (the migration itself is committed)."""


def alembic_config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def revisions(connection: Connection, database_url: str) -> tuple[str | None, str]:
    """The schema revision the database is at (None: no schema yet) and the newest one."""
    current = MigrationContext.configure(connection).get_current_revision()
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    if head is None:  # only a checkout without migrations/versions
        raise CommandError("no schema migrations found")
    return current, head


def is_known(database_url: str, revision: str) -> bool:
    """Whether this version of the app has the migration `revision` (False: the database was
    upgraded by a newer version, which this one cannot downgrade from)."""
    try:
        return ScriptDirectory.from_config(alembic_config(database_url)).get_revision(revision) is not None
    except CommandError:
        return False


def schema_state(database_url: str, current: str | None, head: str) -> str:
    """"ok", "outdated" (run `kla db upgrade`) or "newer" (upgraded by a later version of the app)."""
    if current == head:
        return "ok"
    return "newer" if current is not None and not is_known(database_url, current) else "outdated"
