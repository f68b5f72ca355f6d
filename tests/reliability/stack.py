"""Every registered backend on a throwaway PostgreSQL cluster and Redis server.

Reliability tests stop and start these services under the running backends,
so nothing here touches the machine's shared PostgreSQL or Redis.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from finboard.core.seeding import seed
from finboard.registry import Backend, canonical, registered
from finboard.serving import RunningBackend, start_backend
from tests.databases import migrate
from tests.services import ThrowawayPostgres, ThrowawayRedis

SECRET = "reliability-secret-key-0123456789abcdef"


@dataclass
class Stack:
    postgres: ThrowawayPostgres
    redis: ThrowawayRedis
    database_url: str
    log_dir: Path
    servers: dict[str, RunningBackend] = field(default_factory=dict)

    def env(self, **overrides: str) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis.url,
            "SECRET_KEY": SECRET,
            "FINBOARD_ENV": "production",
            "CACHE_ENABLED": "1",
            "DB_POOL_SIZE": "3",
            **overrides,
        }

    def start(self, backend: Backend, workers: int = 2, **env: str) -> RunningBackend:
        server = start_backend(backend, env=self.env(**env), workers=workers, log_dir=self.log_dir, timeout=60)
        self.servers[backend.name] = server
        return server

    def client(self, name: str, timeout: float = 10) -> httpx.Client:
        return httpx.Client(base_url=self.servers[name].base_url, timeout=timeout)


def selected_backends() -> list[Backend]:
    """The forum's API backends, once per framework (read-only ceilings and ``-sql`` twins, whose
    writes are their ``-orm`` twin's code, are not under test here)."""
    only = [canonical(n) for n in os.environ.get("CONFORMANCE_BACKENDS", "").split(",") if n]
    return [
        b for b in registered().values() if not b.read_only and b.data_layer != "sql" and (not only or b.name in only)
    ]


@contextmanager
def running_stack(log_dir: Path, *, posts: int = 40, start_all: bool = True, workers: int = 2):
    postgres = ThrowawayPostgres()
    redis_server = ThrowawayRedis()
    stack = None
    try:
        url = postgres.create_database("finboard")
        migrate(url)
        engine = create_engine(url)
        with Session(engine) as session:
            seed(session, users=8, posts=posts, comments=posts * 2, seed=11)
            session.commit()
        engine.dispose()
        stack = Stack(postgres, redis_server, url, log_dir)
        if start_all:
            for backend in selected_backends():
                stack.start(backend, workers=workers)
        yield stack
    finally:
        if stack:
            for server in stack.servers.values():
                server.stop()
        redis_server.destroy()
        postgres.destroy()
