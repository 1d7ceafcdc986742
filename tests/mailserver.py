"""A real SMTP server on loopback (aiosmtpd) that keeps the messages it receives."""

from __future__ import annotations

import email
import re
import socket
import threading
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest


class Inbox:
    """Messages received by the server, parsed; waits for the next one without sleeping."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._arrived = threading.Condition()

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802 (aiosmtpd hook)
        message = email.message_from_bytes(envelope.original_content, policy=default_policy)
        with self._arrived:
            self.messages.append(message)
            self.recipients.append(list(envelope.rcpt_tos))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 20) -> list[EmailMessage]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_inbox():
    """(inbox, port) of an SMTP server listening on 127.0.0.1 for this test."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), server_hostname="localhost"
    )
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def smtp_config(port: int) -> dict:
    """create_app overrides that send through the loopback server."""
    return {"MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port}


LINK_RE = re.compile(r"https?://[^\s\"<>]+/account/reset\?token=[A-Za-z0-9_.\-]+")


def parts(message: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a message; both must be there."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "plain text and HTML parts expected"
    return text.get_content(), html.get_content()


def reset_link(message: EmailMessage) -> str:
    """The reset link of a message, the same in both parts."""
    text, html = parts(message)
    in_text = LINK_RE.findall(text)
    in_html = {link.replace("&amp;", "&") for link in LINK_RE.findall(html)}
    assert in_text, text
    assert set(in_text) == in_html
    return in_text[0]
