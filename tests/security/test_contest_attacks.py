"""Attacks on a contest, performed the way a participant would: over HTTP (the Flask test
client: the JSON API and the pages) against a bank imported by the organizer's CLI.

Each test fails when its attack succeeds. Trust principle (DESIGN.md): a participant learns
nothing about the right answers before the round reveals them: not from option ids, their
order, per-question results or the leaderboard, and cannot change the tie-break afterwards.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

import pytest

from hoctap_learn.contests.models import Contest, Round
from hoctap_learn.core.types import utcnow
from hoctap_learn.extensions import db as _db
from tests.conftest import csrf_from, login
from tests.contests.helpers import participant
from tests.factories import PASSWORD, make_unit, make_user

API = "/api/v1/contests"
OPTIONS = 4  # every question of the bank below: one right option of four
BANK_SIZE = 1000  # large: few questions drawn twice, so the draws are close to independent
PER_ATTEMPT = 25
ATTEMPTS = 8  # 8 attempts x 25 questions = 200 drawn questions per strategy


def right_first_bank(size: int = BANK_SIZE) -> str:
    """A GIFT bank written as GIFT files (ours included) usually are: the right option first."""
    return "\n".join(
        f"::Q{i:03d}:: Câu hỏi số {i}? {{=Đúng {i} ~Sai một {i} ~Sai hai {i} ~Sai ba {i}}}\n"
        for i in range(size)
    )


def import_bank(runner, tmp_path, slug: str, text: str, name: str = "bank.gift"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["contest", "import-questions", str(path), "--contest", slug])
    assert result.exit_code == 0, result.output
    return result


def open_round(runner, tmp_path, bank: str | None = None, **values) -> tuple[Contest, Round]:
    """A published contest with an open round, its bank imported through the CLI."""
    unit = make_unit()
    contest = Contest(slug=f"c-{unit.code}", title="Cuộc thi", unit_id=unit.id, published=True)
    _db.session.add(contest)
    _db.session.commit()
    import_bank(runner, tmp_path, contest.slug, bank or right_first_bank())
    now = utcnow()
    settings = {
        "slug": "vong-1", "title": "Vòng 1", "opens_at": now - timedelta(hours=1),
        "closes_at": now + timedelta(days=1), "questions_per_attempt": PER_ATTEMPT,
        "time_limit_seconds": 3600, "attempts_allowed": None, "reveal_answers": "after_submit",
    }  # fmt: skip
    settings.update(values)
    round_ = Round(contest=contest, **settings)
    _db.session.add(round_)
    _db.session.commit()
    return contest, round_


def bearer(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def start(client, headers, contest, round_slug="vong-1") -> dict:
    response = client.post(f"{API}/{contest.slug}/rounds/{round_slug}/attempts", headers=headers)
    assert response.status_code in (200, 201), response.json
    return response.json


def submit(client, headers, attempt_id: int, answers: dict | None = None, **extra) -> dict:
    body = {"answers": answers, **extra} if answers is not None else extra
    response = client.post(f"{API}/attempts/{attempt_id}/submit", headers=headers, json=body)
    assert response.status_code == 200, response.json
    return response.json


def guessing_bounds(n: int, p: float = 1 / OPTIONS, sigmas: float = 5.0) -> tuple[float, float]:
    """Scores a guesser reaches with n questions, as mean ± `sigmas` binomial standard
    deviations: a blind strategy falls outside with probability < 1e-6."""
    mean, sd = n * p, math.sqrt(n * p * (1 - p))
    return mean - sigmas * sd, mean + sigmas * sd


def _numeric(option_id):
    try:
        return int(option_id)
    except (TypeError, ValueError):
        return math.inf


STRATEGIES = {
    "first shown": lambda options: options[0]["id"],
    "last shown": lambda options: options[-1]["id"],
    "smallest id (string sort)": lambda options: min(options, key=lambda o: str(o["id"]))["id"],
    "largest id (string sort)": lambda options: max(options, key=lambda o: str(o["id"]))["id"],
    "smallest id (numeric sort)": lambda options: min(options, key=lambda o: _numeric(o["id"]))[
        "id"
    ],
}


@pytest.mark.parametrize("shuffle", [True, False], ids=["shuffled", "bank-order"])
def test_blind_answering_by_fixed_rules_scores_like_guessing(client, db, runner, tmp_path, shuffle):
    contest, _round = open_round(runner, tmp_path, shuffle_options=shuffle)
    low, high = guessing_bounds(PER_ATTEMPT * ATTEMPTS)
    scores = {}
    for name, choose in STRATEGIES.items():
        headers = bearer(client, participant())
        total = 0.0
        for _ in range(ATTEMPTS):
            attempt = start(client, headers, contest)
            answers = {str(q["id"]): choose(q["options"]) for q in attempt["questions"]}
            total += submit(client, headers, attempt["id"], answers)["score"]
        scores[name] = total
    # The literal answer 0 (the bank position of the right option in a right-first file).
    headers = bearer(client, participant())
    total = 0.0
    for _ in range(ATTEMPTS):
        attempt = start(client, headers, contest)
        answers = {str(q["id"]): 0 for q in attempt["questions"]}
        saved = client.put(f"{API}/attempts/{attempt['id']}/answers", headers=headers,
                           json={"answers": answers})  # fmt: skip
        assert saved.status_code in (200, 400), saved.json
        total += submit(client, headers, attempt["id"])["score"]
    scores["the answer 0"] = total
    beaten = {name: s for name, s in scores.items() if s > high}
    assert not beaten, f"{PER_ATTEMPT * ATTEMPTS} drawn questions, guessing ≤ {high:.0f}: {scores}"
    fixed = {name: s for name, s in scores.items() if name != "the answer 0" and s < low}
    assert not fixed, f"a rule that always misses tells the answer too (≥ {low:.0f}): {scores}"


_RADIO = re.compile(r'<input type="radio" name="q-(\d+)" value="([^"]*)"')


def test_blind_answering_on_the_take_page_scores_like_guessing(client, db, runner, tmp_path):
    """The first radio button of every question, read from the take page's HTML."""
    contest, _round = open_round(runner, tmp_path, shuffle_options=False)
    user = participant()
    login(client, user.email, PASSWORD)
    low, high = guessing_bounds(PER_ATTEMPT * ATTEMPTS)
    total = 0.0
    for _ in range(ATTEMPTS):
        token = csrf_from(client, f"/contests/{contest.slug}/vong-1")
        response = client.post(f"/contests/{contest.slug}/vong-1/start",
                               data={"csrf_token": token})  # fmt: skip
        assert response.status_code == 302
        take_url = response.headers["Location"]
        page = client.get(take_url).get_data(as_text=True)
        first = {}
        for question, value in _RADIO.findall(page):
            first.setdefault(question, value)
        assert len(first) == PER_ATTEMPT
        token = csrf_from(client, take_url)
        form = {"csrf_token": token, **{f"q-{q}": v for q, v in first.items()}}
        assert client.post(f"{take_url}/submit", data=form).status_code == 302
        attempt_id = int(take_url.rstrip("/").rsplit("/", 1)[1])
        total += client.get(f"{API}/attempts/{attempt_id}/result").json["score"]
    assert low <= total <= high, f"first radio button: {total} of {PER_ATTEMPT * ATTEMPTS}"


