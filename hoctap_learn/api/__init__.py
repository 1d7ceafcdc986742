"""JSON API under /api/v1. Each feature adds its routes to `bp`; errors are `{"error": …}`."""

from __future__ import annotations


def init_app(app) -> None:
    from . import openapi, views

    app.register_blueprint(views.bp)
    app.register_blueprint(openapi.bp)
    openapi.register_paths(app, openapi.CORE_PATHS, openapi.CORE_SCHEMAS)
