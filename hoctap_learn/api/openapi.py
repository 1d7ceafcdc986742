"""The OpenAPI 3.1 document served at /api/v1/openapi.json.

Features add their paths with `register_paths(app, paths, schemas)`; this module owns
the route and the document's frame. A test checks that every /api/v1 route is described.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("openapi", __name__, url_prefix="/api/v1")


def register_paths(app, paths: dict, schemas: dict | None = None) -> None:
    doc = app.extensions.setdefault("hoctap_openapi", {"paths": {}, "schemas": {}})
    doc["paths"].update(paths)
    doc["schemas"].update(schemas or {})


@bp.route("/openapi.json")
def openapi_json():
    parts = current_app.extensions.get("hoctap_openapi", {"paths": {}, "schemas": {}})
    return jsonify(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "hoctap_learn API",
                "version": "1",
                "description": (
                    "API JSON của nền tảng Tuần lễ học tập suốt đời. Lỗi trả về "
                    '{"error": "…"} với mã 4xx. Xác thực bằng Bearer token '
                    "(POST /api/v1/auth/token) hoặc phiên đăng nhập trình duyệt "
                    "(khi đó các yêu cầu ghi cần tiêu đề X-CSRFToken)."
                ),
            },
            "servers": [{"url": "/"}],
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "cookie", "name": "session"},
                },
                "schemas": {"Error": _ERROR, **parts["schemas"]},
            },
            "paths": dict(sorted(parts["paths"].items())),
        }
    )


_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string", "description": "Thông báo tiếng Việt"}},
}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*codes: int) -> dict:
    text = {400: "Dữ liệu không hợp lệ", 401: "Chưa đăng nhập", 403: "Không có quyền",
            404: "Không tìm thấy", 409: "Xung đột (vòng đóng, hết lượt, hết giờ)",
            429: "Quá nhiều yêu cầu"}  # fmt: skip
    return {str(c): json_body(ref("Error"), text[c]) for c in codes}


def param(name: str, where: str = "query", kind: str = "string", description: str = "",
          required: bool = False, repeat: bool = False) -> dict:  # fmt: skip
    schema = {"type": kind}
    if repeat:
        schema = {"type": "array", "items": schema}
    spec = {"name": name, "in": where, "required": required or where == "path", "schema": schema}
    if description:
        spec["description"] = description
    if repeat:
        spec["explode"] = True
    return spec


_OBJECT = {"type": "object"}

CORE_PATHS = {
    "/api/v1/campaigns": {
        "get": {
            "summary": "Các Tuần lễ",
            "tags": ["Tuần lễ"],
            "responses": {"200": json_body({"type": "object", "properties": {
                "results": {"type": "array", "items": ref("Campaign")}}})},
        }
    },
    "/api/v1/campaigns/{slug}": {
        "get": {
            "summary": "Một Tuần lễ, kèm chương trình lễ khai mạc",
            "tags": ["Tuần lễ"],
            "parameters": [param("slug", "path")],
            "responses": {"200": json_body(ref("Campaign")), **errors(404)},
        }
    },
    "/api/v1/units": {
        "get": {
            "summary": "Cây đơn vị (theo thứ tự hiển thị, kèm độ sâu)",
            "tags": ["Đơn vị"],
            "responses": {"200": json_body(_OBJECT)},
        }
    },
    "/api/v1/me": {
        "get": {
            "summary": "Tài khoản đang đăng nhập",
            "tags": ["Tài khoản"],
            "security": [{"bearer": []}, {"session": []}],
            "responses": {"200": json_body(_OBJECT), **errors(401)},
        }
    },
    "/api/v1/openapi.json": {
        "get": {
            "summary": "Tài liệu OpenAPI này",
            "tags": ["API"],
            "responses": {"200": json_body(_OBJECT)},
        }
    },
}  # fmt: skip

CORE_SCHEMAS = {
    "Campaign": {
        "type": "object",
        "required": ["slug", "year", "title", "theme", "start_date", "end_date"],
        "properties": {
            "slug": {"type": "string"},
            "year": {"type": "integer"},
            "title": {"type": "string"},
            "theme": {"type": "string"},
            "start_date": {"type": "string", "format": "date"},
            "end_date": {"type": "string", "format": "date"},
            "report_deadline": {"type": "string", "format": "date"},
            "is_current": {"type": "boolean"},
            "programme": {"type": "array", "items": _OBJECT},
        },
    },
}
