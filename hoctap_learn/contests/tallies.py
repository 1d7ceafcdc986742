"""Contest people and attempts per unit, kept up to date by the database (models/tally.py).

The triggers (tally_triggers.py) queue an attempt when it ends and keep the counts right as
attempts, profiles, rounds and campaigns change. Readers first count the queue in (`fold`,
from `ensure_fresh`): ending an attempt thus writes one row instead of a dozen upserts on
cells every submit of the campaign shares, and a fold counts a batch of attempts in one
upsert per participant and item and one per cell. A campaign marked stale is counted again
from its attempts (`rebuild`).

`rows` answers the report figure from the tallies; the figure falls back to counting the
attempts when a date range limits the whole-campaign or per-round figures (a person's
attempts on several days cannot be added up from per-day counts).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select, text

from ..core import jsonfast
from ..core.triggers import local_day
from ..extensions import db
from .models.tally import Tally, TallyLedger, TallyStale
from .tally_triggers import EVENT_DIMS, PERSON_DIMS, person_cell

# --- folding the queue in --------------------------------------------------------------------

#: Attempts counted per statement when the queue is folded in.
FOLD_BATCH = 5000
#: PostgreSQL advisory lock key of folding (any constant the app uses for nothing else).
_FOLD_LOCK = 0x686F637461700001


def _ids_in(dialect: str, column: str) -> str:
    """SQL: `column` is one of the ids of the bound parameter ``ids``."""
    if dialect == "postgresql":
        return f"{column} = ANY(CAST(:ids AS INTEGER[]))"
    return f"{column} IN (SELECT value FROM json_each(:ids))"


def _ids_param(dialect: str, ids: list[int]):
    return ids if dialect == "postgresql" else jsonfast.dumps(ids)


def _counted(dialect: str) -> str:
    """SQL: the ledger rows the finished attempts ``ids`` at official rounds add, one per
    participant, campaign, dim and item, with ``n`` the attempts it counts."""
    dims = " UNION ALL ".join(
        f"SELECT '{d}'" + (" AS dim" if i == 0 else "")
        for i, d in enumerate(PERSON_DIMS + EVENT_DIMS)
    )
    item = (
        f"CASE d.dim WHEN 'day' THEN {local_day(dialect, 'a.submitted_at')}"
        " WHEN 'round' THEN CAST(a.round_id AS TEXT) ELSE '' END"
    )
    return f"""SELECT a.user_id, k.id AS campaign_id, d.dim, {item} AS item,
               COALESCE(u.unit_id, 0) AS unit_id,
               {person_cell("d.dim", "u", "k.year", item)} AS cell, COUNT(*) AS n
        FROM attempts a
        JOIN contest_rounds r ON r.id = a.round_id AND r.is_practice = FALSE
        JOIN contests c ON c.id = r.contest_id
        JOIN campaigns k ON k.id = c.campaign_id
        JOIN users u ON u.id = a.user_id
        CROSS JOIN ({dims}) d
        WHERE {_ids_in(dialect, "a.id")} AND a.status = 'finished'
        GROUP BY 1, 2, 3, 4, 5, 6"""


_LEDGER_UPSERT = """INSERT INTO contest_tally_ledger
        (user_id, campaign_id, dim, item, unit_id, cell, attempts)
    SELECT user_id, campaign_id, dim, item, unit_id, cell, n FROM ({counted}) g WHERE TRUE
    ORDER BY user_id, campaign_id, dim, item
    ON CONFLICT (user_id, campaign_id, dim, item)
    DO UPDATE SET attempts = contest_tally_ledger.attempts + excluded.attempts"""
#: The tallies from the ledger rows `l` after the upsert: a row whose count is what this
#: fold added is new, so its participant is one person more in its cell.
_TALLIES_UPSERT = """INSERT INTO contest_tallies (campaign_id, dim, unit_id, cell, people, attempts)
    SELECT l.campaign_id, l.dim, l.unit_id, l.cell,
           SUM(CASE WHEN l.attempts = g.n THEN 1 ELSE 0 END), SUM(g.n)
    FROM {ledger} l JOIN ({counted}) g ON g.user_id = l.user_id
         AND g.campaign_id = l.campaign_id AND g.dim = l.dim AND g.item = l.item
    WHERE TRUE
    GROUP BY l.campaign_id, l.dim, l.unit_id, l.cell
    ORDER BY l.campaign_id, l.dim, l.unit_id, l.cell
    ON CONFLICT (campaign_id, dim, unit_id, cell)
    DO UPDATE SET people = contest_tallies.people + excluded.people,
                  attempts = contest_tallies.attempts + excluded.attempts"""


def _fold_statements(dialect: str) -> list[str]:
    """Statements counting the attempts ``ids`` (taken off the queue) into ledger and
    tallies: one on PostgreSQL (the upsert's RETURNING feeds the tallies), two on SQLite."""
    counted = _counted(dialect)
    if dialect == "postgresql":
        returned = (
            _LEDGER_UPSERT.format(counted="SELECT * FROM g")
            + " RETURNING user_id, campaign_id, dim, item, unit_id, cell, attempts"
        )
        return [
            f"WITH g AS MATERIALIZED ({counted}), l AS ({returned})\n"
            + _TALLIES_UPSERT.format(ledger="l", counted="SELECT * FROM g")
        ]
    return [
        _LEDGER_UPSERT.format(counted=counted),
        _TALLIES_UPSERT.format(ledger="contest_tally_ledger", counted=counted),
    ]


def fold(connection=None, batch: int = FOLD_BATCH) -> int:
    """Count the attempts queued since the last fold (all campaigns), in the caller's
    transaction (the session's, or `connection`'s); the number of attempts taken off the
    queue. Readers call it before they read (`ensure_fresh`).

    Ending an attempt only queues it (a row in ``contest_tally_pending``): counting it there
    meant a dozen upserts per submit, on cells every submit of the campaign shares. Folded
    in here, a batch of attempts costs one upsert per participant and item and one per
    cell. On PostgreSQL one reader folds at a time (a transaction lock, held until the
    caller commits: two readers could otherwise each hold cells or queue rows the other
    needs); the tallies' cells are locked in key order first, then the queue rows, then the
    ledger: the order in which taking an attempt back and moving a participant take them,
    so none of them waits for another in a circle."""
    connection = connection or db.session.connection()
    dialect = connection.dialect.name
    folded = 0
    serialized = dialect != "postgresql"  # SQLite writes one transaction at a time
    while True:
        ids = connection.execute(
            text("SELECT attempt_id FROM contest_tally_pending ORDER BY attempt_id LIMIT :n"),
            {"n": batch},
        ).scalars().all()
        if ids and not serialized:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FOLD_LOCK})
            serialized = True
            continue  # what another reader left
        if not ids:
            return folded
        if dialect == "postgresql":
            connection.execute(
                text(
                    "SELECT 1 FROM contest_tallies t JOIN (" + _counted(dialect) + ") g"
                    " ON t.campaign_id = g.campaign_id AND t.dim = g.dim"
                    " AND t.unit_id = g.unit_id AND t.cell = g.cell"
                    " ORDER BY t.campaign_id, t.dim, t.unit_id, t.cell FOR UPDATE OF t"
                ),
                {"ids": ids},
            )
        # Only what is still queued: another reader may have taken some since.
        taken = connection.execute(
            text(
                "DELETE FROM contest_tally_pending WHERE "
                + _ids_in(dialect, "attempt_id") + " RETURNING attempt_id"
            ),
            {"ids": _ids_param(dialect, ids)},
        ).scalars().all()
        for statement in _fold_statements(dialect):
            connection.execute(text(statement), {"ids": _ids_param(dialect, taken)})
        folded += len(taken)


