"""Harvesting open resources: OAI-PMH repositories, CSV/XLSX files, RSS/Atom feeds."""

from __future__ import annotations

#: Defaults a deployment may override (create_app config or the app's config file).
DEFAULTS = {
    "HOCTAP_HARVEST_TIMEOUT": 30,  # seconds per request
    "HOCTAP_HARVEST_RETRIES": 3,  # retries after 503/429/timeouts
    "HOCTAP_HARVEST_MAX_WAIT": 120,  # upper bound of one Retry-After wait, seconds
    "HOCTAP_HARVEST_DEFAULT_WAIT": 5,  # wait without Retry-After; back-off step
    "HOCTAP_HARVEST_MAX_BYTES": 50 * 1024 * 1024,  # one response, decoded
    "HOCTAP_HARVEST_ALLOW_HOSTS": "",  # internal hosts the harvest may reach (none)
}


def init_app(app) -> None:
    from ..core import register_entry
    from . import cli, guard, models, views  # noqa: F401  (models registered with the metadata)

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
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
