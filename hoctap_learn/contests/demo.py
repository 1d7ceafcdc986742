"""Demo attempts from content/demo/contests.yaml (skipped by `content load --no-demo`).

The attempts go through the real services (`start_attempt`, `submit_attempt`) with a
clock set inside the round, so they are scored, timed and ranked exactly as real ones.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from ..accounts.models import User
from ..core.content import ContentError, LoadReport, read_yaml, register_loader
from ..extensions import db
from . import attempts, scoring
from .models import Attempt, Contest, Round

DEMO_DOMAIN = "@demo.hoctap.vn"


def _bounds(entry: dict, key: str, default, path: Path) -> tuple:
    value = entry.get(key, default)
    if not isinstance(value, list) or len(value) != 2 or value[0] > value[1]:
        raise ContentError(f"{path.name}: “{key}” phải là [nhỏ nhất, lớn nhất].")
    return tuple(value)


def _round(entry: dict, path: Path) -> Round:
    round_ = db.session.scalar(
        select(Round)
        .join(Contest, Contest.id == Round.contest_id)
        .where(Contest.slug == str(entry.get("contest")), Round.slug == str(entry.get("round")))
    )
    if round_ is None:
        raise ContentError(
            f"{path.name}: không có vòng “{entry.get('round')}” của cuộc thi "
            f"“{entry.get('contest')}”."
        )
    if round_.opens_at is None or round_.closes_at is None:
        raise ContentError(f"{path.name}: vòng “{round_.slug}” cần có thời gian mở và đóng.")
    return round_


def _wrong(qtype: str, options: list, correct, rng: random.Random):
    ids = [scoring.option_id(o, i) for i, o in enumerate(options)]
    if qtype == "single_choice":
        return rng.choice([i for i in ids if i != correct] or [correct])
    if qtype == "multiple_choice":
        return [i for i in ids if rng.random() < 0.5 and i not in correct[:1]]
    if qtype == "true_false":
        return not correct
    if qtype == "numerical":
        return "0"
    return "không biết"


def _answers(attempt: Attempt, accuracy: float, rng: random.Random) -> dict:
    answers = {}
    for aq in attempt.questions:
        q = aq  # the question as drawn
        correct = scoring.correct_answer(q.type, q.options, q.answer)
        if q.type == "numerical":
            correct = str(correct).split(" ± ")[0]
        right = rng.random() < accuracy
        answers[str(aq.id)] = correct if right else _wrong(q.type, q.options, correct, rng)
    return answers


def _take(user: User, round_: Round, entry: dict, path: Path, rng: random.Random) -> int:
    low, high = _bounds(entry, "attempts", [1, 1], path)
    accuracy = rng.uniform(*_bounds(entry, "accuracy", [0.5, 1.0], path))
    prediction = None
    if round_.prediction_enabled and "prediction" in entry:
        prediction = rng.randint(*_bounds(entry, "prediction", [0, 0], path))
    limit = timedelta(seconds=round_.time_limit_seconds)
    window = (round_.closes_at - round_.opens_at - limit).total_seconds()
    count = min(rng.randint(low, high), round_.attempts_allowed or high)
    starts = sorted(rng.uniform(0, max(window, 0)) for _ in range(count))
    for offset in starts:
        started = round_.opens_at + timedelta(seconds=offset)
        attempt = attempts.start_attempt(user, round_.id, started, rng=rng)
        taken = timedelta(seconds=rng.uniform(0.25, 0.95) * limit.total_seconds())
        attempts.submit_attempt(user, attempt.id, started + taken,
                                answers=_answers(attempt, accuracy, rng),
                                prediction=prediction)  # fmt: skip
        db.session.expire_all()  # the submit changed rows behind the ORM's back
    return count


@register_loader("demo-contests", order=96, demo=True)
def load_demo_contests(content_dir: Path, report: LoadReport) -> None:
    path = content_dir / "demo" / "contests.yaml"
    if not path.exists():
        return
    people = db.session.scalars(
        select(User).where(User.email.like(f"%{DEMO_DOMAIN}")).order_by(User.email)
    ).all()
    people = [u for u in people if u.profile_complete and u.role == "participant"]
    counts = report.for_kind("demo_attempts")
    for entry in read_yaml(path) or []:
        round_ = _round(entry, path)
        for user in people:
            taken = db.session.scalar(
                select(func.count(Attempt.id)).where(
                    Attempt.round_id == round_.id, Attempt.user_id == user.id
                )
            )
            if taken:
                counts.unchanged += taken
                continue
            rng = random.Random(f"{user.email}/{round_.contest_id}/{round_.slug}")
            counts.created += _take(user, round_, entry, path, rng)
    db.session.flush()
