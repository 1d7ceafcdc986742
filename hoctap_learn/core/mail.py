"""Outgoing email: the one module that sends mail (Flask-Mailman).

`HOCTAP_MAIL_BACKEND=file` (the default, used by `make run`) writes every message into
`HOCTAP_MAIL_DIR` (instance/mail/) so a reset can be completed without a mail server;
`smtp` sends through `HOCTAP_MAIL_SERVER`/`_PORT` with `_USE_TLS` or `_USE_SSL` and an
optional login. Every message is plain text plus an HTML alternative, rendered from
`<template>.txt` and `<template>.html`.
"""

from __future__ import annotations

import logging
import smtplib

from flask import current_app, render_template
from flask_mailman import EmailMultiAlternatives, Mail

from .errors import DomainError

logger = logging.getLogger(__name__)

mail = Mail()


class MailNotSent(DomainError):
    """The message could not be handed to the mail server (or written to the folder)."""

    status = 503


def init_app(app) -> None:
    if app.config["MAIL_USE_TLS"] and app.config["MAIL_USE_SSL"]:
        from ..config import ConfigError

        raise ConfigError(
            "HOCTAP_MAIL_USE_TLS và HOCTAP_MAIL_USE_SSL không dùng cùng lúc: chọn STARTTLS "
            "(thường cổng 587) hoặc TLS ngay từ đầu (cổng 465)."
        )
    mail.init_app(app)


def where_mail_goes(app) -> str:
    """A line for people starting the app: where its messages end up."""
    if app.config["MAIL_BACKEND"] == "file":
        return f"Thư gửi đi được ghi vào thư mục {app.config['MAIL_FILE_PATH']}"
    return f"Thư gửi đi qua máy chủ SMTP {app.config['MAIL_SERVER']}:{app.config['MAIL_PORT']}"


def send(to: str, subject: str, template: str, **context) -> None:
    """Send one message to `to`, rendered from `template` + ``.txt`` and ``.html``.
    Raises MailNotSent when the server refuses or cannot be reached."""
    text = render_template(f"{template}.txt", **context)
    html = render_template(f"{template}.html", **context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except (OSError, smtplib.SMTPException) as error:
        # The address is left out of the log; the error says which server step failed.
        logger.error("mail not sent (%s): %s", template, error)
        raise MailNotSent("Không gửi được thư. Vui lòng thử lại sau.") from error
    if current_app.config["MAIL_BACKEND"] == "file":
        logger.warning("mail written to %s", current_app.config["MAIL_FILE_PATH"])
