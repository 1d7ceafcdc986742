"""deploy/: each file is checked as far as this machine allows.

- systemd units: parsed, `systemd-analyze verify` on a copy whose /opt/hoctap/venv paths point
  at this venv, and every command they run exists (gunicorn checks the app with the unit's own
  arguments, `hoctap` subcommands answer --help);
- the environment example: every key is a setting and every value parses;
- nginx: Debian's nginx checks the site (`nginx -t`), then serves /static and proxies to a real
  gunicorn on loopback with the unit's headers;
- PostgreSQL: every parameter is known to the server (`postgres --describe-config`);
- Redis: redis-server starts with the snippet and answers with its values.
"""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from hoctap_learn import config as config_module
from tests.pgcluster import find_bindir, free_port
from tests.redisserver import find_redis_server

from .conftest import BIN, REPO, base_env, gunicorn

DEPLOY = REPO / "deploy"
VENV_IN_UNITS = "/opt/hoctap/venv/bin"
NGINX = "/usr/sbin/nginx"
UNITS = ["hoctap-web.service", "hoctap-worker.service"]


def read_unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text())
    return parser


def unit_commands(unit: configparser.ConfigParser) -> list[list[str]]:
    service = unit["Service"]
    return [shlex.split(service[key]) for key in ("ExecStartPre", "ExecStart", "ExecReload")
            if key in service]  # fmt: skip


def local(path: str) -> str:
    return path.replace(VENV_IN_UNITS, str(BIN))


