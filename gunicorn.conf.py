"""gunicorn settings for the Flask forum and API (``gunicorn wsgi:app``).

Without REDIS_URL the cache is in-process, so one worker (with threads)
keeps it coherent; with Redis, WEB_CONCURRENCY workers share it.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:5000")
if os.environ.get("REDIS_URL"):
    workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
    threads = int(os.environ.get("GUNICORN_THREADS", "1"))
else:
    workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
    threads = int(os.environ.get("GUNICORN_THREADS", "4"))
    if workers == 1:
        # One process: its in-process cache is coherent (finboard/config.py).
        os.environ.setdefault("LOCAL_CACHE", "1")
accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = "-"
# Requests in flight get this long to finish after SIGTERM (load balancers
# drain on /healthz turning 503 or the connection closing).
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT", "30"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
keepalive = 5
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# A 10 kB search must reach the app (a proper page), not gunicorn's 414.
limit_request_line = 0  # gunicorn 27: "0" means its 1 MiB ceiling; 4094-8190 would cut a 10 kB query
