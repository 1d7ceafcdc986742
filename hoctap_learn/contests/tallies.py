"""Contest people and attempts per unit, kept up to date by the database (models/tally.py).

Triggers on ``attempts`` queue an attempt when it is finished (``contest_tally_pending``) and
the next reader counts the queue in (`fold`, from `ensure_fresh`), those at an official
round of a campaign; they take an attempt back when it stops being so (deleted, moved,
reopened, its day changed): out of the queue if it still waits there, otherwise out of the
counts. Ending an attempt thus writes one row instead of a dozen upserts on cells every
submit of the campaign shares, and a fold counts a batch of attempts in one upsert per
participant and item and one per cell. A trigger on ``users`` moves a participant's counts
when their unit, target group, gender or birth year changes; triggers on rounds, contests
and campaigns mark a campaign stale when what decides which attempts count changes, and
the next read rebuilds it. The same statements serve SQLite and PostgreSQL: only the local
day expression and the trigger wrapping differ.

`rows` answers the report figure from the tallies; the figure falls back to counting the
attempts when a date range limits the whole-campaign or per-round figures (a person's
attempts on several days cannot be added up from per-day counts).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select, text

from ..core import jsonfast
from ..core.triggers import (
    Only,
    Trigger,
    changed,
    create_ddl,
    differs,
    drop_ddl,
    execute,
    local_day,
)
from ..extensions import db
from ..reports.figures import AGE_BANDS
from .models.tally import Tally, TallyLedger, TallyStale

#: What a participant is counted in once per campaign: their unit alone and each dimension
#: every person has one value of; then each local day and each round they took part in.
PERSON_DIMS = ("unit", "target_group", "gender", "age_band")
EVENT_DIMS = ("day", "round")


def _band(user: str, year: str) -> str:
    """SQL: the `AGE_BANDS` key of the user row `user` in campaign year `year` ('' unknown)."""
    whens = " ".join(
        f"WHEN {year} - {user}.birth_year BETWEEN {low} AND {high} THEN '{key}'"
        for key, _label, low, high in AGE_BANDS
    )
    return f"COALESCE(CASE {whens} END, '')"


def _person_cell(dim: str, user: str, year: str, default: str) -> str:
    """SQL: the cell of the user row `user` in the dimension named by the SQL `dim` (the
    unit alone: ''), or `default` for the event dimensions (day, round)."""
    return (
        f"CASE {dim} WHEN 'target_group' THEN COALESCE({user}.target_group, '')"
        f" WHEN 'gender' THEN COALESCE({user}.gender, '')"
        f" WHEN 'age_band' THEN {_band(user, year)}"
        f" WHEN 'unit' THEN '' ELSE {default} END"
    )


def _items(dialect: str, row: str, alias: str) -> str:
    """SQL: ledger rows (`alias`) of the items an attempt (`row`) counts in."""
    people = ", ".join(f"'{d}'" for d in PERSON_DIMS)
    return (
        f"(({alias}.dim IN ({people}) AND {alias}.item = '')"
        f" OR ({alias}.dim = 'day' AND {alias}.item = {local_day(dialect, row + '.submitted_at')})"
        f" OR ({alias}.dim = 'round' AND {alias}.item = CAST({row}.round_id AS TEXT)))"
    )


def _apply(dialect: str, row: str) -> list[str]:
    """Statements counting the attempt `row` (NEW) if it is finished at an official round."""
    day = local_day(dialect, f"{row}.submitted_at")
    people = " UNION ALL ".join(
        f"SELECT '{d}' AS dim, '' AS item" if i == 0 else f"SELECT '{d}', ''"
        for i, d in enumerate(PERSON_DIMS)
    )
    official = (
        f"SELECT c.campaign_id FROM contest_rounds r JOIN contests c ON c.id = r.contest_id "
        f"WHERE r.id = {row}.round_id AND r.is_practice = FALSE AND c.campaign_id IS NOT NULL"
    )
    ledger = f"""INSERT INTO contest_tally_ledger
            (user_id, campaign_id, dim, item, unit_id, cell, attempts)
        SELECT u.id, k.id, d.dim, d.item, COALESCE(u.unit_id, 0),
               {_person_cell("d.dim", "u", "k.year", "d.item")}, 1
        FROM campaigns k
        JOIN users u ON u.id = {row}.user_id
        CROSS JOIN ({people}
                    UNION ALL SELECT 'day', {day}
                    UNION ALL SELECT 'round', CAST({row}.round_id AS TEXT)) d
        WHERE k.id IN ({official}) AND {row}.status = 'finished'
        ORDER BY d.dim
        ON CONFLICT (user_id, campaign_id, dim, item)
        DO UPDATE SET attempts = contest_tally_ledger.attempts + 1"""
    tallies = """INSERT INTO contest_tallies (campaign_id, dim, unit_id, cell, people, attempts)
        SELECT l.campaign_id, l.dim, l.unit_id, l.cell,
               CASE WHEN l.attempts = 1 THEN 1 ELSE 0 END, 1
        FROM {rows}
        ORDER BY l.dim
        ON CONFLICT (campaign_id, dim, unit_id, cell)
        DO UPDATE SET people = contest_tallies.people + excluded.people,
                      attempts = contest_tallies.attempts + 1"""
    if dialect == "postgresql":
        # One statement: the tallies from the ledger rows the upsert returns (its count
        # after this attempt) instead of finding them again.
        returned = f"{ledger} RETURNING campaign_id, dim, unit_id, cell, attempts"
        return [f"WITH l AS ({returned})\n" + tallies.format(rows="l")]
    counted = (
        f"contest_tally_ledger l WHERE l.user_id = {row}.user_id AND {row}.status = 'finished'"
        f" AND l.campaign_id IN ({official}) AND {_items(dialect, row, 'l')}"
    )
    return [ledger, tallies.format(rows=counted)]


def _unapply(dialect: str, row: str, counted: str = "TRUE") -> list[str]:
    """Statements taking back the count of the attempt `row` (OLD), if it was counted
    (and the SQL condition `counted` holds).

    The campaign is found from the participant's ledger row of the round, not from the
    round, which a cascading delete may already have removed."""

    def match(alias: str) -> str:
        return (
            f"{alias}.user_id = {row}.user_id AND {row}.status = 'finished' AND {counted}"
            f" AND {alias}.campaign_id IN (SELECT campaign_id FROM contest_tally_ledger"
            f" WHERE user_id = {row}.user_id AND dim = 'round'"
            f" AND item = CAST({row}.round_id AS TEXT))"
            f" AND {_items(dialect, row, alias)}"
        )

    return _lock_in_order(dialect, match("l")) + [
        f"""UPDATE contest_tallies
        SET people = contest_tallies.people - CASE WHEN l.attempts = 1 THEN 1 ELSE 0 END,
            attempts = contest_tallies.attempts - 1
        FROM contest_tally_ledger l
        WHERE {match("l")} AND contest_tallies.campaign_id = l.campaign_id
          AND contest_tallies.dim = l.dim AND contest_tallies.unit_id = l.unit_id
          AND contest_tallies.cell = l.cell""",
        f"""UPDATE contest_tally_ledger SET attempts = contest_tally_ledger.attempts - 1
        WHERE {match("contest_tally_ledger")}""",
        f"DELETE FROM contest_tally_ledger WHERE user_id = {row}.user_id AND attempts <= 0",
    ]


def _queue(row: str) -> str:
    """Statement queueing the attempt `row` (NEW) to be counted, if it is finished."""
    return (
        f"INSERT INTO contest_tally_pending (attempt_id) SELECT {row}.id"
        f" WHERE {row}.status = 'finished' ON CONFLICT (attempt_id) DO NOTHING"
    )


def _take_back(dialect: str, row: str) -> list[str | Only]:
    """Statements taking back the attempt `row` (OLD): out of the queue if it is still
    waiting there, otherwise out of the counts.

    PostgreSQL deletes from the queue first: a reader folding the attempt in at this very
    moment holds its queue row, so the DELETE waits for the fold to commit, then finds
    nothing and takes the count back. SQLite writes one transaction at a time."""
    unqueue = f"DELETE FROM contest_tally_pending WHERE attempt_id = {row}.id"
    if dialect == "postgresql":
        return [unqueue, Only("NOT FOUND", tuple(_unapply(dialect, row)))]
    queued = f"NOT EXISTS (SELECT 1 FROM contest_tally_pending WHERE attempt_id = {row}.id)"
    return [*_unapply(dialect, row, queued), unqueue]


def _lock_in_order(dialect: str, ledger_rows: str) -> list[str]:
    """PostgreSQL: lock the cells of the ledger rows `ledger_rows` (alias l) in key order
    before an UPDATE … FROM takes them in no particular order. Every statement that counts
    takes the cells of one attempt in key order too (ORDER BY dim), so two transactions
    never wait for each other's cells in a circle. (SQLite writes one at a time.)"""
    if dialect == "sqlite":
        return []
    return [
        "PERFORM 1 FROM contest_tallies t JOIN contest_tally_ledger l"
        " ON t.campaign_id = l.campaign_id AND t.dim = l.dim AND t.unit_id = l.unit_id"
        f" AND t.cell = l.cell WHERE {ledger_rows}"
        " ORDER BY t.campaign_id, t.dim, t.unit_id, t.cell FOR UPDATE OF t"
    ]