# --- rebuilding ------------------------------------------------------------------------------


def rebuild(campaign_id: int, connection=None, queued: bool = True) -> None:
    """Count the campaign again from its attempts, in the caller's transaction (the
    session's, or `connection`'s); its attempts waiting in the queue are counted here and
    leave it (`queued` False: migrations from before the queue existed).

    On PostgreSQL the queue and the ledger are locked first, so that attempts ending
    meanwhile wait and are counted on top of the rebuilt figures rather than lost or
    counted twice."""
    connection = connection or db.session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        if queued:
            connection.exec_driver_sql("LOCK TABLE contest_tally_pending IN EXCLUSIVE MODE")
        connection.exec_driver_sql("LOCK TABLE contest_tally_ledger IN EXCLUSIVE MODE")
    if queued:
        connection.execute(
            text(
                "DELETE FROM contest_tally_pending WHERE attempt_id IN (SELECT a.id"
                " FROM attempts a JOIN contest_rounds r ON r.id = a.round_id"
                " JOIN contests c ON c.id = r.contest_id WHERE c.campaign_id = :campaign)"
            ),
            {"campaign": campaign_id},
        )
    connection.execute(delete(TallyLedger).where(TallyLedger.campaign_id == campaign_id))
    connection.execute(delete(Tally).where(Tally.campaign_id == campaign_id))
    finished = (
        "FROM attempts a JOIN contest_rounds r ON r.id = a.round_id "
        "JOIN contests c ON c.id = r.contest_id JOIN users u ON u.id = a.user_id "
        "WHERE c.campaign_id = :campaign AND r.is_practice = FALSE AND a.status = 'finished'"
    )
    unit = "COALESCE(u.unit_id, 0)"
    day = local_day(dialect, "a.submitted_at")
    ledger = (
        "INSERT INTO contest_tally_ledger "
        "(user_id, campaign_id, dim, item, unit_id, cell, attempts) "
    )
    params = {"campaign": campaign_id}
    connection.execute(
        text(
            f"{ledger} SELECT a.user_id, :campaign, 'unit', '', {unit}, '', COUNT(*) "
            f"{finished} GROUP BY a.user_id, {unit} "
            f"UNION ALL SELECT a.user_id, :campaign, 'day', {day}, {unit}, {day}, COUNT(*) "
            f"{finished} GROUP BY a.user_id, {unit}, {day} "
            "UNION ALL SELECT a.user_id, :campaign, 'round', CAST(a.round_id AS TEXT), "
            f"{unit}, CAST(a.round_id AS TEXT), COUNT(*) {finished} "
            f"GROUP BY a.user_id, {unit}, a.round_id"
        ),
        params,
    )
    # The other person dimensions from each participant's row of the unit alone.
    cell = person_cell("d.dim", "u", "k.year", "''")
    connection.execute(
        text(
            f"{ledger} SELECT l.user_id, l.campaign_id, d.dim, '', l.unit_id, "
            f"{cell}, l.attempts "
            "FROM contest_tally_ledger l JOIN users u ON u.id = l.user_id "
            "JOIN campaigns k ON k.id = l.campaign_id CROSS JOIN ("
            + " UNION ALL ".join(
                f"SELECT '{d}'" + (" AS dim" if i == 0 else "")
                for i, d in enumerate(PERSON_DIMS[1:])
            )
            + ") d WHERE l.campaign_id = :campaign AND l.dim = 'unit'"
        ),
        params,
    )
    connection.execute(
        text(
            "INSERT INTO contest_tallies (campaign_id, dim, unit_id, cell, people, attempts) "
            "SELECT campaign_id, dim, unit_id, cell, COUNT(*), SUM(attempts) "
            "FROM contest_tally_ledger WHERE campaign_id = :campaign "
            "GROUP BY campaign_id, dim, unit_id, cell"
        ),
        params,
    )
    connection.execute(delete(TallyStale).where(TallyStale.campaign_id == campaign_id))


