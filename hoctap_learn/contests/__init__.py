"""Contests (cuộc thi công dân số): question banks, timed rounds, attempts, rankings."""

from __future__ import annotations

import os


def init_app(app) -> None:
    from ..api.openapi import register_paths
    from ..core import register_entry
    from . import (  # noqa: F401  (content registers a loader; *_entries add routes)
        api,
        cli,
        content,
        demo,
        entry_views,
        figures,
        openapi,
        organizer_entries,
        organizer_views,
        views,
    )

    #: Seconds after the deadline during which answers are still accepted (network lag).
    app.config.setdefault(
        "HOCTAP_CONTEST_GRACE_SECONDS", int(os.environ.get("HOCTAP_CONTEST_GRACE_SECONDS", "15"))
    )
    #: Lifetime of API bearer tokens.
    app.config.setdefault("HOCTAP_API_TOKEN_DAYS", 30)
    #: Size limits of creative entry uploads, in MB per kind.
    app.config.setdefault("HOCTAP_ENTRY_MAX_MB", {"image": 10, "audio": 30, "video": 60})
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(organizer_views.bp)
    app.register_blueprint(entry_views.certificates_bp)
    register_paths(app, openapi.CONTEST_PATHS, openapi.CONTEST_SCHEMAS)
    app.add_template_filter(format_duration, "duration_vn")
    app.cli.add_command(cli.contest_group)
    register_entry(
        app,
        "contests.contest_list",
        "Cuộc thi",
        "Thi trực tuyến “Công dân số”: trắc nghiệm theo vòng, xem kết quả và bảng xếp hạng.",
        order=30,
    )


def format_duration(milliseconds) -> str:
    """12 phút 05 giây."""
    seconds = int(round((milliseconds or 0) / 1000))
    minutes, seconds = divmod(seconds, 60)
    if minutes:
        return f"{minutes} phút {seconds:02d} giây"
    return f"{seconds} giây"