def _move(dialect: str, row: str = "NEW") -> list[str]:
    """Statements moving a participant's counts to their new unit and cells."""
    return _lock_in_order(dialect, f"l.user_id = {row}.id") + [
        f"""UPDATE contest_tallies
        SET people = contest_tallies.people - 1,
            attempts = contest_tallies.attempts - l.attempts
        FROM contest_tally_ledger l
        WHERE l.user_id = {row}.id AND contest_tallies.campaign_id = l.campaign_id
          AND contest_tallies.dim = l.dim AND contest_tallies.unit_id = l.unit_id
          AND contest_tallies.cell = l.cell""",
        f"""UPDATE contest_tally_ledger
        SET unit_id = COALESCE({row}.unit_id, 0),
            cell = (SELECT {
            _person_cell("contest_tally_ledger.dim", row, "k.year", "contest_tally_ledger.cell")
        }
                    FROM campaigns k WHERE k.id = contest_tally_ledger.campaign_id)
        WHERE contest_tally_ledger.user_id = {row}.id""",
        f"""INSERT INTO contest_tallies (campaign_id, dim, unit_id, cell, people, attempts)
        SELECT campaign_id, dim, unit_id, cell, 1, attempts FROM contest_tally_ledger
        WHERE user_id = {row}.id
        ORDER BY campaign_id, dim, cell
        ON CONFLICT (campaign_id, dim, unit_id, cell)
        DO UPDATE SET people = contest_tallies.people + 1,
                      attempts = contest_tallies.attempts + excluded.attempts""",
    ]


