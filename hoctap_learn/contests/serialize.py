"""JSON shapes of the contest API (one place, so pages, API and docs agree)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from . import attempts, scoring
from .ranking import RankRow
from .shown import Sheet


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def round_dict(r, now: datetime) -> dict:
    status = "open" if r.is_open(now) else ("closed" if r.is_closed(now) else "upcoming")
    return {
        "slug": r.slug,
        "title": r.title,
        "description": r.description,
        "practice": r.is_practice,
        "opens_at": iso(r.opens_at),
        "closes_at": iso(r.closes_at),
        "status": status,
        "questions_per_attempt": r.questions_per_attempt,
        "time_limit_seconds": r.time_limit_seconds,
        "attempts_allowed": r.attempts_allowed,
        "reveal_answers": r.reveal_answers,
        "prediction": r.prediction_enabled,
    }


def contest_dict(c, now: datetime, with_rules: bool = False) -> dict:
    data = {
        "slug": c.slug,
        "title": c.title,
        "description": c.description,
        "kind": c.kind,
        "unit": c.unit.code,
        "campaign": c.campaign.slug if c.campaign else None,
        "min_age": c.min_age,
        "rounds": [round_dict(r, now) for r in c.rounds],
    }
    if with_rules:
        data["rules"] = c.rules
    return data


def attempt_dict(attempt, now: datetime) -> dict:
    """An attempt (loaded, or a `shown.Sheet`) as the API returns it: no answers."""
    if isinstance(attempt, Sheet):
        contest, round_, enabled = attempt.contest_slug, attempt.round_slug, (
            attempt.prediction_enabled)  # fmt: skip
        views = [q.view() for q in attempt.questions]
    else:
        r = attempt.round
        contest, round_, enabled = r.contest.slug, r.slug, r.prediction_enabled
        views = attempts.question_views(attempt)
    return {
        "id": attempt.id,
        "contest": contest,
        "round": round_,
        "number": attempt.number,
        "status": attempt.status,
        "started_at": iso(attempt.started_at),
        "deadline_at": iso(attempt.deadline_at),
        "server_time": iso(now),
        "seconds_left": attempts.seconds_left(attempt, now),
        "grace_seconds": int(attempts.grace().total_seconds()),
        "prediction_enabled": enabled,
        "prediction": attempt.prediction,
        "questions": [
            {
                "id": v.id,
                "position": v.position,
                "type": v.type,
                "text": v.text,
                "options": v.options,
                "answer": v.response,
            }
            for v in views
        ],
    }


def result_dict(sheet, now: datetime) -> dict:
    """A finished attempt (a `shown.Sheet` with its questions) as the API returns it.

    Until the round reveals its answers only the total is given: points per question would
    tell which answers were right, for the next attempt to keep them and fix the others."""
    revealed = sheet.answers_revealed(now)
    questions = []
    for q in sheet.questions:
        view = q.view()
        item = {
            "id": view.id,
            "position": view.position,
            "type": view.type,
            "text": view.text,
            "options": view.options,
            "answer": view.response,
            "max_points": q.max_points,
        }
        if revealed:
            item["points"] = q.points
            item["correct_answer"] = scoring.correct_answer(q.type, q.options, q.answer)
            item["feedback"] = q.feedback
        questions.append(item)
    return {
        "id": sheet.id,
        "contest": sheet.contest_slug,
        "round": sheet.round_slug,
        "status": sheet.status,
        "finished_by": sheet.finished_by,
        "score": sheet.score,
        "max_score": sheet.max_score,
        "duration_seconds": (sheet.duration_ms or 0) / 1000,
        "started_at": iso(sheet.started_at),
        "submitted_at": iso(sheet.submitted_at),
        "answers_revealed": revealed,
        "questions": questions,
    }


def rank_dict(row: RankRow) -> dict:
    return {
        "rank": row.rank,
        "name": row.name,
        "unit": row.unit,
        "score": row.score,
        "max_score": row.max_score,
        "duration_seconds": row.duration_ms / 1000,
        "submitted_at": iso(row.submitted_at),
        "prediction": row.prediction,
        "prediction_gap": row.prediction_gap,
    }


def token_lifetime_days() -> int:
    return int(current_app.config.get("HOCTAP_API_TOKEN_DAYS", 30))
