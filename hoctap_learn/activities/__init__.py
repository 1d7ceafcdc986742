"""Week activities, funding and each unit's MẪU BC narrative, with a change history."""


def init_app(app) -> None:
    from ..core import register_entry
    from . import content, views  # noqa: F401  (content registers the demo loader)

    app.register_blueprint(views.bp)
    register_entry(
        app,
        "activities.index",
        "Hoạt động",
        "Ban tổ chức ghi nhận hoạt động, kinh phí và nội dung báo cáo của đơn vị.",
        order=60,
        staff_only=True,
    )
