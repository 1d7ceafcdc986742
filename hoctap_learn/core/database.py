"""Database engine settings that the ORM cannot express."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection.

    WAL lets readers go on while one writer commits; without a busy timeout a second
    writer fails at once with "database is locked" instead of waiting its turn.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        # pysqlite's own transaction handling defers BEGIN; leave it, only set pragmas.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() not in ("wal", "memory"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
