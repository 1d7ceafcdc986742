"""Organizer forms (participants' take page is a plain form parsed in the view)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional

from ..core.forms import BaseForm, select_choices
from .models.contest import CONTEST_KINDS, NAME_DISPLAYS, REVEAL_MODES

REQUIRED = "Vui lòng điền mục này."


def _optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class ImportForm(BaseForm):
    file = FileField("Tệp câu hỏi (GIFT, Aiken .txt hoặc Excel .xlsx theo mẫu)")
    category = StringField("Nhóm câu hỏi (cho các câu không ghi nhóm)")
    skip_invalid = BooleanField("Bỏ qua các câu lỗi, nhập các câu hợp lệ")
    dry_run = BooleanField("Chỉ kiểm tra, chưa nhập")


class ContestForm(BaseForm):
    slug = StringField("Mã cuộc thi (dùng trong đường dẫn)", validators=[DataRequired(REQUIRED)])
    title = StringField("Tên cuộc thi", validators=[DataRequired(REQUIRED)])
    unit_id = SelectField("Đơn vị tổ chức", coerce=_optional_int)
    campaign_id = SelectField("Tuần lễ", coerce=_optional_int)
    kind = SelectField("Hình thức", choices=select_choices(CONTEST_KINDS.items()))
    description = TextAreaField("Giới thiệu")
    rules = TextAreaField("Thể lệ")
    min_age = IntegerField("Tuổi tối thiểu (để trống nếu không giới hạn)", validators=[Optional()])
    name_display = SelectField(
        "Tên trên bảng xếp hạng", choices=select_choices(NAME_DISPLAYS.items())
    )
    published = BooleanField("Công bố cuộc thi")


class RoundForm(BaseForm):
    slug = StringField("Mã vòng thi", validators=[DataRequired(REQUIRED)])
    title = StringField("Tên vòng thi", validators=[DataRequired(REQUIRED)])
    description = TextAreaField("Mô tả")
    opens_at = DateTimeLocalField(
        "Mở lúc (giờ Việt Nam; để trống: luôn mở)", format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    closes_at = DateTimeLocalField(
        "Đóng lúc (giờ Việt Nam; để trống: không đóng)", format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
    )  # fmt: skip
    is_practice = BooleanField("Vòng thi thử (không tính vào kết quả chung cuộc)")
    questions_per_attempt = IntegerField(
        "Số câu hỏi mỗi lượt", default=20, validators=[DataRequired(REQUIRED), NumberRange(1, 200)]
    )
    time_limit_minutes = IntegerField(
        "Thời gian làm bài (phút)",
        default=20,
        validators=[DataRequired(REQUIRED), NumberRange(1, 600)],
    )
    attempts_allowed = IntegerField(
        "Số lượt thi mỗi người (0: không giới hạn)", default=1, validators=[NumberRange(0, 100)]
    )
    shuffle_questions = BooleanField("Xáo trộn thứ tự câu hỏi", default=True)
    shuffle_options = BooleanField("Xáo trộn phương án", default=True)
    reveal_answers = SelectField("Công bố đáp án", choices=select_choices(REVEAL_MODES.items()))
    prediction_enabled = BooleanField("Có câu hỏi dự đoán số người tham gia")
    category_ids = SelectMultipleField(
        "Rút câu hỏi từ các nhóm (không chọn: toàn bộ ngân hàng)", coerce=int
    )


class EntryForm(BaseForm):
    title = StringField("Tên bài dự thi", validators=[DataRequired(REQUIRED)])
    kind = SelectField("Loại bài")
    body = TextAreaField("Nội dung bài viết / lời giới thiệu")
    file = FileField("Tệp (ảnh, âm thanh hoặc video)")
    video_url = StringField("Đường dẫn video (https://…)")


class RubricForm(BaseForm):
    rubric = TextAreaField("Tiêu chí chấm (mỗi dòng: Tên tiêu chí | điểm tối đa)")


class PrizeForm(BaseForm):
    user_id = IntegerField(validators=[DataRequired(REQUIRED)])
    prize = StringField("Giải", validators=[DataRequired(REQUIRED)])
