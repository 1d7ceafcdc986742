"""Fixtures: every test that uses `app` runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import contextvars
import os
import re
import shutil
from pathlib import Path

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from hoctap_learn import create_app
from hoctap_learn.extensions import db as _db
from hoctap_learn.extensions import limiter

from .pgcluster import PostgresCluster, find_bindir
from .redisserver import RedisServer, find_redis_server

BACKENDS = ["sqlite", "postgresql"]


def _migrate(url: str, instance: Path) -> None:
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": instance})
    with app.app_context():
        upgrade()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    if os.environ.get("HOCTAP_TEST_POSTGRES_URL"):
        yield os.environ["HOCTAP_TEST_POSTGRES_URL"]
        return
    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("HOCTAP_SKIP_POSTGRES") == "1":
            pytest.skip("HOCTAP_SKIP_POSTGRES=1 và không có PostgreSQL")
        pytest.fail("PostgreSQL server binaries not found: run `make system-deps`")
    cluster = PostgresCluster(bindir)
    url = cluster.start()
    try:
        _migrate(url, tmp_path_factory.mktemp("pg-instance"))
        yield url
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def redis_url():
    """A throwaway redis-server on a free loopback port for the whole session."""
    if os.environ.get("HOCTAP_SKIP_REDIS") == "1":
        pytest.skip("HOCTAP_SKIP_REDIS=1: không chạy các kiểm thử cần Redis")
    binary = find_redis_server()
    if binary is None:
        pytest.fail("redis-server not found: run `make system-deps`")
    server = RedisServer(binary)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file that each test copies (faster than migrating each time)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.db"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, request, tmp_path) -> str:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    return url


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in _db.metadata.sorted_tables]
        if tables:
            conn.execute(
                text(
                    "TRUNCATE {} RESTART IDENTITY CASCADE".format(
                        ", ".join(f'"{t}"' for t in tables)
                    )
                )
            )
    engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose requests get their own app context, as in production.

    The `app` fixture keeps an app context pushed so tests can call services; without
    this, every request would share that context's `g` (the logged-in user, the CSRF
    token) and database session with the test and with each other.
    """

    def open(self, *args, **kwargs):
        def run():
            _cv_app.set(None)
            return FlaskClient.open(self, *args, **kwargs)

        return contextvars.copy_context().run(run)


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": tmp_path / "instance",
            "HOCTAP_INDEX_DIR": str(tmp_path / "index"),
            "HOCTAP_UPLOAD_DIR": str(tmp_path / "uploads"),
            "SECRET_KEY": "test-secret",
        }
    )
    app.test_client_class = IsolatedClient
    limiter.reset()
    with app.app_context():
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def content(app):
    """The real content/ folder loaded (units, campaigns, demo accounts…).

    The 328-record catalog and the demo contest attempts are left out for speed;
    `full_content` loads everything.
    """
    from hoctap_learn.core.content import load_content

    report = load_content(
        Path(app.config["HOCTAP_CONTENT_DIR"]),
        include_demo=True,
        skip=("catalog", "demo-contests"),
    )
    _db.session.commit()
    return report


@pytest.fixture
def full_content(app):
    from hoctap_learn.core.content import load_content

    report = load_content(Path(app.config["HOCTAP_CONTENT_DIR"]), include_demo=True)
    _db.session.commit()
    return report


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(client, url: str) -> str:
    response = client.get(url)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client, email: str, password: str):
    token = csrf_from(client, "/account/login")
    return client.post(
        "/account/login", data={"email": email, "password": password, "csrf_token": token}
    )


# --- browser tests ---------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture
def live_server(sqlite_template, tmp_path):
    """The app served by Werkzeug in a thread, on SQLite with the real content loaded."""
    import threading

    from werkzeug.serving import make_server

    from hoctap_learn.core.content import load_content

    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "INSTANCE_PATH": tmp_path / "instance",
            "HOCTAP_INDEX_DIR": str(tmp_path / "index"),
            "HOCTAP_UPLOAD_DIR": str(tmp_path / "uploads"),
            "SECRET_KEY": "browser-test",
            # The journeys harvest from test servers on loopback, which the address guard
            # refuses unless allowed, as an administrator would allow an internal repository.
            "HOCTAP_HARVEST_ALLOW_HOSTS": "127.0.0.1",
        }
    )
    limiter.reset()
    with app.app_context():
        load_content(Path(app.config["HOCTAP_CONTENT_DIR"]), include_demo=True)
        _db.session.commit()
        _db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            _db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian chromium is missing: run `make system-deps`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    # A phone-sized viewport: the product is used on phones first.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
