"""`hoctap search …` commands."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import with_appcontext

from ..core.cli_util import echo_json, json_option
from ..core.errors import DomainError
from . import params_from_args, search, store
from .schema import FACETS

search_group = click.Group("search", help="Chỉ mục tìm kiếm (Whoosh).")


@search_group.command("rebuild")
@click.option(
    "--procs",
    type=click.IntRange(1, 16),
    default=1,
    show_default=True,
    help="Số tiến trình lập chỉ mục song song.",
)
@json_option
@with_appcontext
def rebuild_command(procs, as_json):
    """Dựng lại chỉ mục từ cơ sở dữ liệu rồi thay thế chỉ mục cũ."""
    started = time.perf_counter()
    show_progress = sys.stderr.isatty() and not as_json
    bar = None

    def progress(done, total):
        nonlocal bar
        if not show_progress:
            return
        if bar is None:
            bar = click.progressbar(length=total or 1, label="Đang lập chỉ mục", file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        count = store.rebuild(progress=progress, procs=procs)
    except store.RebuildRunning as error:
        click.echo(f"Lỗi: {error}", err=True)
        sys.exit(1)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    elapsed = round(time.perf_counter() - started, 2)
    if as_json:
        echo_json({"indexed": count, "seconds": elapsed})
    else:
        click.echo(f"Đã lập chỉ mục {count} học liệu trong {elapsed} giây.")


@search_group.command("check")
@json_option
@with_appcontext
def check_command(as_json):
    """So sánh chỉ mục với cơ sở dữ liệu; mã thoát 1 nếu lệch."""
    report = store.check()
    if as_json:
        echo_json(report)
    else:
        click.echo(
            f"CSDL: {report['database_active']} học liệu; chỉ mục: {report['indexed']}; "
            f"thiếu {report['missing_count']}, thừa {report['extra_count']}."
        )
        click.echo("Khớp." if report["ok"] else "Lệch: chạy `hoctap search rebuild`.")
    if not report["ok"]:
        sys.exit(1)


@search_group.command("query")
@click.argument("text", required=False, default="")
@click.option("--type", "types", multiple=True)
@click.option("--subject", "subjects", multiple=True)
@click.option("--publisher", "publishers", multiple=True)
@click.option("--language", "languages", multiple=True)
@click.option("--level", "levels", multiple=True)
@click.option("--license", "licenses", multiple=True)
@click.option("--year-from")
@click.option("--year-to")
@click.option("--sort", default="relevance")
@click.option("--page", default="1")
@click.option("--per-page", default="20")
@json_option
@with_appcontext
def query_command(text, types, subjects, publishers, languages, levels, licenses,
                  year_from, year_to, sort, page, per_page, as_json):  # fmt: skip
    """Tìm học liệu; --json in đúng JSON của GET /api/v1/resources."""
    from werkzeug.datastructures import MultiDict

    args = MultiDict([("q", text), ("sort", sort), ("page", page), ("per_page", per_page)])
    for name, values in zip(
        FACETS, (types, subjects, publishers, languages, levels, licenses), strict=True
    ):
        for value in values:
            args.add(name, value)
    if year_from:
        args.add("year_from", year_from)
    if year_to:
        args.add("year_to", year_to)
    try:
        result = search(params_from_args(args))
    except DomainError as error:
        if as_json:
            echo_json({"error": error.message})
        else:
            click.echo(f"Lỗi: {error.message}", err=True)
        sys.exit(1)
    if as_json:
        echo_json(result.as_api())
        return
    for message in result.messages:
        click.echo(message)
    if result.suggestion:
        click.echo(f"Có phải bạn muốn tìm: {result.suggestion}")
    click.echo(f"{result.total} kết quả")
    for item in result.results:
        click.echo(f"- {item['title']} [{item['type']}] {item['url']}")
