"""Writers turn a `Table` into CSV, Excel or JSON. Writers never query."""

from __future__ import annotations

import csv
import io
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from .assembly import Table

#: A spreadsheet treats text starting with these as a formula (CSV/formula injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text that a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _cells(table: Table):
    yield [c.label for c in table.columns]
    yield from table.rows
    if table.total is not None:
        yield table.total


def write_csv(table: Table, stream: IO[str]) -> None:
    """Rows as CSV; `csv_bytes` adds the UTF-8 BOM so Excel reads Vietnamese."""
    writer = csv.writer(stream)
    for row in _cells(table):
        writer.writerow(["" if v is None else neutralise(v) for v in row])


def csv_bytes(table: Table) -> bytes:
    stream = io.StringIO()
    write_csv(table, stream)
    return stream.getvalue().encode("utf-8-sig")


def write_xlsx(tables: list[Table], target) -> None:
    """One sheet per table, rows streamed (openpyxl write-only mode: constant memory).

    `tables` may hold tables whose `rows` are iterators; nothing is kept after a row is written.
    """
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        title = _sheet_title(table.name, used)
        sheet = workbook.create_sheet(title)
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=column.label)
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            sheet.append([_xlsx_value(sheet, v) for v in row])
        if table.total is not None:
            cells = []
            for v in table.total:
                cell = _xlsx_value(sheet, v)
                cell.font = Font(bold=True)
                cells.append(cell)
            sheet.append(cells)
    workbook.save(target)


def _xlsx_value(sheet, value) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=neutralise(value))
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text
    return cell


def _sheet_title(name: str, used: set[str]) -> str:
    title = name[:31] or "Sheet"
    n = 2
    while title in used:
        title = f"{name[:28]}-{n}"
        n += 1
    used.add(title)
    return title


def xlsx_bytes(tables: list[Table]) -> bytes:
    stream = io.BytesIO()
    write_xlsx(tables, stream)
    return stream.getvalue()


def table_json(table: Table) -> dict:
    return {
        "table": table.name,
        "title": table.title,
        "columns": [{"key": c.key, "label": c.label, "type": c.kind} for c in table.columns],
        "rows": table.as_dicts(),
        "total": (
            dict(zip([c.key for c in table.columns], table.total, strict=True))
            if table.total is not None
            else None
        ),
    }
