"""Database engine settings that the ORM cannot express."""

from __future__ import annotations

import os
import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

from .writerqueue import WriterQueue

#: A pooled connection unused for longer than this is checked before it is handed out.
PING_IDLE_SECONDS = 30.0
#: How long an SQLite writer waits for its turn before "database is locked".
SQLITE_BUSY_SECONDS = 15


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection, and writers of a
    database file queued on a file lock (core/writerqueue.py).

    WAL lets readers go on while one writer commits; without a busy timeout a second
    writer fails at once with "database is locked" instead of waiting its turn.
    """
    if engine.dialect.name != "sqlite":
        return
    path = engine.url.database
    if path and path != ":memory:" and not path.startswith("file:"):
        queued = WriterQueue(os.path.abspath(path) + "-writers", SQLITE_BUSY_SECONDS)
        connection_class = queued.connection_class()

        @event.listens_for(engine, "do_connect")
        def _queued_connection(_dialect, _record, _cargs, cparams):
            cparams["factory"] = connection_class

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        # pysqlite's own transaction handling defers BEGIN; leave it, only set pragmas.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def ping_idle_connections(engine: Engine, idle_seconds: float = PING_IDLE_SECONDS) -> None:
    """Check a pooled connection with ``SELECT 1`` before reuse if it has been idle for a
    while, and replace it if the server has gone away (a database restart overnight).

    SQLAlchemy's ``pool_pre_ping`` does the same on every checkout, that is a round trip
    more on every request; connections in use under load are never idle, so they skip it.
    """

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection, record):
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection, record, _proxy):
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since <= idle_seconds:
            return
        try:
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_connection.rollback()  # psycopg began a transaction for the ping
        except Exception as error:
            # The pool discards this connection and checks out (or opens) another one.
            raise exc.DisconnectionError() from error
