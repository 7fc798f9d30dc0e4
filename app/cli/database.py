"""The database the commands work on: the settings that name it, its schema, `kla db upgrade`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.cli.common import fail, first_line, lang_option, main, redacted
from app.i18n import N_, _

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from app.config import Settings

# Why the database cannot be used as it is, by app.migrate.schema_state.
REVISION_PROBLEMS = {
    "outdated": N_("The database %(url)s is not at the newest schema (%(current)s, expected %(head)s): "
                   "run `kla db upgrade`."),
    "newer": N_("The database %(url)s has a newer schema (%(current)s) than this version of the app knows "
                "(newest %(head)s): install the version that upgraded it; `kla db upgrade` does not downgrade."),
}


def settings_problem() -> tuple[Settings | None, str | None]:
    """The KLA_* settings of the environment, or None and why they are refused: every command that
    reads them says this instead of printing pydantic's traceback."""
    from pydantic import ValidationError

    from app.config import MIN_SECRET_LENGTH, Settings

    try:
        return Settings(), None
    except ValidationError as exc:
        lines = [_("Invalid settings, the app was not started:")]
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            if field == "environment":
                lines.append("  " + _("KLA_ENVIRONMENT=%(value)s is unknown: choose development, test, staging "
                                      "or production.") % {"value": repr(error.get("input"))})
            elif "KLA_SECRET_KEY" in error["msg"]:
                given = error.get("input")
                environment = given.get("environment", "") if isinstance(given, dict) else ""
                lines.append("  " + _(
                    "KLA_SECRET_KEY must be set to a long random value (at least %(n)s characters) when "
                    "KLA_ENVIRONMENT=%(environment)s: the development key is public. Make one with "
                    "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'.")
                    % {"n": MIN_SECRET_LENGTH, "environment": environment})
            else:
                lines.append(f"  KLA_{field.upper()}: {error['msg']}")
        return None, "\n".join(lines)


def settings() -> Settings:
    """The settings, or exit 2 with the reason they are refused."""
    found, problem = settings_problem()
    if found is None:
        fail(problem or "")
    return found


def open_database(url: str, require_head: bool = True) -> Engine:
    """An engine on a database that answers at the newest schema; otherwise a message and exit 2.
    Commands that only read or copy must not create an empty SQLite file or crash on a missing table.
    `require_head=False` (backup) accepts any schema: backing up before an upgrade is the point."""
    from sqlalchemy.engine import make_url

    from app.db import make_engine

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(str(parsed.database)).exists():
        fail(_missing(url))
    engine = make_engine(url)
    current, head = _schema_revisions(engine, url)
    if current is None:  # an empty file or server database: nothing to read, nothing worth a backup
        engine.dispose()
        fail(_missing(url))
    if require_head and current != head:
        engine.dispose()
        _refuse_revision(url, current, head)
    return engine


def upgrade_or_exit(url: str) -> None:
    """`kla db upgrade` and the commands that run it first: an unreachable server, a schema newer than
    this code and a failing migration are each a message of their own, not a traceback."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from app.db import make_engine
    from app.migrate import BrokenReferences, schema_state, upgrade

    engine = make_engine(url)
    current, head = _schema_revisions(engine, url)
    engine.dispose()
    if schema_state(url, current, head) == "newer":
        _refuse_revision(url, current, head)
    try:
        upgrade(url)
    except BrokenReferences as exc:
        fail(_("The database %(url)s was upgraded to %(head)s, but the check afterwards found rows pointing at "
               "rows that do not exist: %(problem)s. Restore the backup taken before the upgrade, or repair "
               "those rows.") % {"url": redacted(url), "head": head, "problem": exc})
    except (SQLAlchemyError, CommandError) as exc:
        fail(_("Migrating the database %(url)s failed (%(current)s → %(head)s): %(problem)s")
             % {"url": redacted(url), "current": current or _("none"), "head": head, "problem": first_line(exc)})


def _missing(url: str) -> str:
    return _("The database %(url)s does not exist yet: run `kla db upgrade` (or `kla demo` for sample data).") \
        % {"url": redacted(url)}


def _schema_revisions(engine: Engine, url: str) -> tuple[str | None, str]:
    """(the database's revision, this code's head); a database that cannot be reached is a message."""
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from app.migrate import revisions

    try:
        with engine.connect() as connection:
            return revisions(connection, url)
    except SQLAlchemyError as exc:
        engine.dispose()
        fail(_("The database %(url)s cannot be reached: %(problem)s")
             % {"url": redacted(url), "problem": first_line(exc)})
    except CommandError as exc:  # e.g. two rows in alembic_version
        engine.dispose()
        fail(_("The schema version of the database %(url)s cannot be read: %(problem)s")
             % {"url": redacted(url), "problem": first_line(exc)})


def _refuse_revision(url: str, current: str | None, head: str) -> None:
    from app.migrate import schema_state

    fail(_(REVISION_PROBLEMS[schema_state(url, current, head)])
         % {"url": redacted(url), "current": current or _("none"), "head": head})


@main.group()
def db() -> None:
    """The database (KLA_DATABASE_URL, or SQLite in KLA_DATA_DIR)."""


@db.command("upgrade")
@lang_option()
def db_upgrade() -> None:
    """Apply every pending schema migration (Alembic)."""
    url = settings().resolved_database_url
    upgrade_or_exit(url)
    click.echo(f"OK: {redacted(url)}")
