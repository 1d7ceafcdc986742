"""`hoctap backup create|restore`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from . import backup
from .cli_util import echo_json, json_option

backup_group = click.Group("backup", help="Sao lưu và phục hồi (SQLite và thư mục tải lên).")


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    script = ScriptDirectory.from_config(migrate.migrate.get_config(migrate.directory))
    return {rev.revision for rev in script.walk_revisions()}


def _fail(error: backup.BackupError):
    click.echo(f"Lỗi: {error.message}", err=True)
    sys.exit(1)


@backup_group.command("create")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@with_appcontext
def create_command(output, as_json):
    """Sao lưu khi ứng dụng vẫn chạy: cơ sở dữ liệu SQLite và thư mục tải lên → OUTPUT.tar.gz."""
    try:
        info = backup.create(
            current_app.config["SQLALCHEMY_DATABASE_URI"],
            Path(current_app.config["HOCTAP_UPLOAD_DIR"]),
            output,
        )
    except backup.BackupError as error:
        _fail(error)
    if as_json:
        echo_json(info.as_dict())
        return
    click.echo(
        f"Đã sao lưu vào {info.path} (lược đồ {info.schema_revision}, "
        f"{info.upload_files} tệp tải lên)."
    )


@backup_group.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Ghi đè cơ sở dữ liệu đang có dữ liệu.")
@click.option("--no-rebuild", is_flag=True, help="Không dựng lại chỉ mục tìm kiếm.")
@json_option
@with_appcontext
def restore_command(archive, yes, no_rebuild, as_json):
    """Phục hồi từ tệp sao lưu, rồi dựng lại chỉ mục tìm kiếm. Dừng web và worker trước."""
    db.session.remove()
    db.engine.dispose()  # no connection of ours holds the file while it is written
    try:
        manifest = backup.restore(
            archive,
            current_app.config["SQLALCHEMY_DATABASE_URI"],
            Path(current_app.config["HOCTAP_UPLOAD_DIR"]),
            _known_revisions(),
            force=yes,
        )
    except backup.BackupError as error:
        _fail(error)
    indexed = None
    if not no_rebuild:
        from ..search import store

        indexed = store.rebuild()
        db.session.remove()
    result = {"restored": manifest, "search_documents": indexed}
    if as_json:
        echo_json(result)
        return
    click.echo(f"Đã phục hồi bản sao lưu lúc {manifest.get('created_at')}.")
    if indexed is None:
        click.echo("Chưa dựng lại chỉ mục tìm kiếm: chạy `hoctap search rebuild`.")
    else:
        click.echo(f"Đã dựng lại chỉ mục tìm kiếm ({indexed} học liệu).")
