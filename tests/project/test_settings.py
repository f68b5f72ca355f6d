"""The one Settings object: the only reader of the environment, its defaults and
errors, one connection pool per Flask worker, and proxy trust only from
TRUSTED_PROXIES (under a real gunicorn, with either config file)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest

from finboard import settings as settings_module
from finboard.registry import FLASK_ORM as FLASK
from finboard.serving import free_port, start_backend, wait_healthy
from finboard.settings import DEFAULT_SQLITE_PATH, ConfigError, Settings, load_settings
from tests.databases import PG_ADMIN_DSN, postgres_database, sqlite_database

ROOT = Path(__file__).resolve().parents[2]
SECRET = "settings-test-secret-key-with-enough-entropy"


def settings(**env: str) -> Settings:
    return load_settings({"SECRET_KEY": SECRET, **env})


# --- the environment is read in one place ---------------------------------------------

# Modules that hand the environment to a child process (they write it, never read a setting): the
# seed tables' pool probe runs each backend's configuration in a child, under the run's environment.
CHILD_ENV = {"finboard/serving.py", "finboard/bench/wrk.py", "finboard/bench/seedtables.py"}


def _environment_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_only_the_settings_module_reads_the_environment():
    files = [*ROOT.glob("finboard/**/*.py"), *ROOT.glob("backends/**/*.py")]
    files += [ROOT / "cli.py", ROOT / "wsgi.py", ROOT / "gunicorn.conf.py"]
    allowed = {"finboard/settings.py", *CHILD_ENV, "backends/django/wsgi.py"}  # DJANGO_SETTINGS_MODULE
    reads = [hit for f in files if str(f.relative_to(ROOT)) not in allowed for hit in _environment_reads(f)]
    assert reads == []
    # The Django entry point only names its settings module, as Django requires.
    assert 'setdefault("DJANGO_SETTINGS_MODULE"' in (ROOT / "backends/django/wsgi.py").read_text()


# --- README defaults and errors ---------------------------------------------------------


def test_readme_defaults():
    s = load_settings({"SECRET_KEY": SECRET})
    assert s.database_url == f"sqlite:///{DEFAULT_SQLITE_PATH}"
    assert (s.redis_url, s.environment, s.cache_enabled) == (None, "development", True)
    assert (s.token_ttl_seconds, s.db_pool_size) == (3600, 5)
    assert (s.login_limit_per_ip, s.login_limit_per_account, s.register_limit_per_ip) == (
        "20/minute",
        "5/minute",
        "10/hour",
    )
    assert (s.posts_per_hour, s.comments_per_hour) == (20, 60)
    assert (s.new_account_posts_per_hour, s.new_account_comments_per_hour, s.new_account_hours) == (3, 10, 24)
    assert (s.bind, s.workers, s.threads, s.graceful_timeout) == ("127.0.0.1:5000", 1, 4, 30)
    assert (s.trusted_proxies, s.forwarded_allow_ips) == (0, "")
    assert (s.jobs_fanout_chunk, s.jobs_concurrency) == (20_000, 4)
    with_redis = settings(REDIS_URL="redis://127.0.0.1:6379/0")
    assert (with_redis.workers, with_redis.threads) == (os.cpu_count() * 2 + 1, 1)


def test_the_process_environment_is_read_by_pydantic_settings(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("TOKEN_TTL_SECONDS", "60")
    monkeypatch.setenv("REDIS_URL", "")  # empty is unset (the benchmark relies on it)
    monkeypatch.setenv("RAW_POOL_TIMEOUT", "0.5")  # the older spelling of PG_POOL_TIMEOUT
    s = load_settings()
    assert (s.token_ttl_seconds, s.redis_url, s.pg_pool_timeout) == (60, None, 0.5)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TOKEN_TTL_SECONDS", "1h", "valid integer"),
        ("DB_POOL_SIZE", "0", "greater than 0"),
        ("POSTS_PER_HOUR", "-1", "greater than or equal to 0"),
        ("WEB_CONCURRENCY", "many", "valid integer"),
        ("TRUSTED_PROXIES", "yes", "valid integer"),
        ("CACHE_ENABLED", "maybe", "valid boolean"),
        ("LOGIN_LIMIT_PER_IP", "lots", "rate limit"),
        ("DATABASE_URL", "mysql://u:hunter2@db/x", "PostgreSQL or SQLite"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(monkeypatch, name, value, message):
    with pytest.raises(ConfigError, match=name) as raised:
        settings(**{name: value})
    assert message in str(raised.value)
    assert "hunter2" not in str(raised.value)  # URLs may carry a password: never echoed
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_settings()


def test_secret_key_is_required_outside_development():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({"FINBOARD_ENV": "Production"})
    assert load_settings({"FINBOARD_ENV": "production"}, require_secret=False).secret_key == ""


def test_database_url_is_normalised_once_with_its_derived_forms():
    s = settings(DATABASE_URL="postgres://u:p%40ss@db:5433/finboard")
    assert s.database_url == "postgresql+psycopg://u:p%40ss@db:5433/finboard"
    assert s.psycopg_dsn == "postgresql://u:p%40ss@db:5433/finboard"
    assert s.async_database_url() == "postgresql+psycopg_async://u:p%40ss@db:5433/finboard"
    assert s.django_database()["PASSWORD"] == "p@ss"
    with pytest.raises(ConfigError, match="not PostgreSQL"):
        _ = settings(DATABASE_URL="sqlite:///x.db").psycopg_dsn


def test_behind_pgbouncer_every_connection_goes_without_options_and_prepared_statements():
    """DATABASE_PGBOUNCER reaches every psycopg connection the project makes (README, *PgBouncer*);
    the worker moves to DATABASE_DIRECT_URL, where it may LISTEN, or polls without it."""
    from backends.django.settings import database_config
    from finboard.config import flask_config
    from finboard.rawsql.connect import SET_UTC, setup_statements
    from finboard.rawsql.pool import Database

    direct = settings(DATABASE_URL="postgresql://app@db:5432/finboard")
    bounced = settings(
        DATABASE_URL="postgresql://app@pgbouncer:6432/finboard",
        DATABASE_PGBOUNCER="1",
        DATABASE_DIRECT_URL="postgres://app@db:5432/finboard",
    )
    engine_args = flask_config(bounced)["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    assert engine_args == {"prepare_threshold": None}
    assert "options" in flask_config(direct)["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
    django = database_config(bounced)
    assert django["OPTIONS"]["prepare_threshold"] is None and "options" not in django["OPTIONS"]
    assert django["DISABLE_SERVER_SIDE_CURSORS"] is True
    pool = Database.from_settings(bounced).pool_kwargs(check=None)
    assert pool["kwargs"] == {"autocommit": True, "prepare_threshold": None} and pool["configure"] is not None
    assert Database.from_settings(direct).pool_kwargs(check=None)["configure"] is None
    assert setup_statements(True, utc=True) == (SET_UTC,) and setup_statements(False, utc=True) == ()

    worker = bounced.worker_settings()
    assert (worker.database_url, worker.database_pgbouncer, worker.worker_listens) == (
        "postgresql+psycopg://app@db:5432/finboard",
        False,
        True,
    )
    polling = settings(DATABASE_URL="postgresql://app@pgbouncer:6432/finboard", DATABASE_PGBOUNCER="1")
    assert polling.worker_settings() is polling and not polling.worker_listens
    with pytest.raises(ConfigError, match="DATABASE_PGBOUNCER=1 needs a postgresql"):
        settings(DATABASE_PGBOUNCER="1")
    with pytest.raises(ConfigError, match="DATABASE_DIRECT_URL must be PostgreSQL"):
        settings(DATABASE_DIRECT_URL="sqlite:///x.db")


def test_in_process_cache_only_when_gunicorn_runs_one_worker():
    assert settings().in_process_cache(1)  # one worker, no Redis
    assert not settings().in_process_cache(3)  # `--workers 3` included (the server's real count)
    assert not settings().in_process_cache(None)  # not under gunicorn: flask run, the CLI
    assert settings(LOCAL_CACHE="1").in_process_cache(3)  # asked for, whatever the count
    assert not settings(LOCAL_CACHE="0").in_process_cache(1)
    assert not settings(REDIS_URL="redis://127.0.0.1:6379/0", LOCAL_CACHE="1").in_process_cache(1)


def test_flask_config_takes_everything_from_the_settings(monkeypatch):
    from finboard.config import flask_config

    assert flask_config(settings())["CACHE_TYPE"] == "NullCache"
    monkeypatch.setattr(settings_module, "_server_workers", 1)
    assert flask_config(settings())["CACHE_TYPE"] == "SimpleCache"
    assert flask_config(settings(CACHE_ENABLED="0"))["CACHE_TYPE"] == "NullCache"
    monkeypatch.setattr(settings_module, "_server_workers", 2)
    assert flask_config(settings())["CACHE_TYPE"] == "NullCache"
    assert flask_config(settings(TRUSTED_PROXIES="1"))["TRUSTED_PROXIES"] == 1


def test_forwarded_allow_ips_follows_trusted_proxies():
    assert settings().forwarded_allow_ips == ""
    assert settings(TRUSTED_PROXIES="0").forwarded_allow_ips == ""
    assert settings(TRUSTED_PROXIES="2").forwarded_allow_ips == "*"


def test_server_configs_take_their_values_from_the_settings(monkeypatch):
    import runpy

    for name in ("TRUSTED_PROXIES", "WEB_CONCURRENCY", "REDIS_URL", "GUNICORN_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", SECRET)
    monkeypatch.setenv("GRACEFUL_TIMEOUT", "7")
    monkeypatch.delenv("LOCAL_CACHE", raising=False)
    for path in ("gunicorn.conf.py", "backends/server_conf.py"):
        conf = runpy.run_path(str(ROOT / path))
        assert (conf["forwarded_allow_ips"], conf["graceful_timeout"]) == ("", 7), path
        # The worker count reaches the app by a call in each worker, not through the environment.
        monkeypatch.setattr(settings_module, "_server_workers", None)
        conf["post_fork"](type("Arbiter", (), {"cfg": type("Config", (), {"workers": 3})})(), None)
        assert settings_module.server_workers() == 3, path
    assert "LOCAL_CACHE" not in os.environ
    monkeypatch.setenv("TRUSTED_PROXIES", "1")
    for path in ("gunicorn.conf.py", "backends/server_conf.py"):
        assert runpy.run_path(str(ROOT / path))["forwarded_allow_ips"] == "*", path


# --- under a real gunicorn ---------------------------------------------------------------


def _server_env(url: str, **extra: str) -> dict[str, str]:
    drop = ("DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY", "TRUSTED_PROXIES", "LOCAL_CACHE", "GUNICORN_THREADS")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(DATABASE_URL=url, SECRET_KEY=SECRET, FINBOARD_ENV="production", PYTHONPATH=str(ROOT), **extra)
    return env


def _gunicorn_conf_server(url: str, log: Path, *args: str, **extra: str):
    """``gunicorn wsgi:app`` with gunicorn.conf.py, as the README and the Dockerfile run it."""
    port = free_port()
    env = _server_env(url, BIND=f"127.0.0.1:{port}", **extra)
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--config", "gunicorn.conf.py", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/healthz", process, 60)
    except (TimeoutError, RuntimeError):
        process.kill()
        raise RuntimeError(log.read_text()[-3000:]) from None
    return process, f"http://127.0.0.1:{port}"


def _session_cookie_is_secure(base_url: str) -> bool:
    """The login form puts its CSRF token in the session; the cookie is Secure only over HTTPS."""
    answer = httpx.get(base_url + "/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert answer.status_code == 200
    cookie = answer.headers["set-cookie"]
    return "Secure" in cookie


@pytest.mark.parametrize("trusted", ["", "1"])
def test_forwarded_proto_is_trusted_only_with_trusted_proxies_gunicorn_conf(tmp_path, trusted):
    with sqlite_database(tmp_path) as url:
        process, base_url = _gunicorn_conf_server(url, tmp_path / "gunicorn.log", TRUSTED_PROXIES=trusted)
        try:
            assert _session_cookie_is_secure(base_url) is bool(trusted)
        finally:
            process.terminate()
            process.wait(15)


@pytest.mark.parametrize("trusted", ["", "1"])
def test_forwarded_proto_is_trusted_only_with_trusted_proxies_registry(tmp_path, trusted):
    """The registry's command line (backends/server_conf.py), as the benchmark and conformance run it."""
    with sqlite_database(tmp_path) as url:
        env = _server_env(url, TRUSTED_PROXIES=trusted)
        with start_backend(FLASK, env=env, workers=1, log_dir=tmp_path, timeout=60) as server:
            assert _session_cookie_is_secure(server.base_url) is bool(trusted)


