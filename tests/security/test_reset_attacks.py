"""Attacks on the password reset, each through HTTP with mail delivered by a real SMTP server
on loopback; a test fails if the attack works.

Telling registered addresses from free ones, flooding one address (however spelled) or from
one client address, reusing a link, racing two requests with one link, an expired link, a
link forged for another account, and credentials that outlive the reset.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from hoctap_learn.accounts import reset
from tests.conftest import csrf_from
from tests.factories import PASSWORD, make_user
from tests.mailserver import reset_link, smtp_inbox  # noqa: F401
from tests.test_password_reset import NEW_PASSWORD, ask_reset, inbox, set_password  # noqa: F401

from .test_account_attacks import alive, bearer, page_login


def _path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def test_known_and_unknown_addresses_cannot_be_told_apart(app, db, inbox):  # noqa: F811
    make_user("that@example.vn")
    answers = []
    for email in ("that@example.vn", "nobody@example.vn"):
        client = app.test_client()
        response = ask_reset(client, email)
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        page = page.split('name="csrf_token"')[0] + page.split('name="csrf_token"')[1][90:]
        answers.append((response.status_code, response.headers["Location"], page))
    assert answers[0][:2] == answers[1][:2]
    assert "Nếu địa chỉ này là email của một tài khoản" in answers[1][2]


def test_one_address_in_many_spellings_is_limited(app, db, inbox):  # noqa: F811
    user = make_user("gioi.han@example.vn")
    spellings = ["gioi.han@example.vn", "GIOI.HAN@example.vn", " Gioi.Han@EXAMPLE.vn ",
                 "ｇｉｏｉ.han@example.vn"]  # fmt: skip
    statuses = [
        ask_reset(app.test_client(), email, ip=f"198.51.100.{n}").status_code
        for n, email in enumerate(spellings, start=10)
    ]
    assert statuses == [302, 302, 302, 429]  # HOCTAP_RESET_LIMIT: 3 per hour
    assert len(inbox.messages) == 3 and {tuple(r) for r in inbox.recipients} == {(user.email,)}
    # an address nobody has is limited the same way (no difference to learn from)
    unknown = [ask_reset(app.test_client(), "ai.do@example.vn", ip=f"198.51.100.{n}")
               for n in range(20, 24)]  # fmt: skip
    assert [r.status_code for r in unknown] == [302, 302, 302, 429]
    refused = unknown[-1]
    assert int(refused.headers["Retry-After"]) > 0
    assert "Có quá nhiều yêu cầu đặt lại mật khẩu" in refused.get_data(as_text=True)


def test_one_client_address_is_limited(app, db, inbox):  # noqa: F811
    statuses = [
        ask_reset(app.test_client(), f"nguoi{n}@example.vn", ip="203.0.113.77").status_code
        for n in range(11)
    ]
    assert statuses == [302] * 10 + [429]  # HOCTAP_RESET_ADDRESS_LIMIT: 10 per hour
    # another client address is not held by it
    assert ask_reset(app.test_client(), "nguoi0@example.vn", ip="203.0.113.78").status_code == 302


def test_reset_ends_every_session_and_api_token(app, db, inbox):  # noqa: F811
    user = make_user("phien@example.vn")
    api = app.test_client()
    headers = bearer(api, user.email)
    browser, response = page_login(app, user.email, PASSWORD, "198.51.100.3")
    assert response.status_code == 302 and browser.get("/account/profile").status_code == 200
    assert alive(api, headers)

    stranger = app.test_client()
    ask_reset(stranger, user.email)
    assert set_password(stranger, reset_link(inbox.messages[-1])).status_code == 302

    assert not alive(api, headers)
    assert api.get("/api/v1/me", headers=headers).status_code == 401
    assert browser.get("/account/profile").status_code == 302  # sent to the login page
    # the browser that reset it is not signed in as anybody either
    assert stranger.get("/account/profile").status_code == 302


def test_a_link_works_once_even_when_two_requests_race(app, db, inbox):  # noqa: F811
    user = make_user("dua@example.vn")
    ask_reset(app.test_client(), user.email)
    link = _path(reset_link(inbox.messages[-1]))
    clients = [app.test_client() for _ in range(2)]
    tokens = [csrf_from(c, link) for c in clients]
    barrier = threading.Barrier(2)
    results: dict[int, int] = {}
    pages: dict[int, str] = {}

    def submit(n: int, password: str) -> None:
        barrier.wait()
        response = clients[n].post(
            link, data={"password": password, "confirm": password, "csrf_token": tokens[n]}
        )
        results[n] = response.status_code
        pages[n] = response.get_data(as_text=True)

    threads = [
        threading.Thread(target=submit, args=(n, p))
        for n, p in enumerate(["Mat-khau-mot-111", "Mat-khau-hai-222"])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # the loser is refused whether it came after the winner (400: the link is dead) or
    # checked the link at the same time (422: the conditional UPDATE found it used)
    assert sorted(results.values())[0] == 302 and sorted(results.values())[1] in (400, 422)
    loser_page = pages[[results[0], results[1]].index(max(results.values()))]
    assert "đã được dùng hoặc đã hết hạn" in loser_page
    winner = ["Mat-khau-mot-111", "Mat-khau-hai-222"][[results[0], results[1]].index(302)]
    loser = {"Mat-khau-mot-111", "Mat-khau-hai-222"} - {winner}
    assert page_login(app, user.email, winner, "198.51.100.4")[1].status_code == 302
    assert page_login(app, user.email, loser.pop(), "198.51.100.5")[1].status_code == 422


class _TwoHoursAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 2 * 3600


def test_an_expired_link_is_refused(app, client, db):
    user = make_user("cu@example.vn")
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=reset.SALT, signer=_TwoHoursAgo)
    token = old.dumps({"u": user.id, "f": reset._fingerprint(user)})
    response = client.get("/account/reset", query_string={"token": token})
    assert response.status_code == 400
    assert "đã hết hạn" in response.get_data(as_text=True)
    # the same token, freshly dated, is accepted: the refusal above was its age
    fresh = reset.make_token(user)
    assert client.get("/account/reset", query_string={"token": fresh}).status_code == 200


def test_a_link_cannot_be_bent_to_another_account(app, client, db, inbox):  # noqa: F811
    mine = make_user("cua.toi@example.vn")
    victim = make_user("nan.nhan@example.vn")
    ask_reset(client, mine.email)
    token = urlsplit(reset_link(inbox.messages[-1])).query.split("=", 1)[1]
    payload, rest = token.split(".", 1)
    import base64
    import json

    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["u"] = victim.id
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    response = client.get("/account/reset", query_string={"token": f"{forged}.{rest}"})
    assert response.status_code == 400
    # a correctly signed token with a wrong fingerprint (from another secret) is refused too
    other = URLSafeTimedSerializer("another-secret", salt=reset.SALT)
    forged = other.dumps({"u": victim.id, "f": reset._fingerprint(victim)})
    assert client.get("/account/reset", query_string={"token": forged}).status_code == 400


def test_the_token_stays_out_of_the_request_log(app, client, db, inbox, caplog):  # noqa: F811
    user = make_user("nhat.ky@example.vn")
    ask_reset(client, user.email)
    link = reset_link(inbox.messages[-1])
    token = urlsplit(link).query.split("=", 1)[1]
    with caplog.at_level(logging.INFO):
        set_password(client, link)
    assert "/account/reset" in caplog.text
    assert token not in caplog.text
