"""The `hoctap` console script: a Flask CLI group bound to the application factory."""

from __future__ import annotations

from flask.cli import FlaskGroup


def _create_app():
    import sys

    import click

    from . import create_app
    from .config import ConfigError

    try:
        return create_app()
    except ConfigError as error:
        click.echo(f"Lỗi cấu hình: {error}", err=True)
        sys.exit(2)


main = FlaskGroup(
    create_app=_create_app,
    help="hoctap_learn — Tuần lễ hưởng ứng học tập suốt đời.",
    add_version_option=False,
)
