"""gunicorn settings shared by every backend started from the registry.

The same file for Flask, FastAPI and Django so the only differences between
them are the framework and the worker class. Workers, bind and worker class
come from the command line (finboard.registry); everything else from the shared
settings (finboard.settings), which the apps read too.
"""

from finboard.settings import load_settings, record_server_workers

_settings = load_settings(require_secret=False)  # the apps themselves require SECRET_KEY

accesslog = None
errorlog = "-"
loglevel = _settings.gunicorn_loglevel
graceful_timeout = _settings.graceful_timeout
timeout = _settings.gunicorn_timeout
keepalive = 5
backlog = 2048
# Long query strings (a 10 kB search) must reach the app, which answers them
# with the shared error shape, instead of gunicorn's own 414 page.
limit_request_line = 0  # gunicorn 27: "0" means its 1 MiB ceiling; 4094-8190 would cut a 10 kB query
# Forwarded headers only with TRUSTED_PROXIES (the Flask app's ProxyFix follows
# the same setting): gunicorn takes the scheme from X-Forwarded-Proto and uvicorn
# the client address from X-Forwarded-For only then, so per-IP rate limits and
# HTTPS detection agree between backends.
forwarded_allow_ips = _settings.forwarded_allow_ips


def post_fork(server, worker):
    """Before the worker builds the app: tell it how many workers share the work
    (the in-process cache is only used when it is alone)."""
    record_server_workers(server.cfg.workers)


def when_ready(server):
    """Say once, in the server's log, which index newest-first search reads (RUM or the GIN fallback)."""
    from finboard.rawsql.search_index import log_search_index

    log_search_index(_settings, server.log)
