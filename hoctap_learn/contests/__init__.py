"""Contests (cuộc thi công dân số): question banks, timed rounds, attempts, rankings."""

from __future__ import annotations


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

    # Settings (HOCTAP_CONTEST_GRACE_SECONDS, HOCTAP_API_TOKEN_DAYS, HOCTAP_ENTRY_MAX_MB)
    # are rows of config.SETTINGS.
    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(organizer_views.bp)
    app.register_blueprint(entry_views.certificates_bp)
    register_paths(app, openapi.CONTEST_PATHS, openapi.CONTEST_SCHEMAS)
    app.add_template_filter(format_duration, "duration_vn")
    app.add_template_filter(format_seconds, "seconds_vn")
    app.cli.add_command(cli.contest_group)
    register_entry(
        app,
        "contests.contest_list",
        "Cuộc thi",
        "Thi trực tuyến “Công dân số”: trắc nghiệm theo vòng, xem kết quả và bảng xếp hạng.",
        order=30,
    )


def format_duration(milliseconds) -> str:
    """12 phút 05 giây; a whole number of minutes reads 15 phút."""
    seconds = int(round((milliseconds or 0) / 1000))
    minutes, seconds = divmod(seconds, 60)
    if minutes:
        return f"{minutes} phút {seconds:02d} giây" if seconds else f"{minutes} phút"
    return f"{seconds} giây"


def format_seconds(seconds) -> str:
    """A length given in seconds (a round's time limit), as `format_duration` writes it."""
    return format_duration((seconds or 0) * 1000)
