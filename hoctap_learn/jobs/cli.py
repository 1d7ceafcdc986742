"""`hoctap worker`: the job worker (Huey's consumer in this process)."""

from __future__ import annotations

import logging
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..core.cli_util import echo_json, json_option
from ..extensions import db

log = logging.getLogger("hoctap_learn.jobs")
#: Seconds a stopping worker (SIGTERM, Ctrl+C) waits for running jobs before it leaves
#: them to the stale sweep.
SHUTDOWN_TIMEOUT = 30


def _configure_logging() -> None:
    """One line per job on stderr, unless the deployment configured logging already."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    for name in ("hoctap_learn.jobs", "huey"):
        logging.getLogger(name).setLevel(logging.INFO)


def queue_label(app) -> str:
    """Where the queue is, without a password from the Redis URL."""
    from urllib.parse import urlsplit

    from .queue import jobs_db_path

    url = app.config.get("HOCTAP_REDIS_URL")
    if not url:
        return f"SQLite {jobs_db_path(app)}"
    parts = urlsplit(url)
    return f"Redis {parts.hostname}:{parts.port or 6379}"


@click.command("worker")
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 64),
    help="Số luồng chạy việc song song.",
)  # fmt: skip
@click.option(
    "--once", is_flag=True,
    help="Chạy mỗi việc định kỳ một lần và mọi việc đang chờ trong hàng đợi, rồi thoát "
    "(cho cron, khi không chạy tiến trình nền thường trực).",
)  # fmt: skip
@json_option
@with_appcontext
def worker_command(workers, once, as_json):
    """Chạy tiến trình nền: thu thập theo yêu cầu và theo lịch, tự nộp lượt thi quá giờ,
    cập nhật chỉ mục tìm kiếm. Dừng bằng Ctrl+C hoặc SIGTERM (chờ việc đang chạy xong)."""
    from . import heartbeat
    from .queue import get_queue, run_pending

    _configure_logging()
    app = current_app._get_current_object()
    try:
        queue = get_queue(app)
        queue.huey.storage.queue_size()  # reach the queue now, not in a loop of errors
    except Exception as error:  # an unreachable Redis, an unwritable queue file
        message = f"Không mở được hàng đợi việc ({queue_label(app)}): {error}"
        if as_json:
            echo_json({"error": message})
        else:
            click.echo(f"Lỗi: {message}", err=True)
        sys.exit(1)
    if once:
        ran = run_pending(app, periodic=True)
        applied = heartbeat.search_catch_up()
        if as_json:
            echo_json({"jobs": ran, "search_applied": applied, "queue": queue.kind})
        else:
            click.echo(f"Đã chạy {ran} việc; cập nhật chỉ mục {applied} học liệu.")
        return

    interval = float(app.config["HOCTAP_JOB_HEARTBEAT_SECONDS"])
    if float(app.config["HOCTAP_JOB_STALE_SECONDS"]) < 3 * interval:
        log.warning(
            "HOCTAP_JOB_STALE_SECONDS (%s) is less than three heartbeats (%s s each): "
            "live harvests may be failed as dead",
            app.config["HOCTAP_JOB_STALE_SECONDS"], interval,
        )  # fmt: skip
    name = heartbeat.worker_name()
    heartbeat.prune(max(24 * 3600, 10 * float(app.config["HOCTAP_JOB_STALE_SECONDS"])))
    heartbeat.beat(name, queue.kind)
    db.session.remove()
    beater = heartbeat.Beater(app, name, queue.kind, interval)
    beater.start()
    consumer = queue.huey.create_consumer(
        workers=workers,
        worker_type="thread",
        periodic=True,
        initial_delay=0.1,
        backoff=1.15,
        max_delay=2.0,
        graceful_signal="TERM",
        shutdown_timeout=SHUTDOWN_TIMEOUT,
    )
    log.info("worker %s started: %d threads, %s queue", name, workers, queue.kind)
    try:
        # A restarted worker cleans up after its predecessor at once, not a minute later.
        queue.tasks["harvest.sweep"]()
        consumer.run()
    finally:
        beater.stop()
        with app.app_context():
            heartbeat.forget(name)
        log.info("worker %s stopped", name)
