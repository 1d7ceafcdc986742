"""Demo week data: loaded by `content load`, idempotent, skipped by `--no-demo`."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from hoctap_learn.activities.models import Activity, ChangeLog, Funding, ReportSubmission
from hoctap_learn.reports import assembly
from hoctap_learn.reports.services import build_filters


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_demo_week_loads_once_and_fills_the_dashboard(runner, db):
    first = runner.invoke(args=["content", "load", "--json"])
    assert first.exit_code == 0, first.output
    counts = json.loads(first.stdout)["counts"]
    assert counts["demo_activities"]["created"] > 5 and counts["demo_funding"]["created"] >= 3
    second = runner.invoke(args=["content", "load", "--json"])
    again = json.loads(second.stdout)["counts"]
    for kind in ("demo_activities", "demo_funding", "demo_reports", "demo_people"):
        assert again[kind]["created"] == 0 and again[kind]["updated"] == 0, kind
    assert all("(demo)" in t for t in db.session.scalars(select(Activity.title)))
    totals = assembly.totals(build_filters(None, "2022"))
    assert totals["activities"] > 5 and totals["activity_participants"] > 1000
    assert totals["registered_people"] > 10 and totals["funding_total"] > 0
    assert _count(db, ChangeLog) == 0  # loading content is not somebody's edit


def test_no_demo_skips_week_demo(runner, db):
    result = runner.invoke(args=["content", "load", "--no-demo", "--json"])
    assert result.exit_code == 0
    assert "demo_activities" not in json.loads(result.stdout)["counts"]
    for model in (Activity, Funding, ReportSubmission):
        assert _count(db, model) == 0
