"""Forms for activities, funding and the report narratives (messages in Vietnamese)."""

from __future__ import annotations

import re

from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional

from ..accounts.models import GENDERS, TARGET_GROUPS
from ..core.forms import BaseForm, select_choices
from .models import ACTIVITY_KINDS, MODES, NARRATIVE_FIELDS

_VND_RE = re.compile(r"^\d{1,3}([.,\s]\d{3})*$|^\d+$")


class VNDField(StringField):
    """An amount in đồng typed as "12.500.000", "12 500 000" or "12500000"."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        text = (self.raw or "").strip().removesuffix("đ").removesuffix("đồng").strip()
        if not text:
            self.data = 0
            return
        if text.startswith("-"):
            self.data = None
            raise ValueError("Số tiền không được âm.")
        if not _VND_RE.match(text):
            self.data = None
            raise ValueError("Số tiền phải là số nguyên đồng, ví dụ 12.500.000 (không có phần lẻ).")
        self.data = int(re.sub(r"\D", "", text))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data in (None, ""):
            return ""
        return f"{int(self.data):,}".replace(",", ".")


def _count_field(label: str):
    return IntegerField(label, validators=[Optional()], render_kw={"inputmode": "numeric"})


class ActivityForm(BaseForm):
    title = StringField("Tên hoạt động", validators=[InputRequired("Vui lòng nhập tên hoạt động.")])
    kind = SelectField("Loại hoạt động", choices=select_choices(ACTIVITY_KINDS.items()))
    mode = SelectField("Hình thức", choices=select_choices(MODES.items()))
    start_date = DateField(
        "Ngày bắt đầu",
        validators=[InputRequired("Vui lòng nhập ngày bắt đầu (ngày/tháng/năm).")],
    )
    end_date = DateField("Ngày kết thúc (bỏ trống nếu trong một ngày)", validators=[Optional()])
    place = StringField("Địa điểm hoặc nền tảng trực tuyến")
    participants = IntegerField(
        "Tổng số người tham gia (lượt)",
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )
    links = TextAreaField("Liên kết (bài viết, hình ảnh…), mỗi dòng một địa chỉ")
    notes = TextAreaField("Ghi chú")


# The optional breakdown fields are added here so their names are stable: tg_hoc_sinh, g_nu…
for _key, _label in TARGET_GROUPS.items():
    setattr(ActivityForm, f"tg_{_key}", _count_field(_label))
for _key, _label in GENDERS.items():
    setattr(ActivityForm, f"g_{_key}", _count_field(_label))


def breakdown_from_form(form: ActivityForm) -> dict[str, dict[str, int | None]]:
    return {
        "target_group": {k: getattr(form, f"tg_{k}").data for k in TARGET_GROUPS},
        "gender": {k: getattr(form, f"g_{k}").data for k in GENDERS},
    }


def breakdown_fields(form: ActivityForm):
    return (
        [getattr(form, f"tg_{k}") for k in TARGET_GROUPS],
        [getattr(form, f"g_{k}") for k in GENDERS],
    )


class FundingForm(BaseForm):
    state_budget = VNDField("Ngân sách nhà nước (đồng)", render_kw={"inputmode": "numeric"})
    sponsorship = VNDField(
        "Hỗ trợ, vận động từ doanh nghiệp và các nguồn hợp pháp khác (đồng)",
        render_kw={"inputmode": "numeric"},
    )
    note = TextAreaField("Ghi chú")


class ReportForm(BaseForm):
    number = StringField("Số văn bản (ví dụ 125/BC-PGDĐT)")
    place = StringField("Địa danh ghi ở dòng ngày tháng (ví dụ Vũng Tàu)")
    signer = StringField("Người ký (Thủ trưởng đơn vị)")


for _name, _label in NARRATIVE_FIELDS.items():
    setattr(ReportForm, _name, TextAreaField(_label))


class ConfirmForm(BaseForm):
    """An empty form: CSRF only (delete, submit, reopen buttons)."""
