"""Organizer pages: scope, contests and rounds, bank import/export, counters, exports."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from hoctap_learn.contests import attempts
from hoctap_learn.contests.models import Contest, Question, Round
from hoctap_learn.contests.xlsx import TEMPLATE_HEADERS, question_template, write_csv
from hoctap_learn.core.types import utcnow
from hoctap_learn.units.models import Unit
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_user

from .helpers import participant

ADMIN = ("admin@demo.hoctap.vn", "HocTap@2022-admin")
OTHER_UNIT = ("btc.vungtau@demo.hoctap.vn", "HocTap@2022-btc")
BASE = "/organizer/contests"


def as_admin(client):
    login(client, *ADMIN)


def unit(db, code):
    return db.session.scalar(select(Unit).where(Unit.code == code))


def test_scope_other_units_organizer_is_refused(client, db, content):
    login(client, *OTHER_UNIT)
    assert "Công dân số" not in client.get(f"{BASE}/").get_data(as_text=True)
    for url in ("/cong-dan-so", "/cong-dan-so/bank", "/cong-dan-so/winners",
                "/cong-dan-so/export/attempts.csv", "/cong-dan-so/edit",
                "/cong-dan-so/rounds/new", "/cong-dan-so/bank/questions.gift"):  # fmt: skip
        assert client.get(BASE + url).status_code == 403, url


def test_participants_cannot_open_organizer_pages(client, db, content):
    user = participant()
    login(client, user.email, PASSWORD)
    assert client.get(f"{BASE}/").status_code == 403
    assert client.get(f"{BASE}/cong-dan-so").status_code == 403


def test_organizer_of_the_unit_manages_the_contest(client, db, content):
    sogddt = unit(db, "brvt-sogddt")
    organizer = make_user(role="organizer", unit=sogddt)
    login(client, organizer.email, PASSWORD)
    html = client.get(f"{BASE}/cong-dan-so").get_data(as_text=True)
    assert "Vòng thi thử" in html and "Người tham gia theo đơn vị" in html


def test_create_contest_and_round(client, db, content):
    organizer = make_user(role="organizer", unit=unit(db, "brvt-vungtau"))
    login(client, organizer.email, PASSWORD)
    token = csrf_from(client, f"{BASE}/new")
    base = {"csrf_token": token, "slug": "thi-vung-tau", "title": "Thi TP Vũng Tàu",
            "kind": "quiz", "name_display": "full", "campaign_id": ""}  # fmt: skip
    # Another unit's id is refused (not in the organizer's subtree).
    response = client.post(f"{BASE}/new", data={**base, "unit_id": unit(db, "brvt-baria").id})
    assert response.status_code == 422
    response = client.post(f"{BASE}/new", data={**base, "unit_id": unit(db, "brvt-vungtau").id})
    assert response.status_code == 302
    contest = db.session.scalar(select(Contest).where(Contest.slug == "thi-vung-tau"))
    assert contest.unit.code == "brvt-vungtau" and not contest.published
    response = client.post(f"{BASE}/new", data={**base, "unit_id": unit(db, "brvt-vungtau").id})
    assert response.status_code == 422 and "đã được dùng" in response.get_data(as_text=True)

    token = csrf_from(client, f"{BASE}/thi-vung-tau/rounds/new")
    data = {"csrf_token": token, "slug": "vong-1", "title": "Vòng 1",
            "opens_at": "2022-10-20T08:00", "closes_at": "2022-10-20T07:00",
            "questions_per_attempt": "10", "time_limit_minutes": "15", "attempts_allowed": "0",
            "reveal_answers": "never"}  # fmt: skip
    response = client.post(f"{BASE}/thi-vung-tau/rounds/new", data=data)
    assert response.status_code == 422 and "phải sau" in response.get_data(as_text=True)
    response = client.post(f"{BASE}/thi-vung-tau/rounds/new",
                           data={**data, "closes_at": "2022-10-22T17:00"})  # fmt: skip
    assert response.status_code == 302
    round_ = db.session.scalar(select(Round).where(Round.contest_id == contest.id))
    assert round_.opens_at.isoformat() == "2022-10-20T01:00:00+00:00"
    assert round_.attempts_allowed is None and round_.time_limit_seconds == 900
    edit = client.get(f"{BASE}/thi-vung-tau/rounds/vong-1/edit").get_data(as_text=True)
    assert 'value="2022-10-20T08:00"' in edit


def upload(client, url, name, data, **fields):
    token = csrf_from(client, url)
    return client.post(
        url, data={"csrf_token": token, "file": (io.BytesIO(data), name), **fields},
        content_type="multipart/form-data",
    )  # fmt: skip


def test_bank_import_gift_with_errors_then_skip_invalid(client, db, content):
    as_admin(client)
    url = f"{BASE}/cong-dan-so/bank"
    gift = "::Z1:: Câu mới {T}\n\n::Z2:: Câu lỗi {=a =b ~c}\n".encode()
    response = upload(client, url, "moi.gift", gift)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Dòng 3:" in html and "Chưa nhập câu nào" in html
    assert db.session.scalar(select(func.count()).select_from(Question)) == 81
    response = upload(client, url, "moi.gift", gift, skip_invalid="y")
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Question)) == 82


def test_bank_import_excel_and_dry_run(client, db, content):
    as_admin(client)
    url = f"{BASE}/cong-dan-so/bank"
    response = upload(client, url, "mau.xlsx", question_template(), dry_run="y")
    assert response.status_code == 200 and "sẽ nhập" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Question)) == 81
    response = upload(client, url, "mau.xlsx", question_template())
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Question)) == 86
    response = upload(client, url, "hong.xlsx", b"PK\x03\x04 not really")
    assert response.status_code == 422 and "không phải bảng tính" in response.get_data(as_text=True)
    response = upload(client, url, "rong.gift", b"")
    assert response.status_code == 422


def test_excel_rows_report_row_numbers():
    from hoctap_learn.contests.xlsx import parse_xlsx

    book = Workbook()
    sheet = book.active
    sheet.append(TEMPLATE_HEADERS)
    sheet.append(["n", "Một lựa chọn", "", "Câu?", "x", "y", "", "", "", "", "C", ""])
    sheet.append([])
    sheet.append(["n", "Kiểu lạ", "", "Câu?", "", "", "", "", "", "", "A", ""])
    sheet.append(["n", "Số", "", "Bao nhiêu?", "", "", "", "", "", "", "10..5", ""])
    sheet.append(["n", "Đúng/Sai", "", "Đúng?", "", "", "", "", "", "", "Đúng", ""])
    out = io.BytesIO()
    book.save(out)
    result = parse_xlsx(out.getvalue())
    assert [e.line for e in result.errors] == [2, 4, 5]
    assert [(q.line, q.answer) for q in result.questions] == [(6, {"value": True})]


def test_template_and_gift_export_download(client, content):
    as_admin(client)
    response = client.get(f"{BASE}/bank-template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == TEMPLATE_HEADERS
    response = client.get(f"{BASE}/cong-dan-so/bank/questions.gift")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).count("::Q-") == 81


def test_counters_winners_and_exports_neutralise_formulas(client, db, content):
    contest = db.session.scalar(select(Contest))
    practice = next(r for r in contest.rounds if r.is_practice)
    people = [participant(full_name='=HYPERLINK("http://x")'), participant(full_name="Lê Văn Bình")]
    now = utcnow()
    for n, user in enumerate(people):
        attempt = attempts.start_attempt(user, practice.id, now, rng=random.Random(n))
        attempts.submit_attempt(user, attempt.id, now + timedelta(seconds=30 + n))
    attempts.start_attempt(participant(), practice.id, now)
    db.session.commit()
    as_admin(client)
    html = client.get(f"{BASE}/cong-dan-so").get_data(as_text=True)
    assert "<td>3</td><td>3</td><td>2</td>\n            <td>1</td>" in html.replace("\r", "")
    winners = client.get(f"{BASE}/cong-dan-so/winners?round=thi-thu&top=1").get_data(as_text=True)
    assert winners.count("<tr>") == 2  # header + one winner
    response = client.get(f"{BASE}/cong-dan-so/export/attempts.csv?round=thi-thu")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 4 and rows[0][0] == "Mã lượt"
    names = {r[3] for r in rows[1:]}
    assert '\'=HYPERLINK("http://x")' in names
    response = client.get(f"{BASE}/cong-dan-so/export/ranking.xlsx?round=thi-thu")
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [c.value for c in sheet["B"]][1:]
    assert '\'=HYPERLINK("http://x")' in values and "Lê Văn Bình" in values
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert client.get(f"{BASE}/cong-dan-so/export/other.csv").status_code == 404


def test_write_csv_guards_every_formula_prefix():
    data = write_csv(["a"], [["=1+1"], ["+1"], ["-1"], ["@SUM(A1)"], ["\tx"], ["ok"], [5]])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "ok", "5"]
