"""Search parameters from a query string (pages, API and CLI share this)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ..core.errors import ValidationError
from .schema import FACETS

SORTS = {"relevance": "Liên quan nhất", "newest": "Mới nhất", "title": "Theo nhan đề"}
MAX_QUERY_CHARS = 300
MAX_TERMS = 24
MAX_PER_PAGE = 50
MAX_PAGE = 500
MAX_FILTER_VALUES = 10
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


@dataclass
class SearchParams:
    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    #: Messages about what was changed in the request (too long, …), shown to the user.
    notices: list[str] = field(default_factory=list)

    def with_page(self, page: int) -> SearchParams:
        return SearchParams(
            self.q, self.filters, self.year_from, self.year_to, self.sort, page, self.per_page
        )


def clean_query(text: str, notices: list[str] | None = None) -> str:
    text = unicodedata.normalize("NFC", text or "")
    text = _CONTROL.sub(" ", text)
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]
        if notices is not None:
            notices.append(f"Câu tìm kiếm quá dài; chỉ dùng {MAX_QUERY_CHARS} ký tự đầu.")
    return text


def _int(args, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"-?\d{1,9}", raw):
        raise ValidationError(f"Tham số “{name}” phải là số nguyên.", field=name)
    return max(low, min(high, int(raw)))


def params_from_args(args) -> SearchParams:
    """Build SearchParams from request.args (a MultiDict) or a plain dict.

    Raises ValidationError (400 in the API) for values that are not numbers; clamps
    numbers to their limits.
    """
    notices: list[str] = []
    q = clean_query(args.get("q", ""), notices)
    filters: dict[str, list[str]] = {}
    for name in FACETS:
        getter = getattr(args, "getlist", None)
        raw = getter(name) if getter else ([args[name]] if args.get(name) else [])
        values = []
        for value in raw:
            value = " ".join(unicodedata.normalize("NFC", str(value)).split())[:255]
            if value and value not in values:
                values.append(value)
        if values:
            filters[name] = values[:MAX_FILTER_VALUES]
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise ValidationError("Tham số “sort” chỉ nhận: " + ", ".join(SORTS), field="sort")
    return SearchParams(
        q=q,
        filters=filters,
        year_from=_int(args, "year_from", None, 0, 3000),
        year_to=_int(args, "year_to", None, 0, 3000),
        sort=sort,
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=_int(args, "per_page", 20, 1, MAX_PER_PAGE),
        notices=notices,
    )
