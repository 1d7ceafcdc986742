"""Harvest attacks through the organizer pages and the CLI: internal addresses (SSRF),
redirects inside, oversized and non-XML OAI-PMH answers.

Each test fails if the attack succeeds: a request reaches an internal test server, a
record from it lands in the catalog, the answer is a 500, or the run reads without a cap.
Only loopback is ever contacted (see conftest.py): 10.x, 169.254.169.254, 192.168.x must
be refused before any connection.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from hoctap_learn.catalog.models import Resource
from hoctap_learn.harvest.models import HarvestSource
from tests.conftest import csrf_from, login
from tests.factories import PASSWORD, make_user
from tests.harvest.servers import (
    MemoryRepository,
    OaiServer,
    redirector,
    sample_items,
    serve_wsgi,
)

REFUSED = "Không tải được (lý do: địa chỉ không được phép)."
NOT_OAI = "Không tải được (lý do: nội dung không phải OAI-PMH)."
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Bí mật nội bộ</title><link>https://noibo.example.vn/</link>
<item><title>Tài liệu nội bộ</title><link>https://noibo.example.vn/a</link><guid>a</guid></item>
</channel></rss>""".encode()


@pytest.fixture(autouse=True)
def harvest_settings(app):
    """Quick retries; the allow list has only 127.0.0.2, so 127.0.0.1 is "internal"."""
    app.config.update(
        HOCTAP_HARVEST_ALLOW_HOSTS="127.0.0.2",
        HOCTAP_HARVEST_TIMEOUT=2,
        HOCTAP_HARVEST_RETRIES=2,
        HOCTAP_HARVEST_MAX_WAIT=1,
        HOCTAP_HARVEST_DEFAULT_WAIT=0.05,
    )


def _oai_server(host: str):
    repository = MemoryRepository(sample_items())
    server = OaiServer(repository)
    url, stop = serve_wsgi(server, host)
    server.url = url + "/oai"
    repository.base_url = server.url
    return server, stop


@pytest.fixture
def internal_oai():
    """An OAI-PMH repository on 127.0.0.1: stands for a server inside the network."""
    server, stop = _oai_server("127.0.0.1")
    yield server
    stop()


@pytest.fixture
def allowed_oai():
    """An OAI-PMH repository on 127.0.0.2, the one loopback address the allow list has."""
    server, stop = _oai_server("127.0.0.2")
    yield server
    stop()


@pytest.fixture
def internal_feed():
    requests = []

    def app(environ, start_response):
        requests.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "application/rss+xml")])
        return [FEED]

    url, stop = serve_wsgi(app, "127.0.0.1")
    yield url + "/feed.xml", requests
    stop()


def _internal_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/oai",
        f"http://localhost:{port}/oai",  # a DNS name that resolves to loopback
        f"http://[::1]:{port}/oai",
        f"http://[::ffff:127.0.0.1]:{port}/oai",
        f"http://0.0.0.0:{port}/oai",
        f"http://127.1:{port}/oai",
        "http://10.0.0.1/oai",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/oai",
        "http://[fd00:ec2::254]/latest/meta-data/",
    ]


def _resources(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Resource))


def _sources(db) -> int:
    return db.session.scalar(select(func.count()).select_from(HarvestSource))


@pytest.mark.parametrize("kind", ["oai-pmh", "rss"])
def test_cli_add_refuses_internal_addresses_without_a_request(runner, db, internal_oai, kind):
    port = int(internal_oai.url.rsplit(":", 1)[1].split("/")[0])
    for number, url in enumerate(_internal_urls(port)):
        result = runner.invoke(
            args=["harvest", "add", "--kind", kind, "--url", url, "--name", f"Kho {number}",
                  "--json"]
        )  # fmt: skip
        assert result.exit_code == 1, (url, result.output)
        assert REFUSED in json.loads(result.stdout)["error"], (url, result.output)
    assert internal_oai.requests == []
    assert _sources(db) == 0


def test_ipv6_loopback_gets_nothing(runner, db):
    """A repository on [::1] itself (also written as a mapped or an expanded address)."""
    try:
        server, stop = _oai_server("::1")
    except OSError as error:
        pytest.skip(f"no IPv6 loopback here: {error}")
    port = server.url.rsplit(":", 1)[1].split("/")[0]
    try:
        for number, host in enumerate(["[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:7f00:1]"]):
            result = runner.invoke(
                args=["harvest", "add", "--kind", "oai-pmh", "--url",
                      f"http://{host}:{port}/oai", "--name", f"Kho {number}", "--json"]
            )  # fmt: skip
            assert result.exit_code == 1
            assert REFUSED in json.loads(result.stdout)["error"]
    finally:
        stop()
    assert server.requests == [] and _sources(db) == 0


