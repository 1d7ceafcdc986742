"""Home page and error pages (health checks: core/health.py)."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..extensions import db
from .errors import DomainError

bp = Blueprint("core", __name__)

#: Vietnamese titles of the error pages, by status.
ERROR_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Bạn cần đăng nhập.",
    403: "Bạn không có quyền truy cập trang này.",
    404: "Không tìm thấy trang bạn yêu cầu.",
    405: "Phương thức không được hỗ trợ.",
    409: "Dữ liệu bị trùng hoặc xung đột.",
    413: "Tệp hoặc dữ liệu gửi lên quá lớn.",
    422: "Dữ liệu không hợp lệ.",
    429: "Bạn thao tác quá nhanh. Vui lòng chờ một lát rồi thử lại.",
    500: "Hệ thống đang gặp sự cố. Vui lòng thử lại sau.",
}
CSRF_MESSAGE = (
    "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại."
)


@bp.route("/")
def home():
    from ..units.services import current_campaign

    return render_template("home.html", campaign=current_campaign())


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None):
    message = message or ERROR_MESSAGES.get(status, "Đã xảy ra lỗi.")
    if wants_json():
        return jsonify(error=message), status
    return render_template("errors/error.html", status=status, message=message), status


def register_error_handlers(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        return error_response(400, CSRF_MESSAGE)

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        return error_response(error.status, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        # abort(404, "custom") passes a description; Werkzeug's English defaults are replaced.
        description = error.description
        default = type(error).description
        message = description if description and description != default else None
        if status == 429:  # Flask-Limiter's description is the limit itself, in English
            message = None
        return error_response(status, message)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("Unhandled error on %s", request.path)
        db.session.rollback()
        return error_response(500)
