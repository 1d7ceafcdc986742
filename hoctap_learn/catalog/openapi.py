"""The catalog API's paths for the OpenAPI document (see api.openapi)."""

from __future__ import annotations

from ..api.openapi import errors, json_body, param, ref

RESOURCE_PATHS = {
    "/api/v1/resources": {
        "get": {
            "summary": "Tìm học liệu mở (có dấu hoặc không dấu), với bộ lọc và số đếm",
            "tags": ["Học liệu"],
            "parameters": [
                param("q", description="Từ khóa; \"cụm từ\", tiền tố*"),
                param("type", repeat=True), param("subject", repeat=True),
                param("publisher", repeat=True), param("language", repeat=True),
                param("level", repeat=True), param("license", repeat=True),
                param("year_from", kind="integer"), param("year_to", kind="integer"),
                param("sort", description="relevance | newest | title"),
                param("page", kind="integer"), param("per_page", kind="integer",
                                                     description="1–50"),
            ],
            "responses": {"200": json_body(ref("SearchResult")), **errors(400)},
        }
    },
    "/api/v1/resources/{identifier}": {
        "get": {
            "summary": "Một học liệu theo mã định danh",
            "tags": ["Học liệu"],
            "parameters": [param("identifier", "path")],
            "responses": {"200": json_body(ref("Resource")), **errors(404)},
        }
    },
}  # fmt: skip

RESOURCE_SCHEMAS = {
    "SearchResult": {
        "type": "object",
        "required": ["total", "page", "per_page", "results", "facets", "suggestion"],
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer"},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer"},
            "sort": {"type": "string"},
            "results": {"type": "array", "items": ref("ResourceHit")},
            "facets": {
                "type": "object",
                "additionalProperties": {
                    "type": "object", "additionalProperties": {"type": "integer"}
                },
            },
            "year_range": {"type": ["array", "null"], "items": {"type": "integer"}},
            "suggestion": {"type": ["string", "null"]},
            "fallback": {"type": "boolean"},
            "messages": {"type": "array", "items": {"type": "string"}},
        },
    },
    "ResourceHit": {
        "type": "object",
        "required": ["identifier", "title", "url", "type", "publisher", "subjects", "highlight"],
        "properties": {
            "identifier": {"type": "string"},
            "title": {"type": "string"},
            "url": {"type": "string"},
            "type": {"type": "string"},
            "publisher": {"type": ["string", "null"]},
            "subjects": {"type": "array", "items": {"type": "string"}},
            "highlight": {"type": "object", "description": "HTML đã thoát, từ khớp trong <mark>"},
        },
    },
    "Resource": {"type": "object", "required": ["identifier", "title", "url"]},
}  # fmt: skip
