"""`hoctap report …`: the same tables and documents as the dashboard, from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from ..core.cli_util import echo_json, json_option, transactional
from ..extensions import db
from . import services
from .tables import build_table, build_tables, table_builders
from .writers import csv_bytes, table_json, write_xlsx

report_group = click.Group("report", help="Số liệu và báo cáo Tuần lễ.")


def _filter_options(func):
    func = click.option("--to", "date_to", help="Đến ngày (YYYY-MM-DD).")(func)
    func = click.option("--from", "date_from", help="Từ ngày (YYYY-MM-DD).")(func)
    func = click.option("--unit", "unit_code", help="Mã đơn vị (mặc định: tất cả).")(func)
    func = click.option("--campaign", "campaign_slug", help="Tuần lễ, ví dụ 2022.")(func)
    return func


@report_group.command("export")
@_filter_options
@click.option(
    "--by",
    "by",
    default="unit",
    show_default=True,
    help="Bảng: unit, day, target_group, gender, age_band, kind, submission "
    "(hoặc all với --format xlsx).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True
)
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@json_option
@with_appcontext
@transactional
def export(campaign_slug, unit_code, date_from, date_to, by, fmt, output, as_json):
    """Xuất một bảng số liệu ra CSV (UTF-8 có BOM), Excel hoặc JSON."""
    import json

    from ..core.errors import ValidationError

    filters = services.build_filters(None, campaign_slug, unit_code, date_from, date_to)
    if by == "all":
        if fmt != "xlsx":
            raise ValidationError("--by all chỉ dùng với --format xlsx.")
        tables = build_tables(filters, list(table_builders()))
    else:
        tables = [build_table(filters, by)]
    if fmt == "csv":
        output.write_bytes(csv_bytes(tables[0]))
    elif fmt == "xlsx":
        write_xlsx(tables, output)
    else:
        output.write_text(
            json.dumps(table_json(tables[0]), ensure_ascii=False, indent=2), encoding="utf-8"
        )
    rows = sum(len(t.rows) for t in tables)
    if as_json:
        echo_json({"output": str(output), "tables": [t.name for t in tables], "rows": rows})
    else:
        click.echo(f"Đã ghi {rows} dòng vào {output}")


@report_group.command("mau-bc")
@click.option("--campaign", "campaign_slug", help="Tuần lễ, ví dụ 2022.")
@click.option("--unit", "unit_code", help="Mã đơn vị; bỏ trống để lập báo cáo tổng hợp của tỉnh.")
@click.option("--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@json_option
@with_appcontext
@transactional
def mau_bc(campaign_slug, unit_code, output, as_json):
    """Lập báo cáo MẪU BC (.docx) của một đơn vị hoặc báo cáo tổng hợp."""
    from .mau_bc import mau_bc_context, render_docx

    filters = services.build_filters(None, campaign_slug, unit_code)
    context = mau_bc_context(filters)
    output.write_bytes(render_docx(context))
    if as_json:
        echo_json({"output": str(output), "unit": unit_code, "campaign": filters.campaign.slug})
    else:
        click.echo(f"Đã lập báo cáo {output}")


@report_group.command("tallies")
@click.option("--campaign", "campaign_slug", help="Tuần lễ, ví dụ 2022.")
@click.option("--rebuild", is_flag=True, help="Đếm lại từ dữ liệu gốc trước khi đối chiếu.")
@json_option
@with_appcontext
@transactional
def tallies_command(campaign_slug, rebuild, as_json):
    """Đối chiếu số liệu đếm sẵn (dùng cho bảng điều khiển) với đếm trực tiếp; --rebuild đếm lại.

    Thoát với mã 1 khi có chênh lệch."""
    import sys

    from . import tallies

    filters = services.build_filters(None, campaign_slug)
    if rebuild:
        for kept in tallies.KEPT.values():
            kept.rebuild(filters.campaign)
        db.session.flush()
    differences = tallies.check(filters)
    if as_json:
        echo_json({"campaign": filters.campaign.slug, "rebuilt": rebuild,
                   "figures": list(tallies.KEPT), "differences": differences})  # fmt: skip
    else:
        if rebuild:
            click.echo("Đã đếm lại số liệu.")
        for d in differences[:50]:
            click.echo(f"Chênh lệch {d['figures']} theo {d['by'] or 'đơn vị'}: đơn vị "
                       f"{d['unit_id']}, {d['key']}: {d['kept']} ≠ {d['counted']}")  # fmt: skip
        if differences:
            click.echo(f"{len(differences)} ô chênh lệch; chạy lại với --rebuild để đếm lại.")
        else:
            click.echo(f"Khớp: {len(tallies.KEPT)} nhóm số liệu của Tuần lễ "
                       f"{filters.campaign.slug}.")  # fmt: skip
    if differences:
        db.session.commit()  # a rebuild is kept even when checking it fails
        sys.exit(1)
