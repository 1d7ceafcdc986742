"""The catalog file format (CSV or XLSX): import with per-row errors, export, round-trip.

Columns (DESIGN.md): identifier,title,description,creators,subjects,publisher,type,
language,level,license,url,year — UTF-8, header row, multi-values separated by `;`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.archives import check_zip
from ..core.errors import ValidationError
from ..extensions import db
from .models import Resource
from .services import RecordError, ResourceInput, clean_record, upsert_resource
from .vocab import LEVELS, TYPES, license_name

COLUMNS = [
    "identifier", "title", "description", "creators", "subjects", "publisher", "type",
    "language", "level", "license", "url", "year",
]  # fmt: skip
REQUIRED_COLUMNS = {"identifier", "title", "url"}
MULTI = {"creators", "subjects"}
#: Rows refused beyond this are not listed one by one.
MAX_REPORTED_ERRORS = 500
MAX_ROWS = 200_000


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    rejected: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "dry_run": self.dry_run,
            "errors": self.errors,
            "notes": self.notes,
        }


def _split(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _check_header(header: list[str]) -> list[str]:
    names = [(h or "").strip().lower().lstrip("\ufeff") for h in header]
    missing = REQUIRED_COLUMNS - set(names)
    if missing:
        raise ValidationError(
            "Dòng tiêu đề thiếu cột: " + ", ".join(sorted(missing))
            + ". Các cột: " + ",".join(COLUMNS)
        )  # fmt: skip
    unknown = [n for n in names if n and n not in COLUMNS]
    if unknown:
        raise ValidationError("Cột không được hỗ trợ: " + ", ".join(unknown[:10]))
    return names


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(row number as a spreadsheet shows it, row dict) for a .csv or .xlsx file."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        yield from _read_xlsx(path)
    elif suffix == ".csv":
        yield from _read_csv(path)
    else:
        raise ValidationError("Chỉ nhận tệp .csv hoặc .xlsx.")


def _read_csv(path: Path) -> Iterator[tuple[int, dict]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            f"Tệp CSV không phải UTF-8 (lỗi ở byte {exc.start}). Hãy lưu lại với mã hóa UTF-8."
        ) from exc
    if "\x00" in text:
        raise ValidationError("Tệp CSV chứa ký tự nhị phân; có thể đây không phải tệp CSV.")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as exc:
        raise ValidationError("Tệp CSV rỗng.") from exc
    except csv.Error as exc:
        raise ValidationError(f"Tệp CSV hỏng: {exc}") from exc
    names = _check_header(header)
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            row_number = reader.line_num
            if len(cells) > len(names):
                yield row_number, {"__error__": f"có {len(cells)} cột, nhiều hơn dòng tiêu đề"}
                continue
            yield row_number, dict(zip(names, cells, strict=False))
    except csv.Error as exc:
        raise ValidationError(f"Tệp CSV hỏng ở dòng {reader.line_num}: {exc}") from exc


def _read_xlsx(path: Path) -> Iterator[tuple[int, dict]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_zip(path)  # before openpyxl inflates anything: a zip bomb is refused here
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise ValidationError("Không đọc được tệp Excel (.xlsx); tệp có thể bị hỏng.") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise ValidationError("Không đọc được tệp Excel (.xlsx); tệp có thể bị hỏng.") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ValidationError("Tệp Excel rỗng.")
        names = _check_header([str(h) if h is not None else "" for h in header])
        for number, cells in enumerate(rows, start=2):
            values = ["" if c is None else str(c).strip() for c in cells]
            if not any(values):
                continue
            if isinstance(cells[names.index("year")] if "year" in names else None, float):
                values[names.index("year")] = str(int(cells[names.index("year")]))
            yield number, dict(zip(names, values, strict=False))
    finally:
        workbook.close()


def _to_input(row: dict, source: str) -> ResourceInput:
    return ResourceInput(
        identifier=row.get("identifier", ""),
        title=row.get("title", ""),
        url=row.get("url", ""),
        description=row.get("description", ""),
        creators=_split(row.get("creators", "")),
        subjects=_split(row.get("subjects", "")),
        publisher=row.get("publisher", ""),
        type=row.get("type", ""),
        language=row.get("language", ""),
        level=row.get("level", ""),
        license=row.get("license", ""),
        year=row.get("year", ""),
        source=source,
    )


def import_rows(
    rows: Iterable[tuple[int, dict]], source: str = "import", dry_run: bool = False
) -> ImportReport:
    """Validate every row; upsert the valid ones by identifier. The caller commits.

    With `dry_run` the changes are flushed (so counts are exact) and rolled back.
    """
    report = ImportReport(dry_run=dry_run)
    seen: dict[str, int] = {}
    savepoint = db.session.begin_nested() if dry_run else None
    count = 0
    for number, row in rows:
        count += 1
        if count > MAX_ROWS:
            raise ValidationError(f"Tệp có quá {MAX_ROWS} dòng; hãy chia nhỏ tệp.")
        try:
            if "__error__" in row:
                raise RecordError(row["__error__"])
            record = clean_record(_to_input(row, source))
            identifier = record.values["identifier"]
            if identifier in seen:
                raise RecordError(f"mã định danh trùng với dòng {seen[identifier]}")
            seen[identifier] = number
        except RecordError as error:
            report.rejected += 1
            if len(report.errors) < MAX_REPORTED_ERRORS:
                report.errors.append({"row": number, "message": str(error)})
            continue
        _, status = upsert_resource(record)
        setattr(report, status, getattr(report, status) + 1)
        for note in record.notes:
            report.notes.append({"row": number, "message": note})
    if savepoint is not None:
        savepoint.rollback()
    return report


def import_file(path: Path, source: str = "import", dry_run: bool = False) -> ImportReport:
    if not path.is_file():
        raise ValidationError(f"Không tìm thấy tệp {path}")
    return import_rows(read_rows(path), source=source, dry_run=dry_run)


# --- export ----------------------------------------------------------------------------------


def export_rows() -> Iterator[list[str]]:
    """The catalog's active resources as rows in the import format (round-trips)."""
    last_id = 0
    while True:
        chunk = db.session.scalars(
            select(Resource)
            .where(Resource.status == "active", Resource.id > last_id)
            .order_by(Resource.id)
            .limit(1000)
            .options(selectinload(Resource.subject_rows), selectinload(Resource.provider))
        ).all()
        if not chunk:
            return
        for r in chunk:
            yield [
                r.identifier, r.title, r.description, ";".join(r.creators),
                ";".join(r.subjects), r.publisher or "", r.source_type or TYPES[r.type].lower(),
                r.language or "", LEVELS[r.level].lower() if r.level else "",
                r.rights or license_name(r.license), r.url, str(r.year or ""),
            ]  # fmt: skip
        last_id = chunk[-1].id


def export_csv(path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for row in export_rows():
            writer.writerow(row)
            count += 1
    return count


def export_xlsx(path: Path) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("catalog")
    sheet.append(COLUMNS)
    count = 0
    for row in export_rows():
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=value)
            # Always a string cell: "=HYPERLINK(…)" in a title must never run as a formula.
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(path)
    return count
