"""The `hoctap` console script: a Flask CLI group bound to the application factory."""

from __future__ import annotations

from flask.cli import FlaskGroup


def _create_app():
    from . import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app,
    help="hoctap_learn — Tuần lễ hưởng ứng học tập suốt đời.",
    add_version_option=False,
)
