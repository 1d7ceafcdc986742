"""SQLite writers queue on a file lock instead of polling the database lock.

SQLite lets one writer in at a time. A writer that finds the database locked waits in
its busy handler, which sleeps 1, 2, 5, 10 … ms between tries however soon the lock is
free again: under contest load (every participant autosaving) the gunicorn workers spent
a good share of their time asleep while the lock they wanted was free. Here a connection
takes an exclusive ``flock`` on ``<database>-writers`` just before the statement that
opens its write transaction and gives it back when the transaction ends (commit,
rollback, close, or a first statement that failed), so writers take turns as soon as the
previous one is done. Reads are never queued (WAL lets them run beside the writer).

Waiting for the queue polls with a short backoff (50 µs up to 0.5 ms) and is bounded by
the connection's busy timeout: past it the writer goes on without the queue and SQLite's
own busy handling decides, as it would without this module. A thread that already holds
the queue through another connection does not queue again (it would wait for itself).
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import time
import weakref

#: Statements that make pysqlite open a transaction (the first write of one).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_FIRST_DELAY, _MAX_DELAY = 0.00005, 0.0005


class WriterQueue:
    """The queue of the writers of one database file."""

    def __init__(self, lock_path: str, timeout: float):
        self.lock_path = lock_path
        self.timeout = timeout
        self._holders = threading.local()  # .connection: the one this thread queued with

    def _held_here(self) -> bool:
        ref = getattr(self._holders, "connection", None)
        holder = ref() if ref is not None else None
        return holder is not None and holder._queued

    def acquire(self, connection, handle) -> bool:
        """Take the queue for `connection` through its open lock file `handle`; False if
        that took longer than the timeout, or this thread holds it already through another
        connection: go on without it."""
        if self._held_here():
            return False
        delay, deadline = _FIRST_DELAY, time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return False
                time.sleep(delay)
                delay = min(delay * 2, _MAX_DELAY)
        self._holders.connection = weakref.ref(connection)
        return True

    @staticmethod
    def release(handle) -> None:
        fcntl.flock(handle, fcntl.LOCK_UN)

    def connection_class(self) -> type[sqlite3.Connection]:
        """A `sqlite3.Connection` class (for ``sqlite3.connect(factory=…)``) whose
        writes take their turn in this queue."""
        queue = self

        class QueuedCursor(sqlite3.Cursor):
            def _queued(self, run, sql, args):
                self.connection._before(sql)
                try:
                    return run(sql, *args)
                finally:
                    self.connection._after()

            def execute(self, sql, *args):
                return self._queued(super().execute, sql, args)

            def executemany(self, sql, *args):
                return self._queued(super().executemany, sql, args)

        class QueuedConnection(sqlite3.Connection):
            _lock_file = None  # opened on the first write, closed with the connection
            _queued = False

            def cursor(self, factory=QueuedCursor):
                return super().cursor(factory)

            # sqlite3's own shortcuts run the statement without the cursor's methods.
            def execute(self, sql, *args):
                return self.cursor().execute(sql, *args)

            def executemany(self, sql, *args):
                return self.cursor().executemany(sql, *args)

            def _before(self, sql: str) -> None:
                if self._queued or self.in_transaction:
                    return
                if not sql.lstrip()[:7].upper().startswith(_WRITES):
                    return
                if self._lock_file is None:
                    try:
                        self._lock_file = open(queue.lock_path, "a+b")  # noqa: SIM115
                    except OSError:  # e.g. a folder we may not create files in:
                        return  # SQLite's own busy handling, as without the queue
                self._queued = queue.acquire(self, self._lock_file)

            def _after(self) -> None:
                if self._queued and not self.in_transaction:
                    self._queued = False
                    queue.release(self._lock_file)

            def commit(self):
                try:
                    super().commit()
                finally:
                    self._after()

            def rollback(self):
                try:
                    super().rollback()
                finally:
                    self._after()

            def close(self):
                try:
                    super().close()
                finally:
                    self._forget_lock_file()

            def __del__(self):  # a connection dropped without close(): its turn ends too
                self._forget_lock_file()

            def _forget_lock_file(self):
                handle, self._lock_file = self._lock_file, None
                if handle is not None:
                    self._queued = False
                    handle.close()  # closing the file gives its lock back

        return QueuedConnection
