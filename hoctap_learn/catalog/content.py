"""`hoctap content load` part: content/catalog/*.csv|xlsx."""

from __future__ import annotations

from pathlib import Path

from ..core.content import ContentError, LoadReport, register_loader
from ..core.errors import ValidationError
from .files import import_file


@register_loader("catalog", order=40)
def load_catalog(content_dir: Path, report: LoadReport) -> None:
    folder = content_dir / "catalog"
    if not folder.is_dir():
        return
    counts = report.for_kind("resources")
    for path in sorted([*folder.glob("*.csv"), *folder.glob("*.xlsx")]):
        try:
            result = import_file(path, source="content")
        except ValidationError as error:
            raise ContentError(f"{path.name}: {error.message}") from error
        if result.errors:
            first = result.errors[0]
            raise ContentError(
                f"{path.name}: {result.rejected} dòng lỗi, ví dụ dòng {first['row']}: "
                f"{first['message']}"
            )
        counts.created += result.created
        counts.updated += result.updated
        counts.unchanged += result.unchanged
