"""Catalog use cases: validate and upsert resources, providers, counters, queries."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from ..core.errors import NotFound
from ..core.timeutil import VN_TZ
from ..core.types import utcnow
from ..extensions import db
from .models import Provider, Resource, ResourceDailyStat, ResourceSubject
from .sanitize import to_line, to_text
from .vocab import fold, map_language, map_level, map_license, map_type, slugify

TITLE_MAX = 1000
DESCRIPTION_MAX = 10000
NAME_MAX = 255
URL_MAX = 2000
IDENTIFIER_RE = re.compile(r"^[^\s\x00-\x1f]{1,255}$")


@dataclass
class ResourceInput:
    """One catalog record as it arrives (CSV row, harvested record, form)."""

    identifier: str
    title: str
    url: str
    description: str = ""
    creators: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    publisher: str = ""
    type: str = ""
    format: str = ""
    language: str = ""
    level: str = ""
    audience: str = ""
    license: str = ""
    year: str | int | None = None
    source: str = "import"


@dataclass
class CleanRecord:
    values: dict
    subjects: list[str]
    publisher: str
    notes: list[str]


class RecordError(ValueError):
    """A record that cannot enter the catalog; the message says why, in Vietnamese."""


def _list(values, limit: int, max_length: int = NAME_MAX) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for value in values or []:
        text, _ = to_line(value, max_length)
        key = fold(text)
        if text and key not in seen:
            seen.add(key)
            out.append(text)
    return out[:limit]


def valid_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def clean_record(data: ResourceInput) -> CleanRecord:
    """Validate and normalise; raise RecordError with a reason."""
    notes: list[str] = []
    identifier = (data.identifier or "").strip()
    if not identifier:
        raise RecordError("thiếu mã định danh (identifier)")
    if not IDENTIFIER_RE.match(identifier):
        raise RecordError("mã định danh quá dài (tối đa 255 ký tự) hoặc có khoảng trắng")
    title, trimmed = to_line(data.title, TITLE_MAX)
    if not title:
        raise RecordError("thiếu nhan đề (title)")
    if trimmed:
        notes.append(f"nhan đề dài quá {TITLE_MAX} ký tự, đã cắt bớt")
    url = (data.url or "").strip()
    if not url:
        raise RecordError("thiếu đường dẫn (url)")
    # bytes, not characters: the URL is indexed, and index entries have a size limit
    if len(url.encode("utf-8")) > URL_MAX or not valid_url(url):
        raise RecordError(f"đường dẫn không hợp lệ: {url[:100]}")
    description, trimmed = to_text(data.description, DESCRIPTION_MAX)
    if trimmed:
        notes.append(f"mô tả dài quá {DESCRIPTION_MAX} ký tự, đã cắt bớt")
    year = data.year
    if year in (None, ""):
        year = None
    else:
        match = re.search(r"\b(1\d{3}|2[01]\d{2})\b", str(year))
        if not match:
            raise RecordError(f"năm không hợp lệ: {str(year)[:20]}")
        year = int(match.group(1))
        if year > date.today().year + 1:
            raise RecordError(f"năm {year} ở tương lai")
    language_raw = (data.language or "").strip()
    language = map_language(language_raw)
    if language_raw and language is None:
        notes.append(f"không nhận ra ngôn ngữ “{language_raw[:30]}”")
    level_raw = (data.level or "").strip()
    level = map_level(level_raw)
    if level_raw and level is None:
        notes.append(f"không nhận ra trình độ “{level_raw[:30]}”")
    publisher, _ = to_line(data.publisher, NAME_MAX)
    source_type, _ = to_line(data.type, NAME_MAX)
    values = {
        "identifier": identifier,
        "title": title,
        "description": description,
        "creators": _list(data.creators, 50),
        "contributors": _list(data.contributors, 50),
        "type": map_type(source_type),
        "source_type": source_type or None,
        "format": to_line(data.format, 100)[0] or None,
        "language": language,
        "level": level,
        "audience": to_line(data.audience, NAME_MAX)[0] or None,
        "license": map_license(data.license),
        "rights": to_line(data.license, 1000)[0] or None,
        "url": url,
        "year": year,
        "source": data.source[:100],
    }
    return CleanRecord(values, _list(data.subjects, 20), publisher, notes)


_KIND_HINTS = (
    ("library", ("thu vien", "library")),
    ("university", ("dai hoc", "hoc vien", "truong", "university", "college", "institute")),
    ("government", ("bo ", "cong dich vu", "cuc ", "so ", "ubnd", "chinh phu", "quoc hoi")),
    ("media", ("dai phat thanh", "truyen hinh", "vtv", "vov", "bao ", "ted")),
)


def _guess_kind(name: str) -> str:
    key = fold(name) + " "
    for kind, hints in _KIND_HINTS:
        if any(key.startswith(h) or f" {h}" in f" {key}" for h in hints):
            return kind
    return "publisher"


def get_or_create_provider(name: str) -> Provider:
    provider = db.session.scalar(select(Provider).where(Provider.name == name))
    if provider is not None:
        return provider
    base = slugify(name)
    slug, n = base, 1
    while db.session.scalar(select(Provider.id).where(Provider.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    provider = Provider(name=name, slug=slug, kind=_guess_kind(name))
    db.session.add(provider)
    db.session.flush()
    return provider


def upsert_resource(record: CleanRecord) -> tuple[Resource, str]:
    """Insert or update by identifier; return (resource, "created"|"updated"|"unchanged")."""
    values = dict(record.values)
    values["provider_id"] = (
        get_or_create_provider(record.publisher).id if record.publisher else None
    )
    resource = db.session.scalar(
        select(Resource)
        .where(Resource.identifier == values["identifier"])
        .options(selectinload(Resource.subject_rows))
    )
    if resource is None:
        resource = Resource(**values, status="active")
        resource.set_subjects(record.subjects)
        db.session.add(resource)
        db.session.flush()
        return resource, "created"
    changed = False
    for key, value in values.items():
        if key == "source":
            continue  # the first source that brought a record keeps it
        if getattr(resource, key) != value:
            setattr(resource, key, value)
            changed = True
    if resource.status != "active":
        resource.status = "active"
        changed = True
    changed |= resource.set_subjects(record.subjects)
    if changed:
        db.session.flush()
    return resource, "updated" if changed else "unchanged"


def withdraw(resource: Resource) -> bool:
    if resource.status == "withdrawn":
        return False
    resource.status = "withdrawn"
    db.session.flush()
    return True


# --- reading ---------------------------------------------------------------------------------


def get_resource(resource_id: int, active_only: bool = True) -> Resource:
    resource = db.session.get(Resource, resource_id)
    if resource is None or (active_only and resource.status != "active"):
        raise NotFound("Không tìm thấy học liệu này hoặc học liệu đã bị gỡ.")
    return resource


def get_resource_by_identifier(identifier: str) -> Resource:
    resource = db.session.scalar(select(Resource).where(Resource.identifier == identifier))
    if resource is None or resource.status != "active":
        raise NotFound("Không tìm thấy học liệu này.")
    return resource


def get_provider(slug: str) -> Provider:
    provider = db.session.scalar(select(Provider).where(Provider.slug == slug))
    if provider is None:
        raise NotFound("Không tìm thấy đơn vị cung cấp này.")
    return provider


def provider_resources(provider: Provider):
    return (
        select(Resource)
        .where(Resource.provider_id == provider.id, Resource.status == "active")
        .order_by(Resource.created_at.desc(), Resource.id.desc())
    )


def top_subjects(limit: int = 30) -> list[tuple[str, int]]:
    stmt = (
        select(ResourceSubject.subject, func.count())
        .join(Resource, Resource.id == ResourceSubject.resource_id)
        .where(Resource.status == "active")
        .group_by(ResourceSubject.subject)
        .order_by(func.count().desc(), ResourceSubject.subject)
        .limit(limit)
    )
    return [(s, n) for s, n in db.session.execute(stmt)]


def providers_with_counts() -> list[tuple[Provider, int]]:
    stmt = (
        select(Provider, func.count(Resource.id))
        .join(Resource, Resource.provider_id == Provider.id)
        .where(Resource.status == "active")
        .group_by(Provider.id)
        .order_by(func.count(Resource.id).desc(), Provider.name)
    )
    return [(p, n) for p, n in db.session.execute(stmt)]


# --- counters --------------------------------------------------------------------------------


def count_hit(resource_id: int, kind: str) -> None:
    """Add one view or click-through: the total on the row and the per-day counter.

    Plain UPDATE/UPSERT statements, so concurrent hits never lose a count and the search
    index is not touched (counters are not indexed).
    """
    column = {"view": "view_count", "click": "click_count"}[kind]
    daily = {"view": "views", "click": "clicks"}[kind]
    db.session.execute(
        update(Resource)
        .where(Resource.id == resource_id)
        # updated_at kept as it is: a view is not a change of the record (OAI-PMH `from`).
        .values({column: getattr(Resource, column) + 1, "updated_at": Resource.updated_at})
        .execution_options(synchronize_session=False)
    )
    today = utcnow().astimezone(VN_TZ).date()
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(ResourceDailyStat).values(
        resource_id=resource_id, day=today, views=int(kind == "view"), clicks=int(kind == "click")
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["resource_id", "day"],
        set_={daily: getattr(ResourceDailyStat, daily) + 1},
    )
    db.session.execute(stmt)
