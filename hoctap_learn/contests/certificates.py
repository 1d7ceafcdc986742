"""Certificates: issue (participation, prizes), verify by code, render as PDF.

The PDF embeds DejaVu Sans (Debian's fonts-dejavu-core) because the core PDF fonts have
no Vietnamese glyphs. Names are copied onto the certificate when it is issued.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core.errors import NotFound, PermissionDenied, ValidationError
from ..core.timeutil import format_date
from ..extensions import db
from .models import Attempt, Certificate, Contest, Entry, Round
from .organizer import require_manage

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
PRIZES = ("Giải Nhất", "Giải Nhì", "Giải Ba", "Giải Khuyến khích")


def new_code() -> str:
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"HT-{chars[:4]}-{chars[4:]}"


def normalize_code(code: str) -> str:
    return (code or "").strip().upper()


def get_by_code(code: str) -> Certificate:
    cert = db.session.scalar(select(Certificate).where(Certificate.code == normalize_code(code)))
    if cert is None:
        raise NotFound("Không tìm thấy giấy chứng nhận có mã này.")
    return cert


def _took_part(user, contest: Contest) -> bool:
    attempt = db.session.scalar(
        select(Attempt.id)
        .join(Round, Round.id == Attempt.round_id)
        .where(
            Round.contest_id == contest.id,
            Round.is_practice.is_(False),
            Attempt.user_id == user.id,
            Attempt.status == "finished",
        )
        .limit(1)
    )
    if attempt is not None:
        return True
    entry = db.session.scalar(
        select(Entry.id).where(
            Entry.contest_id == contest.id, Entry.user_id == user.id, Entry.status == "approved"
        )
    )
    return entry is not None


def _issue(contest, user, kind, now, round_=None, prize="") -> Certificate:
    round_key = str(round_.id) if round_ else ""
    query = select(Certificate).where(
        Certificate.contest_id == contest.id,
        Certificate.user_id == user.id,
        Certificate.kind == kind,
        Certificate.round_key == round_key,
    )
    cert = db.session.scalar(query)
    if cert is not None:
        if kind == "prize" and cert.prize != prize:
            cert.prize = prize
            db.session.flush()
        return cert
    cert = Certificate(
        code=new_code(), contest_id=contest.id, user_id=user.id, kind=kind, prize=prize,
        round_id=round_.id if round_ else None, round_key=round_key,
        recipient_name=user.full_name, recipient_unit=user.unit.name if user.unit else "",
        issued_at=now,
    )  # fmt: skip
    try:
        with db.session.begin_nested():
            db.session.add(cert)
            db.session.flush()
    except IntegrityError:  # issued by a concurrent request
        cert = db.session.scalar(query)
    return cert


def participation_certificate(user, contest: Contest, now: datetime) -> Certificate:
    """Issued once to anyone who finished an official round or had an entry approved."""
    if not _took_part(user, contest):
        raise PermissionDenied(
            "Giấy chứng nhận tham gia dành cho người đã hoàn thành một vòng thi chính thức "
            "hoặc có bài dự thi được duyệt."
        )
    return _issue(contest, user, "participation", now)


def award_prize(actor, contest: Contest, user_id: int, prize: str, round_: Round | None,
                now: datetime) -> Certificate:  # fmt: skip
    require_manage(actor, contest)
    prize = " ".join((prize or "").split())
    if not prize or len(prize) > 100:
        raise ValidationError("Vui lòng nhập tên giải (tối đa 100 ký tự).", field="prize")
    user = db.session.get(User, user_id)
    if user is None or not _took_part(user, contest):
        raise ValidationError("Người này chưa tham gia cuộc thi.")
    return _issue(contest, user, "prize", now, round_=round_, prize=prize)


def certificates_of(user) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
        )
    )


def render_pdf(cert: Certificate, verify_url: str) -> bytes:
    from fpdf import FPDF

    font_dir = Path(current_app.config.get("HOCTAP_CERT_FONT_DIR") or DEFAULT_FONT_DIR)
    regular, bold = font_dir / "DejaVuSans.ttf", font_dir / "DejaVuSans-Bold.ttf"
    if not regular.is_file() or not bold.is_file():
        raise ValidationError(
            "Máy chủ thiếu phông chữ DejaVu (gói fonts-dejavu-core); chưa thể tạo tệp PDF."
        )
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(f"Giấy chứng nhận {cert.code}")
    pdf.set_author("hoctap_learn")
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_draw_color(11, 92, 173)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, 269, 182)
    contest = cert.contest

    def line(text, size, style="", height=10, color=(27, 31, 36)):
        pdf.set_font("DejaVu", style, size)
        pdf.set_text_color(*color)
        pdf.multi_cell(0, height, text, align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.set_xy(20, 24)
    line("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 13, "B", 7)
    line("Độc lập – Tự do – Hạnh phúc", 12, "", 7)
    pdf.ln(6)
    line(contest.unit.name.upper(), 12, "B", 7)
    pdf.ln(4)
    line("GIẤY CHỨNG NHẬN", 30, "B", 14, (11, 92, 173))
    pdf.ln(2)
    line("Chứng nhận", 13, "", 8)
    line(cert.recipient_name, 24, "B", 12, (163, 38, 26))
    if cert.recipient_unit:
        line(f"Đơn vị: {cert.recipient_unit}", 12, "", 7)
    pdf.ln(2)
    if cert.kind == "prize":
        target = f" – {cert.round.title}" if cert.round else ""
        line(f"Đã đạt {cert.prize}{target}", 16, "B", 9)
    else:
        line("Đã tham gia", 14, "", 8)
    line(contest.title, 16, "B", 9)
    if contest.campaign:
        line(contest.campaign.title, 12, "", 7)
    pdf.ln(4)
    line(f"Cấp ngày {format_date(cert.issued_at)}", 11, "", 6)
    pdf.set_xy(20, 178)
    line(f"Mã xác thực: {cert.code} · Kiểm tra tại {verify_url}", 9, "", 5, (79, 90, 102))
    return bytes(pdf.output())