def test_organizer_page_refuses_an_internal_feed(client, db, internal_feed):
    url, requests = internal_feed
    make_user("admin@example.vn", role="admin")
    login(client, "admin@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/harvest/new")
    for kind in ("rss", "oai-pmh", "xlsx"):
        response = client.post(
            "/organizer/harvest/new",
            data={"csrf_token": token, "name": "Bản tin nội bộ", "kind": kind, "url": url,
                  "unit_id": ""},
        )  # fmt: skip
        page = response.get_data(as_text=True)
        assert response.status_code == 422, kind
        assert "địa chỉ không được phép" in page and "Bí mật nội bộ" not in page
    assert requests == [] and _sources(db) == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_saved_source_pointing_inside_is_refused_when_it_connects(
    client, runner, db, app, internal_feed, host
):
    """The check is made on every connection, not only when the URL is saved: a source
    saved while its host was allowed (or while its name resolved outside) gets nothing;
    a name is resolved and checked again when the run connects."""
    url, requests = internal_feed
    url = url.replace("127.0.0.1", host)
    app.config["HOCTAP_HARVEST_ALLOW_HOSTS"] = host
    added = runner.invoke(
        args=["harvest", "add", "--kind", "rss", "--url", url, "--name", "Nội bộ"]
    )
    assert added.exit_code == 0, added.output
    app.config["HOCTAP_HARVEST_ALLOW_HOSTS"] = "127.0.0.2"  # the address is no longer allowed

    make_user("admin@example.vn", role="admin")
    login(client, "admin@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/harvest/noi-bo")
    tested = client.post("/organizer/harvest/noi-bo/test", data={"csrf_token": token})
    page = client.get(tested.headers["Location"]).get_data(as_text=True)
    assert REFUSED in page and "Bí mật nội bộ" not in page

    result = runner.invoke(args=["harvest", "run", "noi-bo", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["status"] == "failed" and data["message"] == REFUSED
    assert requests == [] and _resources(db) == 0


def test_redirect_to_an_internal_address_is_refused(
    client, db, runner, internal_oai, internal_feed
):
    """127.0.0.2 is allowed and redirects to 127.0.0.1: the second hop is refused."""
    feed_url, feed_requests = internal_feed
    hops: list = []
    url, stop = serve_wsgi(
        redirector(lambda path: internal_oai.url if path.startswith("/oai") else feed_url, hops),
        "127.0.0.2",
    )
    try:
        make_user("admin@example.vn", role="admin")
        login(client, "admin@example.vn", PASSWORD)
        token = csrf_from(client, "/organizer/harvest/new")
        response = client.post(
            "/organizer/harvest/new",
            data={"csrf_token": token, "name": "Kho chuyển hướng", "kind": "oai-pmh",
                  "url": url + "/oai", "unit_id": ""},
        )  # fmt: skip
        assert response.status_code == 422
        assert REFUSED in response.get_data(as_text=True)
        assert hops == ["/oai?verb=Identify"]  # the allowed host was asked, once (no retry)

        added = runner.invoke(
            args=["harvest", "add", "--kind", "rss", "--url", url + "/feed.xml", "--name", "Tin"]
        )
        assert added.exit_code == 0, added.output
        result = runner.invoke(args=["harvest", "run", "tin", "--json"])
        assert result.exit_code == 1
        assert json.loads(result.stdout)["message"] == REFUSED
    finally:
        stop()
    assert internal_oai.requests == [] and feed_requests == []
    assert _resources(db) == 0


def test_redirect_loops_stop(runner, db):
    hops: list = []
    holder = {}
    url, stop = serve_wsgi(redirector(lambda path: holder["url"] + path, hops), "127.0.0.2")
    holder["url"] = url
    try:
        added = runner.invoke(
            args=["harvest", "add", "--kind", "oai-pmh", "--url", url + "/oai", "--name", "Vòng",
                  "--json"]
        )  # fmt: skip
    finally:
        stop()
    assert added.exit_code == 1
    assert "chuyển hướng quá 5 lần" in json.loads(added.stdout)["error"]
    assert len(hops) == 6  # the first request and 5 redirects


def test_closed_and_silent_ports_read_the_same(runner, db, app):
    """An allowed address with nothing listening says "không kết nối được", never more."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.2", 0))
        port = sock.getsockname()[1]
    result = runner.invoke(
        args=["harvest", "add", "--kind", "oai-pmh", "--url", f"http://127.0.0.2:{port}/oai",
              "--name", "Cổng đóng", "--json"]
    )  # fmt: skip
    assert result.exit_code == 1
    error = json.loads(result.stdout)["error"]
    assert error == (
        "Không thêm được nguồn: Không tải được (lý do: không kết nối được, đã thử 3 lần)."
    )
    assert str(port) not in error


# --- what an allowed repository answers ------------------------------------------------------


@pytest.mark.parametrize("how", ["chunked", "gzip", "declared"])
def test_an_oversized_oai_response_is_cut_off(runner, db, app, allowed_oai, how):
    app.config["HOCTAP_HARVEST_MAX_BYTES"] = 1024 * 1024
    added = runner.invoke(
        args=["harvest", "add", "--kind", "oai-pmh", "--url", allowed_oai.url, "--name", "Kho"]
    )
    assert added.exit_code == 0, added.output
    size = 64 * 1024 * 1024
    allowed_oai.faults.append(("huge", size, how))  # the first ListRecords page
    result = runner.invoke(args=["harvest", "run", "kho", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["status"] == "failed"
    assert data["message"] == "Không tải được (lý do: quá lớn, trên 1 MB)."
    assert _resources(db) == 0
    if how == "chunked":
        # the client hung up after 1 MB: the server could not push all 64 MB
        assert allowed_oai.huge_sent < size // 2


def test_an_oversized_feed_is_cut_off(runner, db, app, allowed_oai):
    """Feeds and files go through the same cap (here the body is not even a feed)."""
    app.config["HOCTAP_HARVEST_MAX_BYTES"] = 1024 * 1024
    added = runner.invoke(
        args=["harvest", "add", "--kind", "rss", "--url", allowed_oai.url, "--name", "Tin"]
    )
    assert added.exit_code == 0
    allowed_oai.faults.append(("huge", 8 * 1024 * 1024, "chunked"))
    result = runner.invoke(args=["harvest", "run", "tin", "--json"])
    assert json.loads(result.stdout)["message"] == "Không tải được (lý do: quá lớn, trên 1 MB)."


NON_XML = {
    "plain text": ("text/plain; charset=utf-8", "Hệ thống đang bảo trì.".encode()),
    "broken html": ("text/html", b"<html><body><p>B\xe1\xba\xa3o tr\xc3\xac<div><span"),
    "empty": ("text/xml", b""),
}


@pytest.mark.parametrize("body", NON_XML)
def test_non_xml_answer_when_adding_is_a_message(client, db, allowed_oai, body):
    content_type, data = NON_XML[body]
    make_user("admin@example.vn", role="admin")
    login(client, "admin@example.vn", PASSWORD)
    token = csrf_from(client, "/organizer/harvest/new")
    form = {"csrf_token": token, "name": "Kho hỏng", "kind": "oai-pmh", "url": allowed_oai.url,
            "unit_id": ""}  # fmt: skip
    allowed_oai.faults.append(("answer", "200 OK", content_type, data, None))
    response = client.post("/organizer/harvest/new", data=form)
    assert response.status_code == 422
    assert NOT_OAI in response.get_data(as_text=True)
    # a 503 (or 429) with the same body, for ever: "busy", never an AttributeError
    for status in ("503 Service Unavailable", "429 Too Many Requests"):
        allowed_oai.faults.extend([("answer", status, content_type, data, "0")] * 3)
        response = client.post("/organizer/harvest/new", data=form)
        assert response.status_code == 422
        code = status.split()[0]
        assert f"máy chủ báo bận HTTP {code}, đã thử 3 lần" in response.get_data(as_text=True)
    assert _sources(db) == 0


@pytest.mark.parametrize("body", NON_XML)
@pytest.mark.parametrize("status", ["503 Service Unavailable", "429 Too Many Requests"])
def test_busy_with_any_body_is_waited_out(runner, db, allowed_oai, body, status):
    content_type, data = NON_XML[body]
    added = runner.invoke(
        args=["harvest", "add", "--kind", "oai-pmh", "--url", allowed_oai.url, "--name", "Kho"]
    )
    assert added.exit_code == 0, added.output
    allowed_oai.faults.append(("answer", status, content_type, data, "1"))
    result = runner.invoke(args=["harvest", "run", "kho", "--json"])
    data_out = json.loads(result.stdout)
    assert (data_out["status"], data_out["new"]) == ("partial", 30), result.output
    pages = [r for r in allowed_oai.requests if r.get("verb") == "ListRecords"]
    assert len(pages) == 6  # 5 pages + the busy one asked again


@pytest.mark.parametrize("body", NON_XML)
def test_non_xml_page_in_a_run_fails_the_run_with_a_message(runner, db, allowed_oai, body):
    content_type, data = NON_XML[body]
    runner.invoke(
        args=["harvest", "add", "--kind", "oai-pmh", "--url", allowed_oai.url, "--name", "Kho"]
    )
    allowed_oai.faults.extend([None, ("answer", "200 OK", content_type, data, None)])
    result = runner.invoke(args=["harvest", "run", "kho", "--json"])
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert out["status"] == "failed" and out["message"] == NOT_OAI
    assert out["pages"] == 1  # the first page is kept
    # a plain-text 500 is an HTTP error, named as such
    allowed_oai.faults.append(("answer", "500 Internal Server Error", content_type, data, None))
    result = runner.invoke(args=["harvest", "run", "kho", "--json"])
    assert json.loads(result.stdout)["message"] == (
        "Không tải được (lý do: máy chủ trả lỗi HTTP 500)."
    )
