"""`hoctap content …` commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from .cli_util import echo_json, json_option
from .content import ContentError, load_content

content_group = click.Group("content", help="Nạp dữ liệu từ thư mục content/.")


@content_group.command("load")
@click.option("--no-demo", is_flag=True, help="Bỏ qua dữ liệu demo (content/demo/).")
@click.option(
    "--content-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục nội dung (mặc định HOCTAP_CONTENT_DIR hoặc content/).",
)
@json_option
@with_appcontext
def load(no_demo, content_dir, as_json):
    """Nạp đơn vị, Tuần lễ, … Chạy lại nhiều lần không thay đổi gì thêm."""
    content_dir = content_dir or Path(current_app.config["HOCTAP_CONTENT_DIR"])
    try:
        report = load_content(content_dir, include_demo=not no_demo)
    except ContentError as error:
        db.session.rollback()
        click.echo(f"Lỗi: {error}", err=True)
        sys.exit(1)
    db.session.commit()
    if as_json:
        echo_json(report.as_dict())
        return
    for kind, counts in report.counts.items():
        click.echo(
            f"{kind}: {counts.created} mới, {counts.updated} cập nhật, {counts.unchanged} không đổi"
        )
    for note in report.notes:
        click.echo(note)
