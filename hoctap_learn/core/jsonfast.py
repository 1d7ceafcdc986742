"""Flask's JSON through orjson: the same output, several times faster to write and read.

The contest API answers every submit with the whole result (questions, answers, points,
feedback); with the standard library that encoding was a visible share of the request.
Dates keep Flask's own format (they go through Flask's `default`, as before), key order
is kept, non-ASCII text is written as UTF-8 and integer keys become strings.
"""

from __future__ import annotations

import orjson
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


class OrjsonProvider(DefaultJSONProvider):
    def _encode(self, obj) -> bytes:
        indent = orjson.OPT_INDENT_2 if self.compact is False or (
            self.compact is None and self._app.debug
        ) else 0  # fmt: skip
        return orjson.dumps(obj, default=self.default, option=_OPTIONS | indent)

    def dumps(self, obj, **kwargs) -> str:
        return self._encode(obj).decode()

    def loads(self, s: str | bytes, **kwargs):
        return orjson.loads(s)

    def response(self, *args, **kwargs):
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self._encode(obj) + b"\n", mimetype=self.mimetype)


def dumps(obj) -> str:
    """JSON text of plain data (lists, dicts, numbers, strings), for SQL parameters."""
    return orjson.dumps(obj).decode()


loads = orjson.loads


def column_loads(value):
    """`loads` for SQLAlchemy's ``json_deserializer``: anything but text raises TypeError
    as the standard library does (SQLAlchemy's SQLite JSON type relies on it to hand back
    numbers that SQLite stored as numbers)."""
    if not isinstance(value, str | bytes | bytearray | memoryview):
        raise TypeError(f"JSON text expected, not {type(value).__name__}")
    return orjson.loads(value)
