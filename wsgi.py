"""WSGI entry point: `gunicorn wsgi:app`."""

from hoctap_learn import create_app

app = create_app()
