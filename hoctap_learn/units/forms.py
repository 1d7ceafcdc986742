from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..core.forms import BaseForm, select_choices
from .models import UNIT_KINDS


class UnitForm(BaseForm):
    code = StringField(
        "Mã đơn vị (chữ thường không dấu, ví dụ: vungtau-thpt-vungtau)",
        validators=[
            DataRequired("Vui lòng nhập mã đơn vị."),
            Length(max=64, message="Tối đa 64 ký tự."),
        ],
    )
    name = StringField(
        "Tên đơn vị",
        validators=[
            DataRequired("Vui lòng nhập tên đơn vị."),
            Length(max=255, message="Tối đa 255 ký tự."),
        ],
    )
    short_name = StringField(
        "Tên viết tắt", validators=[Length(max=100, message="Tối đa 100 ký tự.")]
    )
    kind = SelectField(
        "Loại đơn vị",
        choices=select_choices([(k, v) for k, v in UNIT_KINDS.items() if k != "province"]),
    )
