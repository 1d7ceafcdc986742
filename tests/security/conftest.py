"""Attack tests: a tripwire so no test can ever reach beyond loopback."""

from __future__ import annotations

import ipaddress
import socket

import pytest

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
