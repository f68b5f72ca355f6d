"""gunicorn settings for the Flask forum and API (``gunicorn wsgi:app``).

Every value comes from the shared settings (finboard.settings), which the
app reads too: without REDIS_URL the cache is in-process, so one worker (with
threads) keeps it coherent; with Redis, WEB_CONCURRENCY workers share it.
"""

from finboard.settings import load_settings, record_server_workers

_settings = load_settings(require_secret=False)  # the app itself requires SECRET_KEY

bind = _settings.bind
workers = _settings.workers
threads = _settings.threads
accesslog = _settings.access_log or None
errorlog = "-"
# Requests in flight get this long to finish after SIGTERM (load balancers
# drain on /healthz turning 503 or the connection closing).
graceful_timeout = _settings.graceful_timeout
timeout = _settings.gunicorn_timeout
keepalive = 5
# X-Forwarded-Proto (and the other forwarded headers) only with TRUSTED_PROXIES,
# like the app's ProxyFix: never from loopback by default.
forwarded_allow_ips = _settings.forwarded_allow_ips
# A 10 kB search must reach the app (a proper page), not gunicorn's 414.
limit_request_line = 0  # gunicorn 27: "0" means its 1 MiB ceiling; 4094-8190 would cut a 10 kB query


def post_fork(server, worker):
    """Before the worker builds the app: tell it how many workers share the work
    (the in-process cache is only used when it is alone)."""
    record_server_workers(server.cfg.workers)


def when_ready(server):
    """Say once, in the server's log, which index newest-first search reads (RUM or the GIN fallback)."""
    from finboard.rawsql.search_index import log_search_index

    log_search_index(_settings, server.log)
