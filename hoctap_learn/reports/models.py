"""Report tallies: counts kept by database triggers (reports/tallies.py)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ReportTally(db.Model):
    """One cell of a tally: e.g. (registered, 0, gender, unit 12, "nu") → people.

    `source` is what is counted (``registered`` people: v1 = people; ``activities``: v1 =
    activities, v2 = their participants), `scope_id` the campaign (0 when the source has
    none), `dim` and `cell` the dimension and its value ('' for the unit alone or an
    unknown value). No foreign keys: the triggers keep the rows, and a cell of a deleted
    unit is simply 0.
    """

    __tablename__ = "report_tallies"

    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    scope_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    dim: Mapped[str] = mapped_column(String(20), primary_key=True)
    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cell: Mapped[str] = mapped_column(String(40), primary_key=True)
    v1: Mapped[int] = mapped_column(BigInteger)
    v2: Mapped[int] = mapped_column(BigInteger)
