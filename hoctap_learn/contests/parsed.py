"""What the question-file parsers produce: plain values, no database."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


@dataclass
class ParsedQuestion:
    """A question read from a file, ready to be stored in the bank."""

    type: str
    text: str
    #: First line of the question in its file (1-based).
    line: int
    title: str = ""
    category: str | None = None
    options: list[dict] = field(default_factory=list)
    answer: dict | list | None = None
    general_feedback: str = ""
    points: float = 1.0

    @property
    def key(self) -> str:
        """Natural key in the bank: the title, else a digest of type and text."""
        if self.title:
            return self.title[:255]
        digest = hashlib.sha1(f"{self.type}\n{self.text}".encode()).hexdigest()
        return f"sha1:{digest}"


@dataclass
class ParseError:
    line: int
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "message": self.message}


@dataclass
class ParseResult:
    questions: list[ParsedQuestion] = field(default_factory=list)
    errors: list[ParseError] = field(default_factory=list)
