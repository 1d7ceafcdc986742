"""Participant pages: listing, round page, take and submit by form, result, leaderboard."""

from __future__ import annotations

import re

from sqlalchemy import select

from hoctap_learn.contests.models import Attempt, AttemptQuestion, Contest
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_user

from .helpers import participant

PRACTICE = "/contests/cong-dan-so/thi-thu"


def start_practice(client):
    token = csrf_from(client, PRACTICE)
    response = client.post(f"{PRACTICE}/start", data={"csrf_token": token})
    assert response.status_code == 302
    return response


def test_list_and_detail_pages(client, content):
    html = client.get("/contests/").get_data(as_text=True)
    assert "Cuộc thi trực tuyến “Công dân số”" in html
    html = client.get("/contests/cong-dan-so").get_data(as_text=True)
    assert "Vòng thi thử" in html and "Mở thường xuyên" in html
    assert "Thể lệ" in html and "19/10/2022" in html
    # The practice round's limit is 15 minutes (contest.yaml); it once read "1 giây".
    assert "10 câu · 15 phút" in html and "1 giây" not in html
    html = client.get(PRACTICE).get_data(as_text=True)
    assert "Đăng nhập để dự thi" in html
    assert "<dt>Thời gian làm bài</dt><dd>15 phút</dd>" in html
    assert client.get("/contests/khong-co").status_code == 404
    assert client.get("/contests/cong-dan-so/khong-co").status_code == 404
    home = client.get("/").get_data(as_text=True)
    assert "/contests/" in home


def test_incomplete_profile_is_sent_to_profile(client, content):
    user = make_user()
    login(client, user.email, PASSWORD)
    response = start_practice(client)
    assert response.headers["Location"].endswith("/account/profile")
    follow = client.get("/account/profile").get_data(as_text=True)
    assert "cập nhật đầy đủ" in follow


def test_take_submit_result_by_form(client, db, content):
    user = participant(full_name="Phạm Thị Hoa")
    login(client, user.email, PASSWORD)
    response = start_practice(client)
    take_url = response.headers["Location"]
    html = client.get(take_url).get_data(as_text=True)
    assert html.count('class="question"') == 10
    assert 'id="countdown"' in html and "Nộp bài" in html
    attempt = db.session.scalar(select(Attempt))
    data = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)}
    for aq in attempt.questions:
        q = aq  # the question as drawn, options with the attempt's ids
        if q.type == "single_choice":
            data[f"q-{aq.id}"] = str(max(q.options, key=lambda o: o["fraction"])["id"])
        elif q.type == "multiple_choice":
            data[f"q-{aq.id}"] = [str(o["id"]) for o in q.options if o["fraction"] > 0]
        elif q.type == "true_false":
            data[f"q-{aq.id}"] = "true" if q.answer["value"] else "false"
        elif q.type == "short_answer":
            data[f"q-{aq.id}"] = q.answer[0]["text"].upper()
        else:
            data[f"q-{aq.id}"] = f"{q.answer[0]['value']:g}"
    response = client.post(f"/contests/attempts/{attempt.id}/submit", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/result")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<strong>10</strong> / 10" in html
    assert "Đáp án:" in html  # the practice round reveals answers after submit
    # Taking the page again shows the result, not the quiz.
    assert client.get(take_url).headers["Location"].endswith("/result")
    board = client.get("/contests/cong-dan-so/leaderboard?round=thi-thu").get_data(as_text=True)
    table = board[board.index("<table>") : board.index("</table>")]
    assert "Phạm T. H." in table and "Phạm Thị Hoa" not in table


def test_bad_form_value_saves_nothing(client, db, content):
    user = participant()
    login(client, user.email, PASSWORD)
    take_url = start_practice(client).headers["Location"]
    html = client.get(take_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    attempt = db.session.scalar(select(Attempt))
    choice = next(aq for aq in attempt.questions if aq.question.type == "single_choice")
    response = client.post(f"/contests/attempts/{attempt.id}/submit",
                           data={"csrf_token": token, f"q-{choice.id}": "abc"})  # fmt: skip
    assert response.headers["Location"] == take_url
    assert "không hợp lệ" in client.get(take_url).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).status == "in_progress"
    assert db.session.scalars(select(AttemptQuestion.response)).all() == [None] * 10


def test_other_peoples_attempts_are_hidden(client, db, content):
    owner = participant()
    login(client, owner.email, PASSWORD)
    start_practice(client)
    attempt = db.session.scalar(select(Attempt))
    client.post("/account/logout", data={"csrf_token": csrf_from(client, "/")})
    other = participant()
    login(client, other.email, PASSWORD)
    assert client.get(f"/contests/attempts/{attempt.id}").status_code == 404
    assert client.get(f"/contests/attempts/{attempt.id}/result").status_code == 404


def test_unpublished_contest_only_for_its_organizers(client, db, content):
    contest = db.session.scalar(select(Contest))
    contest.published = False
    db.session.commit()
    assert client.get("/contests/cong-dan-so").status_code == 404
    assert "Công dân số" not in client.get("/contests/").get_data(as_text=True)
    login(client, "btc.vungtau@demo.hoctap.vn", "HocTap@2022-btc")  # another unit's organizer
    assert client.get("/contests/cong-dan-so").status_code == 404
    client.post("/account/logout", data={"csrf_token": csrf_from(client, "/")})
    login(client, "admin@demo.hoctap.vn", "HocTap@2022-admin")
    assert client.get("/contests/cong-dan-so").status_code == 200
