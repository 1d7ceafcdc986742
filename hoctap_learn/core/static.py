"""Content-versioned static URLs and their cache lifetimes.

`url_for('static', filename=…)` gets `?v=<first 12 hex digits of the file's SHA-256>`, so a
browser (or nginx, see deploy/nginx/hoctap.conf) may keep a versioned response for a year: a
changed file gets a new URL. Requests without the current version get a short lifetime.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import current_app, request

#: Versioned responses: a year, never revalidated.
LONG_CACHE = "public, max-age=31536000, immutable"
#: Unversioned or outdated versions: five minutes.
SHORT_CACHE = "public, max-age=300"

#: (path, mtime_ns, size) -> version; a changed file has another key.
_versions: dict[tuple[str, int, int], str] = {}


def file_version(filename: str) -> str | None:
    """The content version of a file under the static folder, or None if there is none."""
    folder = current_app.static_folder
    if not folder or not filename:
        return None
    path = Path(folder, filename)
    try:
        path.resolve().relative_to(Path(folder).resolve())
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    version = _versions.get(key)
    if version is None:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 16), b""):
                digest.update(block)
        version = _versions[key] = digest.hexdigest()[:12]
    return version


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values:
        version = file_version(values.get("filename", ""))
        if version:
            values["v"] = version


def _cache_headers(response):
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    wanted = request.args.get("v")
    current = file_version((request.view_args or {}).get("filename", ""))
    response.headers["Cache-Control"] = LONG_CACHE if wanted and wanted == current else SHORT_CACHE
    return response


def init_app(app) -> None:
    app.url_defaults(_add_version)
    app.after_request(_cache_headers)
