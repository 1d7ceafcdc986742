"""Attacks on accounts and API tokens, each performed through HTTP; a test fails if it works.

Stale tokens (password change, role change, deactivation, revoke-all, log out everywhere),
bearer tokens on every authenticated /api/v1 route, email spellings and many addresses
against the login and token limits, the owner logging in after a stranger's guesses, a raw
X-Forwarded-For, and enumerating registered emails through the registration form.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from hoctap_learn.accounts import throttle
from hoctap_learn.core.types import utcnow
from tests.conftest import csrf_from
from tests.contests.helpers import make_contest, participant
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "Mat-khau-moi-2023"


# --- helpers ---------------------------------------------------------------------------------


def page_login(app, email, password, ip):
    """A fresh browser logging in from `ip`: (client, response)."""
    client = app.test_client()
    token = csrf_from(client, "/account/login")
    response = client.post(
        "/account/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ip},
    )
    return client, response


def api_token(client, email, password, ip="198.51.100.1"):
    return client.post(
        "/api/v1/auth/token",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def bearer(client, email, password=PASSWORD, ip="198.51.100.1") -> dict:
    response = api_token(client, email, password, ip)
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def most_allowed(elapsed: float, cap: int = 60) -> int:
    """The most wrong guesses against one account that can get a password check in
    `elapsed` seconds: the free ones, the one that sets the first delay, then one per delay
    served (2, 4, 8 … s, at most `cap`). An upper bound, whatever the machine's speed."""
    allowed, spent, k = throttle.FREE_PER_ACCOUNT + 1, 0.0, 1
    while spent + min(cap, 2**k) <= elapsed:
        spent += min(cap, 2**k)
        allowed, k = allowed + 1, k + 1
    return allowed


# --- stale tokens ----------------------------------------------------------------------------


def alive(api, headers) -> bool:
    """Whether a token still opens the API: a live one reaches the lookup (404 for an
    attempt that does not exist), a dead one is refused first (401)."""
    status = api.get("/api/v1/contests/attempts/0", headers=headers).status_code
    assert status in (401, 404)
    return status == 404


def open_round():
    now = utcnow()
    return make_contest(opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1))


def test_password_change_ends_every_token_also_on_autosave_and_submit(app, db):
    contest, round_ = open_round()
    user = participant(email="lan@example.vn")
    api = app.test_client()
    headers = bearer(api, user.email)
    attempt = api.post(
        f"/api/v1/contests/{contest.slug}/rounds/{round_.slug}/attempts", headers=headers
    ).json
    save = f"/api/v1/contests/attempts/{attempt['id']}/answers"
    assert api.put(save, headers=headers, json={"answers": {}}).status_code == 200
    assert alive(api, headers)

    browser, response = page_login(app, user.email, PASSWORD, "198.51.100.2")
    assert response.status_code == 302
    token = csrf_from(browser, "/account/password")
    response = browser.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD,
              "confirm": NEW_PASSWORD, "csrf_token": token},
    )  # fmt: skip
    assert response.status_code == 302

    # The old token is dead everywhere: the general path, the autosave/submit fast path.
    for method, url in (("put", save), ("post", save.replace("answers", "submit")),
                        ("get", f"/api/v1/contests/attempts/{attempt['id']}"),
                        ("get", "/api/v1/me"), ("get", "/api/v1/auth/tokens")):  # fmt: skip
        response = getattr(api, method)(url, headers=headers, json={"answers": {}})
        assert response.status_code == 401, (method, url)
    # The browser that changed it stays in; a new token works.
    assert browser.get("/account/tokens").status_code == 200
    assert api.get("/api/v1/me", headers=bearer(api, user.email, NEW_PASSWORD)).status_code == 200


def test_last_use_is_kept_to_the_minute_and_never_breaks_a_request(app, db):
    """A fresh token's first use may be an autosave of an attempt that does not exist (the
    statement that checks the token writes first): a clean 404, no lock fight. The general
    path notes the use once a minute."""
    user = make_user(email="a@example.vn")
    api = app.test_client()
    headers = bearer(api, user.email)
    for verb in ("put", "post"):
        url = "/api/v1/contests/attempts/999999/" + ("answers" if verb == "put" else "submit")
        assert getattr(api, verb)(url, headers=headers, json={"answers": {}}).status_code == 404

    def last_used():
        return api.get("/api/v1/auth/tokens", headers=headers).json["results"][0]["last_used_at"]

    first = last_used()
    assert first is not None
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    assert last_used() == first  # within the minute: not written again


