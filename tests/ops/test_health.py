"""`/healthz` and `/readyz` over HTTP: database, migrations, index lag, Redis; 503 when a
dependency is down."""

from __future__ import annotations

import pytest

from hoctap_learn.core.health import register_readiness_check
from tests.catalog.conftest import rows_as_dicts
from tests.pgcluster import free_port

from .conftest import another_app


def test_healthz_answers_without_touching_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing' / 'x.db'}"
    with another_app({"INSTANCE_PATH": tmp_path, "SQLALCHEMY_DATABASE_URI": url}) as broken:
        response = broken.test_client().get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_reports_database_migrations_and_index_lag(app, client, runner, backend):
    from hoctap_learn.catalog.files import import_rows
    from hoctap_learn.extensions import db

    response = client.get("/readyz")
    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    checks = response.json["checks"]
    assert response.json["status"] == "ok"
    assert checks["database"] == {"ok": True, "dialect": backend}
    assert checks["migrations"]["ok"] and checks["migrations"]["current"] == (
        checks["migrations"]["head"]
    )
    assert checks["search_index"]["pending_changes"] == 0
    assert "redis" not in checks  # not configured

    report = import_rows(rows_as_dicts(), source="test")
    db.session.commit()
    lag = client.get("/readyz").json["checks"]["search_index"]
    assert lag["ok"] and lag["pending_changes"] == report.created == 8
    assert runner.invoke(args=["search", "rebuild"]).exit_code == 0
    lag = client.get("/readyz").json["checks"]["search_index"]
    assert lag["pending_changes"] == 0 and lag["applied_seq"] >= 8


def test_readyz_is_503_when_the_database_is_down(tmp_path):
    urls = [
        f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}",
        f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/hoctap",  # nothing listens
    ]
    for url in urls:
        with another_app({"INSTANCE_PATH": tmp_path, "SQLALCHEMY_DATABASE_URI": url}) as app:
            response = app.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.json["status"] == "unavailable"
        assert response.json["checks"]["database"]["ok"] is False
        assert response.json["checks"]["database"]["error"]


def test_readyz_is_503_when_migrations_are_behind(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with another_app({"INSTANCE_PATH": tmp_path, "SQLALCHEMY_DATABASE_URI": url}) as app:
        response = app.test_client().get("/readyz")
    assert response.status_code == 503
    migrations = response.json["checks"]["migrations"]
    assert migrations["ok"] is False and migrations["current"] == [] and migrations["head"]


def _readyz_with_redis(database_url, tmp_path, redis):
    config = {
        "INSTANCE_PATH": tmp_path / "instance",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "HOCTAP_INDEX_DIR": str(tmp_path / "index"),
        "HOCTAP_REDIS_URL": redis,
    }
    with another_app(config) as other:
        return other.test_client().get("/readyz")


def test_readyz_checks_redis_when_configured(app, tmp_path, redis_url):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    up = _readyz_with_redis(url, tmp_path, redis_url)
    assert up.status_code == 200 and up.json["checks"]["redis"] == {"ok": True}
    stopped = f"redis://127.0.0.1:{free_port()}/0"  # a port nothing listens on
    down = _readyz_with_redis(url, tmp_path, stopped)
    assert down.status_code == 503
    assert down.json["checks"]["redis"]["ok"] is False
    assert down.json["checks"]["database"]["ok"] is True


def test_a_feature_registers_its_own_check(app, client):
    register_readiness_check(app, "worker", lambda: {"ok": False, "heartbeat_age": None})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["worker"] == {"ok": False, "heartbeat_age": None}

    def broken():
        raise RuntimeError("hàng đợi không trả lời")

    register_readiness_check(app, "worker", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["worker"]["error"] == "RuntimeError: hàng đợi không trả lời"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_refuse_writes(client, path):
    assert client.post(path).status_code == 405
