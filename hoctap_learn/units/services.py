"""Use cases and queries for units and campaigns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select

from ..core.content import ContentError, LoadReport, apply_fields, read_yaml, register_loader
from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..extensions import db
from .models import UNIT_KINDS, Campaign, ProgrammeItem, Unit

UNIT_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


# --- queries -------------------------------------------------------------------------------


def get_unit(code: str) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"Không tìm thấy đơn vị có mã “{code}”.")
    return unit


def subtree_ids_select(unit_id: int):
    """A SELECT of the ids of a unit and every unit below it (recursive CTE)."""
    tree = select(Unit.id).where(Unit.id == unit_id).cte("unit_tree", recursive=True)
    tree = tree.union_all(select(Unit.id).where(Unit.parent_id == tree.c.id))
    return select(tree.c.id)


def subtree_ids(unit_id: int) -> set[int]:
    return set(db.session.scalars(subtree_ids_select(unit_id)))


@dataclass(frozen=True)
class TreeRow:
    unit: Unit
    depth: int


def unit_tree(root_id: int | None = None, active_only: bool = False) -> list[TreeRow]:
    """Units in depth-first display order, optionally only one subtree."""
    units = db.session.scalars(select(Unit).order_by(Unit.position, Unit.name)).all()
    by_parent: dict[int | None, list[Unit]] = {}
    for unit in units:
        if active_only and not unit.active:
            continue
        by_parent.setdefault(unit.parent_id, []).append(unit)
    rows: list[TreeRow] = []

    def walk(unit: Unit, depth: int) -> None:
        rows.append(TreeRow(unit, depth))
        for child in by_parent.get(unit.id, []):
            walk(child, depth + 1)

    if root_id is None:
        roots = by_parent.get(None, [])
    else:
        roots = [u for u in units if u.id == root_id and (u.active or not active_only)]
    for root in roots:
        walk(root, 0)
    return rows


def unit_choices() -> list[tuple[int, str]]:
    """(id, indented name) for a <select>, in tree order."""
    return [(row.unit.id, "— " * row.depth + row.unit.name) for row in unit_tree(active_only=True)]


def current_campaign() -> Campaign | None:
    campaign = db.session.scalar(select(Campaign).where(Campaign.is_current.is_(True)))
    if campaign is None:  # fall back to the most recent one
        campaign = db.session.scalar(select(Campaign).order_by(Campaign.start_date.desc()))
    return campaign


def get_campaign(slug: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise NotFound(f"Không tìm thấy Tuần lễ “{slug}”.")
    return campaign


def list_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.start_date.desc())))


def campaign_dict(c, with_programme: bool = False) -> dict:
    data = {
        "slug": c.slug,
        "year": c.year,
        "title": c.title,
        "theme": c.theme,
        "start_date": c.start_date.isoformat(),
        "end_date": c.end_date.isoformat(),
        "report_deadline": c.report_deadline.isoformat(),
        "is_current": c.is_current,
    }
    if with_programme:
        data["opening"] = {"at": c.opening_at, "place": c.opening_place, "host": c.opening_host}
        data["programme"] = [
            {"position": p.position, "time": p.time_slot, "item": p.item, "performer": p.performer}
            for p in c.programme
        ]
    return data


# --- permissions ---------------------------------------------------------------------------


def can_manage_unit(user, unit: Unit) -> bool:
    """Admins manage everything; an organizer manages their unit and the units below it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    if user.is_organizer and user.unit_id is not None:
        return unit.id in subtree_ids(user.unit_id)
    return False


def require_manage_unit(user, unit: Unit) -> None:
    if not can_manage_unit(user, unit):
        raise PermissionDenied("Bạn không có quyền quản lý đơn vị này.")


def managed_root_id(user) -> int | None:
    """The root of the units a user may manage: None means all (admin)."""
    if user.is_admin:
        return None
    return user.unit_id


# --- changes -------------------------------------------------------------------------------


@dataclass
class UnitInput:
    code: str
    name: str
    kind: str
    short_name: str = ""


def validate_unit_input(data: UnitInput) -> UnitInput:
    code = (data.code or "").strip().lower()
    name = " ".join((data.name or "").split())
    short_name = " ".join((data.short_name or "").split())
    if not UNIT_CODE_RE.match(code):
        raise ValidationError(
            "Mã đơn vị chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang (tối đa 64 ký tự).",
            field="code",
        )
    if not name:
        raise ValidationError("Vui lòng nhập tên đơn vị.", field="name")
    if len(name) > 255:
        raise ValidationError("Tên đơn vị dài quá 255 ký tự.", field="name")
    if len(short_name) > 100:
        raise ValidationError("Tên viết tắt dài quá 100 ký tự.", field="short_name")
    if data.kind not in UNIT_KINDS or data.kind == "province":
        raise ValidationError("Loại đơn vị không hợp lệ.", field="kind")
    return UnitInput(code=code, name=name, kind=data.kind, short_name=short_name)


