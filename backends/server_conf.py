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
# Long query strings (a 10 kB search) must reach the app, which answers them
# with the shared error shape, instead of gunicorn's own 414 page.
limit_request_line = 0  # gunicorn 27: "0" means its 1 MiB ceiling; 4094-8190 would cut a 10 kB query
# Never take the client address from X-Forwarded-For unless told to: uvicorn
# would otherwise trust it from 127.0.0.1 while gunicorn's sync workers don't,
# and per-IP rate limits would differ between backends.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