def triggers(dialect: str, deferred: bool = True) -> list[Trigger]:
    """Every trigger that keeps the contest tallies. `deferred`: an attempt that ends is
    queued and counted by the next reader (`fold`), as since migration 0014; otherwise
    counted in the statement that ends it, as before."""

    def stale(select_campaigns: str) -> tuple[str, ...]:
        return (
            "INSERT INTO contest_tally_stale (campaign_id) SELECT DISTINCT x.campaign_id "
            f"FROM ({select_campaigns}) x WHERE x.campaign_id IS NOT NULL "
            "ON CONFLICT (campaign_id) DO NOTHING",
        )

    day_changed = differs(
        dialect, local_day(dialect, "OLD.submitted_at"), local_day(dialect, "NEW.submitted_at")
    )
    if deferred:
        count, take_back = (_queue("NEW"),), tuple(_take_back(dialect, "OLD"))
    else:
        count, take_back = tuple(_apply(dialect, "NEW")), tuple(_unapply(dialect, "OLD"))
    return [
        Trigger("tally_attempt_insert", "attempts", "INSERT",
                (Only("NEW.status = 'finished'", count),)),  # fmt: skip
        Trigger("tally_attempt_delete", "attempts", "DELETE", take_back),
        Trigger(
            "tally_attempt_update",
            "attempts",
            "UPDATE OF status, submitted_at, round_id, user_id",
            # An attempt ending (the busiest case) has nothing to take back.
            (
                Only("OLD.status = 'finished'", take_back),
                Only("NEW.status = 'finished'", count),
            ),
            f"{changed(dialect, ('status', 'round_id', 'user_id'))} OR {day_changed}",
        ),
        Trigger(
            "tally_user_update",
            "users",
            "UPDATE OF unit_id, target_group, gender, birth_year",
            tuple(_move(dialect, "NEW")),
            changed(dialect, ("unit_id", "target_group", "gender", "birth_year")),
        ),
        Trigger(
            "tally_round_update",
            "contest_rounds",
            "UPDATE OF is_practice, contest_id",
            stale(
                "SELECT campaign_id FROM contests WHERE id = OLD.contest_id "
                "UNION SELECT campaign_id FROM contests WHERE id = NEW.contest_id"
            ),
            changed(dialect, ("is_practice", "contest_id")),
        ),
        Trigger(
            "tally_contest_update",
            "contests",
            "UPDATE OF campaign_id",
            stale("SELECT OLD.campaign_id AS campaign_id UNION SELECT NEW.campaign_id"),
            changed(dialect, ("campaign_id",)),
        ),
        Trigger(
            "tally_campaign_update",
            "campaigns",
            "UPDATE OF year",
            stale("SELECT NEW.id AS campaign_id"),
            changed(dialect, ("year",)),
        ),
    ]


def install(connection, deferred: bool = True) -> None:
    """Create the triggers (migrations call this; running it again replaces them)."""
    dialect = connection.dialect.name
    execute(connection, create_ddl(dialect, triggers(dialect, deferred)))


def uninstall(connection) -> None:
    execute(connection, drop_ddl(connection.dialect.name, triggers(connection.dialect.name)))


# --- folding the queue in --------------------------------------------------------------------

#: Attempts counted per statement when the queue is folded in.
FOLD_BATCH = 5000


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
               {_person_cell("d.dim", "u", "k.year", item)} AS cell, COUNT(*) AS n
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
    cell. On PostgreSQL the tallies' cells are locked in key order first, then the queue
    rows (another reader folding at the same moment waits, then finds them gone), then
    the ledger: the order in which taking an attempt back and moving a participant take
    them, so none of them waits for another in a circle."""
    connection = connection or db.session.connection()
    dialect = connection.dialect.name
    folded = 0
    while True:
        ids = connection.execute(
            text("SELECT attempt_id FROM contest_tally_pending ORDER BY attempt_id LIMIT :n"),
            {"n": batch},
        ).scalars().all()
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
    cell = _person_cell("d.dim", "u", "k.year", "''")
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
    if fold():
        db.session.commit()
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
