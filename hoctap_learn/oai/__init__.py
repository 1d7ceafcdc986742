"""The catalog as an OAI-PMH 2.0 data provider at ``/oai`` (oai_dc), for aggregators."""

from __future__ import annotations

DEFAULTS = {
    "HOCTAP_OAI_REPOSITORY_NAME": "Học liệu mở — Tuần lễ hưởng ứng học tập suốt đời",
    "HOCTAP_OAI_REPOSITORY_ID": "hoctap",
    "HOCTAP_OAI_ADMIN_EMAIL": "admin@hoctap.invalid",
    "HOCTAP_OAI_PAGE_SIZE": 100,
    "HOCTAP_OAI_TOKEN_MAX_AGE": 24 * 3600,
}


def init_app(app) -> None:
    from ..extensions import csrf
    from . import views

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    csrf.exempt(views.bp)  # harvesters POST form-encoded requests without a session
    app.register_blueprint(views.bp)
