"""What a participant is shown of an attempt, as plain data: the questions without their
answers, and a finished attempt with its scores (`Sheet`, built by `sheet` from rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class QuestionView:
    """A question as the participant sees it: no answers, options in the attempt's order."""

    id: int
    position: int
    type: str
    text: str
    options: list[dict]
    response: object


def shown_options(qtype: str, options: list, option_order: list) -> list[dict]:
    """Options in the order shown, with the ids responses use.

    Options drawn since migration 0015 are stored in the order shown, each with an id drawn
    at random for the attempt, which says nothing about its place in the bank. Older
    attempts keep the bank's options in bank order, shown in `option_order`, their index
    as id."""
    if qtype == "true_false":
        return [{"id": True, "text": "Đúng"}, {"id": False, "text": "Sai"}]
    if options and "id" in options[0]:
        return [{"id": o["id"], "text": o["text"]} for o in options]
    return [{"id": i, "text": options[i]["text"]} for i in option_order]


def answers_revealed(mode: str, finished: bool, closes_at: datetime | None, now: datetime) -> bool:
    """Whether a round with reveal `mode` shows the correct answers of an attempt now."""
    if not finished:
        return False
    if mode == "after_submit":
        return True
    if mode == "after_close":
        return closes_at is not None and now >= closes_at
    return False


@dataclass
class SheetQuestion:
    id: int
    position: int
    type: str
    text: str
    options: list
    answer: object
    feedback: str
    option_order: list
    response: object
    points: float | None
    max_points: float

    def view(self) -> QuestionView:
        options = shown_options(self.type, self.options, self.option_order)
        return QuestionView(self.id, self.position, self.type, self.text, options, self.response)


@dataclass
class Sheet:
    """An attempt with its round's settings and (once loaded) its questions."""

    id: int
    user_id: int
    round_id: int
    number: int
    status: str
    finished_by: str | None
    started_at: datetime
    deadline_at: datetime
    submitted_at: datetime | None
    score: float | None
    max_score: float
    duration_ms: int | None
    contest_slug: str
    round_slug: str
    reveal_answers: str
    closes_at: datetime | None
    prediction_enabled: bool
    #: The prediction this attempt carries (fixed once it has ended).
    prediction: int | None
    #: Autosaves when read: ending the attempt checks that none came in since.
    save_count: int = 0
    questions: list[SheetQuestion] | None = None

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    def answers_revealed(self, now: datetime) -> bool:
        return answers_revealed(self.reveal_answers, self.finished, self.closes_at, now)
