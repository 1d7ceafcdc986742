"""Password hashing with Argon2id and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from ..core.errors import ValidationError

MIN_LENGTH = 8
MAX_LENGTH = 128

#: Passwords people pick first; refusing them costs nothing.
COMMON = {
    "12345678", "123456789", "1234567890", "password", "password1", "matkhau", "matkhau123",
    "abc12345", "qwerty123", "11111111", "88888888", "iloveyou", "admin123", "hoctap123",
    "a1234567", "vietnam123",
}  # fmt: skip


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config["HOCTAP_ARGON2"])


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def check_password_policy(password: str, email: str = "") -> None:
    """Raise ValidationError with a Vietnamese message when a password is too weak."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"Mật khẩu cần ít nhất {MIN_LENGTH} ký tự.", field="password")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"Mật khẩu dài tối đa {MAX_LENGTH} ký tự.", field="password")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        raise ValidationError("Mật khẩu cần có cả chữ và số.", field="password")
    if password.lower() in COMMON:
        raise ValidationError(
            "Mật khẩu này quá phổ biến, hãy chọn mật khẩu khác.", field="password"
        )
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in password.lower():
        raise ValidationError("Mật khẩu không được chứa địa chỉ email.", field="password")
