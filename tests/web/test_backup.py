"""A backup taken while answers and files are being saved restores to a consistent state."""

from __future__ import annotations

import io
import threading
import uuid

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from app.backup import backup, restore
from app.db import make_engine
from app.evidence import EvidenceStore
from app.migrate import upgrade
from app.models import Answer, Evidence, StoredFile, User
from app.services.answers import AnswerInput, save_answer
from app.services.demo import sample_pdf
from app.services.evidence import attach


def _writer(engine, store, world, scorer, catalogue, stop: threading.Event, counter: list):
    """Keeps saving answers with a new file each, as agencies do on a busy day."""
    codes = list(catalogue.questions)
    with Session(engine, expire_on_commit=False) as session:
        user = session.exec(select(User).where(User.username == "dp3a_a")).one()
        assessment = session.merge(world.assessments["a"])
        for index, code in enumerate(codes):
            if stop.is_set():
                return
            save_answer(session, assessment, code, AnswerInput(note=f"n{index}"), 0, user, scorer)
            answer = session.exec(select(Answer).where(Answer.assessment_id == assessment.id,
                                                       Answer.question_code == code)).one()
            stored = store.save_file(io.BytesIO(sample_pdf(f"bukti {index}", uuid.uuid4().hex)))
            attach(session, assessment, answer, stored, f"{code}.pdf", user)
            session.commit()
            counter.append(index)


def _check_consistent(url: str, evidence_dir) -> int:
    engine = make_engine(url)
    store = EvidenceStore(evidence_dir, 10**9)
    with Session(engine) as session:
        rows = session.exec(select(Evidence.sha256)).all()
        for sha256 in rows:
            assert store.verify(sha256), f"evidence {sha256} missing after restore"
        assert len(session.exec(select(StoredFile)).all()) == len(set(rows))
    engine.dispose()
    return len(rows)


def test_backup_during_saves_restores_consistently(engine, app, world, scorer, catalogue, tmp_path, migrated):
    store = app.state.evidence
    stop, counter = threading.Event(), []
    thread = threading.Thread(target=_writer, args=(engine, store, world, scorer, catalogue, stop, counter))
    thread.start()
    while len(counter) < 10 and thread.is_alive():
        stop.wait(0.05)
    archive = tmp_path / "kla-backup.tar.gz"
    manifest = backup(migrated, app.state.settings.evidence_dir, archive)
    stop.set()
    thread.join(timeout=60)
    assert manifest["evidence_files"] >= 10

    if migrated.startswith("sqlite"):
        target_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        admin = make_engine(migrated)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("DROP DATABASE IF EXISTS kla_restore_test"))
            connection.execute(text("CREATE DATABASE kla_restore_test"))
        admin.dispose()
        target_url = migrated.rsplit("/", 1)[0] + "/kla_restore_test"
        upgrade(target_url)
    restored_dir = tmp_path / "restored-evidence"
    result = restore(archive, target_url, restored_dir)
    assert result["restored_files"] == manifest["evidence_files"]
    assert _check_consistent(target_url, restored_dir) >= 10


def test_a_file_that_is_not_a_backup_is_refused(tmp_path, migrated):
    import tarfile

    from app.backup import BackupError

    bogus = tmp_path / "x.tar.gz"
    with tarfile.open(bogus, "w:gz"):
        pass
    with pytest.raises(BackupError, match="bukan cadangan KLA"):
        restore(bogus, migrated, tmp_path / "ev")


@pytest.mark.parametrize("content", [b"not an archive at all\n", b"", b"\x1f\x8b\x08\x00broken"],
                         ids=["text", "empty", "cut-gzip"])
def test_a_file_that_is_not_a_gzip_archive_is_refused(tmp_path, migrated, content):
    from click.testing import CliRunner

    from app.backup import BackupError
    from app.cli import main

    bogus = tmp_path / "x.tar.gz"
    bogus.write_bytes(content)
    with pytest.raises(BackupError, match="bukan cadangan KLA"):
        restore(bogus, migrated, tmp_path / "ev")
    # The command says so in one line (exit 2), without a traceback.
    result = CliRunner().invoke(main, ["restore", str(bogus), "--yes"],
                                env={"KLA_DATABASE_URL": migrated, "KLA_DATA_DIR": str(tmp_path / "data")})
    assert result.exit_code == 2, result.output
    assert "bukan cadangan KLA" in result.output and "Traceback" not in result.output


def test_an_archive_cut_short_after_its_manifest_restores_nothing(tmp_path, migrated, world, app):
    """A backup copied only partly (the manifest arrived, the database did not): a message, and the
    database as it was."""
    from app.backup import BackupError

    archive = tmp_path / "kla.tar.gz"
    backup(migrated, tmp_path / "ev", archive)
    whole = archive.read_bytes()
    archive.write_bytes(whole[: len(whole) * 2 // 3])
    engine = make_engine(migrated)
    with Session(engine) as session:
        users = session.exec(select(User.username)).all()
    with pytest.raises(BackupError, match="rusak"):
        restore(archive, migrated, tmp_path / "ev")
    with Session(engine) as session:
        assert session.exec(select(User.username)).all() == users
