"""Account use cases: register, authenticate, profile, password, roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, or_, select

from ..core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..core.types import utcnow
from ..extensions import db
from ..units.models import Unit
from ..units.services import subtree_ids_select
from . import throttle
from .models import GENDERS, ROLES, TARGET_GROUPS, User
from .passwords import check_password_policy, hash_password, needs_rehash, verify_password

NAME_MAX = 120
WORKPLACE_MAX = 255


@dataclass
class ProfileInput:
    full_name: str
    birth_year: int | None = None
    gender: str | None = None
    unit_id: int | None = None
    workplace: str | None = None
    target_group: str | None = None
    phone: str | None = None


def normalize_email(email: str) -> str:
    """The stored form of an address: NFKC, trimmed, validated, case-folded, so every
    spelling of one address (``ＴｈｉＳｉｎｈ@ｄemo.hoctap.vn``) is one account."""
    try:
        result = validate_email(throttle.login_key(email), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError("Địa chỉ email không hợp lệ.", field="email") from exc
    return result.normalized.casefold()


def _clean_profile(data: ProfileInput) -> dict:
    full_name = " ".join((data.full_name or "").split())
    if not full_name:
        raise ValidationError("Vui lòng nhập họ và tên.", field="full_name")
    if len(full_name) > NAME_MAX:
        raise ValidationError(f"Họ và tên dài tối đa {NAME_MAX} ký tự.", field="full_name")
    this_year = date.today().year
    if data.birth_year is not None and not (this_year - 110 <= data.birth_year <= this_year - 4):
        raise ValidationError("Năm sinh không hợp lệ.", field="birth_year")
    gender = data.gender or None
    if gender is not None and gender not in GENDERS:
        raise ValidationError("Giới tính không hợp lệ.", field="gender")
    target_group = data.target_group or None
    if target_group is not None and target_group not in TARGET_GROUPS:
        raise ValidationError("Đối tượng không hợp lệ.", field="target_group")
    if data.unit_id is not None:
        unit = db.session.get(Unit, data.unit_id)
        if unit is None or not unit.active:
            raise ValidationError("Đơn vị không hợp lệ.", field="unit_id")
    workplace = " ".join((data.workplace or "").split()) or None
    if workplace and len(workplace) > WORKPLACE_MAX:
        raise ValidationError(
            f"Trường học/nơi làm việc dài tối đa {WORKPLACE_MAX} ký tự.", field="workplace"
        )
    phone = "".join((data.phone or "").split()) or None
    if phone and (len(phone) > 20 or not phone.lstrip("+").isdigit()):
        raise ValidationError("Số điện thoại không hợp lệ.", field="phone")
    return {
        "full_name": full_name,
        "birth_year": data.birth_year,
        "gender": gender,
        "unit_id": data.unit_id,
        "workplace": workplace,
        "target_group": target_group,
        "phone": phone,
    }


def get_user_by_email(email: str) -> User | None:
    try:
        email = normalize_email(email)
    except ValidationError:
        return None
    return db.session.scalar(select(User).where(User.email == email))


def register(email: str, password: str, profile: ProfileInput, role: str = "participant") -> User:
    """Create an account. Raises ValidationError/Conflict; nothing is saved on error."""
    email = normalize_email(email)
    check_password_policy(password, email)
    values = _clean_profile(profile)
    if role not in ROLES:
        raise ValidationError("Vai trò không hợp lệ.", field="role")
    if role == "organizer" and values["unit_id"] is None:
        raise ValidationError("Ban tổ chức phải thuộc một đơn vị.", field="unit_id")
    if get_user_by_email(email) is not None:
        hash_password(password)  # the same time as a new account's answer
        raise Conflict("Email này đã được đăng ký.", field="email")
    user = User(email=email, password_hash=hash_password(password), role=role, **values)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Upgrades old hashes."""
    user = get_user_by_email(email)
    if user is None:
        # Spend the same time as a real check so response times do not reveal accounts.
        verify_password(_DUMMY_HASH.get(), password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def log_in(email, password, address: str) -> User | None:
    """`authenticate` behind the login delays (`throttle`): the same rules for the login
    page and for API tokens. Raises throttle.TooManyFailures when the try comes too soon."""
    account = throttle.login_key(email)
    throttle.check(account, address)
    user = authenticate(email, password)
    if user is None:
        throttle.failed(account, address)
        return None
    throttle.succeeded(account, address)
    return user


def end_credentials(user: User) -> None:
    """End every browser session and API token of the account (they carry the version)."""
    user.session_version += 1


class _LazyDummyHash:
    """A hash computed once with the app's parameters, for timing-equal failed logins."""

    def __init__(self):
        self._value: str | None = None

    def get(self) -> str:
        if self._value is None:
            self._value = hash_password("không-phải-mật-khẩu-thật-0")
        return self._value


_DUMMY_HASH = _LazyDummyHash()


def update_profile(user: User, profile: ProfileInput) -> User:
    values = _clean_profile(profile)
    if user.is_organizer and values["unit_id"] != user.unit_id:
        raise ValidationError(
            "Đơn vị của tài khoản ban tổ chức do quản trị viên thay đổi.", field="unit_id"
        )
    for key, value in values.items():
        setattr(user, key, value)
    db.session.flush()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise ValidationError("Mật khẩu hiện tại không đúng.", field="current_password")
    if current == new:
        raise ValidationError("Mật khẩu mới phải khác mật khẩu hiện tại.", field="password")
    check_password_policy(new, user.email)
    user.password_hash = hash_password(new)
    end_credentials(user)
    db.session.flush()


def log_out_everywhere(user: User) -> None:
    """"Đăng xuất khỏi mọi thiết bị": every session and token of the account ends."""
    end_credentials(user)
    db.session.flush()


def set_role(
    actor: User, user: User, role: str, unit_id: int | None, active: bool | None = None
) -> User:
    """An administrator changes a user's role, the unit an organizer manages and whether the
    account is active. Any change ends the account's sessions and tokens."""
    if not actor.is_admin:
        raise PermissionDenied("Chỉ quản trị viên được đổi vai trò.")
    if role not in ROLES:
        raise ValidationError("Vai trò không hợp lệ.", field="role")
    if role == "organizer" and unit_id is None:
        raise ValidationError("Hãy chọn đơn vị mà ban tổ chức phụ trách.", field="unit_id")
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise ValidationError("Đơn vị không hợp lệ.", field="unit_id")
    if user.id == actor.id and role != "admin":
        raise ValidationError("Bạn không thể tự bỏ quyền quản trị của mình.", field="role")
    active = user.active if active is None else active
    if user.id == actor.id and not active:
        raise ValidationError("Bạn không thể tự khoá tài khoản của mình.", field="active")
    if (user.role, user.unit_id, user.active) != (role, unit_id, active):
        user.role = role
        user.unit_id = unit_id
        user.active = active
        end_credentials(user)
    db.session.flush()
    return user


def set_active(user: User, active: bool) -> User:
    """Switch an account on or off (operator, CLI); switching it off ends its sessions and
    tokens, and switching it back on does not bring them back."""
    if user.active != active:
        user.active = active
        end_credentials(user)
    db.session.flush()
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy người dùng.")
    return user


def users_in_scope(actor: User, query: str = ""):
    """SELECT of the users an organizer may see (their unit subtree); all for admins."""
    stmt = select(User).order_by(User.full_name, User.id)
    if not actor.is_admin:
        if not actor.is_organizer or actor.unit_id is None:
            raise PermissionDenied("Bạn không có quyền xem danh sách người dùng.")
        stmt = stmt.where(User.unit_id.in_(subtree_ids_select(actor.unit_id)))
    query = " ".join(query.split())[:100]
    if query:
        like = f"%{query.lower()}%"
        stmt = stmt.where(or_(func.lower(User.full_name).like(like), User.email.like(like)))
    return stmt


def can_view_user(actor: User, user: User) -> bool:
    if actor.is_admin:
        return True
    if not actor.is_organizer or user.unit_id is None:
        return False
    stmt = subtree_ids_select(actor.unit_id)
    return user.unit_id in set(db.session.scalars(stmt))
