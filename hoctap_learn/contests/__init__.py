"""Contests (cuộc thi công dân số): question banks, timed rounds, attempts, rankings."""

from __future__ import annotations


def init_app(app) -> None:
    from ..core import register_entry
    from . import cli, content  # noqa: F401  (content registers the loader)

    #: Seconds after the deadline during which answers are still accepted (network lag).
    app.config.setdefault("HOCTAP_CONTEST_GRACE_SECONDS", 15)
    app.cli.add_command(cli.contest_group)
    _ = register_entry