def add_unit(actor, parent: Unit, data: UnitInput) -> Unit:
    """Add a unit (a school, a centre, a commune…) below `parent`."""
    require_manage_unit(actor, parent)
    data = validate_unit_input(data)
    if db.session.scalar(select(Unit.id).where(Unit.code == data.code)) is not None:
        raise Conflict(f"Mã đơn vị “{data.code}” đã được dùng.", field="code")
    position = len(parent.children) + 1
    unit = Unit(
        code=data.code,
        name=data.name,
        short_name=data.short_name or None,
        kind=data.kind,
        parent=parent,
        position=position,
    )
    db.session.add(unit)
    db.session.flush()
    return unit


# --- content loading -----------------------------------------------------------------------


def _load_unit_node(node, parent: Unit | None, position: int, report: LoadReport, seen: set):
    if not isinstance(node, dict) or not node.get("code") or not node.get("name"):
        raise ContentError("units.yaml: mỗi đơn vị cần có “code” và “name”.")
    code = str(node["code"]).strip()
    if code in seen:
        raise ContentError(f"units.yaml: mã đơn vị “{code}” xuất hiện hai lần.")
    seen.add(code)
    kind = node.get("kind", "other")
    if kind not in UNIT_KINDS:
        raise ContentError(f"units.yaml: loại đơn vị “{kind}” của “{code}” không hợp lệ.")
    values = {
        "name": str(node["name"]).strip(),
        "short_name": node.get("short_name"),
        "kind": kind,
        "parent_id": parent.id if parent else None,
        "position": position,
        "active": bool(node.get("active", True)),
    }
    counts = report.for_kind("units")
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        unit = Unit(code=code, **values)
        db.session.add(unit)
        counts.created += 1
    elif apply_fields(unit, values):
        counts.updated += 1
    else:
        counts.unchanged += 1
    db.session.flush()
    for index, child in enumerate(node.get("children") or [], start=1):
        _load_unit_node(child, unit, index, report, seen)


@register_loader("units", order=10)
def load_units(content_dir: Path, report: LoadReport) -> None:
    data = read_yaml(content_dir / "units.yaml")
    roots = data if isinstance(data, list) else [data]
    seen: set[str] = set()
    for index, root in enumerate(roots, start=1):
        _load_unit_node(root, None, index, report, seen)


def _as_date(value, field: str, source: Path) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ContentError(f"{source.name}: “{field}” phải là ngày dạng YYYY-MM-DD.") from exc


@register_loader("campaigns", order=20)
def load_campaigns(content_dir: Path, report: LoadReport) -> None:
    folder = content_dir / "campaigns"
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    counts = report.for_kind("campaigns")
    current_slug = None
    for path in files:
        data = read_yaml(path) or {}
        for key in ("slug", "year", "title", "theme", "start_date", "end_date", "report_deadline"):
            if key not in data:
                raise ContentError(f"{path.name}: thiếu trường “{key}”.")
        unit = None
        if data.get("unit"):
            unit = db.session.scalar(select(Unit).where(Unit.code == data["unit"]))
            if unit is None:
                raise ContentError(f"{path.name}: không có đơn vị “{data['unit']}”.")
        values = {
            "year": int(data["year"]),
            "title": data["title"].strip(),
            "theme": data["theme"].strip(),
            "description": (data.get("description") or "").strip(),
            "start_date": _as_date(data["start_date"], "start_date", path),
            "end_date": _as_date(data["end_date"], "end_date", path),
            "report_deadline": _as_date(data["report_deadline"], "report_deadline", path),
            "plan_reference": data.get("plan_reference", ""),
            "unit_id": unit.id if unit else None,
            "opening_at": str(data.get("opening", {}).get("at", "")),
            "opening_place": data.get("opening", {}).get("place", ""),
            "opening_host": data.get("opening", {}).get("host", ""),
            "programme_note": (data.get("after_programme") or "").strip(),
        }
        if values["end_date"] < values["start_date"]:
            raise ContentError(f"{path.name}: ngày kết thúc trước ngày bắt đầu.")
        slug = str(data["slug"])
        campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
        created = campaign is None
        if created:
            campaign = Campaign(slug=slug, **values)
            db.session.add(campaign)
            db.session.flush()
            changed = True
        else:
            changed = apply_fields(campaign, values)
        changed |= _load_programme(campaign, data.get("programme") or [], path)
        if created:
            counts.created += 1
        elif changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
        if data.get("current"):
            current_slug = slug
    if current_slug is not None:
        for campaign in db.session.scalars(select(Campaign)):
            campaign.is_current = campaign.slug == current_slug
    db.session.flush()


def _load_programme(campaign: Campaign, items: list, path: Path) -> bool:
    existing = {item.position: item for item in campaign.programme}
    changed = False
    for position, entry in enumerate(items, start=1):
        if not isinstance(entry, dict) or not entry.get("time") or not entry.get("item"):
            raise ContentError(f"{path.name}: mục chương trình số {position} cần “time” và “item”.")
        values = {
            "time_slot": str(entry["time"]),
            "item": entry["item"].strip(),
            "performer": (entry.get("performer") or "").strip(),
        }
        row = existing.pop(position, None)
        if row is None:
            campaign.programme.append(ProgrammeItem(position=position, **values))
            changed = True
        else:
            changed |= apply_fields(row, values)
    for row in existing.values():
        campaign.programme.remove(row)
        changed = True
    return changed
