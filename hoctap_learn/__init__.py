"""hoctap_learn: the platform of the Lifelong Learning Week (Tuần lễ hưởng ứng học tập suốt đời)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from . import config as config_module
from .config import PROJECT_ROOT

#: Feature packages, each exposing `init_app(app)`. Order matters only for content loading.
FEATURES = (
    "hoctap_learn.core",
    "hoctap_learn.units",
    "hoctap_learn.accounts",
    "hoctap_learn.catalog",
    "hoctap_learn.search",
    "hoctap_learn.activities",
    "hoctap_learn.reports",
    "hoctap_learn.harvest",
    "hoctap_learn.oai",
    "hoctap_learn.contests",
    "hoctap_learn.api",
    "hoctap_learn.jobs",
)


def create_app(config: dict | None = None) -> Flask:
    """Build the application. `config` overrides anything read from the environment."""
    import importlib

    from .core.jsonfast import OrjsonProvider
    from .extensions import csrf, db, limiter, login_manager, migrate

    instance_path = Path((config or {}).get("INSTANCE_PATH") or PROJECT_ROOT / "instance")
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    app.json = OrjsonProvider(app)  # keeps the documented key order, writes UTF-8
    instance_path.mkdir(parents=True, exist_ok=True)

    app.config.update(config_module.DEFAULTS)
    resolved = config_module.resolve(instance_path)  # raises ConfigError on a bad value
    app.config.update({item.setting.config_key: item.value for item in resolved})
    app.extensions["hoctap_setting_sources"] = {item.setting.name: item.source for item in resolved}
    if config and config.get("TESTING"):
        app.config.update(config_module.TESTING)
    app.config.update(config or {})

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    for name in FEATURES:
        importlib.import_module(name).init_app(app)
    return app
