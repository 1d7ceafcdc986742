"""The periodic jobs, through `hoctap worker --once`: finalizing expired attempts (what
`hoctap contest finalize` does) and this node's search index catching up."""

from __future__ import annotations

import json
import random

from sqlalchemy import select

from hoctap_learn.contests import attempts
from hoctap_learn.contests.models import Attempt
from hoctap_learn.harvest import services
from hoctap_learn.harvest.runner import run_source

from ..contests.helpers import T0, make_contest, participant


def test_worker_finalizes_attempts_past_their_deadline(db, runner):
    _, round_ = make_contest()  # a 2022 round: its deadlines are long past
    for _ in range(3):
        attempts.start_attempt(participant(), round_.id, T0, rng=random.Random(1))
        db.session.commit()
    result = runner.invoke(args=["worker", "--once", "--json"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalars(select(Attempt.finished_by)).all() == ["deadline"] * 3
    again = runner.invoke(args=["contest", "finalize", "--json"])
    assert json.loads(again.stdout)["finalized"] == 0 and json.loads(again.stdout)["counted"] == 0


def test_worker_applies_pending_catalog_changes_to_the_index(db, runner, oai_server):
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0
    source = services.add_source(
        None, services.SourceInput(name="Kho trường", kind="oai-pmh", url=oai_server.url)
    )
    db.session.commit()
    run_source(source)  # 30 new resources, committed outside any request
    first = json.loads(runner.invoke(args=["worker", "--once", "--json"]).stdout)
    assert first["search_applied"] == 30 and first["queue"] == "sqlite"
    second = json.loads(runner.invoke(args=["worker", "--once", "--json"]).stdout)
    assert second["search_applied"] == 0
    report = json.loads(runner.invoke(args=["search", "check", "--json"]).stdout)
    assert report["ok"] and report["indexed"] == 30
