"""`/healthz` (the process answers) and `/readyz` (its dependencies answer).

Features add their own readiness checks with `register_readiness_check(app, name, check)`:
`check()` runs inside an app context and returns a dict of facts with an `ok` key; `ok` false
or an exception makes `/readyz` answer 503. Informational checks (the search index's lag)
always return `ok: True` and give numbers.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from ..extensions import db

bp = Blueprint("health", __name__)

Check = Callable[[], dict]


def register_readiness_check(app, name: str, check: Check) -> None:
    """Add `check` to `/readyz` under `name` (later registrations replace earlier ones)."""
    app.extensions.setdefault("hoctap_readiness", {})[name] = check


def readiness() -> tuple[bool, dict]:
    """Run every registered check; the database first, since most others need it."""
    checks = current_app.extensions.get("hoctap_readiness", {})
    results = {}
    for name, check in checks.items():
        try:
            result = dict(check())
        except Exception as error:  # a check that raises means its dependency is down
            db.session.rollback()
            result = {"ok": False, "error": f"{type(error).__name__}: {_first_line(error)}"}
        result["ok"] = bool(result.get("ok"))
        results[name] = result
    return all(r["ok"] for r in results.values()), results


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:300] if lines else ""


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/healthz")
def healthz():
    # Touches nothing: a load balancer restarts a process that does not answer this.
    return _no_store(jsonify(status="ok"))


@bp.route("/readyz")
def readyz():
    ready, checks = readiness()
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return _no_store(jsonify(body)), 200 if ready else 503


# --- the checks core itself owns ------------------------------------------------------------


def check_database() -> dict:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"ok": True, "dialect": db.engine.dialect.name}


def check_migrations() -> dict:
    """The database's Alembic revision against the newest migration script."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    config = migrate.migrate.get_config(migrate.directory)
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return {"ok": current == heads, "current": sorted(current), "head": sorted(heads)}


def check_redis() -> dict:
    """Only registered when HOCTAP_REDIS_URL is set."""
    import redis

    url = current_app.config["HOCTAP_REDIS_URL"]
    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return {"ok": True}


def init_app(app) -> None:
    app.register_blueprint(bp)
    register_readiness_check(app, "database", check_database)
    register_readiness_check(app, "migrations", check_migrations)
    if app.config.get("HOCTAP_REDIS_URL"):
        register_readiness_check(app, "redis", check_redis)
