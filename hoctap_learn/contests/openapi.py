"""The contest API's paths and schemas for the OpenAPI document (see api.openapi)."""

from __future__ import annotations

from ..api.openapi import errors as _errors
from ..api.openapi import json_body as _json
from ..api.openapi import ref as _ref

_SECURED = [{"bearer": []}, {"session": []}]
_SLUG = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
_ROUND = {"name": "round_slug", "in": "path", "required": True, "schema": {"type": "string"}}
_ATTEMPT = {"name": "attempt_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_ANSWER = {
    "description": (
        "single_choice: id phương án (số nguyên); multiple_choice: mảng id; true_false: "
        "true/false; short_answer: chuỗi; numerical: số hoặc chuỗi (chấp nhận dấu phẩy "
        "thập phân); null để xóa câu trả lời."
    ),
}

CONTEST_SCHEMAS = {
    "Round": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"}, "title": {"type": "string"},
            "description": {"type": "string"}, "practice": {"type": "boolean"},
            "opens_at": {"type": ["string", "null"], "format": "date-time"},
            "closes_at": {"type": ["string", "null"], "format": "date-time"},
            "status": {"enum": ["upcoming", "open", "closed"]},
            "questions_per_attempt": {"type": "integer"},
            "time_limit_seconds": {"type": "integer"},
            "attempts_allowed": {"type": ["integer", "null"]},
            "reveal_answers": {"enum": ["after_submit", "after_close", "never"]},
            "prediction": {"type": "boolean"},
        },
    },
    "Contest": {
        "type": "object",
        "properties": {
            "slug": {"type": "string"}, "title": {"type": "string"},
            "description": {"type": "string"}, "rules": {"type": "string"},
            "kind": {"enum": ["quiz", "creative", "both"]}, "unit": {"type": "string"},
            "campaign": {"type": ["string", "null"]}, "min_age": {"type": ["integer", "null"]},
            "rounds": {"type": "array", "items": _ref("Round")},
        },
    },
    "Question": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "position": {"type": "integer"},
            "type": {"enum": ["single_choice", "multiple_choice", "true_false",
                              "short_answer", "numerical"]},
            "text": {"type": "string"},
            "options": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"description": "Mã phương án của riêng lượt thi này (số ngẫu nhiên; "
                                      "câu trả lời dùng mã này)"},
                "text": {"type": "string"}}}},
            "answer": _ANSWER,
        },
    },
    "Attempt": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "contest": {"type": "string"},
            "round": {"type": "string"}, "number": {"type": "integer"},
            "status": {"enum": ["in_progress", "finished"]},
            "started_at": {"type": "string", "format": "date-time"},
            "deadline_at": {"type": "string", "format": "date-time"},
            "server_time": {"type": "string", "format": "date-time"},
            "seconds_left": {"type": "integer"}, "grace_seconds": {"type": "integer"},
            "prediction_enabled": {"type": "boolean"},
            "prediction": {"type": ["integer", "null"]},
            "questions": {"type": "array", "items": _ref("Question")},
        },
    },
    "Result": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "status": {"type": "string"},
            "finished_by": {"enum": ["participant", "deadline"]},
            "score": {"type": "number"}, "max_score": {"type": "number"},
            "duration_seconds": {"type": "number"},
            "submitted_at": {"type": "string", "format": "date-time"},
            "answers_revealed": {"type": "boolean"},
            "questions": {"type": "array", "items": {"allOf": [_ref("Question"), {
                "type": "object", "properties": {
                    "points": {"type": "number",
                               "description": "Chỉ có khi đáp án được công bố"},
                    "max_points": {"type": "number"},
                    "correct_answer": {"description": "Chỉ có khi đáp án được công bố"},
                    "feedback": {"type": "string"}}}]}},
        },
    },
    "LeaderboardRow": {
        "type": "object",
        "properties": {
            "rank": {"type": "integer"}, "name": {"type": "string"}, "unit": {"type": "string"},
            "score": {"type": "number"}, "max_score": {"type": "number"},
            "duration_seconds": {"type": "number"},
            "submitted_at": {"type": "string", "format": "date-time"},
            "prediction": {"type": ["integer", "null"],
                           "description": "null cho đến khi vòng thi kết thúc"},
            "prediction_gap": {"type": ["integer", "null"],
                               "description": "null cho đến khi vòng thi kết thúc"},
        },
    },
    "Answers": {
        "type": "object",
        "properties": {
            "answers": {"type": "object", "description": "{id câu hỏi của lượt thi: câu trả lời}",
                        "additionalProperties": _ANSWER},
            "prediction": {"type": "integer", "minimum": 0},
        },
    },
}  # fmt: skip

