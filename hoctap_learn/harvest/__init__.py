"""Harvesting open resources: OAI-PMH repositories, CSV/XLSX files, RSS/Atom feeds."""

from __future__ import annotations


def init_app(app) -> None:
    from ..core import register_entry
    from . import cli, guard, models, views  # noqa: F401  (models registered with the metadata)

    # The harvest settings are rows of config.SETTINGS.
    # A mistyped allow list stops the app at start, not the first harvest.
    guard.parse_allow_list(app.config["HOCTAP_HARVEST_ALLOW_HOSTS"])
    app.cli.add_command(cli.harvest_group)
    app.register_blueprint(views.bp)
    register_entry(
        app, "harvest.source_list", "Thu thập",
        "Dành cho ban tổ chức: thêm kho OAI-PMH của trường, thư viện, bản tin hoặc tệp "
        "học liệu, rồi thu thập định kỳ vào danh mục.",
        order=80,
        staff_only=True,
    )  # fmt: skip
