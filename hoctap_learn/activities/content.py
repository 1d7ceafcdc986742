"""Demo activities, funding, report narratives and people from content/demo/week.yaml.

Skipped by `hoctap content load --no-demo`. Rows are matched by natural keys, so loading
twice changes nothing. Content loading is not a user's change, so nothing goes to the
change history.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy import select

from ..accounts.models import User
from ..core.content import ContentError, LoadReport, apply_fields, read_yaml, register_loader
from ..core.errors import ValidationError
from ..core.timeutil import VN_TZ
from ..extensions import db
from ..units.models import Campaign, Unit
from . import services
from .models import Activity, Funding, ReportSubmission

#: Demo people have no usable password (no Argon2 hash matches "!").
NO_PASSWORD = "!demo-no-login"


def _unit(code: str, path: Path) -> Unit:
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    if unit is None:
        raise ContentError(f"{path.name}: không có đơn vị “{code}”.")
    return unit


def _day(value, path: Path) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ContentError(f"{path.name}: ngày “{value}” không hợp lệ.") from exc


@register_loader("demo-week", order=95, demo=True)
def load_demo_week(content_dir: Path, report: LoadReport) -> None:
    path = content_dir / "demo" / "week.yaml"
    if not path.exists():
        return
    data = read_yaml(path) or {}
    campaign = db.session.scalar(select(Campaign).where(Campaign.slug == str(data["campaign"])))
    if campaign is None:
        raise ContentError(f"{path.name}: không có Tuần lễ “{data['campaign']}”.")
    for entry in data.get("units") or []:
        unit = _unit(entry["unit"], path)
        for item in entry.get("activities") or []:
            _load_activity(unit, campaign, item, path, report)
        if entry.get("funding"):
            _load_funding(unit, campaign, entry["funding"], path, report)
        if entry.get("report"):
            _load_report(unit, campaign, entry["report"], path, report)
    for group in data.get("people") or []:
        _load_people(group, path, report)
    db.session.flush()


def _load_activity(unit, campaign, item, path, report) -> None:
    start = _day(item.get("start"), path)
    data = services.ActivityInput(
        title=item.get("title", ""),
        kind=item.get("kind", ""),
        mode=item.get("mode", "truc_tiep"),
        start_date=start,
        end_date=_day(item["end"], path) if item.get("end") else start,
        place=item.get("place", ""),
        participants=item.get("participants", 0),
        breakdown=item.get("breakdown") or {},
        links=item.get("links", ""),
        notes=item.get("notes", ""),
    )
    try:
        values = services.validate_activity(campaign, data)
    except ValidationError as error:
        raise ContentError(f"{path.name}: “{data.title}”: {error.message}") from error
    breakdown = values.pop("_breakdown")
    counts = report.for_kind("demo_activities")
    activity = db.session.scalar(
        select(Activity).where(
            Activity.unit_id == unit.id,
            Activity.campaign_id == campaign.id,
            Activity.title == values["title"],
        )
    )
    if activity is None:
        activity = Activity(unit_id=unit.id, campaign_id=campaign.id, **values)
        db.session.add(activity)
        services._apply_breakdown(activity, breakdown)
        counts.created += 1
    elif apply_fields(activity, values) | bool(services._apply_breakdown(activity, breakdown)):
        counts.updated += 1
    else:
        counts.unchanged += 1
    db.session.flush()


def _load_funding(unit, campaign, item, path, report) -> None:
    values = {
        "state_budget": int(item.get("state_budget", 0)),
        "sponsorship": int(item.get("sponsorship", 0)),
        "note": item.get("note", ""),
    }
    counts = report.for_kind("demo_funding")
    funding = services.get_funding(unit, campaign)
    if funding is None:
        db.session.add(Funding(unit_id=unit.id, campaign_id=campaign.id, **values))
        counts.created += 1
    elif apply_fields(funding, values):
        counts.updated += 1
    else:
        counts.unchanged += 1


def _load_report(unit, campaign, item, path, report) -> None:
    fields = services.ReportInput.__annotations__
    values = services._report_values(services.ReportInput(**{k: item.get(k, "") for k in fields}))
    submitted_at = item.get("submitted_at")
    if submitted_at is not None:
        if not isinstance(submitted_at, datetime):
            submitted_at = datetime.fromisoformat(str(submitted_at))
        if submitted_at.tzinfo is None:
            submitted_at = submitted_at.replace(tzinfo=VN_TZ)
    values["submitted"] = submitted_at is not None
    values["submitted_at"] = submitted_at
    counts = report.for_kind("demo_reports")
    current = services.get_report(unit, campaign)
    if current is None:
        db.session.add(ReportSubmission(unit_id=unit.id, campaign_id=campaign.id, **values))
        counts.created += 1
    elif apply_fields(current, values):
        counts.updated += 1
    else:
        counts.unchanged += 1


def _load_people(group, path, report) -> None:
    unit = _unit(group["unit"], path)
    joined = datetime.combine(_day(group["joined"], path), time(9), VN_TZ)
    counts = report.for_kind("demo_people")
    for n in range(1, int(group.get("count", 1)) + 1):
        email = f"demo-{unit.code}-{group['target_group']}-{n}@demo.hoctap.vn"
        values = {
            "full_name": f"Người học minh họa {n} ({unit.short_name or unit.name}, demo)",
            "unit_id": unit.id,
            "target_group": group.get("target_group"),
            "gender": group.get("gender"),
            "birth_year": group.get("birth_year"),
            "created_at": joined,
        }
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            db.session.add(User(email=email, password_hash=NO_PASSWORD, **values))
            counts.created += 1
        elif apply_fields(user, values):
            counts.updated += 1
        else:
            counts.unchanged += 1
