"""One log line per request, and the request id.

Each line has the method, the path without its query string, the status, the duration in
milliseconds, the request id and the user id. Never a query string, header, cookie or body:
those carry tokens, passwords and personal data. `HOCTAP_LOG_FORMAT=json` writes one JSON
object per line for log collectors.

The request id is taken from an incoming `X-Request-ID` (set by nginx or a load balancer) when
it looks like an id, else generated, and is returned in the response's `X-Request-ID`.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import g, request
from flask.logging import default_handler
from werkzeug.local import LocalProxy

#: The logger of request lines (a child of the package logger).
logger = logging.getLogger("hoctap_learn.request")

#: What an incoming request id may look like; anything else is replaced.
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")

_HANDLER_MARK = "_hoctap_handler"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):
    """Writes to the `sys.stderr` of the moment (test runners swap it)."""

    def __init__(self):
        logging.Handler.__init__(self)

    @property
    def stream(self):
        return sys.stderr


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")


def configure_logging(app) -> None:
    """Send the `hoctap_learn` loggers to stderr in the configured format (once per process).

    gunicorn and `hoctap` both leave stderr to us; the handler is replaced when a second app
    is built in the same process with another format (tests).
    """
    package = logging.getLogger("hoctap_learn")
    package.setLevel(app.config["HOCTAP_LOG_LEVEL"].upper())
    logger.setLevel(logging.INFO)  # request lines whatever the level of the rest
    formatter = JsonFormatter() if app.config["HOCTAP_LOG_FORMAT"] == "json" else TextFormatter()
    for handler in list(package.handlers):
        if getattr(handler, _HANDLER_MARK, False) or handler is default_handler:
            package.removeHandler(handler)
    handler = StderrHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(formatter)
    package.addHandler(handler)
    package.propagate = False


def _start() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID_RE.fullmatch(incoming) else uuid.uuid4().hex


def _user_id():
    # Only a user some code already loaded: loading one just to log it would cost a query
    # on every request (Flask-Login keeps the loaded user in `g._login_user`).
    user = g.get("_login_user")
    if isinstance(user, LocalProxy):  # a proxy stored there would resolve to itself
        user = None
    if user is not None and getattr(user, "is_authenticated", False):
        return getattr(user, "id", None)
    # The JSON API's bearer-token caller (contests/api.py); an autosave or submit whose token
    # is only checked inside its own statement has no id here and logs none.
    caller = g.get("api_caller")
    user_id = getattr(caller, "id", None)
    return user_id if isinstance(user_id, int) else None


def _finish(response):
    started = g.get("request_started")
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    fields = {
        "method": request.method,
        "path": request.path,
        "status": response.status_code,
        "duration_ms": duration_ms,
        "request_id": request_id,
        "user_id": _user_id(),
    }
    user = fields["user_id"] if fields["user_id"] is not None else "-"
    logger.info(
        "%s %s %s %sms id=%s user=%s",
        fields["method"], fields["path"], fields["status"], duration_ms, request_id, user,
        extra={"fields": fields},
    )  # fmt: skip
    return response


def init_app(app) -> None:
    configure_logging(app)
    # First of all before-request functions: CSRFProtect (registered in create_app) may
    # end a request before any other runs, and that request is logged too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request(_finish)
