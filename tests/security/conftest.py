"""Fixtures of the attack tests, and a tripwire so no test can ever reach beyond loopback."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from hoctap_learn import create_app
from tests.conftest import IsolatedClient

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _loopback_only(address) -> None:
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        host = address[0].split("%", 1)[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            raise AssertionError(f"a test tried to connect to the name {host!r}") from None
        mapped = getattr(ip, "ipv4_mapped", None)
        if not (ip.is_loopback or (mapped is not None and mapped.is_loopback)):
            raise AssertionError(f"a test tried to connect to {host}, beyond loopback")


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fail loudly instead of sending anything to a non-loopback address.

    Not a stand-in for the guard under test: the guard must refuse first, and the tests
    assert its message; this only makes sure a broken guard can never send a packet out.
    """

    def connect(self, address):
        _loopback_only(address)
        return _real_connect(self, address)

    def connect_ex(self, address):
        _loopback_only(address)
        return _real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)



@pytest.fixture
def app_with(database_url, tmp_path):
    """Build another app on the test's database with settings read at start (ProxyFix,
    HSTS); its connections are closed at the end of the test."""
    from hoctap_learn.extensions import db as _db

    made = []

    def build(**config):
        app = create_app(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "INSTANCE_PATH": tmp_path / f"instance{len(made)}",
                "HOCTAP_INDEX_DIR": str(tmp_path / f"index{len(made)}"),
                "SECRET_KEY": "test-secret",
                **config,
            }
        )
        app.test_client_class = IsolatedClient
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
