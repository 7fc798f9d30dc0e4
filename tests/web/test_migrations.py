"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic import command

from app.migrate import alembic_config


def test_migrations_match_the_models(migrated):
    # Raises if autogenerate would find any difference between the migrated schema and the models.
    command.check(alembic_config(migrated))


def test_kla_db_upgrade_is_idempotent(migrated):
    from app.migrate import upgrade

    upgrade(migrated)
    upgrade(migrated)
