"""RSS/Atom feeds (feedparser) and spreadsheets in the catalog format (CSV/XLSX)."""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

import feedparser
from flask import current_app

from ..catalog.files import read_rows
from ..catalog.services import valid_url
from ..core.errors import ValidationError
from .fetch import HarvestFailure, RetryPolicy, could_not_fetch, download
from .mapping import from_catalog_row, from_feed_entry
from .models import HarvestRun, HarvestSource

log = logging.getLogger(__name__)


def _policy() -> RetryPolicy:
    return RetryPolicy.from_config(current_app.config)


def parse_feed(source: HarvestSource):
    content = download(source.url, _policy())
    # feedparser gets a stream, never a URL or a path: it must not fetch or open anything.
    parsed = feedparser.parse(io.BytesIO(content), sanitize_html=True, resolve_relative_uris=False)
    if (parsed.get("bozo") and not parsed.entries) or (
        not parsed.get("version") and not parsed.entries
    ):
        log.warning("harvest: %s is not RSS/Atom: %r", source.url, parsed.get("bozo_exception"))
        raise could_not_fetch("nội dung không phải RSS/Atom")
    return parsed


def harvest_feed(run: HarvestRun, source: HarvestSource, sink) -> None:
    """Every entry is upserted; the feed is one page (one commit).

    Feeds carry no deletions: an entry that drops off a feed stays in the catalog.
    """
    parsed = parse_feed(source)
    feed_rights = parsed.feed.get("rights", "") if parsed.get("feed") else ""
    for entry in parsed.entries:
        ref = entry.get("id") or entry.get("link") or entry.get("title") or ""
        sink.upsert(from_feed_entry(source, entry, feed_rights), ref)
    sink.commit_page()


def _local_copy(source: HarvestSource, folder: Path) -> Path:
    if valid_url(source.url):
        path = folder / f"source.{source.kind}"
        path.write_bytes(download(source.url, _policy()))
        return path
    path = Path(source.url)
    if not path.is_file():
        raise HarvestFailure(f"Không tìm thấy tệp {source.url}.")
    return path


def harvest_file(run: HarvestRun, source: HarvestSource, sink) -> None:
    """The whole file in one transaction: a file that breaks half-way saves nothing."""
    with tempfile.TemporaryDirectory(prefix="hoctap-harvest-") as folder:
        path = _local_copy(source, Path(folder))
        if path.suffix.lower() != f".{source.kind}":
            raise HarvestFailure(f"Tệp của nguồn này phải là .{source.kind}.")
        try:
            for number, row in read_rows(path):
                ref = f"dòng {number}"
                if "__error__" in row:
                    sink.reject(ref, row["__error__"])
                    continue
                if (row.get("identifier") or "").strip():
                    ref = f"dòng {number} ({row['identifier'].strip()[:100]})"
                sink.upsert(from_catalog_row(source, row), ref)
        except ValidationError as error:
            raise HarvestFailure(error.message) from error
    sink.commit_page()


def probe(source: HarvestSource) -> str:
    """Test connection for feeds and files: fetch and count what is there."""
    if source.kind in ("rss", "atom"):
        parsed = parse_feed(source)
        title = parsed.feed.get("title", "") if parsed.get("feed") else ""
        return f"Đọc được bản tin “{title or source.url}” với {len(parsed.entries)} mục."
    with tempfile.TemporaryDirectory(prefix="hoctap-probe-") as folder:
        path = _local_copy(source, Path(folder))
        try:
            count = sum(1 for _ in read_rows(path))
        except ValidationError as error:
            raise HarvestFailure(error.message) from error
    return f"Đọc được tệp với {count} dòng dữ liệu."
