"""HTTP clients for tests that talk to real server processes on loopback (gunicorn):
JSON API calls, and a cookie-keeping browser that can talk to several servers."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.error
import urllib.parse
import urllib.request

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def call(method: str, url: str, token: str | None = None, body=None,
         headers: dict | None = None) -> tuple[int, dict]:  # fmt: skip
    """One JSON request; returns (status, decoded body) also for 4xx/5xx answers."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read() or b"{}")


def answer_for(question: dict, n: int):
    """An answer of the right shape to a question as the contest API lists it (the `n`th
    of its kind: choice answers are option ids)."""
    options = [o["id"] if isinstance(o, dict) else i for i, o in enumerate(question["options"])]
    return {
        "single_choice": options[n % len(options)] if options else None,
        "multiple_choice": options[: 1 + n % max(1, len(options))],
        "true_false": n % 2 == 0,
        "short_answer": f"đáp án {n}",
        "numerical": str(n),
    }[question["type"]]


class Browser:
    """A cookie-keeping client that can talk to several servers (one session cookie).

    `headers` go with every request (e.g. the `X-Forwarded-For` a load balancer adds).
    """

    def __init__(self, headers: dict | None = None):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.opener.addheaders = list((headers or {}).items())

    def open(self, url: str, data: dict | None = None) -> tuple[int, str, str]:
        """GET (or POST a form when `data` is given), following redirects; returns
        (status, final URL, page text)."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(url, data=body, timeout=30) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.geturl(), error.read().decode(errors="replace")

    def csrf(self, url: str, path: str = "/account/login") -> str:
        status, _, page = self.open(url + path)
        assert status == 200, (url + path, status)
        match = CSRF_RE.search(page)
        assert match, f"no CSRF token on {url + path}"
        return match.group(1)

    def login(self, url: str, email: str, password: str, token: str) -> int:
        data = {"email": email, "password": password, "csrf_token": token}
        return self.open(url + "/account/login", data)[0]


def flush_redis(url: str) -> None:
    """Empty the Redis database at `url` (counters and queue of an earlier test)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()