CONTEST_PATHS = {
    "/api/v1/auth/token": {
        "post": {
            "summary": "Cấp Bearer token từ email và mật khẩu",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["email", "password"],
                "properties": {"email": {"type": "string"}, "password": {"type": "string"}}}}}},
            "responses": {"201": _json({"type": "object", "properties": {
                "token": {"type": "string"}, "token_type": {"const": "Bearer"},
                "expires_at": {"type": "string", "format": "date-time"}}}, "Đã cấp"),
                **_errors(400, 401, 429)},
        },
        "delete": {
            "summary": "Thu hồi token đang dùng", "security": [{"bearer": []}],
            "responses": {"204": {"description": "Đã thu hồi"}, **_errors(401)},
        },
    },
    "/api/v1/auth/tokens": {
        "get": {
            "summary": "Các token còn hiệu lực của người gọi (không bao giờ kèm mã bí mật)",
            "security": _SECURED,
            "responses": {"200": _json({"type": "object", "properties": {"results": {
                "type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"},
                    "created_at": {"type": "string", "format": "date-time"},
                    "last_used_at": {"type": ["string", "null"], "format": "date-time"},
                    "expires_at": {"type": "string", "format": "date-time"}}}}}}),
                **_errors(401)},
        },
        "delete": {
            "summary": "Thu hồi mọi token của người gọi", "security": _SECURED,
            "responses": {"200": _json({"type": "object", "properties": {
                "revoked": {"type": "integer"}}}, "Đã thu hồi"), **_errors(401)},
        },
    },
    "/api/v1/contests": {"get": {
        "summary": "Danh sách cuộc thi và các vòng",
        "responses": {"200": _json({"type": "object", "properties": {
            "results": {"type": "array", "items": _ref("Contest")}}})}}},
    "/api/v1/contests/{slug}": {"get": {
        "summary": "Một cuộc thi (kèm thể lệ)", "parameters": [_SLUG],
        "responses": {"200": _json(_ref("Contest")), **_errors(404)}}},
    "/api/v1/contests/{slug}/rounds": {"get": {
        "summary": "Các vòng thi", "parameters": [_SLUG],
        "responses": {"200": _json({"type": "object", "properties": {
            "results": {"type": "array", "items": _ref("Round")}}}), **_errors(404)}}},
    "/api/v1/contests/{slug}/rounds/{round_slug}/attempts": {"post": {
        "summary": "Bắt đầu lượt thi (hoặc tiếp tục lượt đang làm)",
        "parameters": [_SLUG, _ROUND], "security": _SECURED,
        "responses": {"201": _json(_ref("Attempt"), "Lượt mới"),
                      "200": _json(_ref("Attempt"), "Lượt đang làm"),
                      **_errors(401, 403, 404, 409)}}},
    "/api/v1/contests/attempts/{attempt_id}": {"get": {
        "summary": "Lượt thi: câu hỏi (không kèm đáp án), câu trả lời đã lưu, thời gian còn lại",
        "parameters": [_ATTEMPT], "security": _SECURED,
        "responses": {"200": _json(_ref("Attempt")), **_errors(401, 404)}}},
    "/api/v1/contests/attempts/{attempt_id}/answers": {"put": {
        "summary": "Lưu câu trả lời (tự động lưu)", "parameters": [_ATTEMPT],
        "security": _SECURED,
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": _ref("Answers")}}},
        "responses": {"200": _json({"type": "object", "properties": {
            "saved": {"type": "integer"}, "seconds_left": {"type": "integer"},
            "server_time": {"type": "string"}}}),
            **_errors(400, 401, 404, 409)}}},
    "/api/v1/contests/attempts/{attempt_id}/submit": {"post": {
        "summary": "Nộp bài (gửi lại nhiều lần vẫn cho cùng một kết quả)",
        "parameters": [_ATTEMPT], "security": _SECURED,
        "requestBody": {"content": {"application/json": {"schema": _ref("Answers")}}},
        "responses": {"200": _json(_ref("Result")), **_errors(400, 401, 404, 409)}}},
    "/api/v1/contests/attempts/{attempt_id}/result": {"get": {
        "summary": "Kết quả lượt thi", "parameters": [_ATTEMPT], "security": _SECURED,
        "responses": {"200": _json(_ref("Result")), **_errors(401, 404, 409)}}},
    "/api/v1/contests/{slug}/leaderboard": {"get": {
        "summary": "Bảng xếp hạng của một vòng (?round=) hoặc chung cuộc",
        "parameters": [_SLUG,
                       {"name": "round", "in": "query", "schema": {"type": "string"}},
                       {"name": "page", "in": "query", "schema": {"type": "integer"}},
                       {"name": "per_page", "in": "query",
                        "schema": {"type": "integer", "maximum": 200}}],
        "responses": {"200": _json({"type": "object", "properties": {
            "contest": {"type": "string"}, "round": {"type": ["string", "null"]},
            "page": {"type": "integer"}, "per_page": {"type": "integer"},
            "results": {"type": "array", "items": _ref("LeaderboardRow")}}}),
            **_errors(400, 404)}}},
}  # fmt: skip
