"""gunicorn settings shared by every backend started from the registry.

The same file for Flask, FastAPI and Django so the only differences between
them are the framework and the worker class. Workers, bind and worker class
come from the command line (finboard.registry).
"""

import os

accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "30"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
keepalive = 5
backlog = 2048
