"""Harvest sources: add, find, permissions, test connection, enable/disable; run queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpcore2
from flask import current_app
from sqlalchemy import select

from ..catalog.services import get_or_create_provider, valid_url
from ..catalog.vocab import TYPES, fold, slugify
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..units.models import Unit
from ..units.services import can_manage_unit, subtree_ids_select
from .fetch import REFUSED, UNREACHABLE, HarvestFailure, RetryPolicy, could_not_fetch
from .guard import AddressPolicy, AddressRefused
from .models import KINDS, HarvestRun, HarvestSource
from .oai import OaiClient

NAME_MAX = 255


@dataclass
class SourceInput:
    name: str
    kind: str
    url: str
    oai_set: str = ""
    metadata_prefix: str = "oai_dc"
    provider: str = ""
    unit_id: int | None = None
    #: source type value → our type code
    type_map: dict[str, str] = field(default_factory=dict)
    #: Ask an OAI-PMH repository's Identify before saving (off only in tests of bad hosts).
    check: bool = True


# --- permissions -----------------------------------------------------------------------------


def can_manage_source(user, source: HarvestSource) -> bool:
    """Admins manage every source; an organizer those of their unit and the units below."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    return source.unit is not None and can_manage_unit(user, source.unit)


def require_manage_source(user, source: HarvestSource) -> None:
    if not can_manage_source(user, source):
        raise PermissionDenied("Bạn không có quyền quản lý nguồn thu thập này.")


def visible_sources(user) -> list[HarvestSource]:
    stmt = select(HarvestSource).order_by(HarvestSource.name)
    if not user.is_admin:
        if user.unit_id is None:
            return []
        stmt = stmt.where(HarvestSource.unit_id.in_(subtree_ids_select(user.unit_id)))
    return list(db.session.scalars(stmt))


# --- queries ---------------------------------------------------------------------------------


def get_source(key: str) -> HarvestSource:
    """By slug or by exact name."""
    source = db.session.scalar(
        select(HarvestSource).where((HarvestSource.slug == key) | (HarvestSource.name == key))
    )
    if source is None:
        raise NotFound(f"Không tìm thấy nguồn thu thập “{key}”.")
    return source


def get_source_for(user, slug: str) -> HarvestSource:
    """A source the user may manage (403 otherwise, 404 if there is none)."""
    source = db.session.scalar(select(HarvestSource).where(HarvestSource.slug == slug))
    if source is None:
        raise NotFound("Không tìm thấy nguồn thu thập này.")
    require_manage_source(user, source)
    return source


def list_sources(enabled_only: bool = False) -> list[HarvestSource]:
    stmt = select(HarvestSource).order_by(HarvestSource.name)
    if enabled_only:
        stmt = stmt.where(HarvestSource.enabled.is_(True))
    return list(db.session.scalars(stmt))


def recent_runs(source: HarvestSource | None = None, limit: int = 50) -> list[HarvestRun]:
    stmt = select(HarvestRun).order_by(HarvestRun.id.desc()).limit(limit)
    if source is not None:
        stmt = stmt.where(HarvestRun.source_id == source.id)
    return list(db.session.scalars(stmt))


def get_run(source: HarvestSource, run_id: int) -> HarvestRun:
    run = db.session.get(HarvestRun, run_id)
    if run is None or run.source_id != source.id:
        raise NotFound("Không tìm thấy lần thu thập này.")
    return run


def run_progress(run: HarvestRun) -> dict:
    """What the run page shows while the run goes on (its JSON endpoint)."""
    from ..core.timeutil import format_datetime

    counts = run.counts()
    return {
        "run": run.id,
        "status": run.status,
        "status_label": run.status_label,
        "active": run.active,
        "pages": run.pages,
        "records": sum(counts.values()),
        "counts": counts,
        "message": run.message,
        "heartbeat_at": run.heartbeat_at.isoformat() if run.heartbeat_at else None,
        "finished_at": format_datetime(run.finished_at) if run.finished_at else None,
        "worker_seen": worker_seen(),
    }


def worker_seen() -> bool:
    """Whether a job worker beat recently (a queued run waits for one)."""
    from datetime import timedelta

    from ..core.types import utcnow
    from ..jobs import latest_heartbeat

    beat = latest_heartbeat()
    limit = float(current_app.config.get("HOCTAP_JOB_STALE_SECONDS", 180))
    return beat is not None and beat >= utcnow() - timedelta(seconds=limit)


# --- changes ---------------------------------------------------------------------------------


def _check_input(data: SourceInput) -> None:
    if not data.name.strip():
        raise ValidationError("Vui lòng đặt tên cho nguồn.", field="name")
    if len(data.name.strip()) > NAME_MAX:
        raise ValidationError(f"Tên tối đa {NAME_MAX} ký tự.", field="name")
    if data.kind not in KINDS:
        raise ValidationError("Loại nguồn không hợp lệ.", field="kind")
    url = data.url.strip()
    if not url:
        raise ValidationError("Vui lòng nhập địa chỉ của nguồn.", field="url")
    if data.kind in ("oai-pmh", "rss", "atom") and not valid_url(url):
        raise ValidationError("Địa chỉ phải bắt đầu bằng http:// hoặc https://.", field="url")
    if data.kind in ("csv", "xlsx") and not valid_url(url):
        path = Path(url)
        if path.suffix.lower() != f".{data.kind}":
            raise ValidationError(f"Đường dẫn tệp phải có đuôi .{data.kind}.", field="url")
    if len(url) > 2000:
        raise ValidationError("Địa chỉ quá dài.", field="url")
    for value, code in data.type_map.items():
        if code not in TYPES or not value.strip():
            raise ValidationError(
                f"Ánh xạ loại “{value}={code}” không hợp lệ; mã loại là một trong: "
                + ", ".join(TYPES),
                field="type_map",
            )
    if data.metadata_prefix != "oai_dc":
        raise ValidationError("Hiện chỉ hỗ trợ định dạng oai_dc.", field="metadata_prefix")


