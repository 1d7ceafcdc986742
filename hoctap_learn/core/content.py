"""`hoctap content load`: loads the data under content/ through each feature's loader.

Features register a loader; the loaders run in order inside one transaction, so a bad
file leaves the database exactly as it was. Every loader matches rows by natural keys,
which makes a second run change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml


class ContentError(Exception):
    """A content file is missing, malformed or inconsistent."""


@dataclass
class LoadCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


@dataclass
class LoadReport:
    counts: dict[str, LoadCounts] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def for_kind(self, kind: str) -> LoadCounts:
        return self.counts.setdefault(kind, LoadCounts())

    def as_dict(self) -> dict:
        return {
            "counts": {kind: c.as_dict() for kind, c in self.counts.items()},
            "notes": self.notes,
        }


Loader = Callable[[Path, LoadReport], None]


@dataclass(frozen=True)
class _Registered:
    order: int
    name: str
    func: Loader
    demo: bool


_LOADERS: dict[str, _Registered] = {}


def register_loader(name: str, order: int, demo: bool = False):
    """Decorator: register `func(content_dir, report)` as a content loader."""

    def decorator(func: Loader) -> Loader:
        _LOADERS[name] = _Registered(order, name, func, demo)
        return func

    return decorator


def load_content(
    content_dir: Path, include_demo: bool = True, skip: tuple[str, ...] = ()
) -> LoadReport:
    """Run every registered loader but those named in `skip`; the caller commits."""
    if not content_dir.is_dir():
        raise ContentError(f"Không tìm thấy thư mục nội dung: {content_dir}")
    report = LoadReport()
    for loader in sorted(_LOADERS.values(), key=lambda r: (r.order, r.name)):
        if (loader.demo and not include_demo) or loader.name in skip:
            continue
        loader.func(content_dir, report)
    return report


def read_yaml(path: Path):
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError as exc:
        raise ContentError(f"Không tìm thấy tệp {path}") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"Tệp {path} không phải YAML hợp lệ: {exc}") from exc


def apply_fields(obj, values: dict) -> bool:
    """Set attributes that differ; return whether anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed
