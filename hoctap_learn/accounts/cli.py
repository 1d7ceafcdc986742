"""`hoctap user …` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..core.cli_util import echo_json, json_option, transactional
from ..core.errors import NotFound, ValidationError
from ..extensions import db
from ..units.services import get_unit
from . import services
from .models import ROLES, User

user_group = click.Group("user", help="Quản lý tài khoản người dùng.")


def _user_dict(user: User) -> dict:
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "unit": user.unit.code if user.unit else None,
        "active": user.active,
    }


@user_group.command("create")
@click.option("--email", required=True)
@click.option("--name", "full_name", required=True)
@click.option("--role", type=click.Choice(list(ROLES)), default="participant", show_default=True)
@click.option("--unit", "unit_code", help="Mã đơn vị (bắt buộc với organizer).")
@click.option("--password", help="Bỏ trống để nhập khi được hỏi.")
@json_option
@with_appcontext
@transactional
def create_user(email, full_name, role, unit_code, password, as_json):
    """Tạo tài khoản (admin, organizer hoặc participant)."""
    if password is None:
        password = click.prompt("Mật khẩu", hide_input=True, confirmation_prompt=True)
    unit_id = get_unit(unit_code).id if unit_code else None
    if role == "organizer" and unit_id is None:
        raise ValidationError("Tài khoản organizer cần --unit.")
    user = services.register(
        email, password, services.ProfileInput(full_name=full_name, unit_id=unit_id), role=role
    )
    if as_json:
        echo_json(_user_dict(user))
    else:
        click.echo(f"Đã tạo tài khoản {user.email} ({user.role_label}).")


@user_group.command("list")
@click.option("--role", type=click.Choice(list(ROLES)))
@json_option
@with_appcontext
def list_users(role, as_json):
    """Liệt kê tài khoản."""
    stmt = select(User).order_by(User.id)
    if role:
        stmt = stmt.where(User.role == role)
    users = [_user_dict(u) for u in db.session.scalars(stmt)]
    if as_json:
        echo_json(users)
        return
    for u in users:
        click.echo(f"{u['id']:>5}  {u['email']:<40} {u['role']:<12} {u['unit'] or ''}")


def _by_email(email: str) -> User:
    user = services.get_user_by_email(email)
    if user is None:
        raise NotFound(f"Không có tài khoản {email}.")
    return user


@user_group.command("set-active")
@click.argument("email")
@click.option("--on/--off", "active", required=True, help="Mở (--on) hoặc khoá (--off).")
@json_option
@with_appcontext
@transactional
def set_active(email, active, as_json):
    """Mở hoặc khoá tài khoản; khoá thì mọi phiên đăng nhập và token API kết thúc."""
    user = services.set_active(_by_email(email), active)
    if as_json:
        echo_json(_user_dict(user))
    else:
        click.echo(f"{user.email}: {'đang hoạt động' if user.active else 'đã khoá'}.")


@user_group.command("logout-everywhere")
@click.argument("email")
@json_option
@with_appcontext
@transactional
def logout_everywhere(email, as_json):
    """Kết thúc mọi phiên đăng nhập và token API của tài khoản."""
    user = _by_email(email)
    services.log_out_everywhere(user)
    if as_json:
        echo_json(_user_dict(user))
    else:
        click.echo(f"Đã đăng xuất {user.email} khỏi mọi thiết bị.")
