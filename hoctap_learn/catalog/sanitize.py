"""Reduce harvested or imported HTML to safe plain text."""

from __future__ import annotations

import html
import re
import unicodedata

import nh3

_BLOCK_TAGS = re.compile(r"(?i)<\s*(br|/p|/div|/li|/h[1-6]|/tr|p|li)\b[^>]*>")
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z!/][^<>]*>|&(?:[a-zA-Z]{2,8}|#\d{1,6}|#x[0-9a-fA-F]{1,6});")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def to_text(value: str | None, max_length: int | None = None) -> tuple[str, bool]:
    """Plain NFC text from possibly-HTML input; returns (text, was_trimmed).

    nh3 (ammonia) drops every tag and the content of script/style; entities are then
    decoded because the text is escaped again when a page renders it.
    """
    if not value:
        return "", False
    value = _CONTROL.sub(" ", value)
    # Plain text such as "a<b & c" is not HTML: parsing it as HTML would eat "<b & c…".
    if _LOOKS_LIKE_HTML.search(value):
        value = _BLOCK_TAGS.sub("\n", value)
        value = html.unescape(nh3.clean(value, tags=set(), attributes={}))
    value = unicodedata.normalize("NFC", value)
    lines = [" ".join(line.split()) for line in value.splitlines()]
    text = "\n".join(line for line in lines if line)
    if max_length is not None and len(text) > max_length:
        return text[: max_length - 1].rstrip() + "…", True
    return text, False


def to_line(value: str | None, max_length: int | None = None) -> tuple[str, bool]:
    """Like `to_text`, on one line (titles, names)."""
    text, trimmed = to_text(value)
    text = " ".join(text.split())
    if max_length is not None and len(text) > max_length:
        return text[: max_length - 1].rstrip() + "…", True
    return text, trimmed