# --- per-question results before the reveal --------------------------------------------------


def test_per_question_results_are_hidden_until_the_round_reveals_them(
    client, db, runner, tmp_path
):
    contest, round_ = open_round(runner, tmp_path, reveal_answers="after_close",
                                 questions_per_attempt=5)  # fmt: skip
    user = participant()
    headers = bearer(client, user)
    attempt = start(client, headers, contest)
    answers = {str(q["id"]): q["options"][0]["id"] for q in attempt["questions"]}
    result = submit(client, headers, attempt["id"], answers)
    shown = client.get(f"{API}/attempts/{attempt['id']}/result", headers=headers).json
    for data in (result, shown):
        assert data["answers_revealed"] is False
        assert data["score"] is not None  # the total is the participant's to see
        leaked = [q for q in data["questions"] if q.get("points") is not None]
        assert not leaked, f"points per question before the reveal: {leaked}"
        assert not any("correct_answer" in q for q in data["questions"])
    login(client, user.email, PASSWORD)
    page = client.get(f"/contests/attempts/{attempt['id']}/result").get_data(as_text=True)
    assert "Đáp án sẽ được công bố sau khi vòng thi kết thúc." in page
    assert not re.search(r"\d+/\d+ điểm", page), "the page shows points per question"
    # Once the round has closed the answers are revealed, with the points per question.
    round_.opens_at, round_.closes_at = utcnow() - timedelta(days=2), utcnow() - timedelta(hours=1)
    db.session.commit()
    shown = client.get(f"{API}/attempts/{attempt['id']}/result", headers=headers).json
    assert shown["answers_revealed"] is True
    assert all(q["points"] is not None for q in shown["questions"])
    assert sum(q["points"] for q in shown["questions"]) == shown["score"]
    page = client.get(f"/contests/attempts/{attempt['id']}/result").get_data(as_text=True)
    assert re.search(r"\d+/\d+ điểm", page)


