"""Commands that read or copy the database say what is wrong with it instead of a traceback, and
never leave an empty SQLite file behind (a later `kla backup` would copy it as if it were data)."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from app.cli import main as cli
from app.migrate import alembic_config, upgrade

READERS = [
    ["evidence", "verify"],
    ["audit", "verify"],
    ["export", "national"],
    ["backup", "cadangan.tar.gz"],
]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("KLA_DATABASE_URL", raising=False)
    monkeypatch.setenv("KLA_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_missing_database_is_named_and_not_created(data_dir, command):
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2
    assert "belum ada: jalankan `kla db upgrade`" in result.output
    assert _no_crash(result)
    assert not (data_dir / "kla.sqlite3").exists()
    assert not (data_dir / "cadangan.tar.gz").exists()


def test_a_database_without_the_newest_schema_asks_for_an_upgrade(data_dir):
    upgrade(f"sqlite:///{data_dir / 'kla.sqlite3'}", revision="0001")
    result = CliRunner().invoke(cli, ["audit", "verify", "--lang", "en"])
    assert result.exit_code == 2
    assert "is not at the newest schema (0001, expected" in result.output
    assert "run `kla db upgrade`" in result.output


def test_once_upgraded_the_same_commands_run(data_dir):
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(cli, ["evidence", "verify"])
    assert result.exit_code == 0, result.output
    assert "0 berkas diperiksa" in result.output


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", [["evidence", "verify"], ["db", "upgrade"]], ids=" ".join)
def test_an_unreachable_server_is_a_message(monkeypatch, tmp_path, command):
    monkeypatch.setenv("KLA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KLA_DATABASE_URL", f"postgresql+psycopg://kla:rahasia@127.0.0.1:{_closed_port()}/kla")
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2
    assert "tidak dapat dihubungi" in result.output and "Connection refused" in result.output
    assert "rahasia" not in result.output  # the password stays out of the message
    assert _no_crash(result)


def test_a_database_at_an_older_schema_can_be_backed_up_before_the_upgrade(data_dir):
    upgrade(f"sqlite:///{data_dir / 'kla.sqlite3'}", revision="0001")
    result = CliRunner().invoke(cli, ["backup", "sebelum-upgrade.tar.gz"])
    assert result.exit_code == 0, result.output
    assert (data_dir / "sebelum-upgrade.tar.gz").exists()


def _database_at(data_dir, revision: str, statement: str | None = None) -> None:
    """The data folder's SQLite database at `revision`, then `statement` run on a plain connection
    (foreign keys off, as SQLite has them by default)."""
    url = f"sqlite:///{data_dir / 'kla.sqlite3'}"
    upgrade(url, revision=revision)
    if statement:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(statement))
        engine.dispose()


def _from_a_newer_version(data_dir) -> None:
    _database_at(data_dir, "head", "UPDATE alembic_version SET version_num = '0099_future'")


@pytest.mark.parametrize("command", [["db", "upgrade"], ["audit", "verify"]], ids=" ".join)
def test_a_database_from_a_newer_version_of_the_app_says_so(data_dir, command):
    _from_a_newer_version(data_dir)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2
    assert "(0099_future) lebih baru daripada versi aplikasi ini" in result.output
    assert "jalankan `kla db upgrade`" not in result.output  # it would not help
    assert _no_crash(result)


def test_a_database_from_a_newer_version_can_still_be_backed_up(data_dir):
    _from_a_newer_version(data_dir)
    assert CliRunner().invoke(cli, ["backup", "cadangan.tar.gz"]).exit_code == 0
    assert (data_dir / "cadangan.tar.gz").exists()


def test_an_empty_database_file_is_not_backed_up_as_if_it_were_data(data_dir):
    """Restoring an archive of nothing would wipe a real database."""
    (data_dir / "kla.sqlite3").touch()
    result = CliRunner().invoke(cli, ["backup", "cadangan.tar.gz"])
    assert result.exit_code == 2 and _no_crash(result)
    assert "belum ada: jalankan `kla db upgrade`" in result.output
    assert not (data_dir / "cadangan.tar.gz").exists()


@pytest.mark.parametrize("command", [["db", "upgrade"], ["backup", "cadangan.tar.gz"], ["audit", "verify"]],
                         ids=" ".join)
def test_two_schema_versions_recorded_at_once_is_a_message(data_dir, command):
    _database_at(data_dir, "head", "INSERT INTO alembic_version (version_num) VALUES ('0003')")
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2 and _no_crash(result)
    assert "Versi skema basis data" in result.output and "tidak dapat dibaca" in result.output


def test_rows_left_dangling_by_a_migration_are_reported_after_it(data_dir):
    _database_at(data_dir, "0005", "INSERT INTO reviewevent (answer_id, stage, action, reasons, note, user_id, at) "
                 "VALUES (999, 'dp3a', 'approved', '[]', '', 999, '2026-01-01 00:00:00')")  # a review of no answer
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 2 and _no_crash(result)
    assert f"sudah diperbarui ke {_head()}" in result.output and "reviewevent" in result.output


def test_a_failing_migration_is_named_as_such_not_as_an_unreachable_server(data_dir):
    # what 0006 adds, already there: the migration fails
    _database_at(data_dir, "0005", "ALTER TABLE reopening ADD COLUMN closed_at DATETIME")
    result = CliRunner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 2
    assert "Migrasi skema basis data" in result.output and f"gagal (0005 → {_head()}" in result.output
    assert "closed_at" in result.output
    assert "tidak dapat dihubungi" not in result.output
    assert _no_crash(result)


def _no_crash(result) -> bool:
    """CliRunner keeps an exception instead of printing its traceback: a clean exit is SystemExit."""
    return result.exception is None or isinstance(result.exception, SystemExit)


def _head() -> str:
    """The newest migration: the upgrade of a test database ends there, whatever is added later."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
