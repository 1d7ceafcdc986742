"""Report benchmark: the dashboard's queries and a full .xlsx export at scale, on SQLite and
PostgreSQL. Writes bench/results/report.md.

The issue's size: 200,000 registered participants who make 1,000,000 attempts at the rounds
of the 2022 contest (content/contests/cong-dan-so: a practice round and two official rounds),
plus 100,000 Week activities with their breakdown rows. `BENCH_USERS`, `BENCH_ATTEMPTS` and
`BENCH_ACTIVITIES` override the sizes (e.g. `BENCH_ATTEMPTS=100000` for a quick run);
`HOCTAP_BENCH_POSTGRES_URL` points at a PostgreSQL to use, otherwise a throwaway cluster is
started (as the test suite does).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N_USERS = int(os.environ.get("BENCH_USERS", 200_000))
N_ACTIVITIES = int(os.environ.get("BENCH_ACTIVITIES", 100_000))
N_ATTEMPTS = int(os.environ.get("BENCH_ATTEMPTS", 1_000_000))
#: Share of attempts left in progress (not counted by the figures).
IN_PROGRESS = 0.02
SCHOOLS_PER_DISTRICT = 30
BATCH = 10_000
#: Each measurement is the median of this many runs.
REPEAT = int(os.environ.get("BENCH_REPEAT", 5))
NOTES = """
## What the columns are

- *whole dashboard*: everything the dashboard page shows (per-unit table, tables by day,
  target group, gender, age band, activity kind, report submissions, charts).
- *same dashboard counted*: the baseline, in the same run on the same data: the dashboard
  with every figure whose counts the database keeps counted from its rows instead, as the
  query module did before the tallies (combined grouped queries, covering indexes).
  *same tables* compares every table of the two, cell by cell.
- *rebuild tallies*: `hoctap report tallies --rebuild` (counting everything again from the
  rows; needed only after a campaign is marked stale, or to repair a doubt).
- *fill*: includes the triggers that keep the counts, for every inserted row (a finished
  attempt is queued for the contest counts: migration 0014).
- *count queue*: the first read after the fill counting the queued attempts in
  (`contests.tallies.fold`), timed on its own before the other measurements.

## Before this change (committed result, same machine, same fill and seed)

SQLite: totals 0.650 s, per-unit table 0.440 s, whole dashboard 4.483 s, xlsx export
5.589 s (10.3 MiB peak), fill 115.5 s. PostgreSQL: 1.033 / 1.031 / 4.294 / 5.580 s, fill
191.1 s. Earlier still (before the covering index and the per-participant counting), the
SQLite dashboard took 34.3 s at this size.

## What changed

The figures that grouped a million attempts, 200,000 accounts and 100,000 activities at
every read are now read from cells that database triggers keep up to date in the
transaction of each change (migrations 0008–0009; the same SQL on SQLite and PostgreSQL):
contest people and lượt by unit, target group, gender, age band, local day and round
(`contest_tallies`, with a per-participant ledger so that a person with several attempts
is one người); registered participants by unit, group, gender, birth year and sign-up day,
and activities and their participants by unit, kind, day and breakdown (`report_tallies`).
The dashboard reads a few thousand cells per table (31,000 for the birth years); the unit
tree is read once per request instead of once per table.

## What it costs, and what is left

- Writes: until migration 0014 each finished attempt updated 6 ledger rows and 6 cells in
  the statement that ended it; bulk inserts in this fill ran at ~4,800–6,000 attempts/s on
  SQLite (16,000/s without the triggers) and ~1,900/s on PostgreSQL (~6,000/s without),
  about 0.1 ms per finished attempt on SQLite and 0.3–0.5 ms of PostgreSQL time. Since
  0014 a finished attempt is only queued and the next read counts the queue in batches
  (*count queue*); bench/results/contest.md has the effect on the contest's submit step.
