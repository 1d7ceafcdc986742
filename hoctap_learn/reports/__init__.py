"""Participation figures (one query module), dashboard, exports and the MẪU BC report."""


def init_app(app) -> None:
    from ..api.openapi import register_paths
    from ..core import register_entry
    from . import cli, views
    from .openapi import REPORT_PATHS

    app.register_blueprint(views.bp)
    app.register_blueprint(views.api_bp)
    app.cli.add_command(cli.report_group)
    register_entry(
        app,
        "reports.dashboard",
        "Số liệu",
        "Số liệu tham gia theo đơn vị, ngày, đối tượng; tải CSV, Excel và báo cáo MẪU BC.",
        order=70,
        staff_only=True,
    )
    register_paths(app, REPORT_PATHS)
