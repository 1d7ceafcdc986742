"""SQLite writers take turns on a file lock (core/writerqueue.py): who holds it and when
it is given back, and that waiting for it can neither hang nor lose a write."""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import time

import pytest

from hoctap_learn.core.writerqueue import WriterQueue


@pytest.fixture()
def database(tmp_path):
    path = tmp_path / "q.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)")
    queue = WriterQueue(str(tmp_path / "q.db-writers"), timeout=5)
    factory = queue.connection_class()
    opened = []

    def connect(busy_ms=5000):
        connection = sqlite3.connect(path, factory=factory, check_same_thread=False)
        connection.execute(f"PRAGMA busy_timeout={busy_ms}")
        opened.append(connection)
        return connection

    connect.queue = queue
    yield connect
    for connection in opened:
        connection.close()


def queue_is_free(queue: WriterQueue) -> bool:
    """Whether another open file description can take the queue's lock right now."""
    with open(queue.lock_path, "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def test_a_write_transaction_holds_the_queue_until_it_ends(database):
    a = database()
    a.execute("SELECT * FROM t").fetchall()
    assert queue_is_free(database.queue), "reads do not queue"
    a.execute("INSERT INTO t (v) VALUES ('x')")
    assert a.in_transaction and not queue_is_free(database.queue)
    a.execute("UPDATE t SET v = 'y'")  # later statements of the transaction: still held
    assert not queue_is_free(database.queue)
    a.commit()
    assert queue_is_free(database.queue)
    a.execute("DELETE FROM t")
    assert not queue_is_free(database.queue)
    a.rollback()
    assert queue_is_free(database.queue)
    assert a.execute("SELECT v FROM t").fetchall() == [("y",)]


def test_failed_statements_and_closing_give_the_queue_back(database):
    a = database()
    with pytest.raises(sqlite3.OperationalError):
        a.execute("INSERT INTO missing (v) VALUES (1)")  # fails before any transaction
    assert not a.in_transaction and queue_is_free(database.queue)
    a.execute("INSERT INTO t (v) VALUES ('x')")
    a.commit()
    with pytest.raises(sqlite3.IntegrityError):
        a.execute("INSERT INTO t (v) VALUES ('x')")  # fails inside its transaction
    assert a.in_transaction and not queue_is_free(database.queue)
    a.rollback()
    assert queue_is_free(database.queue)
    a.execute("INSERT INTO t (v) VALUES ('z')")
    a.close()  # uncommitted: rolled back, queue given back
    assert queue_is_free(database.queue)
    assert database().execute("SELECT v FROM t ORDER BY v").fetchall() == [("x",)]


def test_a_second_writer_waits_its_turn_and_sees_the_first_ones_row(database):
    a, b = database(), database()
    a.execute("INSERT INTO t (v) VALUES ('first')")
    done = threading.Event()
    outcome = {}

    def second():
        try:
            b.execute("INSERT INTO t (v) SELECT v || '+1' FROM t WHERE v = 'first'")
            outcome["rows"] = b.execute("SELECT count(*) FROM t").fetchone()[0]
            b.commit()
        except Exception as error:  # reported below
            outcome["error"] = error
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not done.wait(0.3), "the second writer went ahead of the first one"
    a.commit()
    thread.join(10)
    assert "error" not in outcome
    assert outcome["rows"] == 2  # it ran after the first commit, and saw that row
    assert queue_is_free(database.queue)


def test_one_thread_with_two_connections_does_not_wait_for_itself(database):
    a, b = database(), database(busy_ms=50)
    a.execute("INSERT INTO t (v) VALUES ('a')")
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        b.execute("INSERT INTO t (v) VALUES ('b')")  # SQLite's own answer, not a hang
    assert time.monotonic() - started < 4  # well before the queue's 5 s timeout
    a.commit()
    b.execute("INSERT INTO t (v) VALUES ('b')")
    b.commit()
    assert queue_is_free(database.queue)


def test_waiting_for_the_queue_is_bounded(database, tmp_path):
    database.queue.timeout = 0.2
    a = database()
    with open(database.queue.lock_path, "a+b") as stuck:  # a holder that never lets go
        fcntl.flock(stuck, fcntl.LOCK_EX)
        a.execute("INSERT INTO t (v) VALUES ('anyway')")  # goes on without the queue
        a.commit()
        assert not queue_is_free(database.queue)  # still the stuck holder's
    assert a.execute("SELECT v FROM t").fetchall() == [("anyway",)]


def test_a_connection_dropped_without_closing_gives_the_queue_back(database):
    a = database()
    a.execute("INSERT INTO t (v) VALUES ('x')")
    assert not queue_is_free(database.queue)
    a.__del__()  # what garbage collection runs; the pool may drop a connection so
    assert queue_is_free(database.queue)


def test_without_a_lock_file_writes_go_on_unqueued(database, tmp_path):
    database.queue.lock_path = str(tmp_path / "missing-folder" / "q.db-writers")
    a = database()
    a.execute("INSERT INTO t (v) VALUES ('x')")
    a.commit()
    assert a.execute("SELECT v FROM t").fetchall() == [("x",)]


def test_the_app_engine_queues_sqlite_writers(app, db, backend):
    connection = db.engine.raw_connection()
    try:
        queued = type(connection.driver_connection).__name__ == "QueuedConnection"
    finally:
        connection.close()
    assert queued == (backend == "sqlite")