# --- the prediction tie-break -----------------------------------------------------------------


def _ranked(client, contest, headers=None) -> list[dict]:
    response = client.get(f"{API}/{contest.slug}/leaderboard?round=vong-1", headers=headers or {})
    assert response.status_code == 200, response.json
    return response.json["results"]


def test_predictions_and_gaps_are_hidden_while_the_round_is_open(
    app, client, db, runner, tmp_path
):
    contest, round_ = open_round(runner, tmp_path, questions_per_attempt=5,
                                 prediction_enabled=True)  # fmt: skip
    for guess in (3, 40):
        headers = bearer(client, participant())
        attempt = start(client, headers, contest)
        submit(client, headers, attempt["id"], {}, prediction=guess)
    spy = participant()
    for headers in ({}, bearer(client, spy)):
        rows = _ranked(client, contest, headers)
        assert len(rows) == 2
        seen = [(r.get("prediction"), r.get("prediction_gap")) for r in rows]
        assert seen == [(None, None), (None, None)], f"readable while open: {seen}"
    login(client, spy.email, PASSWORD)
    page = client.get(f"/contests/{contest.slug}/leaderboard?round=vong-1").get_data(as_text=True)
    assert not re.search(r"<td>(3|40)</td>", page), "the page shows the predictions"
    # The organizer of the unit still sees them on the winners page.
    organizer, staff = make_user(role="organizer", unit=contest.unit), app.test_client()
    login(staff, organizer.email, PASSWORD)
    winners = staff.get(f"/organizer/contests/{contest.slug}/winners?round=vong-1")
    assert winners.status_code == 200
    assert re.search(r"<td>3</td>", winners.get_data(as_text=True))
    # After the close everyone sees them.
    round_.opens_at, round_.closes_at = utcnow() - timedelta(days=2), utcnow() - timedelta(hours=1)
    db.session.commit()
    assert sorted(r["prediction"] for r in _ranked(client, contest)) == [3, 40]
    assert sorted(r["prediction_gap"] for r in _ranked(client, contest)) == [1, 38]


def test_a_later_attempt_cannot_change_the_counted_prediction(client, db, runner, tmp_path):
    """Attempt 1 (the best one, which counts) carries prediction 2; attempt 2 scores nothing
    but tries to move the prediction to the true participant count, by autosave and submit."""
    bank = "\n".join(f"::T{i}:: Câu {i} {{T}}\n" for i in range(5))
    contest, round_ = open_round(runner, tmp_path, bank=bank, questions_per_attempt=5,
                                 prediction_enabled=True)  # fmt: skip
    cheat = participant()
    headers = bearer(client, cheat)
    first = start(client, headers, contest)
    submit(client, headers, first["id"], {str(q["id"]): True for q in first["questions"]},
           prediction=2)  # fmt: skip
    rival = participant()  # same score, predicts 4
    rival_headers = bearer(client, rival)
    attempt = start(client, rival_headers, contest)
    submit(client, rival_headers, attempt["id"], {str(q["id"]): True for q in attempt["questions"]},
           prediction=4)  # fmt: skip
    second = start(client, headers, contest)
    saved = client.put(f"{API}/attempts/{second['id']}/answers", headers=headers,
                       json={"answers": {}, "prediction": 3})  # fmt: skip
    assert saved.status_code == 200
    submit(client, headers, second["id"], {}, prediction=3)
    # The finished attempt refuses a new prediction outright.
    late = client.put(f"{API}/attempts/{first['id']}/answers", headers=headers,
                      json={"answers": {}, "prediction": 3})  # fmt: skip
    assert late.status_code == 409
    round_.opens_at, round_.closes_at = utcnow() - timedelta(days=2), utcnow() - timedelta(hours=1)
    db.session.commit()
    rows = _ranked(client, contest)
    mine = next(r for r in rows if r["score"] == 5 and r["prediction"] in (2, 3))
    assert mine["prediction"] == 2, f"the counted attempt's prediction was replaced: {rows}"
    # 2 participants: the rival's 4 (gap 2) and the cheat's counted 2 (gap 0); 3 would win too.
    assert [r["prediction"] for r in rows] == [2, 4]
    assert [r["prediction_gap"] for r in rows] == [0, 2]


