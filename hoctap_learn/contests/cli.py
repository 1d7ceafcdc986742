"""`hoctap contest …` commands: thin wrappers over the services."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..core.cli_util import echo_json, json_option, transactional
from ..core.errors import DomainError
from ..core.timeutil import format_datetime
from ..core.types import utcnow
from ..extensions import db
from . import bank

contest_group = click.Group("contest", help="Cuộc thi: ngân hàng câu hỏi, vòng thi, lượt thi.")


def contest_dict(contest) -> dict:
    return {
        "slug": contest.slug,
        "title": contest.title,
        "kind": contest.kind,
        "published": contest.published,
        "unit": contest.unit.code,
        "campaign": contest.campaign.slug if contest.campaign else None,
        "rounds": [
            {
                "slug": r.slug,
                "title": r.title,
                "opens_at": r.opens_at.isoformat() if r.opens_at else None,
                "closes_at": r.closes_at.isoformat() if r.closes_at else None,
                "practice": r.is_practice,
            }
            for r in contest.rounds
        ],
    }


@contest_group.command("list")
@json_option
@with_appcontext
def list_command(as_json):
    """Liệt kê các cuộc thi cùng mã (slug) và các vòng thi."""
    contests = [contest_dict(c) for c in bank.list_contests()]
    if as_json:
        echo_json({"contests": contests})
        return
    if not contests:
        click.echo("Chưa có cuộc thi nào.")
    for c in contests:
        click.echo(f"{c['slug']}: {c['title']}")
        for r in c["rounds"]:
            click.echo(f"  - {r['slug']}: {r['title']}")


@contest_group.command("import-questions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--contest", "contest_slug", required=True, help="Mã (slug) cuộc thi.")
@click.option("--category", help="Nhóm câu hỏi cho các câu không có $CATEGORY.")
@click.option("--format", "fmt", type=click.Choice(bank.FORMATS), help="Mặc định: đoán theo tệp.")
@click.option("--dry-run", is_flag=True, help="Chỉ kiểm tra, không lưu.")
@click.option("--skip-invalid", is_flag=True, help="Nhập các câu hợp lệ, bỏ qua câu lỗi.")
@json_option
@with_appcontext
def import_command(file, contest_slug, category, fmt, dry_run, skip_invalid, as_json):
    """Nhập câu hỏi từ tệp GIFT, Aiken hoặc Excel (theo mẫu). Thoát mã 1 nếu tệp có lỗi."""
    try:
        contest = bank.get_contest(contest_slug)
        parsed = bank.parse_file(file.read_bytes(), file.name, fmt, category)
        report = bank.import_questions(contest, parsed, dry_run=dry_run, skip_invalid=skip_invalid)
    except DomainError as error:
        db.session.rollback()
        if as_json:
            failed = bank.ImportReport(dry_run=dry_run)
            failed.errors = [{"line": 0, "message": error.message}]
            echo_json(failed.as_dict())
        else:
            click.echo(f"Lỗi: {error.message}", err=True)
        sys.exit(1)
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    if as_json:
        echo_json(report.as_dict())
    else:
        verb = "Sẽ nhập" if dry_run else "Đã nhập"
        click.echo(f"{verb} {report.imported} câu hỏi.")
        if not dry_run and report.imported:
            click.echo(
                f"  mới: {report.created}, cập nhật: {report.updated}, "
                f"không đổi: {report.unchanged}"
            )
        for qtype, n in report.by_type.items():
            if n:
                click.echo(f"  {qtype}: {n}")
        if report.in_use_message:
            click.echo(report.in_use_message)
        for error in report.errors:
            click.echo(f"Dòng {error['line']}: {error['message']}", err=True)
    if report.errors:
        sys.exit(1)


@contest_group.command("export-questions")
@click.option("--contest", "contest_slug", required=True)
@click.option("--category")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
@transactional
def export_command(contest_slug, category, output):
    """Xuất ngân hàng câu hỏi ra định dạng GIFT."""
    text = bank.export_bank(bank.get_contest(contest_slug), category)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@contest_group.command("finalize")
@json_option
@with_appcontext
@transactional
def finalize_command(as_json):
    """Tự nộp các lượt thi đã quá giờ và cộng các lượt thi đã kết thúc vào số liệu báo cáo
    (chạy định kỳ, chạy lại an toàn)."""
    from . import attempts, tallies

    count = attempts.finalize_expired(utcnow())
    # Run from cron, this keeps the queue of the report figures short: their first read
    # does not have to count a long backlog.
    counted = tallies.fold()
    if as_json:
        echo_json({"finalized": count, "counted": counted, "at": utcnow().isoformat()})
    else:
        click.echo(f"Đã tự nộp {count} lượt thi quá giờ; đã cộng {counted} lượt thi đã kết "
                   f"thúc vào số liệu báo cáo ({format_datetime(utcnow())}).")  # fmt: skip
