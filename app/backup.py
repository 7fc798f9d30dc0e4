"""Backup and restore of the database and the evidence store, consistent with each other.

The database is copied first (SQLite's online backup API, or pg_dump, both a
single consistent snapshot), then the evidence files. Files are written to
the store before the rows that name them are committed, and are never
changed or deleted afterwards, so every file the snapshot names is already in
the store when the files are copied: the archive never holds a row without
its file.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from app.i18n import _

MANIFEST = "manifest.json"
SQLITE_NAME = "database.sqlite3"
PG_NAME = "database.pgdump"


class BackupError(RuntimeError):
    """What went wrong, in words for the operator."""


def _libpq_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def backup(database_url: str, evidence_dir: Path, out: Path) -> dict[str, Any]:
    """Write a .tar.gz with the database snapshot, the evidence files and a manifest."""
    parsed = make_url(database_url)
    with tempfile.TemporaryDirectory(prefix="kla-backup-") as work:
        work_dir = Path(work)
        if parsed.get_backend_name() == "sqlite":
            db_file = work_dir / SQLITE_NAME
            source = sqlite3.connect(_sqlite_file(parsed))
            target = sqlite3.connect(db_file)
            with target:
                source.backup(target)  # a consistent copy even while others write
            target.close()
            source.close()
            kind = "sqlite"
        elif parsed.get_backend_name() == "postgresql":
            db_file = work_dir / PG_NAME
            result = subprocess.run(
                ["pg_dump", "--format=custom", "--no-owner", "--file", str(db_file), _libpq_url(database_url)],
                capture_output=True, text=True, timeout=3600,
            )
            if result.returncode != 0:
                raise BackupError(_("pg_dump failed: %(problem)s") % {"problem": result.stderr.strip()[:500]})
            kind = "postgresql"
        else:
            raise BackupError(_("This kind of database cannot be backed up: %(kind)s")
                              % {"kind": parsed.get_backend_name()})
        files = _evidence_files(evidence_dir)
        manifest = {
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": kind,
            "evidence_files": len(files),
        }
        tmp_out = out.with_name(out.name + ".partial")
        with tarfile.open(tmp_out, "w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
            archive.add(db_file, arcname=db_file.name)
            for path in files:
                archive.add(path, arcname=f"evidence/{path.relative_to(evidence_dir).as_posix()}")
        os.replace(tmp_out, out)  # a backup is either complete or absent
    return manifest


def _sqlite_file(parsed: URL) -> str:
    """The file of a SQLite URL; an in-memory database has none to copy."""
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError(_("This kind of database cannot be backed up: %(kind)s") % {"kind": "sqlite :memory:"})
    return parsed.database


def _evidence_files(evidence_dir: Path) -> list[Path]:
    if not evidence_dir.exists():
        return []
    # Not tmp/ (uploads being written) nor tus/ (resumable uploads in progress, issue 25): they change and
    # vanish while the backup runs, and are nobody's evidence.
    return sorted(p for p in evidence_dir.rglob("*")
                  if p.is_file() and p.relative_to(evidence_dir).parts[0] not in ("tmp", "tus"))


def _not_a_backup() -> str:
    return _("This file is not a KLA backup (manifest.json is missing).")


def _open_archive(path: Path) -> tarfile.TarFile:
    """The backup archive, or `BackupError` for a file that is no gzip-compressed tar (a backup is one)."""
    try:
        return tarfile.open(path, "r:gz")
    except (tarfile.TarError, EOFError):  # not gzip, not a tar inside, or cut short before the first member
        raise BackupError(_not_a_backup()) from None


def _damaged() -> str:
    return _("The backup file is damaged (cut short or changed): nothing was restored. Use another copy of "
             "the backup.")


def restore(archive_path: Path, database_url: str, evidence_dir: Path) -> dict[str, Any]:
    """Put a backup back: the database replaced whole, the evidence files added to the store.

    Stop the app first: a running app would keep writing to what is being replaced.
    """
    parsed = make_url(database_url)
    with _open_archive(archive_path) as archive, tempfile.TemporaryDirectory(prefix="kla-restore-") as work:
        try:
            member = archive.extractfile(MANIFEST)  # KeyError when absent, None for a folder
            if member is None:
                raise KeyError(MANIFEST)
            manifest = json.loads(member.read())
        except (KeyError, ValueError):
            raise BackupError(_not_a_backup()) from None
        except (tarfile.TarError, EOFError, zlib.error, OSError):  # finding the manifest reads every header
            raise BackupError(_damaged()) from None
        try:  # before anything is replaced: a damaged archive leaves the database as it was
            archive.extractall(work, filter="data")
        except (tarfile.TarError, EOFError, zlib.error, OSError):
            raise BackupError(_damaged()) from None
        work_dir = Path(work)
        if manifest["database"] == "sqlite":
            if parsed.get_backend_name() != "sqlite":
                raise BackupError(_("A SQLite backup can only be restored to SQLite."))
            target = Path(_sqlite_file(parsed))
            target.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            shutil.copyfile(work_dir / SQLITE_NAME, str(target) + ".restoring")
            os.replace(str(target) + ".restoring", target)
        else:
            if parsed.get_backend_name() != "postgresql":
                raise BackupError(_("A PostgreSQL backup can only be restored to PostgreSQL."))
            result = subprocess.run(
                ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                 "--dbname", _libpq_url(database_url), str(work_dir / PG_NAME)],
                capture_output=True, text=True, timeout=3600,
            )
            if result.returncode != 0:
                raise BackupError(_("pg_restore failed: %(problem)s") % {"problem": result.stderr.strip()[:500]})
        restored = 0
        source_root = work_dir / "evidence"
        if source_root.exists():
            for path in source_root.rglob("*"):
                if path.is_file():
                    target_file = evidence_dir / path.relative_to(source_root)
                    if not target_file.exists():
                        target_file.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(path, target_file)
                        restored += 1
    return {**manifest, "restored_files": restored}