def test_ties_are_not_ordered_by_the_hidden_prediction_gap(client, db, runner, tmp_path):
    """With the gaps hidden, the order of equal scores would still tell who guessed closer
    (a participant with two accounts could bisect the true count). Until the close, equal
    scores are ordered by time taken; after it, by the gap first."""
    contest, round_ = open_round(runner, tmp_path, questions_per_attempt=5,
                                 prediction_enabled=True)  # fmt: skip
    close, far = participant(), participant()
    close_headers, far_headers = bearer(client, close), bearer(client, far)
    slow = start(client, close_headers, contest)  # started first, submitted last: slower
    quick = start(client, far_headers, contest)
    submit(client, far_headers, quick["id"], {}, prediction=1000)
    submit(client, close_headers, slow["id"], {}, prediction=2)  # the true count
    open_order = [r["duration_seconds"] for r in _ranked(client, contest)]
    assert open_order == sorted(open_order), "equal scores ordered by the hidden gap"
    round_.opens_at, round_.closes_at = utcnow() - timedelta(days=2), utcnow() - timedelta(hours=1)
    db.session.commit()
    assert [r["prediction"] for r in _ranked(client, contest)] == [2, 1000]


# --- changing the bank while attempts run -------------------------------------------------------

BANK_V1 = """::S1:: Thủ đô của Việt Nam? {=Hà Nội ~Huế ~Đà Nẵng ~Sài Gòn}

::S2:: Đơn vị tiền tệ của Việt Nam? {=Đồng ~Đô la ~Yên ~Bảng}

::T1:: Mật khẩu mạnh nên dài ít nhất 8 ký tự {T}
"""
#: The organizer rewrites the bank: new right options, an option removed, a new text,
#: true/false flipped.
BANK_V2 = """::S1:: Thủ đô của nước Việt Nam là? {~Hà Nội =Huế ~Đà Nẵng}

::S2:: Đơn vị tiền tệ của Việt Nam? {~Đồng =Đô la ~Yên ~Bảng}

::T1:: Mật khẩu mạnh nên dài ít nhất 8 ký tự {F}
"""


def test_reimporting_the_bank_does_not_change_a_running_attempt(
    app, client, db, runner, tmp_path
):
    contest, _round = open_round(runner, tmp_path, bank=BANK_V1, questions_per_attempt=3,
                                 attempts_allowed=2)  # fmt: skip
    user = participant()
    headers = bearer(client, user)
    attempt = start(client, headers, contest)
    shown = {q["id"]: q for q in attempt["questions"]}
    right = {"Thủ đô của Việt Nam?": "Hà Nội", "Đơn vị tiền tệ của Việt Nam?": "Đồng"}
    answers = {}
    for q in attempt["questions"]:
        if q["type"] == "true_false":
            answers[str(q["id"])] = True
        else:
            answers[str(q["id"])] = next(o["id"] for o in q["options"]
                                         if o["text"] == right[q["text"]])  # fmt: skip
    saved = client.put(f"{API}/attempts/{attempt['id']}/answers", headers=headers,
                       json={"answers": answers})  # fmt: skip
    assert saved.status_code == 200
    # The organizer re-imports the changed bank through the CLI and is told what it means.
    result = import_bank(runner, tmp_path, contest.slug, BANK_V2, "bank-v2.gift")
    assert "cập nhật: 3" in result.output
    assert "3 câu hỏi vừa cập nhật đang có trong 1 lượt thi chưa nộp bài" in result.output
    assert "chấm điểm theo nội dung câu hỏi lúc rút đề" in result.output
    # The attempt goes on with what it showed: the API and the take page.
    again = client.get(f"{API}/attempts/{attempt['id']}", headers=headers).json
    assert {q["id"]: q for q in again["questions"]} == {
        i: {**q, "answer": answers[str(i)]} for i, q in shown.items()
    }
    login(client, user.email, PASSWORD)
    page = client.get(f"/contests/attempts/{attempt['id']}")
    assert page.status_code == 200
    assert "Thủ đô của Việt Nam?" in page.get_data(as_text=True)
    assert "Sài Gòn" in page.get_data(as_text=True)  # the option the new bank dropped
    done = submit(client, headers, attempt["id"])
    assert done["score"] == 3.0, "scored against the re-imported answer key"
    assert [q["points"] for q in done["questions"]] == [1.0, 1.0, 1.0]
    # A new attempt draws the new version.
    fresh = start(client, headers, contest)
    assert "Thủ đô của nước Việt Nam là?" in [q["text"] for q in fresh["questions"]]
    # The organizer page says the same when an attempt is running.
    organizer, staff = make_user(role="organizer", unit=contest.unit), app.test_client()
    login(staff, organizer.email, PASSWORD)
    url = f"/organizer/contests/{contest.slug}/bank"
    token = csrf_from(staff, url)
    from io import BytesIO

    response = staff.post(url, data={"csrf_token": token,
                                     "file": (BytesIO(BANK_V1.encode()), "bank.gift")},
                          content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 200
    assert "đang có trong 1 lượt thi chưa nộp bài" in response.get_data(as_text=True)
