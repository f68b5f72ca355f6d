"""The WSGI entry point: ``gunicorn wsgi:app`` and ``flask <command>`` both use it."""

from finboard.app import create_app

app = create_app()