- A date range that does not split by day is still counted from the rows for contest
  people (people over several days are not the sum of each day's) and for the person
  dimensions of registered people and activities: those views cost what the baseline
  column shows. The unit totals of registered people and activities over a date range
  are sums of day cells.
- Rebuilding at this size takes ~30 s; it happens in `hoctap report tallies --rebuild`, in
  the migration, and at the first read of a campaign marked stale (a round made practice
  or official, a contest moved to another campaign, a campaign's year changed).

The export's peak memory depends on the number of table rows, never on the number of
users, attempts or activities; the writer alone keeps the same peak for 10,000 and 200,000
rows.
"""


def _app(url: str, instance: Path):
    from hoctap_learn import create_app

    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "bench",
        }
    )


def fill(url: str, instance: Path) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import insert, select

    from hoctap_learn.accounts.models import GENDERS, TARGET_GROUPS, User
    from hoctap_learn.activities.models import ACTIVITY_KINDS, Activity, ActivityBreakdown
    from hoctap_learn.core.content import load_content
    from hoctap_learn.extensions import db
    from hoctap_learn.units.models import Campaign, Unit

    app = _app(url, instance)
    with app.app_context():
        upgrade()
        load_content(ROOT / "content", include_demo=False)
        db.session.commit()
        districts = db.session.scalars(select(Unit).where(Unit.parent_id.is_not(None))).all()
        for d in districts:
            for n in range(SCHOOLS_PER_DISTRICT):
                db.session.add(
                    Unit(
                        code=f"{d.code}-s{n}",
                        name=f"Trường {n} {d.name}",
                        kind="school",
                        parent_id=d.id,
                    )
                )
        db.session.commit()
        unit_ids = list(db.session.scalars(select(Unit.id)))
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == "2022"))
        rnd = random.Random(2022)
        groups, genders = list(TARGET_GROUPS), list(GENDERS)
        start = datetime(2022, 10, 19, tzinfo=UTC)
        started = time.perf_counter()
        for offset in range(0, N_USERS, BATCH):
            rows = [
                {
                    "email": f"u{i}@bench.vn",
                    "password_hash": "!",
                    "full_name": f"U {i}",
                    "unit_id": rnd.choice(unit_ids),
                    "target_group": rnd.choice(groups),
                    "gender": rnd.choice(genders),
                    "birth_year": rnd.randint(1950, 2012),
                    "role": "participant",
                    "active": True,
                    "session_version": 1,
                    "created_at": start + timedelta(minutes=rnd.randint(0, 8 * 24 * 60)),
                }
                for i in range(offset, min(offset + BATCH, N_USERS))
            ]
            db.session.execute(insert(User), rows)
            db.session.commit()
        kinds = list(ACTIVITY_KINDS)
        now = datetime.now(UTC)
        for offset in range(0, N_ACTIVITIES, BATCH):
            rows = [
                {
                    "unit_id": rnd.choice(unit_ids),
                    "campaign_id": campaign.id,
                    "title": f"Hoạt động {i}",
                    "kind": rnd.choice(kinds),
                    "mode": "truc_tiep",
                    "start_date": date(2022, 10, 19) + timedelta(days=rnd.randint(0, 7)),
                    "end_date": date(2022, 10, 26),
                    "place": "",
                    "participants": 100,
                    "links": "",
                    "notes": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(offset, min(offset + BATCH, N_ACTIVITIES))
            ]
            db.session.execute(insert(Activity), rows)
            db.session.commit()
        ids = list(db.session.scalars(select(Activity.id)))
        for offset in range(0, len(ids), BATCH):
            rows = []
            for activity_id in ids[offset : offset + BATCH]:
                rows.append(
                    {
                        "activity_id": activity_id,
                        "dimension": "target_group",
                        "key": rnd.choice(groups),
                        "count": 60,
                    }
                )
                rows.append(
                    {
                        "activity_id": activity_id,
                        "dimension": "gender",
                        "key": rnd.choice(genders),
                        "count": 50,
                    }
                )
            db.session.execute(insert(ActivityBreakdown), rows)
            db.session.commit()
        attempts = fill_attempts(rnd)
        fill_seconds = time.perf_counter() - started
        # What autovacuum / a maintenance job does on a live database: fresh statistics and
        # (PostgreSQL) a visibility map so index-only scans are possible.
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        units = len(unit_ids)
        db.session.remove()
        db.engine.dispose()
    return {"fill_s": fill_seconds, "units": units, "attempts": attempts}


def fill_attempts(rnd: random.Random) -> int:
    """`N_ATTEMPTS` attempts by every participant at the 2022 contest's rounds.

    Each participant takes about the same number of attempts, at most two per official round
    (the contest's rule) and the rest in the practice round (which the figures leave out);
    start times are uniform over each round's window, so every hour of the day (and both
    sides of local midnight) is covered. About `IN_PROGRESS` of them are left in progress,
    each the last of its participant (the database allows one at a time per round).
    """
    from sqlalchemy import insert, select

    from hoctap_learn.accounts.models import User
    from hoctap_learn.contests.models import Attempt, Contest, Round
    from hoctap_learn.extensions import db

    rounds = db.session.execute(
        select(Round.id, Round.is_practice, Round.opens_at, Round.closes_at, Round.slug)
        .join(Contest, Contest.id == Round.contest_id)
        .where(Contest.slug == "cong-dan-so")
        .order_by(Round.position)
    ).all()
    week_start = datetime(2022, 10, 18, 17, 0, tzinfo=UTC)  # 00:00 on 19/10 in Vietnam
    week_end = week_start + timedelta(days=8)
    official = [r for r in rounds if not r.is_practice]
    practice = next(r for r in rounds if r.is_practice)
    windows = {
        r.id: (r.opens_at or week_start, (r.closes_at or week_end) - timedelta(minutes=20))
        for r in rounds
    }
    users = list(
        db.session.scalars(select(User.id).where(User.role == "participant").order_by(User.id))
    )
    taken: dict[tuple[int, int], int] = {}
    started_fill = time.perf_counter()
    rows: list[dict] = []
    inserted = 0

    def flush() -> None:
        nonlocal inserted, rows
        db.session.execute(insert(Attempt), rows)
        db.session.commit()
        inserted += len(rows)
        rows = []
        if inserted % 100_000 < BATCH:
            rate = inserted / (time.perf_counter() - started_fill)
            print(f"  attempts: {inserted:,} / {N_ATTEMPTS:,} ({rate:,.0f}/s)", flush=True)

    for i in range(N_ATTEMPTS):
        user_id = users[i % len(users)]
        round_ = rnd.choice(official) if rnd.random() < 0.8 else practice
        if not round_.is_practice and taken.get((round_.id, user_id), 0) >= 2:
            round_ = practice
        number = taken[(round_.id, user_id)] = taken.get((round_.id, user_id), 0) + 1
        low, high = windows[round_.id]
        started = low + timedelta(seconds=rnd.randint(0, int((high - low).total_seconds())))
        duration = rnd.randint(60, 1200)
        # Only a participant's last attempt can still be in progress.
        last = i >= N_ATTEMPTS - len(users)
        finished = not last or rnd.random() >= IN_PROGRESS * N_ATTEMPTS / len(users)
        rows.append(
            {
                "round_id": round_.id,
                "user_id": user_id,
                "number": number,
                "status": "finished" if finished else "in_progress",
                "finished_by": "participant" if finished else None,
                "started_at": started,
                "deadline_at": started + timedelta(minutes=20),
                "submitted_at": started + timedelta(seconds=duration) if finished else None,
                "last_saved_at": started + timedelta(seconds=duration),
                "score": float(rnd.randint(0, 20)) if finished else None,
                "max_score": 20.0,
                "duration_ms": duration * 1000 if finished else None,
            }
        )
        if len(rows) == BATCH:
            flush()
    if rows:
        flush()
    return inserted


def measure(url: str, instance: Path) -> dict:
    from hoctap_learn.contests import tallies
    from hoctap_learn.extensions import db
    from hoctap_learn.reports.assembly import totals
    from hoctap_learn.reports.dashboard import dashboard_context
    from hoctap_learn.reports.services import build_filters
    from hoctap_learn.reports.tables import build_table, build_tables, table_builders
    from hoctap_learn.reports.writers import write_xlsx

    app = _app(url, instance)
    results = {}
    with app.app_context():
        started = time.perf_counter()
        results["queued"] = tallies.fold()
        db.session.commit()
        results["count queue"] = time.perf_counter() - started
        filters = build_filters(None, "2022")

        def timed(name, func, repeat=REPEAT):
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                value = func()
                times.append(time.perf_counter() - t)
            results[name] = statistics.median(times)
            return value

        total = timed("totals (dashboard main query)", lambda: totals(filters))
        results["check"] = total
        timed("per-unit table", lambda: build_table(filters, "unit"))
        timed("whole dashboard (all tables)", lambda: dashboard_context(filters))
        counted = timed("whole dashboard, counted", lambda: counted_dashboard(filters), repeat=3)
        kept = dashboard_context(filters)
        results["same"] = _tables_of(kept) == _tables_of(counted)
        out = instance / "all.xlsx"

        def export():
            tables = build_tables(filters, list(table_builders()))
            write_xlsx(tables, out)

        timed("full xlsx export (all tables)", export)

        def rebuild():
            from hoctap_learn.reports.tallies import KEPT

            for kept in KEPT.values():
                kept.rebuild(filters.campaign)
            db.session.commit()

        # What `hoctap report tallies --rebuild` costs at this size (the triggers keep the
        # counts; a rebuild is for a campaign marked stale or a doubt).
        timed("rebuild tallies", rebuild, repeat=1)
        tracemalloc.start()  # a separate run: tracing slows Python down several times
        export()
        results["xlsx_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return results


def counted_dashboard(filters):
    """The baseline: the dashboard with every kept figure counted from its rows (as before
    the tallies), in the same run, on the same data."""
    from dataclasses import replace

    from hoctap_learn.reports import figures
    from hoctap_learn.reports.dashboard import dashboard_context
    from hoctap_learn.reports.tallies import KEPT

    swap = {kept.query: kept.counted for kept in KEPT.values()}
    saved = dict(figures.FIGURES)
    figures.FIGURES.update({
        key: replace(f, query=swap[f.query], combine_when=None)
        for key, f in saved.items() if f.query in swap
    })  # fmt: skip
    try:
        return dashboard_context(type(filters)(campaign=filters.campaign))
    finally:
        figures.FIGURES.clear()
        figures.FIGURES.update(saved)


def _tables_of(context) -> list:
    tables = [context["unit_table"], *context["tables"].values()]
    return [(t.name, t.rows, t.total) for t in tables]


def writer_memory() -> list[tuple[int, float, float]]:
    """The XLSX writer alone with streamed rows: peak memory must not grow with rows."""
    from hoctap_learn.reports.assembly import Column, Table
    from hoctap_learn.reports.writers import write_xlsx

    def table(n):
        rows = ((f"dòng {i}", i) for i in range(n))
        return Table("rows", "rows", [Column("a", "A", "text"), Column("b", "B")], rows)

    rows_out = []
    for n in (10_000, 50_000, 200_000):
        with tempfile.TemporaryDirectory() as folder:
            t = time.perf_counter()
            write_xlsx([table(n)], Path(folder) / "x.xlsx")
            elapsed = time.perf_counter() - t
            tracemalloc.start()  # a separate run: tracing slows Python down several times
            write_xlsx([table(n)], Path(folder) / "y.xlsx")
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        rows_out.append((n, elapsed, peak))
    return rows_out


def main() -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    report = [
        "# Report benchmark",
        "",
        f"{N_USERS:,} registered participants making {N_ATTEMPTS:,} attempts at the 2022 "
        f"contest's rounds ({IN_PROGRESS:.0%} left in progress, a fifth in the practice round), "
        f"{N_ACTIVITIES:,} activities ({2 * N_ACTIVITIES:,} breakdown rows), over the unit "
        f"tree of content/units.yaml plus {SCHOOLS_PER_DISTRICT} schools per unit. Times are "
        f"medians of {REPEAT} runs; memory is Python's peak (tracemalloc, measured in a "
        "separate run). Statistics refreshed after the fill (ANALYZE / VACUUM ANALYZE). "
        f"Machine: {os.cpu_count()} shared cores, other work running; the load average "
        "(1 min) is read before and after each database's measurements.",
        "",
        "| database | units | fill (s) | totals (s) | per-unit table (s) | whole dashboard (s) "
        "| same dashboard counted (s) | same tables | xlsx export (s) | xlsx peak MiB "
        "| rebuild tallies (s) | count queue (s) | load before / after |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    folder = Path(tempfile.mkdtemp(prefix="report-bench-"))
    cluster = None
    try:
        targets = [("SQLite", f"sqlite:///{folder / 'bench.db'}")]
        pg_url = os.environ.get("HOCTAP_BENCH_POSTGRES_URL")
        if not pg_url:
            from pgcluster import PostgresCluster, find_bindir

            bindir = find_bindir()
            if bindir is not None:
                cluster = PostgresCluster(bindir)
                pg_url = cluster.start()
        if pg_url:
            targets.append(("PostgreSQL", pg_url))
        for name, url in targets:
            instance = folder / name
            instance.mkdir()
            print(f"{name}: filling…", flush=True)
            filled = fill(url, instance)
            print(f"{name}: measuring…", flush=True)
            load_before = os.getloadavg()[0]
            r = measure(url, instance)
            load_after = os.getloadavg()[0]
            print(name, filled, r, flush=True)
            report.append(
                f"| {name} | {filled['units']} | {filled['fill_s']:.1f} "
                f"| {r['totals (dashboard main query)']:.3f} | {r['per-unit table']:.3f} "
                f"| {r['whole dashboard (all tables)']:.3f} "
                f"| {r['whole dashboard, counted']:.3f} | {'yes' if r['same'] else 'NO'} "
                f"| {r['full xlsx export (all tables)']:.3f} | {r['xlsx_peak_mb']:.1f} "
                f"| {r['rebuild tallies']:.1f} "
                f"| {r['count queue']:.1f} ({r['queued']:,} attempts) "
                f"| {load_before:.2f} / {load_after:.2f} |"
            )
        report += [
            "",
            "## The XLSX writer alone, rows streamed from a generator",
            "",
            "| rows | seconds | peak MiB |",
            "| --- | --- | --- |",
        ]
        for n, elapsed, peak in writer_memory():
            report.append(f"| {n:,} | {elapsed:.2f} | {peak:.1f} |")
        report += [
            "",
            "Target: dashboard queries ≤ 1 s at this size on SQLite; export memory independent "
            "of row count (openpyxl write-only mode).",
            "",
            NOTES,
        ]
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
    out = ROOT / "bench" / "results" / "report.md"
    out.write_text("\n".join(report) + "\n", encoding="utf-8")
    print(out.read_text())


if __name__ == "__main__":
    main()
