"""Harvest fixtures: a real OAI-PMH server on loopback, short waits."""

from __future__ import annotations

import pytest

from .servers import MemoryRepository, OaiServer, sample_items, serve_wsgi


@pytest.fixture(autouse=True)
def short_waits(request):
    """Retries stay real but quick: 1 s timeout, 2 retries, waits of at most 1 s.

    The test servers listen on 127.0.0.1, which the harvest refuses by default: these
    tests allow it explicitly, as an administrator allows an internal repository.
    """
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    app.config.update(
        HOCTAP_HARVEST_ALLOW_HOSTS="127.0.0.1",
        HOCTAP_HARVEST_TIMEOUT=1,
        HOCTAP_HARVEST_RETRIES=2,
        HOCTAP_HARVEST_MAX_WAIT=1,
        HOCTAP_HARVEST_DEFAULT_WAIT=0.05,
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