def test_revoke_all_ends_every_token_of_the_caller_only(app, db):
    user, other = make_user(email="a@example.vn"), make_user(email="b@example.vn")
    api = app.test_client()
    first, second = bearer(api, user.email), bearer(api, user.email)
    others = bearer(api, other.email)

    listed = api.get("/api/v1/auth/tokens", headers=first)
    assert listed.status_code == 200
    rows = listed.json["results"]
    assert len(rows) == 2
    assert set(rows[0]) == {"id", "created_at", "last_used_at", "expires_at"}
    body = listed.get_data(as_text=True)
    for secret in (first, second):
        assert secret["Authorization"].split()[1] not in body
    assert any(r["last_used_at"] for r in rows)  # the listing itself used `first`

    response = api.delete("/api/v1/auth/tokens", headers=second)
    assert response.status_code == 200 and response.json == {"revoked": 2}
    for headers in (first, second):
        assert not alive(api, headers)
        assert api.get("/api/v1/auth/tokens", headers=headers).status_code == 401
    assert alive(api, others)


def test_revoke_all_from_the_profile_page_needs_csrf(app, db):
    user = make_user(email="a@example.vn")
    api = app.test_client()
    headers = bearer(api, user.email)
    browser, _ = page_login(app, user.email, PASSWORD, "198.51.100.2")
    page = browser.get("/account/tokens").get_data(as_text=True)
    assert "Thu hồi tất cả mã truy cập" in page and "Chưa dùng" in page
    assert headers["Authorization"].split()[1] not in page
    assert browser.post("/account/tokens/revoke").status_code == 400  # no CSRF token
    assert alive(api, headers)
    token = csrf_from(browser, "/account/tokens")
    response = browser.post("/account/tokens/revoke", data={"csrf_token": token},
                            follow_redirects=True)  # fmt: skip
    assert "Đã thu hồi 1 mã truy cập API" in response.get_data(as_text=True)
    assert not alive(api, headers)
    # A session DELETE on the API needs the CSRF header too.
    assert browser.delete("/api/v1/auth/tokens").status_code == 400


def test_log_out_everywhere_ends_other_sessions_and_tokens(app, db):
    user = make_user(email="a@example.vn")
    api = app.test_client()
    headers = bearer(api, user.email)
    here, _ = page_login(app, user.email, PASSWORD, "198.51.100.2")
    phone, _ = page_login(app, user.email, PASSWORD, "198.51.100.3")
    assert phone.get("/account/profile").status_code == 200
    # A forged cross-site POST (no CSRF token) changes nothing.
    assert here.post("/account/logout-everywhere").status_code == 400
    assert phone.get("/account/profile").status_code == 200 and alive(api, headers)

    token = csrf_from(here, "/account/tokens")
    response = here.post("/account/logout-everywhere", data={"csrf_token": token},
                         follow_redirects=True)  # fmt: skip
    assert "Đã đăng xuất khỏi mọi thiết bị khác" in response.get_data(as_text=True)
    assert here.get("/account/profile").status_code == 200
    assert phone.get("/account/profile").status_code == 302  # sent to log in
    assert not alive(api, headers)


@pytest.mark.parametrize("change", ["role", "deactivate"])
def test_role_change_and_deactivation_by_an_admin_end_tokens(app, db, change):
    make_user(email="admin@example.vn", role="admin")
    user = make_user(email="a@example.vn")
    api = app.test_client()
    headers = bearer(api, user.email)
    admin, _ = page_login(app, "admin@example.vn", PASSWORD, "198.51.100.9")
    url = f"/organizer/users/{user.id}"
    data = {"role": "participant", "unit_id": "", "active": "y",
            "csrf_token": csrf_from(admin, url)}  # fmt: skip
    if change == "role":
        data["role"] = "admin"
    else:
        del data["active"]
    assert alive(api, headers)
    assert admin.post(url, data=data).status_code == 302
    assert not alive(api, headers)
    if change == "deactivate":
        # Switching the account back on does not bring the old token back.
        data["active"] = "y"
        data["csrf_token"] = csrf_from(admin, url)
        assert admin.post(url, data=data).status_code == 302
        assert not alive(api, headers)
        assert "Đang hoạt động" in admin.get(url).get_data(as_text=True)


