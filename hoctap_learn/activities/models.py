"""Week activities (hoạt động), funding (kinh phí), the unit's MẪU BC narrative and a changelog."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import GENDERS, TARGET_GROUPS, User
from ..core.types import UTCDateTime, utcnow
from ..core.types import sql_in as _in
from ..extensions import db
from ..units.models import Campaign, Unit

#: Kinds of activity the plan lists (§II.3.1–3.6, §IV), with their Vietnamese names.
ACTIVITY_KINDS = {
    "banners": "Treo băng rôn, khẩu hiệu",
    "opening": "Lễ khai mạc, phát động Tuần lễ",
    "media": (
        "Thông tin, tuyên truyền (báo chí, phát thanh, truyền hình, cổng thông tin, mạng xã hội)"
    ),
    "classes": "Lớp học, tập huấn trực tuyến hoặc kết hợp",
    "culture": "Hoạt động của thư viện, bảo tàng, nhà văn hóa",
    "resources": "Công bố, giới thiệu học liệu mở",
    "forums": "Diễn đàn, câu lạc bộ, giao lưu",
    "contests": "Cuộc thi",
    "models": (
        "Tuyên dương mô hình học tập (Gia đình học tập, Dòng họ học tập, Cộng đồng học tập, "
        "Đơn vị học tập, Công dân học tập)"
    ),
    "other": "Hoạt động khác",
}

#: How an activity was held.
MODES = {"truc_tiep": "Trực tiếp", "truc_tuyen": "Trực tuyến", "ket_hop": "Kết hợp"}

#: Dimensions of the optional participants breakdown and their allowed keys.
BREAKDOWN_DIMENSIONS = {"target_group": TARGET_GROUPS, "gender": GENDERS}


class Activity(db.Model):
    """Something a unit organised for the Week: a ceremony, a class, a contest, banners…"""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(_in("kind", ACTIVITY_KINDS), "kind"),
        CheckConstraint(_in("mode", MODES), "mode"),
        CheckConstraint("end_date >= start_date", "dates_ordered"),
        CheckConstraint("participants >= 0", "participants_not_negative"),
        # Covering index for the report figures (group by unit, day, kind without the table).
        Index(
            "ix_activities_report", "campaign_id", "unit_id", "start_date", "kind", "participants"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The unit that organised it; figures roll up the unit tree from here.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    #: The Week it belongs to.
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True
    )
    #: Short title, e.g. "Lễ khai mạc Tuần lễ cấp huyện".
    title: Mapped[str] = mapped_column(String(255))
    #: One of `ACTIVITY_KINDS`.
    kind: Mapped[str] = mapped_column(String(20))
    #: One of `MODES`.
    mode: Mapped[str] = mapped_column(String(20), default="truc_tiep")
    #: First and last day (local dates); equal for a one-day event.
    start_date: Mapped[date]
    end_date: Mapped[date]
    #: Where it took place (or the platform, when online).
    place: Mapped[str] = mapped_column(String(255), default="")
    #: Participants reported by the unit: attendances (lượt), not distinct people.
    participants: Mapped[int] = mapped_column(default=0)
    #: Links to photos, articles, recordings: one URL per line.
    links: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship()
    campaign: Mapped[Campaign] = relationship()
    breakdown: Mapped[list[ActivityBreakdown]] = relationship(
        back_populates="activity", cascade="all, delete-orphan", order_by="ActivityBreakdown.id"
    )
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    @property
    def kind_label(self) -> str:
        return ACTIVITY_KINDS.get(self.kind, self.kind)

    @property
    def mode_label(self) -> str:
        return MODES.get(self.mode, self.mode)

    def breakdown_dict(self) -> dict[str, dict[str, int]]:
        result: dict[str, dict[str, int]] = {d: {} for d in BREAKDOWN_DIMENSIONS}
        for row in self.breakdown:
            result.setdefault(row.dimension, {})[row.key] = row.count
        return result


class ActivityBreakdown(db.Model):
    """Part of an activity's participants by target group or by gender (optional)."""

    __tablename__ = "activity_breakdown"
    __table_args__ = (
        UniqueConstraint("activity_id", "dimension", "key"),
        CheckConstraint(_in("dimension", BREAKDOWN_DIMENSIONS), "dimension"),
        CheckConstraint("count >= 0", "count_not_negative"),
        # Covers the report's join; also serves lookups by activity.
        Index("ix_activity_breakdown_report", "activity_id", "dimension", "key", "count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    #: ``target_group`` or ``gender``.
    dimension: Mapped[str] = mapped_column(String(20))
    #: A key of `TARGET_GROUPS` or `GENDERS`.
    key: Mapped[str] = mapped_column(String(20))
    #: Participants (lượt) of that group; the groups of one dimension sum to at most the total.
    count: Mapped[int]

    activity: Mapped[Activity] = relationship(back_populates="breakdown")


class Funding(db.Model):
    """What a unit spent on the Week, split as the MẪU BC form asks (section I.5)."""

    __tablename__ = "funding"
    __table_args__ = (
        UniqueConstraint("unit_id", "campaign_id"),
        CheckConstraint("state_budget >= 0", "state_budget_not_negative"),
        CheckConstraint("sponsorship >= 0", "sponsorship_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    #: Ngân sách nhà nước, in VND (whole đồng).
    state_budget: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Hỗ trợ, vận động từ doanh nghiệp và các nguồn hợp pháp khác, in VND.
    sponsorship: Mapped[int] = mapped_column(BigInteger, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship()
    updated_by: Mapped[User | None] = relationship()

    @property
    def total(self) -> int:
        return (self.state_budget or 0) + (self.sponsorship or 0)


#: Narrative parts of MẪU BC typed by the organizer, with the section they fill.
NARRATIVE_FIELDS = {
    "direction": "I.1. Công tác chỉ đạo, ban hành kế hoạch triển khai, kiểm tra, đôn đốc thực hiện",
    "opening": "I.2. Lễ phát động Tuần lễ",
    "activities_text": "I.3. Nội dung các hoạt động đã triển khai trong Tuần lễ",
    "results_text": "I.4. Kết quả các hoạt động (ghi thêm ngoài số liệu tự động)",
    "achievements": "II.1. Những kết quả đã đạt được; bài học kinh nghiệm",
    "difficulties": "II.2. Khó khăn, tồn tại",
    "proposals": "II.3. Kiến nghị, đề xuất",
}


class ReportSubmission(db.Model):
    """A unit's MẪU BC report for a campaign: narratives, heading details and whether it is sent."""

    __tablename__ = "report_submissions"
    __table_args__ = (
        UniqueConstraint("unit_id", "campaign_id"),
        CheckConstraint("NOT submitted OR submitted_at IS NOT NULL", "submitted_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    #: The document number after "Số:", e.g. "125/BC-PGDĐT"; blank leaves dots to fill in.
    number: Mapped[str] = mapped_column(String(50), default="")
    #: The place in the date line, e.g. "Vũng Tàu".
    place: Mapped[str] = mapped_column(String(100), default="")
    #: Who signs for the unit (under "THỦ TRƯỞNG ĐƠN VỊ").
    signer: Mapped[str] = mapped_column(String(120), default="")
    #: I.1 Công tác chỉ đạo …
    direction: Mapped[str] = mapped_column(Text, default="")
    #: I.2 Lễ phát động Tuần lễ.
    opening: Mapped[str] = mapped_column(Text, default="")
    #: I.3 narrative, printed before the table of activities by kind.
    activities_text: Mapped[str] = mapped_column(Text, default="")
    #: I.4 narrative, printed after the figures.
    results_text: Mapped[str] = mapped_column(Text, default="")
    #: II.1 Những kết quả đã đạt được; bài học kinh nghiệm.
    achievements: Mapped[str] = mapped_column(Text, default="")
    #: II.2 Khó khăn, tồn tại.
    difficulties: Mapped[str] = mapped_column(Text, default="")
    #: II.3 Kiến nghị, đề xuất.
    proposals: Mapped[str] = mapped_column(Text, default="")
    #: The unit has sent its report (đã gửi báo cáo).
    submitted: Mapped[bool] = mapped_column(default=False)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship()
    campaign: Mapped[Campaign] = relationship()


#: The report figures group participants by unit, target group, gender, birth year and day;
#: this covering index lets both engines answer from the index alone (see bench/report_bench.py).
#: It lives here, with the feature that needs it, rather than in accounts.
users_report_index = Index(
    "ix_users_report",
    User.role,
    User.unit_id,
    User.target_group,
    User.gender,
    User.birth_year,
    User.created_at,
)


class ChangeLog(db.Model):
    """Who changed what and when, for activities, funding and reports (append-only)."""

    __tablename__ = "week_changelog"
    __table_args__ = (
        CheckConstraint(_in("entity", ("activity", "funding", "report")), "entity"),
        CheckConstraint(
            _in("action", ("create", "update", "delete", "submit", "reopen")), "action"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who made the change; NULL for content loading or a deleted account.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: ``activity``, ``funding`` or ``report``.
    entity: Mapped[str] = mapped_column(String(20))
    #: The changed row's id (kept after a delete).
    entity_id: Mapped[int]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"))
    #: ``create``, ``update``, ``delete``, ``submit`` or ``reopen``.
    action: Mapped[str] = mapped_column(String(10))
    #: Changed fields as ``{"field": [old, new]}``.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()
