"""Shared plumbing for `hoctap` commands: JSON output and domain errors as exit codes."""

from __future__ import annotations

import json
import sys
from functools import wraps

import click

from ..extensions import db
from .errors import DomainError

json_option = click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")


def echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def transactional(func):
    """Run a command in one transaction: commit on success, roll back and exit 1 on error."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        try:
            result = func(*args, **kwargs)
        except DomainError as error:
            db.session.rollback()
            click.echo(f"Lỗi: {error.message}", err=True)
            sys.exit(1)
        except Exception:
            db.session.rollback()
            raise
        db.session.commit()
        return result

    return wrapper
