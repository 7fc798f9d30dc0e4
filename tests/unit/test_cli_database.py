"""Commands that read or copy the database say what is wrong with it instead of a traceback, and
never leave an empty SQLite file behind (a later `kla backup` would copy it as if it were data)."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from app.cli import main as cli
from app.migrate import upgrade

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
    assert "Traceback" not in result.output
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
    assert "Traceback" not in result.output
