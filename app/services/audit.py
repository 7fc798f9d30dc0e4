"""The append-only audit log: who changed what, when, before and after.

Each entry's hash covers its content and the previous entry's hash in its chain
(one chain per kab/kota, one for national actions), so a row changed afterwards
breaks its chain from that row on (`kla audit verify`).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, col, select

from app import sqlite_writer
from app.models import Assessment, AuditEntry, User, saved_id, utcnow

# Audited actions that change nothing an assessment shows.
UNCHANGING = frozenset({"user.login", "user.password", "user.create", "user.password_reset", "user.activate",
                        "evidence.download"})

# Any constant, with a number per chain: serialises appends to one chain on PostgreSQL so that
# two workers never fork it, while appends to other chains go ahead.
_CHAIN_LOCK = 7_254_001

# Every audited change runs these: built once, as Core statements on the tables. Building the
# expressions and going through the ORM's unit of work cost more CPU than the round trips.
_entries = SQLModel.metadata.tables["auditentry"]
_assessments = SQLModel.metadata.tables["assessment"]
_LOCK_CHAIN = text("SELECT pg_advisory_xact_lock(:key, :chain)")
# PostgreSQL: the revision bump, then the chain lock, in one round trip. The lock is taken in the
# main query, over the count of the rows the UPDATE returned: only once the UPDATE has finished.
_BUMP_THEN_LOCK_CHAIN = text(
    "WITH bumped AS (UPDATE assessment SET revision = revision + 1 WHERE regency_code = :regency RETURNING 1) "
    "SELECT pg_advisory_xact_lock(:key, :chain) FROM (SELECT count(*) FROM bumped) AS done"
)
_CHAIN_HEAD = (sa_select(_entries.c.hash).where(_entries.c.chain == bindparam("chain"))
               .order_by(_entries.c.id.desc()).limit(1))
_APPEND = insert(_entries)
_COLUMNS = [c.name for c in _entries.columns if c.name != "id"]  # what _APPEND writes
_BUMP = (update(_assessments).where(_assessments.c.regency_code == bindparam("regency"))
         .values(revision=_assessments.c.revision + 1))


def record(
    session: Session,
    user: User | None,
    action: str,
    entity: str,
    entity_id: object,
    *,
    regency_code: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append an entry in the session's transaction (the caller commits with its change).

    Also bumps the revision of the kab/kota's assessments, so that caches keyed by it
    see the change. The bump comes before the chain lock: a transaction holding the
    chain lock must not wait for a row another one holds while waiting for that lock.
    """
    bump = regency_code is not None and action not in UNCHANGING
    chain = regency_code or ""
    if session.get_bind().dialect.name == "postgresql":
        lock = {"key": _CHAIN_LOCK, "chain": zlib.crc32(chain.encode()) & 0x7FFF_FFFF}
        if bump:
            session.execute(_BUMP_THEN_LOCK_CHAIN, {"regency": regency_code, **lock})
            _expire_revision(session, chain)
        else:
            session.execute(_LOCK_CHAIN, lock)
    else:  # SQLite: no other writer of this worker between reading the chain's head and appending
        if bump:
            bump_revision(session, chain)
        sqlite_writer.reserve(session.connection().connection.dbapi_connection)
    last = session.execute(_CHAIN_HEAD, {"chain": chain}).scalar()
    entry = AuditEntry(
        chain=chain,
        at=utcnow(),
        user_id=user.id if user else None,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        regency_code=regency_code,
        before=_plain(before),
        after=_plain(after),
        prev_hash=last or "",
    )
    entry.hash = entry_hash(entry)
    session.execute(_APPEND, {column: getattr(entry, column) for column in _COLUMNS})


def bump_revision(session: Session, regency_code: str) -> None:
    session.execute(_BUMP, {"regency": regency_code})
    _expire_revision(session, regency_code)


def _expire_revision(session: Session, regency_code: str) -> None:
    """Objects already loaded would keep the old number: read it again when next asked."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Assessment) and obj.regency_code == regency_code:
            session.expire(obj, ["revision"])


def entry_hash(entry: AuditEntry) -> str:
    at: object = entry.at  # a datetime, or its text as stored in an old row
    if isinstance(at, datetime):
        at = (at.astimezone(UTC) if at.tzinfo else at).replace(tzinfo=None).isoformat(timespec="microseconds")
    body = json.dumps(
        [entry.prev_hash, at, entry.user_id, entry.action, entry.entity, entry.entity_id,
         entry.regency_code, entry.before, entry.after],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _plain(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    plain: dict[str, Any] = json.loads(json.dumps(values, default=str))
    return plain


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_id: int | None = None
    problem: str = ""  # "hash" (the row was changed) or "link" (a row before it is missing or changed)


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Walk the log in order; name the first entry whose hash or link does not hold.

    Entries of one chain link to each other; those from before the split into chains (chain
    NULL) form one chain of their own, as they were written."""
    previous: dict[str | None, str] = {}
    checked = 0
    last_id = 0
    while True:
        rows = session.exec(
            select(AuditEntry).where(col(AuditEntry.id) > last_id).order_by(col(AuditEntry.id)).limit(batch)
            .execution_options(populate_existing=True)  # what the database holds, not the session's copies
        ).all()
        if not rows:
            return ChainReport(checked)
        for entry in rows:
            if entry.prev_hash != previous.get(entry.chain, ""):
                return ChainReport(checked, entry.id, "link")
            if entry_hash(entry) != entry.hash:
                return ChainReport(checked, entry.id, "hash")
            previous[entry.chain] = entry.hash
            checked += 1
            last_id = saved_id(entry.id)
