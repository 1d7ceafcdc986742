"""`hoctap catalog …` commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..core.cli_util import echo_json, json_option
from ..core.errors import DomainError
from ..extensions import db
from .files import export_csv, export_xlsx, import_file

catalog_group = click.Group("catalog", help="Danh mục học liệu mở.")


@catalog_group.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra, không lưu.")
@click.option("--source", default="import", show_default=True, help="Ghi nhận nguồn của bản ghi.")
@json_option
@with_appcontext
def import_command(file, dry_run, source, as_json):
    """Nhập học liệu từ tệp .csv hoặc .xlsx (cập nhật theo identifier).

    Dòng hợp lệ được nhập, dòng lỗi được liệt kê kèm số dòng; mã thoát 1 khi có dòng lỗi.
    Lỗi giữa chừng thì không có gì được lưu.
    """
    try:
        report = import_file(file, source=source, dry_run=dry_run)
    except DomainError as error:
        db.session.rollback()
        if as_json:
            echo_json({"error": error.message})
        else:
            click.echo(f"Lỗi: {error.message}", err=True)
        sys.exit(1)
    except Exception:
        db.session.rollback()
        raise
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    if as_json:
        echo_json(report.as_dict())
    else:
        prefix = "(thử) " if dry_run else ""
        click.echo(
            f"{prefix}{report.created} mới, {report.updated} cập nhật, "
            f"{report.unchanged} không đổi, {report.rejected} dòng lỗi."
        )
        for error in report.errors:
            click.echo(f"  dòng {error['row']}: {error['message']}", err=True)
        for note in report.notes:
            click.echo(f"  dòng {note['row']} (ghi chú): {note['message']}")
    if report.rejected:
        sys.exit(1)


@catalog_group.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@json_option
@with_appcontext
def export_command(file, as_json):
    """Xuất danh mục ra .csv hoặc .xlsx cùng định dạng với lệnh import."""
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        click.echo("Lỗi: chỉ xuất được .csv hoặc .xlsx", err=True)
        sys.exit(1)
    count = export_csv(file) if suffix == ".csv" else export_xlsx(file)
    if as_json:
        echo_json({"exported": count, "file": str(file)})
    else:
        click.echo(f"Đã xuất {count} học liệu vào {file}")
