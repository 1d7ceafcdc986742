"""User accounts: participants, organizers of a unit, administrators."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime, sql_in, utcnow
from ..extensions import db
from ..units.models import Unit

ROLES = {
    "participant": "Thí sinh / người dùng",
    "organizer": "Ban tổ chức đơn vị",
    "admin": "Quản trị hệ thống",
}

TARGET_GROUPS = {
    "hoc_sinh": "Học sinh",
    "sinh_vien": "Sinh viên",
    "giao_vien": "Giáo viên",
    "can_bo": "Cán bộ, công chức, viên chức",
    "nguoi_lao_dong": "Người lao động",
    "nguoi_dan": "Người dân",
}

GENDERS = {"nam": "Nam", "nu": "Nữ", "khac": "Khác"}


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(sql_in("role", ROLES), "role"),
        CheckConstraint(
            f"target_group IS NULL OR {sql_in('target_group', TARGET_GROUPS)}", "group"
        ),
        CheckConstraint(f"gender IS NULL OR {sql_in('gender', GENDERS)}", "gender"),
        CheckConstraint("role <> 'organizer' OR unit_id IS NOT NULL", "organizer_has_unit"),
        CheckConstraint("birth_year IS NULL OR birth_year BETWEEN 1900 AND 2100", "birth_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name; stored lower-cased so lookups are exact.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    #: Argon2id hash (see accounts.passwords).
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(120))
    birth_year: Mapped[int | None]
    #: One of `GENDERS`, or NULL when the person prefers not to say.
    gender: Mapped[str | None] = mapped_column(String(10))
    #: Where the person lives, studies or works; reports roll up along the unit tree.
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="RESTRICT"), index=True
    )
    #: School or workplace, free text.
    workplace: Mapped[str | None] = mapped_column(String(255))
    #: One of `TARGET_GROUPS` (đối tượng).
    target_group: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    #: One of `ROLES`; an organizer manages `unit` and the units below it.
    role: Mapped[str] = mapped_column(String(20), default="participant")
    #: Disabled accounts cannot log in; their records stay for reports.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Bumped on password change so other sessions of the same account end.
    session_version: Mapped[int] = mapped_column(default=1)

    unit: Mapped[Unit | None] = relationship()

    # Flask-Login: the session stores id and version, so a password change logs out
    # every other browser.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_organizer(self) -> bool:
        return self.role == "organizer"

    @property
    def is_staff(self) -> bool:
        return self.role in ("organizer", "admin")

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def target_group_label(self) -> str:
        return TARGET_GROUPS.get(self.target_group or "", "")

    @property
    def gender_label(self) -> str:
        return GENDERS.get(self.gender or "", "")

    @property
    def profile_complete(self) -> bool:
        """What contests require before entry."""
        return bool(self.full_name and self.birth_year and self.unit_id and self.target_group)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