@pytest.mark.parametrize(("workers", "cached"), [("1", True), ("2", False)])
def test_without_redis_only_a_single_worker_caches_in_process(tmp_path, workers, cached):
    """gunicorn's real worker count decides (``--workers 2`` on the command line included)."""
    import sqlite3

    with sqlite_database(tmp_path) as url:
        process, base_url = _gunicorn_conf_server(url, tmp_path / "gunicorn.log", "--workers", workers)
        try:

            def counts() -> set[int]:
                return {
                    httpx.get(base_url + "/api/v1/stats/categories").json()["items"][0]["post_count"] for _ in range(4)
                }

            assert counts() == {0}
            with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
                conn.execute("UPDATE category_counters SET post_count = 99")  # behind the app's back
            assert counts() == ({0} if cached else {99})
        finally:
            process.terminate()
            process.wait(15)


def _connections(database: str) -> int:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
            (database,),
        ).fetchone()[0]


def test_a_flask_worker_has_one_connection_pool(tmp_path):
    """One worker, one thread: health check (SQLAlchemy session), a page and API reads
    (the read path) and a login (the ORM) all go through one pool: one connection."""
    with postgres_database("finboard_settings") as url:
        database = url.rsplit("/", 1)[1]
        seeded = subprocess.run(
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "wsgi:app",
                "seed",
                "--users",
                "2",
                "--posts",
                "3",
                "--comments",
                "5",
            ],
            cwd=ROOT,
            env=_server_env(url),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert seeded.returncode == 0, seeded.stderr
        env = _server_env(url, DB_POOL_SIZE="5", CACHE_ENABLED="0")
        with start_backend(FLASK, env=env, workers=1, log_dir=tmp_path, timeout=60) as server:
            with httpx.Client(base_url=server.base_url) as client:
                assert client.get("/healthz").status_code == 200
                assert client.get("/").status_code == 200
                posts = client.get("/api/v1/posts").json()
                assert client.get(f"/api/v1/posts/{posts['items'][0]['id']}").status_code == 200
                assert client.get("/auth/login").status_code == 200
            assert _connections(database) == 1
