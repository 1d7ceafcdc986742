"""Contest participation tallies: people and attempts counted as attempts end.

The report figures must answer "how many people, how many attempts" per unit for a campaign
of a million attempts in well under a second; counting the attempts at read time cannot
(see bench/results/report.md). These tables hold the counts, kept by database triggers
(hoctap_learn/contests/tally_triggers.py) in the same transaction as the change of an attempt or
a profile, so every path that ends, moves or deletes an attempt keeps them right (an
attempt that ends is queued there and counted by the next reader).

- `TallyLedger`: per participant and campaign, how many of their finished attempts at the
  official rounds fall in the campaign (dim ``campaign``), each round (``round``) and each
  local day (``day``), and the unit and cell they are counted in. A person's first attempt
  in an item makes them one of its people.
- `Tally`: per campaign, unit, dim and cell: people and attempts. Cells of ``campaign`` are
  ``target_group|gender|age_band`` (empty when unknown), of ``round`` the round id, of
  ``day`` the local day (YYYY-MM-DD).
- `TallyPending`: attempts that ended since the tallies were last read. The triggers queue
  them; the next reader counts them in (tallies.fold), so the request that ends an attempt
  writes one row instead of a dozen shared counters.
- `TallyStale`: campaigns whose tallies must be rebuilt before they are read (a round made
  practice, a contest moved to another campaign, a campaign's year changed).

No foreign keys: rows must outlive the user or round whose deletion removes them, since the
attempts' delete triggers read the ledger to take their counts back.
"""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db


class TallyLedger(db.Model):
    __tablename__ = "contest_tally_ledger"

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    dim: Mapped[str] = mapped_column(String(20), primary_key=True)
    item: Mapped[str] = mapped_column(String(20), primary_key=True)
    #: The unit the participant is counted for (0: none in their profile).
    unit_id: Mapped[int]
    cell: Mapped[str] = mapped_column(String(60))
    attempts: Mapped[int]

    __table_args__ = (Index("ix_contest_tally_ledger_campaign", "campaign_id"),)


class Tally(db.Model):
    __tablename__ = "contest_tallies"

    campaign_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    dim: Mapped[str] = mapped_column(String(20), primary_key=True)
    unit_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    cell: Mapped[str] = mapped_column(String(60), primary_key=True)
    people: Mapped[int]
    attempts: Mapped[int]


class TallyPending(db.Model):
    """An attempt that ended (or was added finished) and waits to be counted by the next
    reader (tallies.fold)."""

    __tablename__ = "contest_tally_pending"

    attempt_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)


class TallyStale(db.Model):
    __tablename__ = "contest_tally_stale"

    campaign_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
