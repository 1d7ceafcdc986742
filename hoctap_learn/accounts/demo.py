"""Demo accounts from content/demo/users.yaml (skipped by `content load --no-demo`)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ..core.content import ContentError, LoadReport, apply_fields, read_yaml, register_loader
from ..extensions import db
from ..units.models import Unit
from .models import GENDERS, ROLES, TARGET_GROUPS, User
from .passwords import hash_password
from .services import get_user_by_email, normalize_email


@register_loader("demo-users", order=90, demo=True)
def load_demo_users(content_dir: Path, report: LoadReport) -> None:
    path = content_dir / "demo" / "users.yaml"
    if not path.exists():
        return
    counts = report.for_kind("demo_users")
    for entry in read_yaml(path) or []:
        email = normalize_email(entry.get("email", ""))
        role = entry.get("role", "participant")
        if role not in ROLES or not entry.get("password") or not entry.get("name"):
            raise ContentError(f"{path.name}: tài khoản {email} thiếu tên, mật khẩu hoặc vai trò.")
        unit = None
        if entry.get("unit"):
            unit = db.session.scalar(select(Unit).where(Unit.code == entry["unit"]))
            if unit is None:
                raise ContentError(f"{path.name}: không có đơn vị “{entry['unit']}”.")
        values = {"full_name": entry["name"], "role": role, "unit_id": unit.id if unit else None}
        # A participant account needs a complete profile to enter contests.
        for field, allowed in (("target_group", TARGET_GROUPS), ("gender", GENDERS)):
            if entry.get(field) is not None and entry[field] not in allowed:
                raise ContentError(f"{path.name}: {email}: “{field}” không hợp lệ.")
            values[field] = entry.get(field)
        values["birth_year"] = entry.get("birth_year")
        user = get_user_by_email(email)
        if user is None:
            db.session.add(
                User(email=email, password_hash=hash_password(entry["password"]), **values)
            )
            counts.created += 1
        elif apply_fields(user, values):
            counts.updated += 1
        else:
            counts.unchanged += 1
        report.notes.append(f"Tài khoản demo ({ROLES[role]}): {email} / {entry['password']}")
    db.session.flush()


def demo_logins(content_dir: Path) -> list[tuple[str, str, str]]:
    """(role label, email, password) of the demo accounts that exist in the database."""
    path = content_dir / "demo" / "users.yaml"
    if not path.exists():
        return []
    out = []
    for entry in read_yaml(path) or []:
        email = normalize_email(entry.get("email", ""))
        if email and get_user_by_email(email) is not None:
            role = ROLES.get(entry.get("role", "participant"), entry.get("role", ""))
            out.append((role, email, str(entry.get("password", ""))))
    return out
