"""Application factory, database settings, pages and JSON errors."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, create_engine, exc, inspect, text

from hoctap_learn import create_app
from hoctap_learn.core.database import ping_idle_connections


def test_sqlite_runs_wal_with_foreign_keys(app, db, backend):
    if backend != "sqlite":
        assert db.engine.dialect.name == "postgresql"
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 15000


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"TESTING": True, "INSTANCE_PATH": tmp_path, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert len(first) == 64 and first == second
    assert (tmp_path / "secret_key").read_text() == first


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1:1/x")
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1:1/x"
    monkeypatch.delenv("DATABASE_URL")
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'hoctap.db'}"


def test_models_match_migrations(app, db):
    """The migrated schema equals the models: no change is missing a migration."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_latest_migrations_go_down_and_up_again(app, db, backend):
    """The attempts' save count, the generic-plan trigger functions and the guarded tally
    trigger can be taken back and applied again, and the tally triggers on attempts are
    still there afterwards."""
    from flask_migrate import downgrade, upgrade

    def trigger_settings():
        with db.engine.connect() as conn:
            return conn.execute(
                text("SELECT proconfig FROM pg_proc WHERE proname = 'tally_attempt_update'")
            ).scalar()

    db.session.remove()
    downgrade(revision="0009")
    with db.engine.connect() as conn:
        assert "save_count" not in {c["name"] for c in inspect(conn).get_columns("attempts")}
    if backend == "postgresql":
        assert not trigger_settings()
    upgrade()
    with db.engine.connect() as conn:
        assert "save_count" in {c["name"] for c in inspect(conn).get_columns("attempts")}
        listed = (
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            if backend == "sqlite"
            else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        )
        names = set(conn.execute(text(listed)).scalars())
        assert {"tally_attempt_insert", "tally_attempt_update", "tally_attempt_delete"} <= names
    if backend == "postgresql":
        assert trigger_settings() == ["plan_cache_mode=force_generic_plan"]
        with db.engine.connect() as conn:
            source = conn.execute(
                text("SELECT prosrc FROM pg_proc WHERE proname = 'tally_attempt_update'")
            ).scalar()
        assert "IF OLD.status = 'finished' THEN" in source


def test_home_shows_current_campaign(client, content):
    html = client.get("/").get_data(as_text=True)
    assert "Thúc đẩy chuyển đổi số phục vụ cho học tập suốt đời sau đại dịch COVID-19" in html
    assert "19/10/2022" in html and "26/10/2022" in html
    assert '<html lang="vi">' in html and 'id="main"' in html


def test_home_without_any_campaign(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Chưa có Tuần lễ nào" in response.get_data(as_text=True)


def test_campaign_page_lists_opening_programme(client, content):
    html = client.get("/campaigns/2022").get_data(as_text=True)
    assert "Chương trình lễ khai mạc" in html
    assert "7h30-8h00" in html and "Tiếp đón đại biểu" in html
    assert "Lễ gửi thông điệp Học tập suốt đời" in html
    assert "trước ngày 29/10/2022" in html


def test_unknown_page_is_a_vietnamese_404(client):
    response = client.get("/khong-co-trang-nay")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_unknown_campaign_is_404(client, content):
    response = client.get("/campaigns/1999")
    assert response.status_code == 404
    assert "Không tìm thấy Tuần lễ" in response.get_data(as_text=True)


def test_api_errors_are_json(client, content):
    response = client.get("/api/v1/khong-co")
    assert response.status_code == 404 and "error" in response.get_json()
    response = client.get("/api/v1/campaigns/1999")
    assert response.status_code == 404 and "Tuần lễ" in response.get_json()["error"]
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.get_json() == {"error": "Bạn cần đăng nhập."}
    response = client.delete("/api/v1/campaigns")
    assert response.status_code == 405 and "error" in response.get_json()


def test_api_campaign_and_units(client, content):
    data = client.get("/api/v1/campaigns/2022").get_json()
    assert data["start_date"] == "2022-10-19" and data["report_deadline"] == "2022-10-29"
    assert [p["time"] for p in data["programme"]][:2] == ["7h30-8h00", "8h00-8h15"]
    assert len(data["programme"]) == 9
    units = client.get("/api/v1/units").get_json()["results"]
    districts = [u for u in units if u["kind"] == "district"]
    assert len(districts) == 8
    assert {u["parent"] for u in districts} == {"brvt"}


def test_unexpected_error_is_a_vietnamese_500(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "Hệ thống đang gặp sự cố" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite(client, content):
    from .conftest import login

    response = login(client, "admin@demo.hoctap.vn", "HocTap@2022-admin")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers(client):
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_organizer_entries_are_shown_to_staff_only(app, client, content):
    from .conftest import login

    public = client.get("/").get_data(as_text=True)
    assert "Học liệu mở" in public and "Số liệu" not in public
    staff = app.test_client()
    login(staff, "btc.vungtau@demo.hoctap.vn", "HocTap@2022-btc")
    assert "Số liệu" in staff.get("/").get_data(as_text=True)


def _dropped_by_the_server(url: str, ping: bool):
    """An engine with one pooled connection that the server has since terminated."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    if ping:
        ping_idle_connections(engine, idle_seconds=0)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = create_engine(url)
    with killer.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    killer.dispose()
    return engine, pid


def test_idle_connection_dropped_by_the_server_is_replaced(postgres_url):
    """PostgreSQL only: a SQLite file has no server to drop the connection."""
    url = postgres_url
    engine, pid = _dropped_by_the_server(url, ping=True)
    with engine.connect() as conn:  # pinged: the dead connection is replaced, no error
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    engine.dispose()
    # Without the check the same request fails: what the check is there for.
    engine, _ = _dropped_by_the_server(url, ping=False)
    with pytest.raises(exc.OperationalError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    engine.dispose()


def test_json_keeps_order_dates_and_vietnamese(app):
    from datetime import UTC, datetime

    data = {"total": 2, "page": 1, 3: "Đà Nẵng", "at": datetime(2022, 10, 19, 1, 0, tzinfo=UTC)}
    text_ = app.json.dumps(data)
    assert text_ == '{"total":2,"page":1,"3":"Đà Nẵng","at":"Wed, 19 Oct 2022 01:00:00 GMT"}'
    assert app.json.loads(text_.encode()) == {**{str(k): v for k, v in data.items() if k != "at"},
                                              "at": "Wed, 19 Oct 2022 01:00:00 GMT"}  # fmt: skip
    with app.test_request_context():
        response = app.json.response(data)
    assert response.mimetype == "application/json"
    assert response.get_data(as_text=True) == text_ + "\n"


def test_json_columns_read_with_orjson_as_before(app, db):
    """JSON columns are decoded by orjson; numbers SQLite stored as numbers still come back
    (SQLAlchemy's SQLite JSON type expects the deserializer's TypeError for them)."""
    from hoctap_learn.core.jsonfast import column_loads

    assert db.engine.dialect._json_deserializer is column_loads
    assert column_loads('{"a": [1, 2.5, "Đà Nẵng", null]}') == {"a": [1, 2.5, "Đà Nẵng", None]}
    with pytest.raises(TypeError):
        column_loads(5)
    number, document = ("5", """'{"x": [1, "ở"]}'""")
    if db.engine.dialect.name == "postgresql":
        number, document = f"'{number}'::json", f"{document}::json"
    with db.engine.connect() as conn:
        for sql, value in ((number, 5), (document, {"x": [1, "ở"]})):
            query = text(f"SELECT {sql} AS v").columns(v=JSON)
            assert conn.execute(query).scalar() == value
