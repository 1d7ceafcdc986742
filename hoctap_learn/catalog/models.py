"""The catalog: open learning resources, their providers and usage counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.types import UTCDateTime, sql_in, utcnow
from ..extensions import db
from .vocab import LICENSES, PROVIDER_KINDS, TYPES


class Provider(db.Model):
    """Who publishes resources: a university, a library, a publisher…"""

    __tablename__ = "providers"
    __table_args__ = (CheckConstraint(sql_in("kind", PROVIDER_KINDS), "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL key derived from the name, e.g. ``mit-opencourseware``.
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    #: The name as sources spell it; natural key when importing.
    name: Mapped[str] = mapped_column(String(255), unique=True)
    #: One of `PROVIDER_KINDS`.
    kind: Mapped[str] = mapped_column(String(20), default="other")
    #: Home page of the provider.
    url: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")


class Resource(db.Model):
    """An open learning resource (Dublin Core plus learning fields)."""

    __tablename__ = "resources"
    __table_args__ = (
        CheckConstraint(sql_in("type", TYPES), "type"),
        CheckConstraint(sql_in("license", LICENSES), "license"),
        CheckConstraint("status IN ('active', 'withdrawn')", "status"),
        CheckConstraint("year IS NULL OR year BETWEEN 1000 AND 2200", "year"),
        Index("ix_resources_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stable identifier from the source (natural key), e.g. ``openstax:college-physics-2e``.
    identifier: Mapped[str] = mapped_column(String(255), unique=True)
    #: Title, NFC-normalised, plain text.
    title: Mapped[str] = mapped_column(String(1000))
    #: Description as safe plain text (harvested HTML is reduced to text).
    description: Mapped[str] = mapped_column(Text, default="")
    #: Authors (dc:creator), in source order.
    creators: Mapped[list] = mapped_column(JSON, default=list)
    #: Contributors (dc:contributor).
    contributors: Mapped[list] = mapped_column(JSON, default=list)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("providers.id", ondelete="RESTRICT"), index=True
    )
    #: Controlled type, one of `TYPES`.
    type: Mapped[str] = mapped_column(String(20), default="khac")
    #: The source's own type value, kept verbatim.
    source_type: Mapped[str | None] = mapped_column(String(255))
    #: Media type or format, e.g. ``application/pdf``, ``video``.
    format: Mapped[str | None] = mapped_column(String(100))
    #: ISO 639-1 code.
    language: Mapped[str | None] = mapped_column(String(8), index=True)
    #: One of `LEVELS` (trình độ), or NULL.
    level: Mapped[str | None] = mapped_column(String(20))
    #: Intended audience, free text.
    audience: Mapped[str | None] = mapped_column(String(255))
    #: Normalised licence code, one of `LICENSES`.
    license: Mapped[str] = mapped_column(String(30), default="unknown")
    #: The rights statement as the source wrote it.
    rights: Mapped[str | None] = mapped_column(String(1000))
    #: Where the resource lives at its provider.
    url: Mapped[str] = mapped_column(String(2000), index=True)
    #: Year of publication.
    year: Mapped[int | None]
    #: How the record entered: ``content``, ``import``, ``harvest:<source>``…
    source: Mapped[str] = mapped_column(String(100), default="import")
    #: Withdrawn resources are hidden from search and browsing but kept.
    status: Mapped[str] = mapped_column(String(10), default="active")
    #: Detail page views and click-throughs to the provider (totals; per day in ResourceDailyStat).
    view_count: Mapped[int] = mapped_column(default=0)
    click_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    provider: Mapped[Provider | None] = relationship()
    subject_rows: Mapped[list[ResourceSubject]] = relationship(
        cascade="all, delete-orphan", order_by="ResourceSubject.position"
    )

    @property
    def subjects(self) -> list[str]:
        return [row.subject for row in self.subject_rows]

    def set_subjects(self, subjects: list[str]) -> bool:
        """Replace the subjects; return whether they changed."""
        if self.subjects == subjects:
            return False
        self.subject_rows = [ResourceSubject(subject=s, position=i) for i, s in enumerate(subjects)]
        return True

    @property
    def publisher(self) -> str | None:
        return self.provider.name if self.provider else None


class ResourceSubject(db.Model):
    """A subject (chủ đề) of a resource; a row each so browsing by subject is a query."""

    __tablename__ = "resource_subjects"
    __table_args__ = (UniqueConstraint("resource_id", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(255), index=True)
    position: Mapped[int] = mapped_column(default=0)


class ResourceDailyStat(db.Model):
    """Views and click-throughs of a resource per local day: what reports count."""

    __tablename__ = "resource_daily_stats"
    __table_args__ = (
        UniqueConstraint("resource_id", "day"),
        CheckConstraint("views >= 0 AND clicks >= 0", "non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), index=True
    )
    #: The day in Asia/Ho_Chi_Minh.
    day: Mapped[date] = mapped_column(index=True)
    views: Mapped[int] = mapped_column(default=0)
    clicks: Mapped[int] = mapped_column(default=0)


class SearchChange(db.Model):
    """Append-only log of catalog changes the search index must apply.

    Written in the same transaction as the change, so a rolled-back change never reaches
    the index; each index replica records the last `seq` it applied and catches up.
    """

    __tablename__ = "search_changes"

    #: Monotonic sequence number.
    seq: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
