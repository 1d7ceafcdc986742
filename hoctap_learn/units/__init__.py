"""Units (the administrative tree) and campaigns (each year's Week)."""


def init_app(app) -> None:
    from ..core import register_entry
    from . import cli, services, views  # noqa: F401  (services registers content loaders)

    app.register_blueprint(views.bp)
    register_entry(
        app,
        "units.campaign_list",
        "Tuần lễ",
        "Chủ đề, thời gian và chương trình lễ khai mạc của các Tuần lễ học tập suốt đời.",
        order=90,
    )
    app.cli.add_command(cli.unit_group)
    app.cli.add_command(cli.campaign_group)
