"""uvicorn as deployed: the ASGI backends run uvloop and httptools, or refuse to start.

The registry starts FastAPI and asgi-raw under gunicorn with
``backends.asgi_worker.TunedUvicornWorker``; each worker logs the event loop
it is really running in and the HTTP protocol class uvicorn loaded, which is
what is checked here (not the configuration that asked for them). Without
uvloop or httptools the worker module fails to import with a message naming
the missing package and the extra that installs it.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from finboard.registry import ASGI_RAW, ASGI_WORKER, FASTAPI
from finboard.serving import start_backend
from tests.databases import ROOT, postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def database_url():
    with postgres_database("finboard_asgi_worker") as url:
        yield url


@pytest.mark.parametrize("backend", [FASTAPI, ASGI_RAW], ids=lambda backend: backend.name)
def test_workers_serve_on_uvloop_and_httptools(database_url, tmp_path, backend):
    assert backend.worker_class == ASGI_WORKER
    assert {"uvloop event loop", "httptools HTTP parser"} <= set(backend.tuning)
    env = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "asgi-worker-test-secret-0123456789",
        "CACHE_ENABLED": "0",
        "REDIS_URL": "",
        "GUNICORN_LOGLEVEL": "info",
    }
    with start_backend(backend, env=env, workers=1, log_dir=tmp_path, timeout=60) as server:
        health = httpx.get(server.base_url + backend.health_path, timeout=10)
        log = server.log_tail(200)
    assert health.status_code == 200 and health.json() == {"status": "ok", "database": "ok"}
    serving = [line for line in log.splitlines() if "uvicorn worker serving with" in line]
    assert serving, log
    assert "event loop uvloop.Loop" in serving[0], serving[0]
    assert "HTTP protocol uvicorn.protocols.http.httptools_impl.HttpToolsProtocol" in serving[0], serving[0]


@pytest.mark.parametrize("missing", ["uvloop", "httptools"])
def test_the_worker_refuses_to_start_without_the_fast_pair(missing):
    code = f"import sys\nsys.modules[{missing!r}] = None\nimport backends.asgi_worker\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ModuleNotFoundError") and f"{missing} not installed" in last_line, last_line
    assert "pip install -e '.[fastapi]'" in last_line
