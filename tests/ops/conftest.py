"""Fixtures for operations tests: a prepared instance folder and real server processes."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from hoctap_learn import create_app
from hoctap_learn.extensions import db as _db
from tests.pgcluster import free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

#: Cheap password hashing for server processes started by tests (HOCTAP_ARGON2 as env).
CHEAP_ARGON2 = "time_cost=1,memory_cost=1024,parallelism=1"


def base_env(**extra) -> dict:
    """The test process's environment without any HOCTAP_* / database setting of its own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HOCTAP_") and k not in ("DATABASE_URL", "SECRET_KEY", "PORT")
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


@pytest.fixture
def instance(tmp_path, sqlite_template):
    """A migrated SQLite instance with units, campaigns and demo accounts, as env values."""
    from hoctap_learn.core.content import load_content

    folder = tmp_path / "instance"
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "hoctap.db")
    values = {
        "DATABASE_URL": f"sqlite:///{folder / 'hoctap.db'}",
        "HOCTAP_INDEX_DIR": str(folder / "search-index"),
        "HOCTAP_UPLOAD_DIR": str(folder / "uploads"),
        "SECRET_KEY": "ops-test-secret",
        "HOCTAP_ARGON2": CHEAP_ARGON2,
    }
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": folder,
            "SQLALCHEMY_DATABASE_URI": values["DATABASE_URL"],
            "HOCTAP_INDEX_DIR": values["HOCTAP_INDEX_DIR"],
            "HOCTAP_UPLOAD_DIR": values["HOCTAP_UPLOAD_DIR"],
            "SECRET_KEY": values["SECRET_KEY"],
        }
    )
    with app.app_context():
        load_content(
            Path(app.config["HOCTAP_CONTENT_DIR"]),
            include_demo=True,
            skip=("catalog", "demo-contests"),
        )
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()
    return values


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def gunicorn(env: dict, log_path: Path, workers: int = 1, instance: Path | None = None):
    """`gunicorn 'hoctap_learn:create_app()'` with our config module on a free port; its
    output (our request log lines included) goes to `log_path`. `instance`: the app's
    instance folder (default: the checkout's `instance/`), as on a machine of its own."""
    port = free_port()
    # gunicorn calls the factory with literal arguments
    config = f"{{'INSTANCE_PATH': {str(instance)!r}}}" if instance else ""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"), "-c", "python:hoctap_learn.core.gunicorn_conf",
                "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
                f"hoctap_learn:create_app({config})",
            ],
            env=env, cwd=str(REPO), stdout=log, stderr=log,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, proc)
            yield url
        finally:
            stop(proc)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@contextlib.contextmanager
def another_app(config: dict):
    """A second app beside the `app` fixture's, its connections closed afterwards."""
    app = create_app({"TESTING": True, **config})
    try:
        yield app
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
