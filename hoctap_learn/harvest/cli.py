"""`hoctap harvest …` commands: add a source, run it, list runs and sources."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..core.cli_util import echo_json, json_option
from ..core.errors import DomainError
from ..core.timeutil import format_datetime
from ..extensions import db
from ..units.services import get_unit
from . import services
from .models import KINDS
from .runner import queue_run, run_source
from .schedule import WEEKDAYS, make_schedule, set_schedule

harvest_group = click.Group("harvest", help="Thu thập học liệu từ kho OAI-PMH, tệp và bản tin.")


def _fail(message: str, as_json: bool) -> None:
    db.session.rollback()
    if as_json:
        echo_json({"error": message})
    else:
        click.echo(f"Lỗi: {message}", err=True)
    sys.exit(1)


def _source_dict(source) -> dict:
    return {
        "name": source.name,
        "slug": source.slug,
        "kind": source.kind,
        "url": source.url,
        "set": source.oai_set,
        "unit": source.unit.code if source.unit else None,
        "provider": source.provider.name if source.provider else None,
        "enabled": source.enabled,
        "granularity": source.granularity,
        "deleted_record": source.deleted_record,
        "harvested_until": source.harvested_until,
        "schedule": source.schedule,
        "schedule_weekday": WEEKDAYS[source.schedule_weekday]
        if source.schedule_weekday is not None
        else None,
        "schedule_time": source.schedule_time,
        "next_run_at": source.next_run_at.isoformat() if source.next_run_at else None,
    }


@harvest_group.command("add")
@click.option("--kind", type=click.Choice(list(KINDS)), required=True, help="Loại nguồn.")
@click.option("--url", required=True, help="Địa chỉ OAI-PMH, bản tin, hoặc tệp (URL/đường dẫn).")
@click.option("--name", required=True, help="Tên nguồn (duy nhất).")
@click.option("--set", "oai_set", default="", help="OAI-PMH setSpec cần thu thập.")
@click.option("--provider", default="", help="Đơn vị cung cấp cho bản ghi không ghi dc:publisher.")
@click.option("--unit", "unit_code", default="", help="Mã đơn vị sở hữu nguồn.")
@click.option("--type-map", multiple=True, help="Ánh xạ loại của nguồn: 'Giá trị=mã-loại'.")
@click.option("--no-check", is_flag=True, help="Không gọi Identify trước khi lưu.")
@json_option
@with_appcontext
def add_command(kind, url, name, oai_set, provider, unit_code, type_map, no_check, as_json):
    """Thêm một nguồn thu thập (OAI-PMH được kiểm tra bằng Identify trước khi lưu)."""
    try:
        data = services.SourceInput(
            name=name,
            kind=kind,
            url=url,
            oai_set=oai_set,
            provider=provider,
            unit_id=get_unit(unit_code).id if unit_code else None,
            type_map=services.parse_type_map(type_map),
            check=not no_check,
        )
        source = services.add_source(None, data)
    except DomainError as error:
        _fail(error.message, as_json)
    db.session.commit()
    if as_json:
        echo_json(_source_dict(source))
    else:
        detail = f", granularity {source.granularity}" if source.granularity else ""
        click.echo(f"Đã thêm nguồn “{source.name}” ({source.slug}){detail}.")


def _print_run(run) -> None:
    counts = run.counts()
    click.echo(
        f"{run.source.name}: {run.status_label} — {counts['new']} mới, {counts['updated']} "
        f"cập nhật, {counts['unchanged']} không đổi, {counts['withdrawn']} gỡ, "
        f"{counts['duplicates']} trùng, {counts['rejected']} bị từ chối ({run.pages} trang)."
    )
    if run.message:
        click.echo(f"  {run.message}", err=True)
    for item in run.errors or []:
        label = "lỗi" if item.get("level") == "error" else "ghi chú"
        click.echo(f"  [{label}] {item.get('identifier') or '-'}: {item.get('message')}")


class _Progress:
    """On a terminal: a click progress bar when the repository tells how many records
    there are (completeListSize), else a page/record counter. Silent otherwise and with --json.
    """

    def __init__(self, enabled: bool, label: str):
        self.enabled = enabled and sys.stdout.isatty()
        self.label = label
        self.bar = None
        self.done = 0
        self.counter = False

    def __call__(self, run, total) -> None:
        if not self.enabled:
            return
        seen = sum(run.counts().values())
        if total and self.bar is None and not self.counter:
            self.bar = click.progressbar(length=total, label=self.label)
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(max(seen - self.done, 0))
        else:
            self.counter = True
            click.echo(f"\r{self.label}: {run.pages} trang, {seen} bản ghi…", nl=False)
        self.done = seen

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
        elif self.counter:
            click.echo()


@harvest_group.command("run")
@click.argument("name", required=False)
@click.option("--all", "run_all", is_flag=True, help="Chạy mọi nguồn đang bật.")
@click.option(
    "--queue", "queued", is_flag=True,
    help="Đưa vào hàng đợi cho tiến trình chạy nền (hoctap worker) thay vì chạy ngay tại đây.",
)  # fmt: skip
@json_option
@with_appcontext
def run_command(name, run_all, queued, as_json):
    """Thu thập một nguồn (theo tên hoặc mã) hoặc mọi nguồn đang bật (--all), ngay trong
    lệnh này (cho script, cron), hoặc đưa vào hàng đợi với --queue.

    Mã thoát 1 khi có lần chạy thất bại hoặc bị từ chối vì nguồn đang chạy.
    """
    if bool(name) == bool(run_all):
        _fail("Hãy ghi tên một nguồn, hoặc --all.", as_json)
    try:
        sources = (
            services.list_sources(enabled_only=True) if run_all else [services.get_source(name)]
        )
    except DomainError as error:
        _fail(error.message, as_json)
    if not sources and not as_json:
        click.echo("Không có nguồn nào đang bật.")
    results, failed = [], False
    for source in sources:
        progress = _Progress(not (as_json or queued), source.name)
        try:
            run = queue_run(source, "cli") if queued else run_source(source, "cli", progress)
        except DomainError as error:
            db.session.rollback()
            failed = True
            results.append({"source": source.name, "status": "refused", "error": error.message})
            if not as_json:
                click.echo(f"Lỗi: {error.message}", err=True)
            continue
        finally:
            progress.close()
        failed |= run.status == "failed"
        results.append(run.as_dict())
        if as_json:
            continue
        if queued:
            click.echo(f"{source.name}: đã đưa vào hàng đợi (lần chạy #{run.id}).")
        else:
            _print_run(run)
    if as_json:
        echo_json(results if run_all else results[0])
    if failed:
        sys.exit(1)


@harvest_group.command("runs")
@click.argument("name", required=False)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@json_option
@with_appcontext
def runs_command(name, limit, as_json):
    """Lịch sử các lần thu thập (mới nhất trước)."""
    try:
        source = services.get_source(name) if name else None
    except DomainError as error:
        _fail(error.message, as_json)
    runs = services.recent_runs(source, limit)
    if as_json:
        echo_json([run.as_dict() for run in runs])
        return
    if not runs:
        click.echo("Chưa có lần thu thập nào.")
    for run in runs:
        started = run.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        click.echo(f"#{run.id} {started} ", nl=False)
        _print_run(run)


@harvest_group.command("sources")
@json_option
@with_appcontext
def sources_command(as_json):
    """Các nguồn thu thập."""
    sources = services.list_sources()
    if as_json:
        echo_json([_source_dict(s) for s in sources])
        return
    for s in sources:
        state = "bật" if s.enabled else "tắt"
        upcoming = f"\tlần tới {format_datetime(s.next_run_at)}" if s.next_run_at else ""
        click.echo(f"{s.slug}\t{s.kind}\t{state}\t{s.url}\t{s.schedule_label}{upcoming}")


@harvest_group.command("schedule")
@click.argument("name")
@click.option("--daily", "daily", metavar="GG:PP", help="Chạy hằng ngày lúc GG:PP (giờ Việt Nam).")
@click.option(
    "--weekly", "weekly", nargs=2, metavar="THỨ GG:PP",
    help=f"Chạy hằng tuần: thứ ({', '.join(WEEKDAYS)}) và giờ, ví dụ --weekly mon 02:30.",
)  # fmt: skip
@click.option("--off", is_flag=True, help="Bỏ lịch chạy tự động.")
@json_option
@with_appcontext
def schedule_command(name, daily, weekly, off, as_json):
    """Đặt lịch thu thập tự động của một nguồn (tiến trình `hoctap worker` chạy theo lịch)."""
    if sum(bool(x) for x in (daily, weekly, off)) != 1:
        _fail("Hãy chọn đúng một trong --daily GG:PP, --weekly THỨ GG:PP, --off.", as_json)
    try:
        source = services.get_source(name)
        if off:
            schedule = make_schedule(None)
        elif daily:
            schedule = make_schedule("daily", daily)
        else:
            schedule = make_schedule("weekly", weekly[1], weekly[0])
        set_schedule(source, schedule)
    except DomainError as error:
        _fail(error.message, as_json)
    db.session.commit()
    if as_json:
        echo_json(_source_dict(source))
        return
    upcoming = (
        f" Lần chạy tiếp theo: {format_datetime(source.next_run_at)}." if source.next_run_at else ""
    )
    click.echo(f"Nguồn “{source.name}”: {source.schedule_label}.{upcoming}")


@harvest_group.command("enable")
@click.argument("name")
@click.option("--off", is_flag=True, help="Tắt nguồn thay vì bật.")
@with_appcontext
def enable_command(name, off):
    """Bật (hoặc tắt với --off) một nguồn."""
    try:
        source = services.get_source(name)
        source.enabled = not off
    except DomainError as error:
        _fail(error.message, False)
    db.session.commit()
    click.echo(f"Nguồn “{source.name}” đã {'tắt' if off else 'bật'}.")
