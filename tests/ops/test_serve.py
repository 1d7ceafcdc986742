"""`hoctap serve` under gunicorn, and the login limits shared through Redis by two gunicorn
processes (and not shared without it)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.pgcluster import free_port

from .conftest import BIN, base_env, gunicorn, stop, wait_until_up
from .webclient import Browser, flush_redis

#: Generous bounds: the machine is shared; they only catch a process that does not stop.
STOP_WITHIN = 30


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "term"])
def test_serve_runs_gunicorn_prints_accounts_and_stops_on_a_signal(instance, tmp_path,
                                                                   stop_signal):
    port = free_port()
    env = base_env(**instance, PORT=port, HOCTAP_LOG_FORMAT="json")
    err_path = tmp_path / "serve.err"
    with open(err_path, "wb") as err:
        proc = subprocess.Popen(
            [str(BIN / "hoctap"), "serve", "--no-worker", "--workers", "2", "--threads", "2"],
            env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=err, text=True,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url, proc)
            with urllib.request.urlopen(url + "/", timeout=10) as response:
                server = response.headers["Server"]
                page = response.read().decode()
                request_id = response.headers["X-Request-ID"]
            assert "gunicorn" in server.lower() and "werkzeug" not in server.lower()
            assert "Tuần lễ" in page
            children = _children(proc.pid)
            assert len(children) >= 1  # the gunicorn master
            proc.send_signal(stop_signal)
            proc.wait(timeout=STOP_WITHIN)
        finally:
            stop(proc)
        out = proc.stdout.read()
        proc.stdout.close()
    assert proc.returncode == 0
    assert f"Phục vụ tại http://127.0.0.1:{port}" in out
    assert "admin@demo.hoctap.vn / HocTap@2022-admin" in out
    assert "thisinh@demo.hoctap.vn" in out and "Đã dừng." in out
    # where mail goes without a mail server (HOCTAP_MAIL_BACKEND=file, the default)
    assert re.search(r"Thư gửi đi được ghi vào thư mục \S+/mail\n", out), out
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or _is_zombie(pid), "a child outlived serve"
    err = err_path.read_text()
    # two workers without Redis: the operator is warned that limits are per process
    assert "HOCTAP_REDIS_URL" in err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    mine = [e for e in lines if e.get("request_id") == request_id]
    assert mine and mine[0]["path"] == "/" and mine[0]["status"] == 200
    assert "Werkzeug" not in err and "development server" not in err


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def test_serve_stops_when_gunicorn_dies(instance, tmp_path):
    port = free_port()
    env = base_env(**instance, PORT=port)
    proc = subprocess.Popen(
        [str(BIN / "hoctap"), "serve", "--no-worker"],
        env=env, cwd=str(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until_up(f"http://127.0.0.1:{port}", proc)
        (master,) = _children(proc.pid)
        subprocess.run(["kill", "-KILL", str(master)], check=True)
        proc.wait(timeout=STOP_WITHIN)
    finally:
        stop(proc)
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.returncode == 1
    assert "Tiến trình web đã dừng" in err


def test_serve_refuses_a_bad_setting_with_a_message(tmp_path):
    env = base_env(HOCTAP_PER_PAGE="nhiều")
    result = subprocess.run(
        [str(BIN / "hoctap"), "serve", "--no-worker"],
        env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "Lỗi cấu hình: HOCTAP_PER_PAGE" in result.stderr


# --- login limits across processes -----------------------------------------------------------


LIMIT = 3


def failures_until_refused(urls: list[str], attempts: int) -> list[int]:
    browser = Browser()
    token = browser.csrf(urls[0])
    return [
        browser.login(urls[n % len(urls)], "thisinh@demo.hoctap.vn", f"sai-{n}", token)
        for n in range(attempts)
    ]


@pytest.mark.parametrize("shared", ["redis", "memory"])
def test_login_limit_holds_across_two_gunicorn_processes(instance, tmp_path, request, shared):
    settings = dict(instance, HOCTAP_LOGIN_LIMIT=f"{LIMIT} per minute")
    if shared == "redis":
        settings["HOCTAP_REDIS_URL"] = request.getfixturevalue("redis_url")
        flush_redis(settings["HOCTAP_REDIS_URL"])
    env = base_env(**settings)
    with (
        gunicorn(env, tmp_path / "a.log") as first,
        gunicorn(env, tmp_path / "b.log") as second,
    ):
        statuses = failures_until_refused([first, second], LIMIT + 2)
    if shared == "redis":
        # failures alternate between the processes and are counted together
        assert statuses == [422] * LIMIT + [429, 429]  # 422: wrong password
    else:
        # each process counts its own: 5 alternating failures = 3 + 2, none refused
        assert statuses == [422] * (LIMIT + 2)


def test_login_limit_redis_url_also_in_config_file(instance, tmp_path, redis_url):
    flush_redis(redis_url)
    toml = tmp_path / "hoctap.toml"
    toml.write_text(f'HOCTAP_REDIS_URL = "{redis_url}"\nHOCTAP_LOGIN_LIMIT = "2 per minute"\n')
    env = base_env(**instance, HOCTAP_CONFIG=toml)
    with (
        gunicorn(env, tmp_path / "a.log") as first,
        gunicorn(env, tmp_path / "b.log") as second,
    ):
        statuses = failures_until_refused([first, second], 3)
    assert statuses == [422, 422, 429]

