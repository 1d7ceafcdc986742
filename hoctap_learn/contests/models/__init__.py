"""Contest models: one module per aggregate."""

from .attempt import Attempt, AttemptQuestion
from .certificate import Certificate
from .contest import Contest, Round, RoundCategory
from .entry import Criterion, Entry, EntryScore
from .question import Question, QuestionCategory
from .tally import Tally, TallyLedger, TallyPending, TallyStale
from .token import ApiToken

__all__ = [
    "ApiToken",
    "Attempt",
    "AttemptQuestion",
    "Certificate",
    "Criterion",
    "Entry",
    "EntryScore",
    "Contest",
    "Question",
    "QuestionCategory",
    "Round",
    "RoundCategory",
    "Tally",
    "TallyLedger",
    "TallyPending",
    "TallyStale",
]
