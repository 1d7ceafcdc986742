"""Certificates: who gets one, verification codes, the public page, the PDF's text."""

from __future__ import annotations

import io
import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hoctap_learn.contests import attempts, certificates
from hoctap_learn.contests.models import Certificate, Round
from hoctap_learn.core.errors import PermissionDenied, ValidationError
from hoctap_learn.core.types import utcnow
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_unit, make_user

from .helpers import T0, make_contest, participant

NOW = T0 + timedelta(hours=1)


def finished(db, user, round_):
    attempt = attempts.start_attempt(user, round_.id, NOW, rng=random.Random(3))
    attempts.submit_attempt(user, attempt.id, NOW + timedelta(seconds=40))
    db.session.commit()


def test_participation_certificate_needs_an_official_round(db):
    contest, round_ = make_contest()
    practice = Round(contest=contest, slug="thu", title="Thử", is_practice=True,
                     questions_per_attempt=3, time_limit_seconds=300,
                     reveal_answers="after_submit")  # fmt: skip
    db.session.add(practice)
    db.session.commit()
    user = participant(full_name="Võ Thị Sáu")
    finished(db, user, practice)
    with pytest.raises(PermissionDenied, match="vòng thi chính thức"):
        certificates.participation_certificate(user, contest, NOW)
    finished(db, user, round_)
    cert = certificates.participation_certificate(user, contest, NOW)
    db.session.commit()
    assert re.fullmatch(r"HT-[A-Z2-9]{4}-[A-Z2-9]{4}", cert.code)
    assert cert.recipient_name == "Võ Thị Sáu"
    again = certificates.participation_certificate(user, contest, NOW)
    assert again.id == cert.id  # issued once
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_prize_certificate_by_organizer_only(db):
    contest, round_ = make_contest()
    user = participant()
    finished(db, user, round_)
    org = make_user(role="organizer", unit=contest.unit)
    outsider = make_user(role="organizer", unit=make_unit())
    with pytest.raises(PermissionDenied):
        certificates.award_prize(outsider, contest, user.id, "Giải Nhất", round_, NOW)
    with pytest.raises(ValidationError, match="chưa tham gia"):
        certificates.award_prize(org, contest, participant().id, "Giải Nhất", round_, NOW)
    cert = certificates.award_prize(org, contest, user.id, "Giải Nhì", round_, NOW)
    same = certificates.award_prize(org, contest, user.id, "Giải Nhất", round_, NOW)
    db.session.commit()
    assert same.id == cert.id and same.prize == "Giải Nhất"
    overall = certificates.award_prize(org, contest, user.id, "Giải Ba", None, NOW)
    db.session.commit()
    assert overall.id != cert.id


def test_public_verification_page_and_pdf(client, db):
    contest, round_ = make_contest()
    user = participant(full_name="Đặng Thùy Trâm")
    finished(db, user, round_)
    org = make_user(role="organizer", unit=contest.unit)
    cert = certificates.award_prize(org, contest, user.id, "Giải Nhất", round_, utcnow())
    db.session.commit()
    html = client.get(f"/certificates/{cert.code}").get_data(as_text=True)
    assert "Giấy chứng nhận hợp lệ" in html and "Đặng Thùy Trâm" in html and "Giải Nhất" in html
    assert client.get(f"/certificates/{cert.code.lower()}").status_code == 200
    missing = client.get("/certificates/HT-AAAA-BBBB")
    assert missing.status_code == 404 and "Không tìm thấy giấy chứng nhận" in missing.get_data(
        as_text=True
    )
    response = client.get(f"/certificates/{cert.code}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Đặng Thùy Trâm" in text and "GIẤY CHỨNG NHẬN" in text and cert.code in text
    assert b"DejaVu" in response.data  # the font is embedded


def test_missing_font_is_a_message_not_a_500(client, db, app):
    contest, round_ = make_contest()
    user = participant()
    finished(db, user, round_)
    cert = certificates.participation_certificate(user, contest, utcnow())
    db.session.commit()
    app.config["HOCTAP_CERT_FONT_DIR"] = "/khong/co"
    response = client.get(f"/certificates/{cert.code}.pdf")
    assert response.status_code == 400 and "phông chữ" in response.get_data(as_text=True)


def test_participant_requests_certificate_from_contest_page(client, db):
    contest, round_ = make_contest()
    user = participant()
    login(client, user.email, PASSWORD)
    token = csrf_from(client, f"/contests/{contest.slug}")
    response = client.post(f"/contests/{contest.slug}/certificate", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/contests/{contest.slug}")
    finished(db, user, round_)
    response = client.post(f"/contests/{contest.slug}/certificate", data={"csrf_token": token})
    assert "/certificates/HT-" in response.headers["Location"]
