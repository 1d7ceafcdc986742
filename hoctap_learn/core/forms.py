"""Helpers shared by every feature's forms and views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from ..core.errors import DomainError
from ..extensions import db


def attach_error(form, error: DomainError) -> None:
    """Show a domain error on its form field, or on the form as a whole."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*list(field.errors or []), error.message]
    else:
        form.form_errors.append(error.message)


class saving:  # noqa: N801 - used as a statement: `with saving(form) as saved:`
    """Run a form's service call and settle its transaction: committed when it returns
    (``saved.ok``), rolled back with the refusal shown on the form when it raises a
    DomainError. Other errors go on up (and the request's teardown rolls back)."""

    def __init__(self, form):
        self.form = form
        self.ok = False

    def __enter__(self) -> saving:
        return self

    def __exit__(self, kind, error, _traceback) -> bool:
        if kind is None:
            db.session.commit()
            self.ok = True
            return False
        if issubclass(kind, DomainError):
            db.session.rollback()
            attach_error(self.form, error)
            return True
        return False


def safe_next(target: str | None, default: str) -> str:
    """Only local paths are followed after login: no open redirects."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


# --- WTForms in Vietnamese ------------------------------------------------------------------


#: WTForms ships no Vietnamese catalogue; these are the built-in messages users can meet.
_VI_MESSAGES = {
    "Not a valid choice.": "Lựa chọn không hợp lệ.",
    "Not a valid choice": "Lựa chọn không hợp lệ.",
    "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
    "Choices cannot be None.": "Lựa chọn không hợp lệ.",
    "'%(value)s' is not a valid choice for this field.": "Lựa chọn không hợp lệ.",
    "Not a valid integer value.": "Vui lòng nhập một số nguyên.",
    "Not a valid decimal value.": "Vui lòng nhập một số.",
    "Not a valid float value.": "Vui lòng nhập một số.",
    "Not a valid date value.": "Ngày không hợp lệ.",
    "Not a valid datetime value.": "Thời điểm không hợp lệ.",
    "Not a valid time value.": "Giờ không hợp lệ.",
    "This field is required.": "Vui lòng điền mục này.",
    "Invalid input.": "Dữ liệu không hợp lệ.",
    "Invalid email address.": "Địa chỉ email không hợp lệ.",
    "Invalid URL.": "Địa chỉ URL không hợp lệ.",
    "Field must be equal to %(other_name)s.": "Hai giá trị không khớp.",
    "Field must be at least %(min)d character long.": "Cần ít nhất %(min)d ký tự.",
    "Field must be at least %(min)d characters long.": "Cần ít nhất %(min)d ký tự.",
    "Field cannot be longer than %(max)d character.": "Tối đa %(max)d ký tự.",
    "Field cannot be longer than %(max)d characters.": "Tối đa %(max)d ký tự.",
    "Field must be between %(min)d and %(max)d characters long.": (
        "Độ dài phải từ %(min)d đến %(max)d ký tự."
    ),
    "Number must be at least %(min)s.": "Số phải từ %(min)s trở lên.",
    "Number must be at most %(max)s.": "Số phải không quá %(max)s.",
    "Number must be between %(min)s and %(max)s.": "Số phải trong khoảng %(min)s đến %(max)s.",
    "The CSRF token is missing.": "Phiên làm việc đã hết hạn. Vui lòng tải lại trang.",
    "The CSRF token is invalid.": "Phiên làm việc đã hết hạn. Vui lòng tải lại trang.",
    "The CSRF token has expired.": "Phiên làm việc đã hết hạn. Vui lòng tải lại trang.",
    "The CSRF tokens do not match.": "Phiên làm việc đã hết hạn. Vui lòng tải lại trang.",
    "File must not be empty.": "Tệp không được rỗng.",
    "This field is required": "Vui lòng điền mục này.",
}


class _VietnameseTranslations:
    def gettext(self, message: str) -> str:
        return _VI_MESSAGES.get(message, message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


VIETNAMESE = _VietnameseTranslations()


class BaseForm(FlaskForm):
    """Every form of the app: CSRF from Flask-WTF, built-in messages in Vietnamese."""

    class Meta:
        def get_translations(self, form):
            return VIETNAMESE


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as SelectChoice objects (tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(value, label) for value, label in pairs]
