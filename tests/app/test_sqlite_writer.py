"""SQLite: threads of one process write one after the other, queued on a lock instead of
SQLite's sleeping busy handler; reads never wait for it."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from sqlalchemy import text

from app import db, sqlite_writer


def writer_locked(engine) -> bool:
    return sqlite_writer.lock_for(engine.url.database).locked()


@pytest.fixture()
def engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()
    assert not writer_locked(engine)


def test_a_write_holds_the_lock_until_commit_or_rollback(engine):
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM t")).scalar()
        assert not writer_locked(engine)  # a read takes nothing
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert writer_locked(engine)
        conn.execute(text("UPDATE t SET n = 2"))  # the same transaction: no second acquire
        conn.commit()
        assert not writer_locked(engine)
        conn.execute(text("  delete FROM t"))
        assert writer_locked(engine)
        conn.rollback()
        assert not writer_locked(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM t")).scalars().all() == [2]


def test_a_connection_returned_mid_write_gives_the_lock_back(engine):
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert not writer_locked(engine)  # the pool rolled it back on return
    engine.dispose()


def test_a_second_writer_waits_for_the_first_commit_while_readers_go_on(engine):
    order: list[str] = []
    first_wrote, second_read = threading.Event(), threading.Event()

    def second_writer():
        first_wrote.wait(5)
        with engine.connect() as conn:
            order.append("second reads")
            conn.execute(text("SELECT count(*) FROM t")).scalar()
            second_read.set()
            conn.execute(text("INSERT INTO t VALUES (2)"))  # blocks until the first commits
            order.append("second wrote")
            conn.commit()

    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
        thread = threading.Thread(target=second_writer)
        thread.start()
        first_wrote.set()
        assert second_read.wait(5)  # reading does not wait for the writer
        thread.join(0.3)  # writing does
        assert thread.is_alive()
        assert order == ["second reads"]
        order.append("first commits")
        conn.commit()
    thread.join(5)
    assert order == ["second reads", "first commits", "second wrote"]
    with engine.connect() as conn:
        assert sorted(conn.execute(text("SELECT n FROM t")).scalars()) == [1, 2]


def test_what_opens_a_write_transaction():
    assert sqlite_writer.opens_write("INSERT INTO t VALUES (1)")
    assert sqlite_writer.opens_write("  \n update t set n = 1")
    assert sqlite_writer.opens_write("/* why */ -- note\n DELETE FROM t")
    assert sqlite_writer.opens_write("REPLACE INTO t VALUES (1)")
    assert sqlite_writer.opens_write("BEGIN IMMEDIATE")
    assert not sqlite_writer.opens_write("SELECT 1")
    assert not sqlite_writer.opens_write("-- INSERT\nSELECT 1")
    assert not sqlite_writer.opens_write("PRAGMA journal_mode=WAL")


def test_the_connection_shortcuts_and_scripts_take_and_give_back_the_lock(tmp_path):
    path = str(tmp_path / "s.sqlite3")
    conn = sqlite3.connect(path, factory=sqlite_writer.OneWriterConnection, check_same_thread=False)
    lock = sqlite_writer.lock_for(path)
    conn.execute("CREATE TABLE t (n INTEGER)")
    conn.execute("/* a comment first */ INSERT INTO t VALUES (1)")
    assert lock.locked()
    with conn:  # the context manager commits
        conn.executemany("INSERT INTO t VALUES (?)", [(2,), (3,)])
    assert not lock.locked()
    conn.execute("INSERT INTO t VALUES (4)")
    conn.executescript("INSERT INTO t VALUES (5);")  # commits the open transaction first
    assert not lock.locked()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (5,)
    conn.close()


def test_a_failed_commit_keeps_the_lock_until_the_rollback(tmp_path):
    path = str(tmp_path / "f.sqlite3")
    conn = sqlite3.connect(path, factory=sqlite_writer.OneWriterConnection)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript("CREATE TABLE p (id INTEGER PRIMARY KEY);"
                       "CREATE TABLE c (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);")
    lock = sqlite_writer.lock_for(path)
    conn.execute("INSERT INTO c VALUES (42)")  # checked at commit
    with pytest.raises(sqlite3.IntegrityError):
        conn.commit()
    assert conn.in_transaction and lock.locked()  # SQLite still holds its write lock: so do we
    conn.rollback()
    assert not lock.locked()
    conn.close()


def test_each_database_file_has_its_own_lock(tmp_path):
    one = sqlite3.connect(str(tmp_path / "a.sqlite3"), factory=sqlite_writer.OneWriterConnection)
    two = sqlite3.connect(str(tmp_path / "b.sqlite3"), factory=sqlite_writer.OneWriterConnection)
    for conn in (one, two):
        conn.execute("CREATE TABLE t (n INTEGER)")
    one.execute("INSERT INTO t VALUES (1)")
    two.execute("INSERT INTO t VALUES (1)")  # would wait 30 s on a lock shared by both files
    assert one.writer is not two.writer and one.writer.locked() and two.writer.locked()
    one.commit()
    two.commit()
    one.close()
    two.close()


def test_an_audit_entry_reserves_the_writer_before_reading_its_chain(tmp_path):
    from sqlmodel import Session, SQLModel

    from app.services import audit

    engine = db.make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        # A login changes nothing else: the chain's head is read before any other write.
        audit.record(session, None, "user.login", "user", 1)
        assert writer_locked(engine)
        session.commit()
        assert not writer_locked(engine)
    engine.dispose()
