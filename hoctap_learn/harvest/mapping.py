"""From what sources say (oai_dc, feed entries, spreadsheet rows) to `ResourceInput`.

Validation, HTML sanitising, trimming and the controlled vocabularies stay in
`catalog.services.clean_record`; this module only picks values.

Identifiers are namespaced by source: ``<source slug>:<identifier at the source>``. The
same record harvested again updates in place, and two sources using the same local
identifiers (``1``, ``2``… in a spreadsheet) never overwrite each other.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from ..catalog.services import ResourceInput
from ..catalog.vocab import fold, map_license, map_type
from .models import HarvestSource

IDENTIFIER_MAX = 255


def namespaced(source: HarvestSource, identifier: str) -> str:
    """``slug:identifier``; too long or with spaces → ``slug:sha1:<hex>`` (still stable)."""
    identifier = identifier.strip()
    value = f"{source.slug}:{identifier}"
    if len(value) > IDENTIFIER_MAX or re.search(r"[\s\x00-\x1f]", identifier):
        digest = hashlib.sha1(identifier.encode("utf-8")).hexdigest()
        value = f"{source.slug}:sha1:{digest}"
    return value


def _is_http(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def map_source_type(source: HarvestSource, values: list[str]) -> str:
    """The first value the source's own vocabulary or ours knows; else the first value."""
    own = {fold(k): v for k, v in (source.type_map or {}).items()}
    for value in values:
        if fold(value) in own:
            return own[fold(value)]
    for value in values:
        if map_type(value) != "khac":
            return value
    return values[0] if values else ""


def _rights(values: list[str]) -> str:
    for value in values:
        if map_license(value) != "unknown":
            return value
    return values[0] if values else ""


def _subjects(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        out.extend(part.strip() for part in re.split(r"\s*;\s*", value) if part.strip())
    return out


def from_dublin_core(source: HarvestSource, identifier: str, dc: dict[str, list[str]]):
    """oai_dc → ResourceInput. URL: the first http(s) dc:identifier."""

    def first(name: str) -> str:
        values = dc.get(name) or []
        return values[0] if values else ""

    url = next((v.strip() for v in dc.get("identifier", []) if _is_http(v)), "")
    return ResourceInput(
        identifier=namespaced(source, identifier),
        title=first("title"),
        url=url,
        description="\n\n".join(dc.get("description", [])),
        creators=dc.get("creator", []),
        contributors=dc.get("contributor", []),
        subjects=_subjects(dc.get("subject", [])),
        publisher=first("publisher") or (source.provider.name if source.provider else ""),
        type=map_source_type(source, dc.get("type", [])),
        format=first("format"),
        language=first("language"),
        license=_rights(dc.get("rights", [])),
        year=first("date") or None,
        source=source.record_source,
    )


def from_feed_entry(source: HarvestSource, entry, feed_rights: str = "") -> ResourceInput:
    """A feedparser entry → ResourceInput. Identifier: the entry id, else its link."""
    link = entry.get("link") or ""
    identifier = entry.get("id") or link
    content = entry.get("content") or []
    description = entry.get("summary") or (content[0].get("value") if content else "")
    authors = [a.get("name", "") for a in entry.get("authors", []) if a.get("name")]
    if not authors and entry.get("author"):
        authors = [entry.get("author")]
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    tags = [t.get("term", "") for t in entry.get("tags", []) if t.get("term")]
    return ResourceInput(
        identifier=namespaced(source, identifier) if identifier else "",
        title=entry.get("title") or "",
        url=link,
        description=description or "",
        creators=authors,
        subjects=_subjects(tags),
        publisher=source.provider.name if source.provider else "",
        type=map_source_type(source, [entry.get("dc_type", "")] if entry.get("dc_type") else []),
        language=entry.get("language") or "",
        license=entry.get("rights") or feed_rights or "",
        year=str(when.tm_year) if when else None,
        source=source.record_source,
    )


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def from_catalog_row(source: HarvestSource, row: dict) -> ResourceInput:
    """A row of the catalog file format (see `catalog.files.COLUMNS`)."""
    identifier = (row.get("identifier") or "").strip()
    return ResourceInput(
        identifier=namespaced(source, identifier) if identifier else "",
        title=row.get("title", ""),
        url=row.get("url", ""),
        description=row.get("description", ""),
        creators=_split(row.get("creators", "")),
        subjects=_split(row.get("subjects", "")),
        publisher=row.get("publisher", "") or (source.provider.name if source.provider else ""),
        type=map_source_type(source, [row["type"]] if row.get("type") else []),
        language=row.get("language", ""),
        level=row.get("level", ""),
        license=row.get("license", ""),
        year=row.get("year", ""),
        source=source.record_source,
    )
