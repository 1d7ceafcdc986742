"""Job tests: a real OAI-PMH server, and `hoctap worker` as a real subprocess sharing the
test's database and SQLite queue file."""

from __future__ import annotations

import subprocess

import pytest

from hoctap_learn.jobs.queue import jobs_db_path

from ..harvest.servers import MemoryRepository, OaiServer, sample_items, serve_wsgi
from .process import LOOPBACK, Worker, spawn_worker, wait_for


@pytest.fixture(autouse=True)
def harvest_settings(request):
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    app.config.update(
        HOCTAP_HARVEST_TIMEOUT=5,
        HOCTAP_HARVEST_RETRIES=1,
        HOCTAP_HARVEST_MAX_WAIT=1,
        HOCTAP_HARVEST_DEFAULT_WAIT=0.05,
        HOCTAP_HARVEST_ALLOW_HOSTS=LOOPBACK,
    )


@pytest.fixture
def oai_server():
    repository = MemoryRepository(sample_items())
    server = OaiServer(repository)
    url, stop = serve_wsgi(server)
    server.url = url + "/oai"
    repository.base_url = server.url
    yield server
    stop()


@pytest.fixture
def start_worker(app, tmp_path):
    """Start `hoctap worker` in its own process on the test's database and queue file."""
    started: list[Worker] = []

    def start(**settings) -> Worker:
        env = {
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "HOCTAP_JOBS_DB": jobs_db_path(app),
            "HOCTAP_INDEX_DIR": app.config["HOCTAP_INDEX_DIR"],
            "HOCTAP_UPLOAD_DIR": app.config["HOCTAP_UPLOAD_DIR"],
            **settings,
        }
        worker = spawn_worker(env, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """Debian's redis-server on a free loopback port, nothing persisted."""
    import shutil
    import socket

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: run `make system-deps`")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def answers():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    try:
        wait_for(answers, "redis-server to answer", limit=30)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=30)
