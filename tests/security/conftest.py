"""Fixtures of the attack tests."""

from __future__ import annotations

import pytest

from hoctap_learn import create_app
from tests.conftest import IsolatedClient


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
