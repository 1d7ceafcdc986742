"""The catalog as an OAI-PMH 2.0 data provider at ``/oai`` (oai_dc), for aggregators."""

from __future__ import annotations


def init_app(app) -> None:
    from ..extensions import csrf
    from . import views

    # The OAI-PMH settings are rows of config.SETTINGS.
    csrf.exempt(views.bp)  # harvesters POST form-encoded requests without a session
    app.register_blueprint(views.bp)
