"""The contest JSON API: tokens, CSRF rules, the attempt flow, errors, OpenAPI."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hoctap_learn.contests.models import ApiToken, Attempt
from hoctap_learn.core.types import utcnow
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD

from .helpers import make_contest, participant

BASE = "/api/v1/contests"


def open_contest(**kw):
    """A contest whose round is open now (the API uses the real clock)."""
    now = utcnow()
    kw.setdefault("opens_at", now - timedelta(hours=1))
    kw.setdefault("closes_at", now + timedelta(days=1))
    return make_contest(**kw)


def token_for(client, user) -> dict:
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 201, response.json
    assert response.json["token_type"] == "Bearer"
    return {"Authorization": f"Bearer {response.json['token']}"}


def test_token_issue_use_and_revoke(client, db):
    user = participant()
    headers = token_for(client, user)
    row = db.session.scalar(select(ApiToken))
    assert headers["Authorization"].split()[1] not in row.token_hash  # only a hash is kept
    assert len(row.token_hash) == 64
    assert client.get(f"{BASE}", headers=headers).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=headers).status_code == 204
    response = client.get(f"{BASE}", headers=headers)
    assert response.status_code == 401 and "thu hồi" in response.json["error"]


def test_token_bad_credentials_and_body(client, db):
    user = participant()
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "sai"})
    assert response.status_code == 401 and "không đúng" in response.json["error"]
    response = client.post("/api/v1/auth/token", data="không phải JSON")
    assert response.status_code == 400 and "error" in response.json
    response = client.post("/api/v1/auth/token", json={"email": ["x"], "password": 1})
    assert response.status_code == 400


def test_expired_token_is_refused(client, db):
    user = participant()
    headers = token_for(client, user)
    row = db.session.scalar(select(ApiToken))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(BASE, headers=headers).status_code == 401
    bogus = {"Authorization": "Bearer htl_khong-co"}
    assert client.get(BASE, headers=bogus).status_code == 401


def test_token_of_a_deactivated_user_is_refused(client, db):
    user = participant()
    headers = token_for(client, user)
    assert client.get(BASE, headers=headers).status_code == 200
    user.active = False
    db.session.commit()
    response = client.get(BASE, headers=headers)
    assert response.status_code == 401 and "token" in response.json["error"]


def test_full_flow_with_bearer_token(client, db):
    contest, round_ = open_contest()
    user = participant()
    headers = token_for(client, user)
    listing = client.get(BASE, headers=headers).json["results"]
    assert [c["slug"] for c in listing] == [contest.slug]
    assert listing[0]["rounds"][0]["status"] == "open"
    url = f"{BASE}/{contest.slug}/rounds/{round_.slug}/attempts"
    started = client.post(url, headers=headers)
    assert started.status_code == 201
    attempt = started.json
    assert len(attempt["questions"]) == 5 and attempt["seconds_left"] > 590
    assert "fraction" not in started.get_data(as_text=True)
    assert client.post(url, headers=headers).json["id"] == attempt["id"]  # resume: 200
    answers = {}
    for q in attempt["questions"]:
        first_option = q["options"][0]["id"] if q["options"] else None
        answers[str(q["id"])] = {
            "single_choice": first_option,
            "multiple_choice": [],
            "true_false": True,
            "short_answer": "Đà Nẵng",
            "numerical": "72",
        }[q["type"]]
    saved = client.put(f"{BASE}/attempts/{attempt['id']}/answers", headers=headers,
                       json={"answers": answers})  # fmt: skip
    assert saved.status_code == 200 and saved.json["saved"] == 5
    again = client.get(f"{BASE}/attempts/{attempt['id']}", headers=headers).json
    assert {str(q["id"]): q["answer"] for q in again["questions"]} == answers
    assert client.get(f"{BASE}/attempts/{attempt['id']}/result", headers=headers).status_code == 409
    first = client.post(f"{BASE}/attempts/{attempt['id']}/submit", headers=headers)
    second = client.post(f"{BASE}/attempts/{attempt['id']}/submit", headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json["score"] == second.json["score"] >= 3
    assert first.json["submitted_at"] == second.json["submitted_at"]
    assert first.json["answers_revealed"] is True and "correct_answer" in first.json["questions"][0]
    result = client.get(f"{BASE}/attempts/{attempt['id']}/result", headers=headers)
    assert result.json == first.json | {"answers_revealed": True}
    late = client.put(f"{BASE}/attempts/{attempt['id']}/answers", headers=headers,
                      json={"answers": answers})  # fmt: skip
    assert late.status_code == 409 and "đã nộp bài" in late.json["error"]
    board = client.get(f"{BASE}/{contest.slug}/leaderboard?round={round_.slug}").json
    assert [r["score"] for r in board["results"]] == [first.json["score"]]
    assert board["results"][0]["rank"] == 1
    assert db.session.scalar(select(Attempt.status)) == "finished"


def test_late_answers_refused_through_api(client, db):
    contest, round_ = open_contest()
    user = participant()
    headers = token_for(client, user)
    attempt = client.post(f"{BASE}/{contest.slug}/rounds/{round_.slug}/attempts",
                          headers=headers).json  # fmt: skip
    row = db.session.get(Attempt, attempt["id"])
    row.started_at = utcnow() - timedelta(minutes=30)
    row.deadline_at = utcnow() - timedelta(minutes=20)
    db.session.commit()
    response = client.put(f"{BASE}/attempts/{attempt['id']}/answers", headers=headers,
                          json={"answers": {}})  # fmt: skip
    assert response.status_code == 409 and "hết thời gian" in response.json["error"]
    db.session.expire_all()
    assert db.session.get(Attempt, attempt["id"]).finished_by == "deadline"  # committed


def test_session_requests_need_csrf_header(client, db):
    contest, round_ = open_contest()
    user = participant()
    login(client, user.email, PASSWORD)
    url = f"{BASE}/{contest.slug}/rounds/{round_.slug}/attempts"
    refused = client.post(url)
    assert refused.status_code == 400 and "Phiên làm việc" in refused.json["error"]
    token = csrf_from(client, f"/contests/{contest.slug}/{round_.slug}")
    started = client.post(url, headers={"X-CSRFToken": token})
    assert started.status_code == 201


def test_api_errors_are_json_4xx(client, db):
    contest, round_ = open_contest()
    user, other = participant(), participant()
    headers = token_for(client, user)
    assert client.post(f"{BASE}/{contest.slug}/rounds/{round_.slug}/attempts").status_code == 401
    assert client.get(f"{BASE}/khong-co", headers=headers).status_code == 404
    assert client.get(f"{BASE}/{contest.slug}/rounds/x/attempts").status_code == 405
    attempt = client.post(f"{BASE}/{contest.slug}/rounds/{round_.slug}/attempts",
                          headers=headers).json  # fmt: skip
    url = f"{BASE}/attempts/{attempt['id']}/answers"
    # A valid answer next to an unknown question: all or nothing.
    tf = next(q for q in attempt["questions"] if q["type"] == "true_false")
    for body in ([1, 2], {"answers": [1]}, {"answers": {"0": 1}}, {"answers": {}, "prediction": 5},
                 {"answers": {str(tf["id"]): True, "0": 1}}):  # fmt: skip
        response = client.put(url, headers=headers, json=body)
        assert response.status_code == 400, body
        assert response.json["error"]
    # Refused saves are not half-applied: not counted, not stamped, no answer stored.
    db.session.expire_all()
    row = db.session.get(Attempt, attempt["id"])
    assert (row.save_count, row.last_saved_at) == (0, None)
    assert [aq.response for aq in row.questions] == [None] * len(row.questions)
    response = client.put(url, headers=token_for(client, other), json={"answers": {}})
    assert response.status_code == 404
    response = client.get(f"{BASE}/{contest.slug}/leaderboard?page=abc")
    assert response.status_code == 400


def test_unpublished_contest_hidden_from_participants(client, db):
    contest, _ = open_contest()
    contest.published = False
    db.session.commit()
    headers = token_for(client, participant())
    assert client.get(BASE, headers=headers).json["results"] == []
    assert client.get(f"{BASE}/{contest.slug}", headers=headers).status_code == 404


def test_openapi_document_covers_the_api(client, app):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    documented = set(doc["paths"])
    rules = {
        str(rule).replace("<int:", "{").replace("<path:", "{").replace("<", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if str(rule).startswith("/api/v1/")
    }
    assert rules <= documented, rules - documented


def test_autosave_and_submit_refuse_a_dead_token_in_their_own_statement(client, db):
    """Autosave and submit check the bearer token inside their first statement: every way
    a token can be dead still answers 401 (before any other error), and nothing is saved."""
    contest, round_ = open_contest()
    user, other = participant(), participant()
    headers = token_for(client, user)
    other_headers = token_for(client, other)
    attempt = client.post(f"{BASE}/{contest.slug}/rounds/{round_.slug}/attempts",
                          headers=headers).json  # fmt: skip
    tf = next(q for q in attempt["questions"] if q["type"] == "true_false")
    save = f"{BASE}/attempts/{attempt['id']}/answers"
    submit = f"{BASE}/attempts/{attempt['id']}/submit"
    good = {"answers": {str(tf["id"]): True}}
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))

    def refused(**headers_):
        for url, body in ((save, good), (submit, good), (save, [1]), (submit, {"prediction": -1}),
                          (f"{BASE}/attempts/999999/answers", good),
                          (f"{BASE}/attempts/999999/submit", good)):  # fmt: skip
            response = client.post(url, headers=headers_ or headers, json=body)
            assert response.status_code == 401, (url, body)
            assert "token" in response.json["error"]

    refused(Authorization="Bearer htl_khong-co")
    for dead, undo in (("expires_at", row.expires_at), ("revoked_at", None)):
        setattr(row, dead, utcnow() - timedelta(seconds=1))
        db.session.commit()
        refused()
        setattr(row, dead, undo)
        db.session.commit()
    user.active = False
    db.session.commit()
    refused()
    user.active = True
    db.session.commit()
    # Nothing above was saved or submitted; a live token of someone else finds nothing.
    db.session.expire_all()
    stored = db.session.get(Attempt, attempt["id"])
    assert (stored.status, stored.save_count) == ("in_progress", 0)
    assert client.post(save, headers=other_headers, json=good).status_code == 404
    assert client.post(submit, headers=other_headers, json=good).status_code == 404
    assert client.post(f"{BASE}/attempts/999999/submit", headers=headers).status_code == 404
    # The owner's live token works again.
    assert client.put(save, headers=headers, json=good).json["saved"] == 1
    assert client.post(submit, headers=headers).json["score"] == 1


def test_start_answers_as_the_attempt_page_does(client, db):
    """The start answer is built from plain rows, the attempt's own answer from loaded
    objects: both show the same questions, options in the same shuffled order, no answers,
    for a new and for a resumed attempt."""
    contest, round_ = open_contest(shuffle_options=True, prediction_enabled=True)
    headers = token_for(client, participant())
    url = f"{BASE}/{contest.slug}/rounds/{round_.slug}/attempts"
    started = client.post(url, headers=headers)
    assert started.status_code == 201
    client.put(f"{BASE}/attempts/{started.json['id']}/answers", headers=headers,
               json={"prediction": 12})  # fmt: skip
    resumed = client.post(url, headers=headers)
    assert resumed.status_code == 200
    detail = client.get(f"{BASE}/attempts/{started.json['id']}", headers=headers)

    def same(data):
        return {k: v for k, v in data.items() if k not in ("server_time", "seconds_left")}

    assert same(started.json) == {**same(detail.json), "prediction": None}
    assert same(resumed.json) == same(detail.json)
    assert detail.json["prediction"] == 12 and detail.json["prediction_enabled"] is True
    assert [q["position"] for q in started.json["questions"]] == [1, 2, 3, 4, 5]
    assert "answer" in started.json["questions"][0] and "correct" not in started.get_data(True)
