"""Catalog of open learning resources: models, import/export, pages."""

from __future__ import annotations


def init_app(app) -> None:
    from ..api.openapi import register_paths
    from ..core import register_entry
    from ..extensions import db
    from . import changes, cli, content, figures, views  # noqa: F401  (registrations)
    from .openapi import RESOURCE_PATHS, RESOURCE_SCHEMAS

    changes.install()
    app.register_blueprint(views.bp)
    app.register_blueprint(views.api)
    app.cli.add_command(cli.catalog_group)
    register_entry(
        app, "catalog.search_page", "Học liệu mở",
        "Tìm sách, bài giảng, video, khóa học mở của các trường đại học và thư viện — "
        "gõ có dấu hay không dấu đều được.",
        order=10,
    )  # fmt: skip
    register_paths(app, RESOURCE_PATHS, RESOURCE_SCHEMAS)

    @app.teardown_appcontext
    def _catch_up_search(exc):
        """After a transaction that changed the catalog committed, update the index."""
        if not db.session.registry.has():
            return  # the request opened no session (creating one costs more than nothing)
        session = db.session()
        if exc is not None or not session.info.pop("search_dirty", False):
            return
        from ..search import store

        try:
            store.catch_up()
            db.session.rollback()  # end the read transaction catch_up opened
        except Exception:  # the next search catches up anyway
            app.logger.exception("search catch-up after commit failed")
