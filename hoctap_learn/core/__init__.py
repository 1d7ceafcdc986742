"""Core: home page, error pages, template helpers, database settings, `content load`,
health and readiness, request logs, versioned static files, `config`, `backup`, `serve`."""

from __future__ import annotations

from markupsafe import Markup, escape


def init_app(app) -> None:
    from ..extensions import db
    from . import backup_cli, cli, health, mail, ops_cli, requestlog, static, timeutil, views
    from .database import configure_sqlite, ping_idle_connections

    requestlog.init_app(app)
    mail.init_app(app)
    app.register_blueprint(views.bp)
    views.register_error_handlers(app)
    health.init_app(app)
    static.init_app(app)
    app.cli.add_command(cli.content_group)
    app.cli.add_command(ops_cli.config_group)
    app.cli.add_command(ops_cli.serve_command)
    app.cli.add_command(backup_cli.backup_group)
    with app.app_context():
        configure_sqlite(db.engine)
        ping_idle_connections(db.engine)

    proxies = app.config.get("HOCTAP_TRUSTED_PROXIES", 0)
    if proxies:
        # The client address (rate limits, login delays) is taken from X-Forwarded-For only
        # through this many proxies of our own; without them the raw header is ignored.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.after_request(_security_headers)
    app.extensions["hoctap_entries"] = []
    app.context_processor(_navigation)
    app.add_template_filter(timeutil.format_datetime, "datetime_vn")
    app.add_template_filter(timeutil.format_date, "date_vn")
    app.add_template_filter(nl2br, "nl2br")
    app.add_template_filter(format_number, "number")


#: Pages load scripts, styles, fonts and images from this site only; no inline script or
#: style attribute runs (JSON data blocks, `<script type="application/json">`, are not
#: scripts); images may also be `data:` URLs (charts exported by Chart.js).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'self'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"


def _security_headers(response):
    """Headers every response carries: no MIME sniffing, no framing, a sober referrer, the
    Content-Security-Policy, and HSTS when the site is served over HTTPS only."""
    from flask import current_app

    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def register_entry(
    app, endpoint: str, label: str, text: str, order: int = 50, staff_only: bool = False
) -> None:
    """A feature adds its entry point to the menu and a card to the home page.

    `staff_only` entries are shown to organizers and admins only.
    """
    app.extensions["hoctap_entries"].append((order, endpoint, label, text, staff_only))


def _navigation() -> dict:
    from flask import current_app, url_for
    from flask_login import current_user

    is_staff = current_user.is_authenticated and current_user.is_staff
    entries = [e for e in sorted(current_app.extensions["hoctap_entries"]) if is_staff or not e[4]]
    return {
        "nav_links": [(endpoint, label) for _, endpoint, label, _, _ in entries],
        "home_cards": [
            {"url": url_for(endpoint), "title": label, "text": text}
            for _, endpoint, label, text, _ in entries
        ],
    }


def nl2br(value: str) -> Markup:
    """Escape, then keep line breaks."""
    return Markup("<br>".join(escape(line) for line in (value or "").splitlines()))


def format_number(value) -> str:
    """Vietnamese thousands separator: 12.345."""
    if value is None:
        return ""
    if isinstance(value, float) and not value.is_integer():
        whole, frac = f"{value:,.2f}".split(".")
        return whole.replace(",", ".") + "," + frac
    return f"{int(value):,}".replace(",", ".")
