"""Headers and defaults: a Content-Security-Policy that the pages keep (no inline script or
style), HSTS only for HTTPS deployments, and no secret in log lines or error pages."""

from __future__ import annotations

import json
import logging
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit
from urllib.request import HTTPCookieProcessor, Request, build_opener

from flask import request

from hoctap_learn import create_app
from hoctap_learn.core import CONTENT_SECURITY_POLICY
from hoctap_learn.extensions import db as _db
from tests.conftest import csrf_from, login
from tests.factories import make_user


class _Inline(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block, and the page's links."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name == "style":
                self.problems.append(f'<{tag} style="{value}">')
            elif name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            elif name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        # JSON data blocks are not run; any other inline script would be blocked.
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/json":
            self.problems.append("<script> inline")
        if tag == "style":
            self.problems.append("<style> inline")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def _crawl(client, start: list[str], limit: int = 80) -> dict[str, list[str]]:
    """GET every local page reachable from `start` (up to `limit`): {url: problems}."""
    seen: dict[str, list[str]] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = []
        if response.mimetype != "text/html":
            continue
        assert response.headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, url
        parser = _Inline()
        parser.feed(response.get_data(as_text=True))
        seen[url] = parser.problems
        for href in parser.links:
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(("/static/", "/api/", "/oai")) or "logout" in parts.path:
                continue
            if re.search(r"\.(csv|xlsx|docx|pdf|ics|json)$", parts.path) or "export" in target:
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


def test_pages_carry_the_csp_and_nothing_it_would_block(app, client, content):
    """Crawl the site as the province admin (who sees every page) and as a visitor."""
    anonymous = _crawl(app.test_client(), ["/", "/account/login", "/account/register"], 30)
    assert login(client, "admin@demo.hoctap.vn", "HocTap@2022-admin").status_code == 302
    admin = _crawl(
        client,
        ["/", "/resources/?q=chuyen+doi+so", "/account/tokens", "/organizer/reports/?campaign=2022",
         "/organizer/week/", "/organizer/harvest/", "/organizer/contests/", "/contests/"],
    )  # fmt: skip
    pages = {**anonymous, **admin}
    assert len(pages) >= 30
    assert {url: p for url, p in pages.items() if p} == {}


def test_csp_forbids_inline_script_and_foreign_origins(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'self'"
    assert "unsafe-inline" not in policy and "*" not in policy
    # The JSON API carries it too (an error page in a browser is still a page).
    assert client.get("/api/v1/nothing-here").headers["Content-Security-Policy"] == policy


def test_hsts_only_with_secure_cookies(app_with, monkeypatch, client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    monkeypatch.setenv("HOCTAP_SECURE_COOKIES", "1")
    secure = app_with()
    response = secure.test_client().get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_secret_in_logs_or_error_pages(app, db, caplog):
    """Log in, get a token, use it, send it dead, break a page: neither the password, the
    token nor the session cookie appears in any log line or any answer."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/api/v1/test-boom", methods=["GET", "POST"])
    def boom():
        raise RuntimeError("hỏng")

    @app.route("/test-boom")
    def page_boom():
        # A database error carries the statement's parameters in its message.
        db.session.execute(db.text("SELECT * FROM khong_co WHERE x = :p"),
                           {"p": request.args["password"]})  # fmt: skip

    password = "Bi-mat-rieng-2024"
    make_user(email="a@example.vn", password=password)
    caplog.set_level(logging.DEBUG)
    client, stranger = app.test_client(), app.test_client()
    bodies = []

    response = login(client, "a@example.vn", password)
    assert response.status_code == 302
    cookie = client.get_cookie("session").value
    response = client.post("/api/v1/auth/token",
                           json={"email": "a@example.vn", "password": password})  # fmt: skip
    token = response.json["token"]
    headers = {"Authorization": f"Bearer {token}"}
    for response in (
        client.get("/api/v1/me", headers=headers),
        client.get("/api/v1/auth/tokens", headers=headers),
        client.get("/api/v1/test-boom", headers=headers),
        client.post("/api/v1/test-boom", headers=headers,
                    json={"email": "a@example.vn", "password": password}),
        client.get("/test-boom?password=" + password),
        client.post("/api/v1/auth/token", json={"email": ["a"], "password": password}),
        client.post("/api/v1/auth/token", json={"email": "a@example.vn", "password": token}),
        stranger.post("/account/login", data={"email": "a@example.vn", "password": password}),
        stranger.post("/account/login", data={"email": "a@example.vn", "password": password + "x",
                                              "csrf_token": csrf_from(stranger, "/account/login")}),
        client.delete("/api/v1/auth/token", headers=headers),
        client.get("/api/v1/me", headers=headers),  # now dead
        client.get("/api/v1/me", headers={"Authorization": "Bearer " + token + "x"}),
    ):  # fmt: skip
        bodies.append(response.get_data(as_text=True))
    assert [r.levelname for r in caplog.records].count("ERROR") == 2  # the errors were logged
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    for secret in (password, token, cookie):
        assert secret not in logged
        assert not any(secret in body for body in bodies)


def test_no_secret_in_a_live_gunicorn_log(sqlite_template, tmp_path):
    """The real server, its access log and debug log on: log in, get a token, use it, send
    it dead, ask for a missing page and send a broken body; nothing secret in its output."""
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    password = "Bi-mat-song-2024"
    setup = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url,
                        "INSTANCE_PATH": tmp_path / "instance",
                        "SECRET_KEY": "live-secret"})  # fmt: skip
    with setup.app_context():
        make_user(email="live@example.vn", password=password)
        _db.session.remove()
        _db.engine.dispose()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "gunicorn.log"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": url, "SECRET_KEY": "live-secret",
           "HOCTAP_INDEX_DIR": str(tmp_path / "index"), "HOCTAP_UPLOAD_DIR": str(tmp_path / "up")}
    root = Path(__file__).resolve().parents[2]
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{port}",
             "--access-logfile", "-", "--error-logfile", "-", "--log-level", "debug",
             "--chdir", str(root), "wsgi:app"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    jar = CookieJar()
    browser = build_opener(HTTPCookieProcessor(jar))
    plain = build_opener()

    def call(opener, path, data=None, headers=None, method=None):
        request = Request(base + path, data=data, headers=headers or {}, method=method)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except HTTPError as error:
            return error.code, error.read().decode()

    try:
        for _ in range(300):
            try:
                status, page = call(browser, "/account/login")
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = f"email=live%40example.vn&password={password}&csrf_token={csrf}".encode()
        bodies = [call(browser, "/account/login", form)[1]]
        cookie = next(c.value for c in jar if c.name == "session")
        as_json = {"Content-Type": "application/json"}
        status, body = call(plain, "/api/v1/auth/token", json.dumps(
            {"email": "live@example.vn", "password": password}).encode(), as_json)  # fmt: skip
        assert status == 201
        token = json.loads(body)["token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert call(plain, "/api/v1/me", headers=headers)[0] == 200
        bodies += [
            call(plain, "/api/v1/auth/tokens", headers=headers)[1],
            call(plain, "/api/v1/khong-co", headers=headers)[1],
            call(plain, "/api/v1/auth/token", b"{" + password.encode(), as_json)[1],
            call(plain, "/api/v1/auth/token", headers=headers, method="DELETE")[1],
            call(plain, "/api/v1/me", headers=headers)[1],
        ]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    output = log.read_text()
    assert "/api/v1/auth/token" in output and "/account/login" in output  # it did log
    for secret in (password, token, cookie):
        assert secret not in output
        assert not any(secret in body for body in bodies)
