"""The audit log keeps one hash chain per kab/kota (and one for national actions): entries link to
the previous entry of their own chain, and `verify_chain` still names the first broken entry."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from app.models import AuditEntry, User
from app.services import audit


def _user(db, username) -> User:
    return db.exec(select(User).where(User.username == username)).one()


def _write_interleaved(db, world) -> list[AuditEntry]:
    """Entries of kab/kota a, kab/kota b and national actions, alternating."""
    a, b = world.assessments["a"].regency_code, world.assessments["b"].regency_code
    admin = _user(db, "dp3a_a")
    for i in range(4):
        for regency in (a, b, None):
            audit.record(db, admin, "answer.save", "answer", i, regency_code=regency, after={"i": i})
            db.commit()
    return db.exec(select(AuditEntry).order_by(AuditEntry.id)).all()


def test_each_kab_kota_has_its_own_chain(world, db):
    entries = _write_interleaved(db, world)
    by_chain: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        assert entry.chain == (entry.regency_code or "")
        by_chain.setdefault(entry.chain, []).append(entry)
    assert len(by_chain) >= 3
    for chain in by_chain.values():
        assert chain[0].prev_hash == ""
        for before, after in zip(chain, chain[1:], strict=False):
            assert after.prev_hash == before.hash  # the link skips the other chains' entries
    assert audit.verify_chain(db).broken_id is None
    assert audit.verify_chain(db).checked == len(entries)


def test_a_changed_entry_breaks_only_its_chain_and_is_named(world, db):
    entries = _write_interleaved(db, world)
    victim = next(e for e in entries[3:] if e.chain == world.assessments["b"].regency_code)
    db.execute(text("UPDATE auditentry SET after = :after WHERE id = :id"), {"after": '{"i": 99}', "id": victim.id})
    db.commit()
    report = audit.verify_chain(db, batch=2)  # across batch boundaries too
    assert (report.broken_id, report.problem) == (victim.id, "hash")


def test_an_entry_moved_to_another_chain_is_found(world, db):
    entries = _write_interleaved(db, world)
    victim = entries[4]
    db.execute(text("UPDATE auditentry SET chain = :chain WHERE id = :id"),
               {"chain": world.assessments["a"].regency_code if victim.chain != world.assessments["a"].regency_code
                else world.assessments["b"].regency_code, "id": victim.id})
    db.commit()
    assert audit.verify_chain(db).broken_id == victim.id


def test_entries_from_before_the_split_still_verify_as_one_chain(world, db):
    """A database upgraded from 0004 holds entries of the single old chain (chain NULL) before the new ones."""
    admin = _user(db, "dp3a_a")
    previous = ""
    for i, regency in enumerate([world.assessments["a"].regency_code, None, world.assessments["b"].regency_code]):
        entry = AuditEntry(user_id=admin.id, action="answer.save", entity="answer", entity_id=str(i),
                           regency_code=regency, prev_hash=previous, chain=None)
        entry.hash = audit.entry_hash(entry)
        previous = entry.hash
        db.add(entry)
        db.commit()
    entries = _write_interleaved(db, world)
    assert audit.verify_chain(db).checked == len(entries)
    assert audit.verify_chain(db).broken_id is None
    legacy = [e for e in entries if e.chain is None]
    db.delete(legacy[1])
    db.commit()
    assert audit.verify_chain(db).broken_id == legacy[2].id
