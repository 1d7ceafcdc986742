"""`hoctap config show` and `hoctap serve`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import config as config_module
from ..extensions import db
from .cli_util import echo_json, json_option

config_group = click.Group("config", help="Thiết lập đang dùng.")


def effective_settings(app) -> list[dict]:
    sources = app.extensions.get("hoctap_setting_sources", {})
    rows = []
    for setting in config_module.SETTINGS:
        value = app.config.get(setting.config_key)
        shown = setting.mask(value) if setting.mask else value
        rows.append(
            {
                "name": setting.name,
                "value": shown,
                "source": sources.get(setting.name, "app"),
                "meaning": setting.meaning,
            }
        )
    return rows


@config_group.command("show")
@json_option
@with_appcontext
def show_command(as_json):
    """In các thiết lập đang có hiệu lực (bí mật được che) và nguồn của từng thiết lập."""
    rows = effective_settings(current_app)
    config_file = os.environ.get(config_module.CONFIG_FILE_VARIABLE) or None
    if as_json:
        echo_json({"config_file": config_file, "settings": rows})
        return
    click.echo(f"Tệp cấu hình ({config_module.CONFIG_FILE_VARIABLE}): {config_file or 'không có'}")
    width = max(len(row["name"]) for row in rows)
    for row in rows:
        value = row["value"]
        if isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in value.items())
        click.echo(f"{row['name']:<{width}}  {value}  [{row['source']}]")


# --- serve ----------------------------------------------------------------------------------

#: How long children get to stop after SIGTERM before they are killed.
STOP_TIMEOUT = 20


def _wait_for_port(host: str, port: int, proc: subprocess.Popen, timeout: float, stopping) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not stopping:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop(children: dict[str, subprocess.Popen]) -> None:
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Địa chỉ lắng nghe.")
@click.option("--port", type=click.IntRange(1, 65535), help="Cổng (mặc định PORT, 5000).")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Số tiến trình gunicorn.")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Số luồng mỗi tiến trình.")
@click.option("--no-worker", is_flag=True, help="Không chạy `hoctap worker` kèm theo.")
@with_appcontext
def serve_command(host, port, workers, threads, no_worker):
    """Phục vụ bằng gunicorn và chạy `hoctap worker` kèm theo; Ctrl+C dừng cả hai."""
    from ..accounts.demo import demo_logins
    from .mail import where_mail_goes

    app = current_app._get_current_object()
    port = port or app.config["PORT"]
    logins = demo_logins(Path(app.config["HOCTAP_CONTENT_DIR"]))
    db.session.remove()
    db.engine.dispose()
    if workers > 1 and app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        click.echo(
            "Cảnh báo: nhiều tiến trình mà không có HOCTAP_REDIS_URL thì giới hạn đăng nhập "
            "được đếm riêng trong từng tiến trình.",
            err=True,
        )
    web = [
        sys.executable, "-m", "gunicorn",
        "-c", "python:hoctap_learn.core.gunicorn_conf",
        "--bind", f"{host}:{port}", "--workers", str(workers), "--threads", str(threads),
        "hoctap_learn:create_app()",
    ]  # fmt: skip
    children: dict[str, subprocess.Popen] = {}
    stopping: list[int] = []

    def on_signal(signum, _frame):
        stopping.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        children["web"] = subprocess.Popen(web)
        if not no_worker:
            children["worker"] = subprocess.Popen([sys.executable, "-m", "hoctap_learn", "worker"])
        shown_host = "[::1]" if host == "::1" else host
        if _wait_for_port(host, port, children["web"], 120, stopping):
            click.echo(f"Phục vụ tại http://{shown_host}:{port}  (Ctrl+C để dừng)")
            click.echo(f"  {where_mail_goes(app)}")
            for role, email, password in logins:
                click.echo(f"  Tài khoản demo ({role}): {email} / {password}")
        while not stopping:
            dead = [(name, p.returncode) for name, p in children.items() if p.poll() is not None]
            if dead:
                name, returncode = dead[0]
                click.echo(f"Tiến trình {name} đã dừng (mã {returncode}); dừng tất cả.", err=True)
                code = 1
                break
            time.sleep(0.2)
    finally:
        _stop(children)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if stopping:
        click.echo("Đã dừng.")
    sys.exit(code)
