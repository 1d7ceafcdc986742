"""WTForms for accounts; all of them carry a CSRF token (Flask-WTF)."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, Optional

from ..core.forms import BaseForm, select_choices
from .models import GENDERS, ROLES, TARGET_GROUPS

REQUIRED = "Vui lòng điền mục này."


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class ProfileFields(BaseForm):
    full_name = StringField(
        "Họ và tên",
        validators=[DataRequired(REQUIRED), Length(max=120, message="Tối đa 120 ký tự.")],
    )
    birth_year = IntegerField(
        "Năm sinh", validators=[Optional()], render_kw={"inputmode": "numeric"}
    )
    gender = SelectField(
        "Giới tính (không bắt buộc)",
        choices=select_choices([("", "— Không nêu —"), *GENDERS.items()]),
        validators=[Optional()],
    )
    unit_id = SelectField("Đơn vị (huyện/thành phố, cơ quan)", coerce=_optional_int)
    workplace = StringField(
        "Trường học / nơi làm việc", validators=[Length(max=255, message="Tối đa 255 ký tự.")]
    )
    target_group = SelectField(
        "Đối tượng",
        choices=select_choices([("", "— Chọn —"), *TARGET_GROUPS.items()]),
        validators=[Optional()],
    )
    phone = StringField(
        "Số điện thoại (không bắt buộc)",
        validators=[Length(max=20, message="Tối đa 20 ký tự.")],
        render_kw={"inputmode": "tel", "autocomplete": "tel"},
    )


class RegisterForm(ProfileFields):
    email = EmailField(
        "Email",
        validators=[DataRequired(REQUIRED), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Mật khẩu (ít nhất 8 ký tự, có chữ và số)",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Nhập lại mật khẩu",
        validators=[DataRequired(REQUIRED), EqualTo("password", "Hai mật khẩu không khớp.")],
        render_kw={"autocomplete": "new-password"},
    )


class LoginForm(BaseForm):
    email = EmailField(
        "Email", validators=[DataRequired(REQUIRED)], render_kw={"autocomplete": "username"}
    )
    password = PasswordField(
        "Mật khẩu",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordForm(BaseForm):
    current_password = PasswordField(
        "Mật khẩu hiện tại",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        "Mật khẩu mới",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Nhập lại mật khẩu mới",
        validators=[DataRequired(REQUIRED), EqualTo("password", "Hai mật khẩu không khớp.")],
        render_kw={"autocomplete": "new-password"},
    )


class RoleForm(BaseForm):
    role = SelectField(
        "Vai trò", choices=select_choices(list(ROLES.items())), validators=[InputRequired()]
    )
    unit_id = SelectField("Đơn vị phụ trách", coerce=_optional_int)
    active = BooleanField("Tài khoản đang hoạt động (bỏ chọn để khoá)")


class ForgotForm(BaseForm):
    email = EmailField(
        "Email của tài khoản",
        validators=[DataRequired(REQUIRED), Length(max=254, message="Tối đa 254 ký tự.")],
        render_kw={"autocomplete": "email"},
    )


class ResetForm(BaseForm):
    password = PasswordField(
        "Mật khẩu mới (ít nhất 8 ký tự, có chữ và số)",
        validators=[DataRequired(REQUIRED)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Nhập lại mật khẩu mới",
        validators=[DataRequired(REQUIRED), EqualTo("password", "Hai mật khẩu không khớp.")],
        render_kw={"autocomplete": "new-password"},
    )
