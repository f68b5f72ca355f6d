"""The one gunicorn configuration every server of the side-by-side runs with (``-c`` this file).

Why one file: FlaskBB, both FinBoards and the two ``/hello`` yardsticks must differ only in the
app. Two sync workers, one thread each (FinBoard's own gunicorn.conf.py would pick gthread
without Redis), no access log (FinBoard's logs every request by default, FlaskBB's docs none),
the same keep-alive and backlog. The bind address comes from the command line (``-b``).
"""

workers = 2
worker_class = "sync"
threads = 1
keepalive = 5
backlog = 2048
timeout = 60
graceful_timeout = 10
accesslog = None
errorlog = "-"
loglevel = "warning"