def check_address(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, an address the harvest must not reach.

    Only DNS is asked: the host receives nothing. (Every later request is checked again
    when it connects, since a name can resolve differently tomorrow.)
    """
    policy = AddressPolicy.from_config(current_app.config)
    try:
        policy.check_url(url)
    except AddressRefused as error:
        current_app.logger.warning("harvest: refused source URL %s: %s", url, error)
        raise ValidationError(
            f"Không thêm được nguồn: {could_not_fetch(REFUSED)} Máy chủ thu thập không truy "
            "cập địa chỉ nội bộ; quản trị viên có thể cho phép kho nội bộ bằng "
            "HOCTAP_HARVEST_ALLOW_HOSTS.",
            field="url",
        ) from error
    except httpcore2.ConnectError as error:
        current_app.logger.warning("harvest: source URL %s does not resolve: %s", url, error)
        raise ValidationError(
            f"Không thêm được nguồn: {could_not_fetch(UNREACHABLE)}", field="url"
        ) from error


def check_oai(source: HarvestSource) -> None:
    """Identify + ListMetadataFormats; store granularity and the deleted-record policy."""
    with OaiClient(source.url, RetryPolicy.from_config(current_app.config)) as client:
        info = client.identify()
        if not client.supports(source.metadata_prefix):
            raise HarvestFailure(f"Kho OAI-PMH không cung cấp định dạng {source.metadata_prefix}.")
    source.granularity = info.granularity
    source.deleted_record = info.deleted_record
    source.repository_name = info.name or None


def add_source(user, data: SourceInput) -> HarvestSource:
    """Validate, check the connection (OAI-PMH: Identify), save. The caller commits."""
    _check_input(data)
    unit = db.session.get(Unit, data.unit_id) if data.unit_id is not None else None
    if data.unit_id is not None and unit is None:
        raise ValidationError("Không tìm thấy đơn vị.", field="unit_id")
    if user is not None:
        if data.kind in ("csv", "xlsx") and not valid_url(data.url.strip()):
            # a path on the server is for the CLI only: a page must not read server files
            raise ValidationError("Trên trang web, tệp phải là một URL http(s).", field="url")
        if unit is None and not user.is_admin:
            raise PermissionDenied("Chỉ quản trị viên được thêm nguồn không thuộc đơn vị nào.")
        if unit is not None and not can_manage_unit(user, unit):
            raise PermissionDenied("Bạn không có quyền thêm nguồn cho đơn vị này.")
    if valid_url(data.url.strip()):
        check_address(data.url.strip())
    name = " ".join(data.name.split())
    slug = slugify(name)[:60]
    clash = db.session.scalar(
        select(HarvestSource).where((HarvestSource.slug == slug) | (HarvestSource.name == name))
    )
    if clash is not None:
        raise ValidationError(f"Đã có nguồn tên “{clash.name}”.", field="name")
    source = HarvestSource(
        name=name,
        slug=slug,
        kind=data.kind,
        url=data.url.strip(),
        oai_set=data.oai_set.strip() or None,
        metadata_prefix=data.metadata_prefix,
        unit=unit,
        type_map={fold(k): v for k, v in data.type_map.items()},
        enabled=True,
    )
    if data.provider.strip():
        source.provider = get_or_create_provider(" ".join(data.provider.split())[:255])
    if data.kind == "oai-pmh" and data.check:
        try:
            check_oai(source)
        except HarvestFailure as error:
            raise ValidationError(f"Không thêm được nguồn: {error}", field="url") from error
    db.session.add(source)
    db.session.flush()
    return source


def test_connection(user, source: HarvestSource) -> str:
    """A Vietnamese sentence saying what the source answered; raises ValidationError."""
    require_manage_source(user, source)
    if source.kind != "oai-pmh":
        from .feeds import probe

        try:
            return probe(source)
        except HarvestFailure as error:
            raise ValidationError(str(error)) from error
    try:
        check_oai(source)
    except HarvestFailure as error:
        raise ValidationError(str(error)) from error
    db.session.flush()
    return (
        f"Kết nối được: “{source.repository_name or source.url}”, "
        f"granularity {source.granularity}, bản ghi đã xóa: {source.deleted_record}."
    )


def set_enabled(user, source: HarvestSource, enabled: bool) -> None:
    require_manage_source(user, source)
    source.enabled = enabled
    db.session.flush()


def parse_type_map(lines) -> dict[str, str]:
    """``value=code`` items (CLI options or textarea lines) → dict; raises ValidationError."""
    out: dict[str, str] = {}
    for line in lines:
        line = line.strip()
        if not line:
            continue
        value, sep, code = line.rpartition("=")
        if not sep or not value.strip():
            raise ValidationError(
                f"Dòng “{line[:60]}” phải có dạng giá-trị=mã-loại.", field="type_map"
            )
        out[value.strip()] = code.strip()
    return out
