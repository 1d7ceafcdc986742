"""Organizer forms for harvest sources."""

from __future__ import annotations

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..core.forms import BaseForm, select_choices
from .models import KINDS
from .schedule import WEEKDAY_LABELS


class SourceForm(BaseForm):
    name = StringField(
        "Tên nguồn",
        validators=[
            DataRequired("Vui lòng đặt tên cho nguồn."),
            Length(max=255, message="Tối đa 255 ký tự."),
        ],
    )
    kind = SelectField("Loại nguồn", choices=select_choices(KINDS.items()))
    url = StringField(
        "Địa chỉ (URL OAI-PMH, bản tin hoặc tệp)",
        validators=[
            DataRequired("Vui lòng nhập địa chỉ của nguồn."),
            Length(max=2000, message="Tối đa 2000 ký tự."),
        ],
    )
    oai_set = StringField("Tập (set) OAI-PMH, nếu chỉ lấy một phần", validators=[Length(max=255)])
    provider = StringField(
        "Đơn vị cung cấp (cho bản ghi không ghi nhà xuất bản)", validators=[Length(max=255)]
    )
    unit_id = SelectField("Đơn vị quản lý nguồn", choices=[])
    type_map = TextAreaField(
        "Ánh xạ loại riêng của nguồn (mỗi dòng: giá-trị=mã-loại)",
        validators=[Length(max=5000, message="Tối đa 5000 ký tự.")],
    )


class ActionForm(BaseForm):
    """A button that changes something: only the CSRF token."""


class ScheduleForm(BaseForm):
    """A source's schedule: none, daily at a time, or weekly on a day at a time."""

    kind = SelectField(
        "Lịch chạy tự động",
        choices=select_choices(
            [("none", "Không chạy tự động"), ("daily", "Hằng ngày"), ("weekly", "Hằng tuần")]
        ),
    )
    weekday = SelectField(
        "Thứ (cho lịch hằng tuần)",
        choices=select_choices(
            [("", "—")] + [(str(i), label) for i, label in enumerate(WEEKDAY_LABELS)]
        ),
    )
    at = StringField(
        "Giờ chạy (GG:PP, giờ Việt Nam)",
        validators=[Length(max=5, message="Hãy ghi giờ theo dạng GG:PP, ví dụ 02:30.")],
    )