# --- bearer tokens on every authenticated route ----------------------------------------------


def test_bearer_token_works_on_me_and_reports(app, db, content):
    api = app.test_client()
    headers = bearer(api, "admin@demo.hoctap.vn", "HocTap@2022-admin")
    me = api.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.json["email"] == "admin@demo.hoctap.vn"
    reports = api.get("/api/v1/reports/?campaign=2022", headers=headers)
    assert reports.status_code == 200, reports.json
    table = api.get("/api/v1/reports/unit?campaign=2022", headers=headers)
    assert table.status_code == 200 and table.json["table"] == "unit"
    # Without a token, or with a made-up one: 401, and the token is not echoed.
    for extra in ({}, {"Authorization": "Bearer htl_bia-dat-ra"}):
        response = api.get("/api/v1/reports/?campaign=2022", headers=extra)
        assert response.status_code == 401 and "htl_bia" not in response.get_data(as_text=True)
    # A participant's token is a participant: the reports stay closed.
    participant_headers = bearer(api, "thisinh@demo.hoctap.vn", "HocTap@2022-thisinh")
    assert api.get("/api/v1/reports/?campaign=2022", headers=participant_headers).status_code == 403


def test_openapi_authenticated_routes_accept_a_bearer_token(app, db, content):
    """Every GET the OpenAPI document marks as authenticated, without path parameters,
    answers a valid token with something else than 401."""
    api = app.test_client()
    headers = bearer(api, "admin@demo.hoctap.vn", "HocTap@2022-admin")
    doc = api.get("/api/v1/openapi.json").json
    checked = []
    for path, item in doc["paths"].items():
        get = item.get("get")
        if get is None or "{" in path or not get.get("security"):
            continue
        response = api.get(path + "?campaign=2022", headers=headers)
        assert response.status_code != 401, path
        checked.append(path)
    assert {"/api/v1/me", "/api/v1/auth/tokens"} <= set(checked)


# --- login limits ----------------------------------------------------------------------------

SPELLINGS = [
    "thisinh@ｄemo.hoctap.vn",
    "ThiSinh@Demo.Hoctap.VN",
    "  thisinh@demo.hoctap.vn ",
    "ＴＨＩＳＩＮＨ@demo.hoctap.vn",
]


def test_email_spellings_are_one_account_for_the_login_limit(app, db):
    make_user(email="thisinh@demo.hoctap.vn")
    checked = 0
    started = time.monotonic()
    for i in range(24):  # each try from its own address: only the account's limit applies
        _, response = page_login(app, SPELLINGS[i % 4], f"wrong-{i}", f"203.0.113.{i + 1}")
        assert response.status_code in (422, 429)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert "Bạn đã đăng nhập sai nhiều lần" in response.get_data(as_text=True)
        else:
            checked += 1
    assert checked <= most_allowed(time.monotonic() - started)
    # Every spelling finds the account (the lookup uses the same normalised key).
    for i, spelling in enumerate(SPELLINGS):
        client = app.test_client()
        response = api_token(client, spelling, PASSWORD, ip=f"192.0.2.{i + 1}")
        assert response.status_code in (201, 429)


def test_spellings_log_in_to_the_same_account(app, db):
    user = make_user(email="thisinh@demo.hoctap.vn")
    for i, spelling in enumerate(SPELLINGS):
        client = app.test_client()
        response = api_token(client, spelling, PASSWORD, ip=f"192.0.2.{i + 1}")
        assert response.status_code == 201, (spelling, response.json)
        me = client.get("/api/v1/me", headers={"Authorization": "Bearer " + response.json["token"]})
        assert me.json["id"] == user.id


