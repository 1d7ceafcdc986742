"""The reports API's paths for the OpenAPI document (see api.openapi)."""

from __future__ import annotations

from ..api.openapi import errors, json_body, param

_FILTERS = [
    param("campaign", description="Mã Tuần lễ, ví dụ 2022 (mặc định: Tuần lễ hiện tại)"),
    param("unit", description="Mã đơn vị; ban tổ chức chỉ xem đơn vị mình và cấp dưới"),
    param("from", description="Từ ngày, YYYY-MM-DD (giờ Việt Nam)"),
    param("to", description="Đến ngày, YYYY-MM-DD"),
]
_SECURED = [{"bearer": []}, {"session": []}]

REPORT_PATHS = {
    "/api/v1/reports/": {
        "get": {
            "summary": "Tổng hợp số liệu và các đơn vị chưa gửi báo cáo",
            "tags": ["Báo cáo"],
            "security": _SECURED,
            "parameters": _FILTERS,
            "responses": {"200": json_body({"type": "object"}), **errors(400, 401, 403)},
        }
    },
    "/api/v1/reports/{name}": {
        "get": {
            "summary": "Một bảng số liệu: unit, day, target_group, gender, age_band, kind, "
            "submission…",
            "tags": ["Báo cáo"],
            "security": _SECURED,
            "parameters": [param("name", "path"), *_FILTERS],
            "responses": {"200": json_body({"type": "object"}), **errors(400, 401, 403, 404)},
        }
    },
}
