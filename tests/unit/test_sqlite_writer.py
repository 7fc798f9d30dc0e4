"""SQLite: threads of one process write one after the other, queued on a lock instead of
SQLite's sleeping busy handler; reads never wait for it."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from app import db


@pytest.fixture()
def engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()
    assert not db._writer.locked()


def test_a_write_holds_the_lock_until_commit_or_rollback(engine):
    with engine.connect() as conn:
        conn.execute(text("SELECT count(*) FROM t")).scalar()
        assert not db._writer.locked()  # a read takes nothing
        conn.execute(text("INSERT INTO t VALUES (1)"))
        assert db._writer.locked()
        conn.execute(text("UPDATE t SET n = 2"))  # the same transaction: no second acquire
        conn.commit()
        assert not db._writer.locked()
        conn.execute(text("  delete FROM t"))
        assert db._writer.locked()
        conn.rollback()
        assert not db._writer.locked()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM t")).scalars().all() == [2]


def test_a_connection_returned_mid_write_gives_the_lock_back(engine):
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert not db._writer.locked()  # the pool rolled it back on return
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
