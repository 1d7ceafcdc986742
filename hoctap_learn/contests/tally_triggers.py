"""The triggers that keep the contest tallies (tallies.py, models/tally.py).

Triggers on ``attempts`` queue an attempt when it is finished (``contest_tally_pending``,
counted in by the next reader: tallies.fold) and take an attempt back when it stops being
counted (deleted, moved, reopened, its day changed): out of the queue if it still waits
there, otherwise out of the counts. A trigger on ``users`` moves a participant's counts when
their unit, target group, gender or birth year changes; triggers on rounds, contests and
campaigns mark a campaign stale when what decides which attempts count changes, and the
next read rebuilds it. The same statements serve SQLite and PostgreSQL: only the local day
expression and the trigger wrapping differ. Before migration 0014 the attempts triggers
counted an attempt in the statement that ended it (`triggers(…, deferred=False)`).
"""

from __future__ import annotations

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
from ..reports.figures import AGE_BANDS

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


def person_cell(dim: str, user: str, year: str, default: str) -> str:
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
    return [
        f"""INSERT INTO contest_tally_ledger
            (user_id, campaign_id, dim, item, unit_id, cell, attempts)
        SELECT u.id, k.id, d.dim, d.item, COALESCE(u.unit_id, 0),
               {person_cell("d.dim", "u", "k.year", "d.item")}, 1
        FROM campaigns k
        JOIN users u ON u.id = {row}.user_id
        CROSS JOIN ({people}
                    UNION ALL SELECT 'day', {day}
                    UNION ALL SELECT 'round', CAST({row}.round_id AS TEXT)) d
        WHERE k.id IN ({official}) AND {row}.status = 'finished'
        ORDER BY d.dim
        ON CONFLICT (user_id, campaign_id, dim, item)
        DO UPDATE SET attempts = contest_tally_ledger.attempts + 1""",
        f"""INSERT INTO contest_tallies (campaign_id, dim, unit_id, cell, people, attempts)
        SELECT l.campaign_id, l.dim, l.unit_id, l.cell,
               CASE WHEN l.attempts = 1 THEN 1 ELSE 0 END, 1
        FROM contest_tally_ledger l
        WHERE l.user_id = {row}.user_id AND {row}.status = 'finished'
          AND l.campaign_id IN ({official}) AND {_items(dialect, row, "l")}
        ORDER BY l.dim
        ON CONFLICT (campaign_id, dim, unit_id, cell)
        DO UPDATE SET people = contest_tallies.people + excluded.people,
                      attempts = contest_tallies.attempts + 1""",
    ]


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
            person_cell("contest_tally_ledger.dim", row, "k.year", "contest_tally_ledger.cell")
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
