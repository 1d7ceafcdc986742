"""Request log lines (text and JSON, request id, user id, nothing secret) and versioned
static files with their cache lifetimes, through HTTP requests."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from hoctap_learn.core import requestlog
from hoctap_learn.core.static import LONG_CACHE, SHORT_CACHE
from tests.conftest import login
from tests.factories import PASSWORD, make_user

from .conftest import another_app

SECRETS = ("Hoc-tap-2022", "sai-mat-khau-123", "token=abc", "csrf_token", "session=")


def request_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if "hoctap_learn.request" in line]


def test_text_log_line_per_request_with_request_id_and_user(app, client, capsys):
    user = make_user()
    capsys.readouterr()
    response = client.get("/providers/?q=học+tập&token=abc", headers={"X-Request-ID": "lb-42"})
    assert response.headers["X-Request-ID"] == "lb-42"
    lines = request_lines(capsys.readouterr().err)
    assert len(lines) == 1
    pattern = r"INFO hoctap_learn\.request: GET /providers/ 200 [0-9.]+ms id=lb-42 user=-$"
    assert re.search(pattern, lines[0])
    assert "token" not in lines[0] and "q=" not in lines[0]

    client.post("/account/login", data={"email": user.email, "password": "sai-mat-khau-123"})
    login(client, user.email, PASSWORD)
    capsys.readouterr()
    response = client.get("/account/profile")
    generated = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    (line,) = request_lines(capsys.readouterr().err)
    assert f"GET /account/profile {response.status_code} " in line
    assert f"id={generated} user={user.id}" in line


def test_json_log_lines_and_nothing_secret_is_logged(app, tmp_path, capsys):
    config = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": tmp_path / "instance",
        "HOCTAP_INDEX_DIR": str(tmp_path / "index"),
        "SECRET_KEY": "x",
        "HOCTAP_LOG_FORMAT": "json",
    }
    user = make_user()
    try:
        with another_app(config) as other:
            client = other.test_client()
            capsys.readouterr()
            bad_id = "forged id with spaces <script>"
            client.post(
                "/account/login?next=/token=abc",
                data={"email": user.email, "password": "sai-mat-khau-123", "csrf_token": "c"},
                headers={"X-Request-ID": bad_id, "Cookie": "session=abc"},
            )
            client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
            err = capsys.readouterr().err
    finally:
        requestlog.configure_logging(app)  # back to the fixture app's text format
    entries = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    requests = [e for e in entries if e["logger"] == "hoctap_learn.request"]
    assert [(e["method"], e["path"], e["status"]) for e in requests] == [
        ("POST", "/account/login", 400),
        ("POST", "/api/v1/auth/token", 201),
    ]
    for entry in requests:
        assert set(entry) >= {"time", "level", "method", "path", "status", "duration_ms",
                              "request_id", "user_id"}
        assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
        assert re.fullmatch(r"[0-9a-f]{32}", entry["request_id"])  # the forged id was replaced
    for secret in (*SECRETS, "forged", "script", PASSWORD, user.email):
        assert secret not in err


def test_static_urls_carry_a_content_version_and_long_cache(app, client):
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'href="(/static/css/app\.css\?v=([0-9a-f]+))"', page)
    assert match, "the stylesheet link has no version"
    path = app.static_folder + "/css/app.css"
    with open(path, "rb") as fh:
        assert match.group(2) == hashlib.sha256(fh.read()).hexdigest()[:12]
    with client.get(match.group(1)) as versioned:
        assert versioned.status_code == 200
        assert versioned.headers["Cache-Control"] == LONG_CACHE == (
            "public, max-age=31536000, immutable"
        )
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        with client.get(url) as response:
            assert response.status_code == 200
            assert response.headers["Cache-Control"] == SHORT_CACHE
    with client.get("/static/css/none.css?v=1") as missing:
        assert missing.status_code == 404
        assert "immutable" not in missing.headers.get("Cache-Control", "")


@pytest.mark.parametrize("name", ["../config.py", "css/../../config.py"])
def test_static_version_never_reads_outside_the_folder(app, name):
    from flask import url_for

    with app.test_request_context():
        assert "v=" not in url_for("static", filename=name)


def test_a_changed_static_file_gets_a_new_version(app, tmp_path):
    from flask import url_for

    (tmp_path / "static").mkdir()
    asset = tmp_path / "static" / "a.css"
    asset.write_text("body{}")
    app.static_folder = str(tmp_path / "static")
    with app.test_request_context():
        first = url_for("static", filename="a.css")
        asset.write_text("body{color:red}")
        second = url_for("static", filename="a.css")
    assert first != second and "v=" in second
