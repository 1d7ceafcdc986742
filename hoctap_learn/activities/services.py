"""Use cases for activities, funding and the unit's report; every change is logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select

from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.types import utcnow
from ..extensions import db
from ..units.models import Campaign, Unit
from ..units.services import can_manage_unit, subtree_ids_select
from .models import (
    ACTIVITY_KINDS,
    BREAKDOWN_DIMENSIONS,
    MODES,
    NARRATIVE_FIELDS,
    Activity,
    ActivityBreakdown,
    ChangeLog,
    Funding,
    ReportSubmission,
)

#: Activities may start this long before the Week (preparations) and end this long after it.
DATE_MARGIN = timedelta(days=120)
#: Longest activity, in days.
MAX_SPAN_DAYS = 120
#: A generous upper bound that still catches typing slips (a province has ~1.2 M people).
MAX_PARTICIPANTS = 10_000_000
#: 10,000 billion đồng: no unit's Week costs more; larger numbers are typing slips.
MAX_VND = 10_000_000_000_000
MAX_TEXT = 20_000
MAX_LINKS = 20


def require_manage(user, unit: Unit) -> None:
    if not can_manage_unit(user, unit):
        raise PermissionDenied("Bạn không có quyền quản lý hoạt động của đơn vị này.")


def log_change(
    actor,
    entity: str,
    entity_id: int,
    unit_id: int,
    campaign_id: int,
    action: str,
    changes: dict | None = None,
) -> None:
    db.session.add(
        ChangeLog(
            user_id=getattr(actor, "id", None),
            entity=entity,
            entity_id=entity_id,
            unit_id=unit_id,
            campaign_id=campaign_id,
            action=action,
            changes=changes or {},
        )
    )


def _diff(obj, values: dict) -> dict:
    """Set the values that differ on `obj`; return ``{field: [old, new]}`` (JSON-friendly)."""
    changes = {}
    for key, new in values.items():
        old = getattr(obj, key)
        if old != new:
            changes[key] = [_jsonable(old), _jsonable(new)]
            setattr(obj, key, new)
    return changes


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


def _clean_text(
    value: str | None,
    label: str,
    field_name: str,
    limit: int,
    required: bool = False,
    single_line: bool = False,
) -> str:
    text = (value or "").strip()
    if single_line:
        text = " ".join(text.split())
    if required and not text:
        raise ValidationError(f"Vui lòng nhập {label}.", field=field_name)
    if len(text) > limit:
        raise ValidationError(
            f"{label[0].upper()}{label[1:]} dài quá {limit:,} ký tự.".replace(",", "."),
            field=field_name,
        )
    return text


def _check_count(value, label: str, field_name: str, limit: int = MAX_PARTICIPANTS) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label} phải là số nguyên.", field=field_name)
    if value < 0:
        raise ValidationError(f"{label} không được âm.", field=field_name)
    if value > limit:
        raise ValidationError(
            f"{label} quá lớn (tối đa {limit:,}).".replace(",", "."), field=field_name
        )
    return value


# --- activities ------------------------------------------------------------------------------


@dataclass
class ActivityInput:
    title: str
    kind: str
    start_date: date | None
    end_date: date | None = None
    mode: str = "truc_tiep"
    place: str = ""
    participants: int | None = 0
    #: ``{"target_group": {"hoc_sinh": 120, …}, "gender": {"nu": 80, …}}``; zeros are dropped.
    breakdown: dict[str, dict[str, int | None]] = field(default_factory=dict)
    links: str = ""
    notes: str = ""


def validate_activity(campaign: Campaign, data: ActivityInput) -> dict:
    """Check everything before touching the database; return the column values."""
    title = _clean_text(data.title, "tên hoạt động", "title", 255, required=True, single_line=True)
    if data.kind not in ACTIVITY_KINDS:
        raise ValidationError("Vui lòng chọn loại hoạt động.", field="kind")
    if data.mode not in MODES:
        raise ValidationError("Vui lòng chọn hình thức tổ chức.", field="mode")
    if data.start_date is None:
        raise ValidationError("Vui lòng nhập ngày bắt đầu (ngày/tháng/năm).", field="start_date")
    end = data.end_date or data.start_date
    earliest = campaign.start_date - DATE_MARGIN
    latest = campaign.end_date + DATE_MARGIN
    for value, name in ((data.start_date, "start_date"), (end, "end_date")):
        if not earliest <= value <= latest:
            raise ValidationError(
                f"Ngày phải trong khoảng {earliest:%d/%m/%Y} – {latest:%d/%m/%Y} "
                f"(quanh {campaign.title}).",
                field=name,
            )
    if end < data.start_date:
        raise ValidationError("Ngày kết thúc không được trước ngày bắt đầu.", field="end_date")
    if (end - data.start_date).days > MAX_SPAN_DAYS:
        raise ValidationError(
            f"Một hoạt động kéo dài tối đa {MAX_SPAN_DAYS} ngày.", field="end_date"
        )
    place = _clean_text(data.place, "địa điểm", "place", 255, single_line=True)
    participants = _check_count(data.participants, "Số người tham gia", "participants")
    breakdown: dict[str, dict[str, int]] = {}
    for dimension, allowed in BREAKDOWN_DIMENSIONS.items():
        given = (data.breakdown or {}).get(dimension) or {}
        counts = {}
        for key, value in given.items():
            if key not in allowed:
                raise ValidationError("Nhóm phân loại không hợp lệ.", field="participants")
            prefix = "tg" if dimension == "target_group" else "g"
            count = _check_count(value, f"Số người ({allowed[key]})", f"{prefix}_{key}")
            if count:
                counts[key] = count
        if sum(counts.values()) > participants:
            label = "đối tượng" if dimension == "target_group" else "giới tính"
            raise ValidationError(
                f"Tổng số người theo {label} ({sum(counts.values()):,}) vượt quá tổng số "
                f"người tham gia ({participants:,}).".replace(",", "."),
                field="participants",
            )
        breakdown[dimension] = counts
    links_text = _clean_text(data.links, "các liên kết", "links", MAX_TEXT)
    links = [line.strip() for line in links_text.splitlines() if line.strip()]
    if len(links) > MAX_LINKS:
        raise ValidationError(f"Tối đa {MAX_LINKS} liên kết.", field="links")
    for link in links:
        parts = urlsplit(link)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in link:
            raise ValidationError(
                f"Liên kết “{link[:80]}” không hợp lệ: mỗi dòng một địa chỉ bắt đầu bằng "
                "http:// hoặc https://.",
                field="links",
            )
    notes = _clean_text(data.notes, "ghi chú", "notes", MAX_TEXT)
    return {
        "title": title,
        "kind": data.kind,
        "mode": data.mode,
        "start_date": data.start_date,
        "end_date": end,
        "place": place,
        "participants": participants,
        "links": "\n".join(links),
        "notes": notes,
        "_breakdown": breakdown,
    }


def _apply_breakdown(activity: Activity, breakdown: dict[str, dict[str, int]]) -> dict:
    before = activity.breakdown_dict()
    existing = {(row.dimension, row.key): row for row in activity.breakdown}
    for dimension, counts in breakdown.items():
        for key, count in counts.items():
            row = existing.pop((dimension, key), None)
            if row is None:
                activity.breakdown.append(
                    ActivityBreakdown(dimension=dimension, key=key, count=count)
                )
            else:
                row.count = count
    for row in existing.values():
        activity.breakdown.remove(row)
    after = {d: dict(c) for d, c in breakdown.items()}
    return {} if before == after else {"breakdown": [before, after]}


def create_activity(actor, unit: Unit, campaign: Campaign, data: ActivityInput) -> Activity:
    require_manage(actor, unit)
    values = validate_activity(campaign, data)
    breakdown = values.pop("_breakdown")
    activity = Activity(
        unit_id=unit.id,
        campaign_id=campaign.id,
        created_by_id=getattr(actor, "id", None),
        updated_by_id=getattr(actor, "id", None),
        **values,
    )
    db.session.add(activity)
    _apply_breakdown(activity, breakdown)
    db.session.flush()
    log_change(
        actor,
        "activity",
        activity.id,
        unit.id,
        campaign.id,
        "create",
        {k: [None, _jsonable(v)] for k, v in values.items()},
    )
    db.session.flush()
    return activity


def update_activity(actor, activity: Activity, data: ActivityInput) -> Activity:
    require_manage(actor, activity.unit)
    values = validate_activity(activity.campaign, data)
    breakdown = values.pop("_breakdown")
    changes = _diff(activity, values)
    changes.update(_apply_breakdown(activity, breakdown))
    if changes:
        activity.updated_at = utcnow()
        activity.updated_by_id = getattr(actor, "id", None)
        log_change(
            actor,
            "activity",
            activity.id,
            activity.unit_id,
            activity.campaign_id,
            "update",
            changes,
        )
    db.session.flush()
    return activity


def delete_activity(actor, activity: Activity) -> None:
    require_manage(actor, activity.unit)
    log_change(
        actor,
        "activity",
        activity.id,
        activity.unit_id,
        activity.campaign_id,
        "delete",
        {"title": [activity.title, None], "participants": [activity.participants, None]},
    )
    db.session.delete(activity)
    db.session.flush()


def get_activity(activity_id: int) -> Activity:
    activity = db.session.get(Activity, activity_id)
    if activity is None:
        raise NotFound("Không tìm thấy hoạt động.")
    return activity


def list_activities(unit: Unit, campaign: Campaign, include_below: bool = True) -> list[Activity]:
    stmt = select(Activity).where(Activity.campaign_id == campaign.id)
    if include_below:
        stmt = stmt.where(Activity.unit_id.in_(subtree_ids_select(unit.id)))
    else:
        stmt = stmt.where(Activity.unit_id == unit.id)
    return list(db.session.scalars(stmt.order_by(Activity.start_date, Activity.id)))


# --- funding ---------------------------------------------------------------------------------


@dataclass
class FundingInput:
    state_budget: int | None
    sponsorship: int | None
    note: str = ""


def get_funding(unit: Unit, campaign: Campaign) -> Funding | None:
    return db.session.scalar(
        select(Funding).where(Funding.unit_id == unit.id, Funding.campaign_id == campaign.id)
    )


def set_funding(actor, unit: Unit, campaign: Campaign, data: FundingInput) -> Funding:
    require_manage(actor, unit)
    values = {
        "state_budget": _check_count(
            data.state_budget, "Ngân sách nhà nước", "state_budget", MAX_VND
        ),
        "sponsorship": _check_count(
            data.sponsorship, "Kinh phí hỗ trợ, vận động", "sponsorship", MAX_VND
        ),
        "note": _clean_text(data.note, "ghi chú", "note", MAX_TEXT),
    }
    return _save_unit_row(
        actor, "funding", Funding, get_funding(unit, campaign), unit, campaign, values,
        {k: [None, v] for k, v in values.items()},
    )  # fmt: skip


def _save_unit_row(actor, kind, model, row, unit, campaign, values: dict, created: dict):
    """Create or update the one row a unit has per campaign (funding, report), logging it."""
    if row is None:
        row = model(
            unit_id=unit.id, campaign_id=campaign.id, updated_by_id=getattr(actor, "id", None),
            **values,
        )  # fmt: skip
        db.session.add(row)
        db.session.flush()
        log_change(actor, kind, row.id, unit.id, campaign.id, "create", created)
    else:
        changes = _diff(row, values)
        if changes:
            row.updated_at = utcnow()
            row.updated_by_id = getattr(actor, "id", None)
            log_change(actor, kind, row.id, unit.id, campaign.id, "update", changes)
    db.session.flush()
    return row


# --- the unit's report (MẪU BC narratives and submission) ------------------------------------


@dataclass
class ReportInput:
    number: str = ""
    place: str = ""
    signer: str = ""
    direction: str = ""
    opening: str = ""
    activities_text: str = ""
    results_text: str = ""
    achievements: str = ""
    difficulties: str = ""
    proposals: str = ""


def get_report(unit: Unit, campaign: Campaign) -> ReportSubmission | None:
    return db.session.scalar(
        select(ReportSubmission).where(
            ReportSubmission.unit_id == unit.id, ReportSubmission.campaign_id == campaign.id
        )
    )


def _report_values(data: ReportInput) -> dict:
    values = {
        "number": _clean_text(data.number, "số văn bản", "number", 50, single_line=True),
        "place": _clean_text(data.place, "địa danh", "place", 100, single_line=True),
        "signer": _clean_text(data.signer, "người ký", "signer", 120, single_line=True),
    }
    for name in NARRATIVE_FIELDS:
        values[name] = _clean_text(
            getattr(data, name), f"mục {NARRATIVE_FIELDS[name]}", name, MAX_TEXT
        )
    return values


def save_report(actor, unit: Unit, campaign: Campaign, data: ReportInput) -> ReportSubmission:
    require_manage(actor, unit)
    values = _report_values(data)
    return _save_unit_row(
        actor, "report", ReportSubmission, get_report(unit, campaign), unit, campaign, values,
        {k: [None, v] for k, v in values.items() if v},
    )  # fmt: skip


def set_submitted(actor, unit: Unit, campaign: Campaign, submitted: bool) -> ReportSubmission:
    """Mark the unit's report sent (or take it back to edit it)."""
    require_manage(actor, unit)
    report = get_report(unit, campaign) or save_report(actor, unit, campaign, ReportInput())
    if report.submitted == submitted:
        return report
    report.submitted = submitted
    if submitted:
        report.submitted_at = utcnow()
        report.submitted_by_id = getattr(actor, "id", None)
    else:
        report.submitted_at = None
        report.submitted_by_id = None
    log_change(
        actor, "report", report.id, unit.id, campaign.id, "submit" if submitted else "reopen"
    )
    db.session.flush()
    return report


def history(unit: Unit, campaign: Campaign, limit: int = 200) -> list[ChangeLog]:
    stmt = (
        select(ChangeLog)
        .where(
            ChangeLog.campaign_id == campaign.id, ChangeLog.unit_id.in_(subtree_ids_select(unit.id))
        )
        .order_by(ChangeLog.at.desc(), ChangeLog.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
