"""The WSGI entry point: ``gunicorn backends.django.wsgi:application``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backends.django.settings")

application = get_wsgi_application()