def ensure_fresh(campaign_id: int) -> None:
    """Count the attempts queued since the last read, and rebuild the campaign's tallies
    if a change of its rounds or contests made them stale."""
    fold()
    db.session.commit()  # folded counts, and the fold's lock, released at once
    stale = db.session.scalar(select(TallyStale.campaign_id).where(
        TallyStale.campaign_id == campaign_id))  # fmt: skip
    if stale is not None:
        rebuild(campaign_id)
        db.session.commit()


# --- reading ---------------------------------------------------------------------------------


def rows(campaign_id: int, by, day_from=None, day_to=None) -> list[tuple]:
    """``(unit_id, key, people, attempts)`` of the campaign's finished attempts at its
    official rounds, as `people_and_times` returns them: `by` is None (the unit alone),
    one of the other `PERSON_DIMS`, ``day`` (limited to `day_from`…`day_to`) or
    ``round``. Unknown values (no group, gender or birth year) have the key None."""
    ensure_fresh(campaign_id)
    dim = "unit" if by is None else by
    if dim not in PERSON_DIMS + EVENT_DIMS:
        return []
    stmt = select(Tally.unit_id, Tally.cell, Tally.people, Tally.attempts).where(
        Tally.campaign_id == campaign_id,
        Tally.dim == dim,
        Tally.unit_id != 0,
        Tally.attempts > 0,
    )
    if dim == "day":
        if day_from is not None:
            stmt = stmt.where(Tally.cell >= day_from.isoformat())
        if day_to is not None:
            stmt = stmt.where(Tally.cell <= day_to.isoformat())
    key = {"unit": lambda c: None, "day": date.fromisoformat, "round": int}.get(
        dim, lambda c: c or None
    )
    return [(u, key(c), p, a) for u, c, p, a in db.session.execute(stmt)]
