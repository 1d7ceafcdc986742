"""Job tests: a real OAI-PMH server, and `hoctap worker` as a real subprocess sharing the
test's database and SQLite queue file."""

from __future__ import annotations

import pytest

from hoctap_learn.jobs.queue import jobs_db_path

from ..harvest.conftest import oai_server  # noqa: F401  (the same real OAI-PMH test server)
from .process import LOOPBACK, Worker, spawn_worker


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