@pytest.mark.parametrize("name", UNITS)
def test_systemd_units_parse_and_verify(name, tmp_path):
    unit = read_unit(name)
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    service = unit["Service"]
    assert service["EnvironmentFile"] == "/etc/hoctap/hoctap.env"
    assert service["User"] == "hoctap" and service["Restart"] == "on-failure"
    for command in unit_commands(unit):
        binary = local(command[0])
        assert os.access(binary, os.X_OK), f"{command[0]} ({binary}) is not installed"
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed; the unit was parsed with configparser")
    copy = tmp_path / name
    copy.write_text((DEPLOY / name).read_text().replace(VENV_IN_UNITS, str(BIN)))
    result = subprocess.run(["systemd-analyze", "verify", str(copy)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_web_unit_commands_run(instance, tmp_path):
    env = base_env(**instance)
    unit = read_unit("hoctap-web.service")
    pre, start, _reload = unit_commands(unit)
    assert pre[1:] == ["db", "upgrade"]
    upgrade = subprocess.run([local(pre[0]), *pre[1:]], env=env, capture_output=True, text=True)
    assert upgrade.returncode == 0, upgrade.stderr
    # gunicorn loads the app with exactly the unit's arguments and checks its configuration
    check = subprocess.run([local(start[0]), "--check-config", *start[1:]], env=env,
                           capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert check.returncode == 0, check.stderr


def test_worker_unit_command_exists():
    import importlib.util

    command = unit_commands(read_unit("hoctap-worker.service"))[0]
    assert command[1:] == ["worker"]
    if importlib.util.find_spec("hoctap_learn.jobs") is None:
        pytest.skip("`hoctap worker` comes with hoctap_learn/jobs (another branch, merged later)")
    result = subprocess.run([local(command[0]), "worker", "--help"], env=base_env(),
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_environment_example_holds_only_settings_that_parse(tmp_path):
    values = {}
    for line in (DEPLOY / "hoctap.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, line
            values[key] = value
    known = set(config_module.BY_NAME) | {config_module.CONFIG_FILE_VARIABLE}
    assert set(values) <= known, set(values) - known
    assert {"DATABASE_URL", "SECRET_KEY", "HOCTAP_REDIS_URL"} <= set(values)
    resolved = {r.setting.name: r for r in config_module.resolve(tmp_path, values)}
    assert all(resolved[name].source == "env" for name in values)
    assert resolved["HOCTAP_RATELIMIT_STORAGE_URI"].value == values["HOCTAP_REDIS_URL"]
    # one nginx in front (deploy/nginx/hoctap.conf): limits count the address it forwards
    assert resolved["HOCTAP_TRUSTED_PROXIES"].value == 1


def _nginx_wrapper(tmp_path: Path, site: str) -> Path:
    (tmp_path / "logs").mkdir(exist_ok=True)
    (tmp_path / "site.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    wrapper = tmp_path / "nginx.conf"
    wrapper.write_text(
        f"{user}pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\n"
        "worker_processes 1;\nevents {}\n"
        f"http {{\n  access_log off;\n  include /etc/nginx/mime.types;\n"
        f"  include {tmp_path}/site.conf;\n}}\n"
    )
    return wrapper


def test_nginx_site_parses_and_serves_static_and_proxies(instance, tmp_path):
    if not os.path.exists(NGINX):
        pytest.fail("nginx is missing: run `make system-deps`")
    site = (DEPLOY / "nginx" / "hoctap.conf").read_text()
    assert "client_max_body_size 64m;" in site
    from hoctap_learn.config import DEFAULTS

    assert DEFAULTS["MAX_CONTENT_LENGTH"] == 64 * 1024 * 1024
    wrapper = _nginx_wrapper(tmp_path, site)
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(wrapper)],
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 0, result.stderr

    # now serve: the same site on a free loopback port, in front of a real gunicorn
    static = REPO / "hoctap_learn" / "static"
    port = free_port()
    with gunicorn(base_env(**instance), tmp_path / "web.log") as upstream:
        local_site = (
            site.replace("listen 80;", f"listen 127.0.0.1:{port};")
            .replace("listen [::]:80;", "")
            .replace("server 127.0.0.1:8000;", f"server {upstream.removeprefix('http://')};")
            .replace("alias /opt/hoctap/static/;", f"alias {static}/;")
        )
        wrapper = _nginx_wrapper(tmp_path, local_site)
        proc = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(wrapper),
                                 "-g", "daemon off;"], stderr=subprocess.PIPE)  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            page = _get_when_up(base + "/", proc)
            assert "gunicorn" not in page.headers.get("Server", "")
            body = page.read().decode()
            page.close()
            assert "Tuần lễ" in body
            request_id = page.headers["X-Request-ID"]
            assert len(request_id) == 32  # nginx's $request_id reached the app and came back
            href = body.split('href="/static/css/app.css?v=', 1)[1].split('"', 1)[0]
            with urllib.request.urlopen(f"{base}/static/css/app.css?v={href}") as response:
                assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
                assert response.read() == (static / "css" / "app.css").read_bytes()
            with urllib.request.urlopen(f"{base}/static/css/app.css") as response:
                assert response.headers["Cache-Control"] == "public, max-age=300"
            with urllib.request.urlopen(f"{base}/healthz") as response:
                assert response.status == 200
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            proc.stderr.close()
    log = (tmp_path / "web.log").read_text()
    assert request_id in log  # the app logged the request under nginx's id


def _get_when_up(url: str, proc: subprocess.Popen):
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise AssertionError(f"nginx exited: {proc.stderr.read().decode()}")
        try:
            return urllib.request.urlopen(url, timeout=5)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_postgresql_snippet_names_only_known_parameters():
    bindir = find_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries not found: run `make system-deps`")
    command = [str(bindir / "postgres"), "--describe-config"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    described = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    known = {line.split("\t", 1)[0].lower() for line in described.splitlines()}
    names = []
    for line in (DEPLOY / "postgresql.conf").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, value = line.partition("=")
            assert sep and value.strip(), line
            names.append(name.strip().lower())  # parameter names ignore case
    assert names and set(names) <= known, set(names) - known


def test_redis_snippet_starts_a_server_with_its_values(tmp_path):
    binary = find_redis_server()
    if binary is None:
        pytest.fail("redis-server not found: run `make system-deps`")
    import redis

    port = free_port()
    # the snippet as given, then the test's own port and folder (loopback only)
    proc = subprocess.Popen(
        [binary, str(DEPLOY / "redis.conf"), "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(tmp_path), "--daemonize", "no"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read().decode())
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("maxmemory") == {"maxmemory": str(256 * 1024**2)}
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()
