"""``--server granian``: the command lines it builds, and a WSGI and an ASGI backend really served by it.

The end-to-end test starts two servers (bounded: 2 workers, a 60 s start-up
timeout); run it under the bench lock (``flock /tmp/finboard-bench.lock``)
like every test that loads the machine.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import replace

import psutil
import pytest

from finboard.bench import servers
from finboard.bench.plan import server_env
from finboard.bench.resources import CpuAccount, tree
from finboard.registry import Backend, registered
from finboard.serving import start_backend
from tests.databases import postgres_database


def test_interface_comes_from_the_registry_entry_or_its_worker_class():
    wsgi = Backend(name="w", framework="f", app="m:app")
    assert servers.app_interface(wsgi) == "wsgi"
    assert servers.app_interface(replace(wsgi, worker_class="uvicorn_worker.UvicornWorker")) == "asgi"
    assert servers.app_interface(replace(wsgi, interface="asgi")) == "asgi"
    with pytest.raises(servers.ServerError, match="interface 'rsgi'"):
        servers.app_interface(replace(wsgi, interface="rsgi"))


def test_every_registered_backend_has_an_interface_granian_can_serve():
    for backend in registered().values():
        assert servers.app_interface(backend) in servers.INTERFACES


def test_granian_command_line_keeps_workers_bind_and_app():
    backend = Backend(name="api", framework="f", app="pkg.main:app", interface="asgi")
    under = servers.served_by(backend, "granian")
    argv = under.argv("127.0.0.1", 8123, 3)
    assert under.name == "api@granian" and "granian" in under.requires
    assert argv[1:3] == ["-m", "granian"] and argv[-1] == "pkg.main:app"
    flags = dict(zip(argv[3:-1:2], argv[4:-1:2], strict=False))
    assert flags["--interface"] == "asgi" and flags["--workers"] == "3"
    assert (flags["--host"], flags["--port"]) == ("127.0.0.1", "8123")


def test_default_server_leaves_the_backend_and_its_name_alone():
    backend = registered()["flask-orm"]
    assert servers.served_by(backend, "default") is backend
    assert servers.label("flask", "default") == "flask"
    assert servers.describe(backend, "default").startswith("gunicorn")
    assert servers.describe(backend, "granian") == "granian (WSGI)"


def test_unknown_server_is_refused():
    with pytest.raises(servers.ServerError, match="unknown server 'hypercorn'"):
        servers.label("flask", "hypercorn")


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - local test server
        assert response.status == 200
        return json.loads(response.read())


@pytest.mark.postgres
@pytest.mark.parametrize("name", ["flask-orm", "fastapi-orm"])  # one WSGI, one ASGI backend
def test_backend_answers_under_granian_with_its_workers_counted(name, tmp_path):
    backend = servers.served_by(registered()[name], "granian")
    assert not backend.missing_dependencies()
    with postgres_database("finboard_granian") as url:
        env = server_env(url, "s" * 40, 2, "off", "")
        with start_backend(backend, env=env, workers=2, timeout=60, log_dir=tmp_path) as running:
            root = psutil.Process(running.process.pid)
            assert "granian" in " ".join(root.cmdline())
            account = CpuAccount(lambda: tree(running.process.pid))
            account.start()
            for _ in range(20):
                page = _get_json(running.base_url + "/api/v1/posts")
                account.update()
            categories = _get_json(running.base_url + "/api/v1/categories")
            # the process tree holds the two workers granian forked, and the CPU they used is counted
            assert len(tree(running.process.pid)) >= 3
            assert account.seconds is not None and account.seconds > 0
    assert page["items"] == [] and page["total"] == 0
    assert {"items"} <= set(categories) and categories["items"]
