"""Abbreviations the search expands both ways (CNTT ⇄ công nghệ thông tin)."""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class SearchAbbreviation(db.Model):
    """One abbreviation and the phrases it stands for, from content/search/abbreviations.yaml
    (`hoctap content load`). Read by every search, so a change reaches every node's next
    search through the shared database, with no index rebuild."""

    __tablename__ = "search_abbreviations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: As written in the file ("CNTT", "GDĐT", "AI").
    abbreviation: Mapped[str] = mapped_column(String(20), unique=True)
    #: The phrases it stands for, one a line ("công nghệ thông tin").
    expansions: Mapped[str] = mapped_column(Text)
    #: Expanded only when typed in exactly this case ("AI", not the word "ai").
    case_sensitive: Mapped[bool] = mapped_column(default=False)
