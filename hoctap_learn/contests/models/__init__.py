"""Contest models: one module per aggregate."""

from .attempt import Attempt, AttemptQuestion, Prediction
from .contest import Contest, Round, RoundCategory
from .question import Question, QuestionCategory
from .token import ApiToken

__all__ = [
    "ApiToken",
    "Attempt",
    "AttemptQuestion",
    "Contest",
    "Prediction",
    "Question",
    "QuestionCategory",
    "Round",
    "RoundCategory",
]
