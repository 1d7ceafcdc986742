"""Units (đơn vị) and campaigns (Tuần lễ): the data every other feature hangs off."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime, sql_in, utcnow
from ..extensions import db

#: Kinds of unit and how they are named on pages. New kinds are a one-line change here.
UNIT_KINDS = {
    "province": "Tỉnh/Thành phố",
    "district": "Cấp huyện",
    "commune": "Cấp xã",
    "department": "Sở, ban, ngành",
    "association": "Hội, đoàn thể",
    "media": "Cơ quan báo chí",
    "school": "Trường học",
    "centre": "Trung tâm",
    "library": "Thư viện",
    "other": "Khác",
}


class Unit(db.Model):
    """A node of the administrative tree: province, district, department, school…"""

    __tablename__ = "units"
    __table_args__ = (
        CheckConstraint(sql_in("kind", UNIT_KINDS), "kind"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", "not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Natural key used by content files, the CLI and URLs, e.g. ``brvt``, ``brvt-vungtau``.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    #: Full official name, e.g. "Thành phố Vũng Tàu".
    name: Mapped[str] = mapped_column(String(255))
    #: Short name for tables and charts, e.g. "TP Vũng Tàu".
    short_name: Mapped[str | None] = mapped_column(String(100))
    #: One of `UNIT_KINDS`.
    kind: Mapped[str] = mapped_column(String(20))
    #: The unit above this one; NULL only for the root (the province).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    #: Display order among siblings.
    position: Mapped[int] = mapped_column(default=0)
    #: Inactive units stay for old reports but are not offered in forms.
    active: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(
        back_populates="parent", order_by="(Unit.position, Unit.name)"
    )

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def kind_label(self) -> str:
        return UNIT_KINDS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<Unit {self.code}>"


class Campaign(db.Model):
    """One year's Lifelong Learning Week (Tuần lễ hưởng ứng học tập suốt đời)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", "dates_ordered"),
        CheckConstraint("report_deadline >= start_date", "deadline_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Natural key, usually the year: ``2022``.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    year: Mapped[int]
    #: e.g. "Tuần lễ hưởng ứng học tập suốt đời năm 2022".
    title: Mapped[str] = mapped_column(String(255))
    #: The year's theme (chủ đề).
    theme: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date]
    end_date: Mapped[date]
    #: Units send their MẪU BC report before this date.
    report_deadline: Mapped[date]
    #: The plan this campaign comes from, e.g. "Kế hoạch số 19H/KH-UBND ngày 18/10/2022".
    plan_reference: Mapped[str] = mapped_column(String(255), default="")
    #: The unit that runs the campaign (the province).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    #: Opening ceremony: when, where, who hosts it.
    opening_at: Mapped[str] = mapped_column(String(100), default="")
    opening_place: Mapped[str] = mapped_column(String(500), default="")
    opening_host: Mapped[str] = mapped_column(String(255), default="")
    #: A closing line printed after the programme (e.g. the talk that follows).
    programme_note: Mapped[str] = mapped_column(Text, default="")
    #: Exactly one campaign is current; the home page shows it.
    is_current: Mapped[bool] = mapped_column(default=False)

    unit: Mapped[Unit | None] = relationship()
    programme: Mapped[list[ProgrammeItem]] = relationship(
        back_populates="campaign",
        order_by="ProgrammeItem.position",
        cascade="all, delete-orphan",
    )


class ProgrammeItem(db.Model):
    """A line of the opening-ceremony programme (kịch bản lễ khai mạc)."""

    __tablename__ = "programme_items"
    __table_args__ = (UniqueConstraint("campaign_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    #: Order in the programme, 1-based (the "Số TT" column).
    position: Mapped[int]
    #: e.g. "7h30-8h00".
    time_slot: Mapped[str] = mapped_column(String(50))
    #: What happens ("Nội dung").
    item: Mapped[str] = mapped_column(String(500))
    #: Who performs it ("Người thực hiện"); may be empty.
    performer: Mapped[str] = mapped_column(String(500), default="")

    campaign: Mapped[Campaign] = relationship(back_populates="programme")
