"""Two FinBoard instances behind nginx share nothing but PostgreSQL and Redis.

Proves the app servers keep no state of their own: a session made on one is
valid on the other, a write through one is visible at once in the other's
cached listing, and login attempts are counted across both.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from finboard.registry import FLASK_ORM as FLASK
from finboard.serving import free_port, wait_healthy
from tests.reliability.stack import running_stack

NGINX_CONF = """
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    upstream finboard {{
        server 127.0.0.1:{port_a} max_fails=0;
        server 127.0.0.1:{port_b} max_fails=0;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://finboard;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
        }}
    }}
}}
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("nginx is required for the scale-out test: apt-get install -y nginx")
    with running_stack(tmp_path_factory.mktemp("scale-logs"), start_all=False) as stack:
        env = {"TRUSTED_PROXIES": "1", "LOGIN_LIMIT_PER_IP": "100/minute"}
        first = stack.start(FLASK, workers=2, **env)
        stack.servers.pop(FLASK.name)
        second = stack.start(FLASK, workers=2, **env)
        root = Path(tempfile.mkdtemp(prefix="finboard-nginx-"))
        port = free_port()
        conf = root / "nginx.conf"
        conf.write_text(NGINX_CONF.format(root=root, port=port, port_a=first.port, port_b=second.port))
        process = subprocess.Popen([nginx, "-p", str(root), "-c", str(conf), "-g", "daemon off;"])
        try:
            wait_healthy(f"http://127.0.0.1:{port}/healthz", process, 15)
            with psycopg.connect(stack.database_url.replace("+psycopg", "")) as conn:
                users = [r[0] for r in conn.execute("SELECT username FROM users ORDER BY id LIMIT 2")]
            yield {"a": first.base_url, "b": second.base_url, "lb": f"http://127.0.0.1:{port}", "users": users}
        finally:
            process.terminate()
            process.wait(10)
            first.stop()
            second.stop()
            shutil.rmtree(root, ignore_errors=True)


def csrf(client: httpx.Client, path: str) -> str:
    html = client.get(path).text
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return client.post(
        "/auth/login", data={"username": username, "password": password, "csrf_token": csrf(client, "/auth/login")}
    )


def test_session_made_on_one_instance_works_on_the_other(cluster):
    with httpx.Client(base_url=cluster["a"]) as on_a:
        assert login(on_a, cluster["users"][0], "finboard-demo").status_code == 302
        cookies = on_a.cookies
    with httpx.Client(base_url=cluster["b"], cookies=cookies) as on_b:
        page = on_b.get("/")
        assert cluster["users"][0] in page.text and "Log out" in page.text


def test_write_through_one_is_visible_at_once_through_the_other(cluster):
    with httpx.Client(base_url=cluster["b"]) as reader:
        reader.get("/")  # warm the cached listing on instance B
        assert "Scale-out proof" not in reader.get("/").text
        with httpx.Client(base_url=cluster["a"]) as writer:
            login(writer, cluster["users"][0], "finboard-demo")
            title = f"Scale-out proof {time.time_ns()} $SCALE"
            created = writer.post(
                "/posts/new",
                data={
                    "title": title,
                    "body": "Written on A.",
                    "category": "stocks",
                    "csrf_token": csrf(writer, "/posts/new"),
                },
            )
            assert created.status_code == 302
        assert title in reader.get("/").text  # no stale page on B
    with httpx.Client(base_url=cluster["lb"]) as through_nginx:
        for _ in range(4):  # round-robin: both instances answer with the post
            assert title in through_nginx.get("/").text


def test_login_attempts_are_counted_across_instances(cluster):
    statuses = []
    for i in range(6):
        base = cluster["a"] if i % 2 == 0 else cluster["b"]
        with httpx.Client(base_url=base) as client:
            statuses.append(login(client, cluster["users"][1], f"wrong-{i}").status_code)
    assert statuses[:5] == [422] * 5, statuses  # wrong password: the form again
    assert statuses[5] == 429, statuses  # the 6th, whichever instance gets it
    with httpx.Client(base_url=cluster["lb"]) as client:
        assert login(client, cluster["users"][1], "finboard-demo").status_code == 429
