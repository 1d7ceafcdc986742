"""JSON API under /api/v1. Each feature adds its routes to `bp`; errors are `{"error": …}`."""

from __future__ import annotations


def init_app(app) -> None:
    from . import views

    app.register_blueprint(views.bp)