def test_token_endpoint_shares_the_login_limit(app, db):
    """Guesses on the login page count for the token endpoint, and the other way round."""
    make_user(email="thisinh@demo.hoctap.vn")
    started = time.monotonic()
    checked = 0
    for i in range(12):
        ip = f"203.0.113.{i + 1}"
        if i % 2:
            _, response = page_login(app, SPELLINGS[i % 4], "sai-mat-khau-1", ip)
            checked += response.status_code == 422
        else:
            response = api_token(app.test_client(), SPELLINGS[i % 4], "sai-mat-khau-1", ip)
            checked += response.status_code == 401
    assert checked <= most_allowed(time.monotonic() - started)
    response = api_token(app.test_client(), "thisinh@demo.hoctap.vn", "sai-2", "192.0.2.77")
    assert response.status_code == 429
    assert "đăng nhập sai nhiều lần" in response.json["error"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_a_thousand_guesses_from_a_thousand_addresses_are_slowed(app, db):
    """One account, 1,000 addresses, one guess each: only the free guesses and one per
    delay served get a password check (after ~1 minute, one guess a minute)."""
    make_user(email="thisinh@demo.hoctap.vn")
    client = app.test_client()
    started = time.monotonic()
    statuses = [
        api_token(client, "thisinh@demo.hoctap.vn", f"doan-{i}",
                  f"10.{i // 250}.{i % 250}.{1 + i % 3}").status_code
        for i in range(1000)
    ]  # fmt: skip
    elapsed = time.monotonic() - started
    assert set(statuses) <= {401, 429}
    assert statuses.count(401) <= most_allowed(elapsed)
    assert statuses.count(429) >= 1000 - most_allowed(elapsed)


def test_owner_still_logs_in_after_a_strangers_hundred_guesses(app, db):
    make_user(email="thisinh@demo.hoctap.vn")
    home = "198.51.100.50"
    _, response = page_login(app, "thisinh@demo.hoctap.vn", PASSWORD, home)
    assert response.status_code == 302
    # A stranger guesses 100 times from 100 addresses, on the page and on the API.
    for i in range(100):
        ip = f"203.0.{i // 200}.{i % 200 + 1}"
        if i % 2:
            page_login(app, "thisinh@demo.hoctap.vn", f"doan-{i}", ip)
        else:
            api_token(app.test_client(), "ThiSinh@demo.hoctap.vn", f"doan-{i}", ip)
    # The owner at home: straight in, on the page and for a token.
    _, response = page_login(app, "thisinh@demo.hoctap.vn", PASSWORD, home)
    assert response.status_code == 302
    assert api_token(app.test_client(), "thisinh@demo.hoctap.vn", PASSWORD, home).status_code == 201
    # Elsewhere the owner waits at most the capped delay, never a block.
    _, response = page_login(app, "thisinh@demo.hoctap.vn", PASSWORD, "192.0.2.200")
    if response.status_code == 429:
        assert 1 <= int(response.headers["Retry-After"]) <= app.config["HOCTAP_LOGIN_MAX_DELAY"]
    else:
        assert response.status_code == 302


def test_one_address_is_slowed_across_accounts(app, db):
    """Many accounts from one address: the per-address limit (kept) refuses the flood."""
    app.config["HOCTAP_LOGIN_LIMIT"] = "5 per minute"
    for n in range(3):
        make_user(email=f"u{n}@example.vn")
    statuses = [
        api_token(app.test_client(), f"u{i % 3}@example.vn", "sai-1", "203.0.113.9").status_code
        for i in range(8)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 3


def test_raw_x_forwarded_for_does_not_change_the_limit_key(app, db):
    app.config["HOCTAP_LOGIN_LIMIT"] = "3 per minute"
    client = app.test_client()
    statuses = [
        client.post("/api/v1/auth/token", json={"email": f"k{i}@example.vn", "password": "sai-1"},
                    headers={"X-Forwarded-For": f"192.0.2.{i + 1}"}).status_code
        for i in range(5)
    ]  # fmt: skip
    assert statuses == [401, 401, 401, 429, 429]


def test_x_forwarded_for_counts_through_a_trusted_proxy(app_with, db):
    """With HOCTAP_TRUSTED_PROXIES=1 the address our proxy appended is the client's."""
    proxied = app_with(HOCTAP_TRUSTED_PROXIES=1, HOCTAP_LOGIN_LIMIT="3 per minute")
    client = proxied.test_client()
    emails = (f"khach{n}@example.vn" for n in range(100))  # no account's delay plays a part

    def guess(forwarded):
        return client.post("/api/v1/auth/token",
                           json={"email": next(emails), "password": "sai-1"},
                           headers={"X-Forwarded-For": forwarded}).status_code  # fmt: skip

    # Different clients behind the proxy: each has its own per-address limit.
    assert [guess(f"192.0.2.{i + 1}") for i in range(5)] == [401] * 5
    # One client forging addresses in front of what the proxy appended: one key.
    assert [guess(f"10.9.9.{i}, 192.0.2.50") for i in range(5)] == [401, 401, 401, 429, 429]


# --- registration ----------------------------------------------------------------------------


def _register(client, email, ip, **overrides):
    data = {"email": email, "password": "Hoc-tap-2022", "confirm": "Hoc-tap-2022",
            "full_name": "Nguyễn Văn An", "birth_year": "2000", "gender": "", "unit_id": "",
            "workplace": "", "target_group": "", "phone": "",
            "csrf_token": csrf_from(client, "/account/register")}  # fmt: skip
    data.update(overrides)
    return client.post("/account/register", data=data, environ_base={"REMOTE_ADDR": ip})


def test_registration_probing_is_limited_per_address(app, db):
    """A script probing which emails are registered gets HOCTAP_REGISTER_LIMIT answers an
    hour from one address, registered or not; mistakes in the form do not count."""
    app.config["HOCTAP_REGISTER_LIMIT"] = "3 per hour"
    for n in range(4):
        make_user(email=f"co{n}@example.vn")
    ip = "203.0.113.77"
    # A person fixing their form is not counted.
    for _ in range(4):
        assert _register(app.test_client(), "moi@example.vn", ip, confirm="khac").status_code == 422
    probes = ["co0@example.vn", "free1@example.vn", "co1@example.vn", "co2@example.vn",
              "free2@example.vn", "co3@example.vn"]  # fmt: skip
    statuses = [_register(app.test_client(), email, ip).status_code for email in probes]
    assert statuses[3:] == [429, 429, 429]  # registered or free: the same refusal
    assert statuses[:3] == [422, 302, 422]
    # Another address is not affected.
    assert _register(app.test_client(), "free3@example.vn", "203.0.113.78").status_code == 302


def test_cli_deactivation_and_logout_everywhere_end_tokens(app, db, runner):
    user = make_user(email="a@example.vn")
    api = app.test_client()
    headers = bearer(api, user.email)
    result = runner.invoke(args=["user", "set-active", "A@example.vn", "--off", "--json"])
    assert result.exit_code == 0, result.output
    assert '"active": false' in result.output
    assert not alive(api, headers)
    assert runner.invoke(args=["user", "set-active", "a@example.vn", "--on"]).exit_code == 0
    assert not alive(api, headers)  # switching back on does not revive it

    headers = bearer(api, user.email)
    result = runner.invoke(args=["user", "logout-everywhere", "a@example.vn"])
    assert result.exit_code == 0 and "mọi thiết bị" in result.output
    assert not alive(api, headers)
    result = runner.invoke(args=["user", "set-active", "khong-co@example.vn", "--off"])
    assert result.exit_code != 0 and "Không có tài khoản" in result.output


@pytest.mark.parametrize("value", ["hai", "-1"])
def test_a_bad_trusted_proxies_setting_stops_the_start(app_with, monkeypatch, value):
    """A typo must not silently trust (or distrust) X-Forwarded-For: the app does not start."""
    monkeypatch.setenv("HOCTAP_TRUSTED_PROXIES", value)
    with pytest.raises(ValueError, match="HOCTAP_TRUSTED_PROXIES"):
        app_with()


def test_registrations_sent_at_once_cannot_pass_the_limit_together(app, db):
    """Eight filled-in forms from one address at the same moment: the limit is checked and
    counted in one step, so no more than HOCTAP_REGISTER_LIMIT of them get an answer about
    their email (a limit counted after the response let them all through)."""
    import threading

    app.config["HOCTAP_REGISTER_LIMIT"] = "3 per hour"
    clients = [app.test_client() for _ in range(8)]
    tokens = [csrf_from(client, "/account/register") for client in clients]
    start = threading.Barrier(len(clients))
    statuses = [None] * len(clients)

    def send(n):
        data = {"email": f"cung-luc{n}@example.vn", "password": "Hoc-tap-2022",
                "confirm": "Hoc-tap-2022", "full_name": "Nguyễn Văn An", "birth_year": "2000",
                "gender": "", "unit_id": "", "workplace": "", "target_group": "", "phone": "",
                "csrf_token": tokens[n]}  # fmt: skip
        start.wait()
        response = clients[n].post(
            "/account/register", data=data, environ_base={"REMOTE_ADDR": "203.0.113.90"}
        )
        statuses[n] = response.status_code

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 302, 302, 429, 429, 429, 429, 429]
    refused = clients[statuses.index(429)].get("/account/register")
    assert refused.status_code == 200  # looking at the form is never limited
