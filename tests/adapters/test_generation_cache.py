"""One generation cache (finboard.core.generation_cache) for Flask, FastAPI and Django.

On one Redis of its own, the three backends compute the same key for the same
read (one backend's cached bytes are another's hit), and a write through any
of them retires every backend's cached reads. A hit is one round trip.
"""

from __future__ import annotations

import asyncio

import pytest
import redis
from sqlalchemy import update

from finboard.core import read_cache_keys
from finboard.core.generation_cache import (
    GENERATION_KEY,
    KEY_PREFIX,
    AsyncGenerationCache,
    GenerationCache,
    LocalStore,
    RedisStore,
    value_key,
)
from finboard.core.models import Post
from finboard.extensions import CACHE_EXTENSION, db
from tests.conftest import TEST_PASSWORD
from tests.services import ThrowawayRedis

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")

P = "/api/v1"


@pytest.fixture(scope="module")
def own_redis():
    """A redis-server of this module's own: the production prefix, nobody else's keys."""
    server = ThrowawayRedis()
    try:
        yield server.url
    finally:
        server.destroy()


@pytest.fixture
def store(own_redis):
    client = redis.Redis.from_url(own_redis)
    client.flushdb()
    return client


def test_sync_and_async_faces_share_keys_values_and_the_generation(own_redis, store):
    sync = GenerationCache.for_redis(own_redis)
    built = []

    def build(text: str):
        built.append(text)
        return text.encode()

    assert sync.get_or_build("post", "7", lambda: build("first")) == b"first"
    assert store.exists(value_key("post", "7")) and store.get(KEY_PREFIX + GENERATION_KEY) is not None

    async def via_async() -> list[bytes]:
        cache = AsyncGenerationCache.for_redis(own_redis)

        async def rebuilt() -> bytes:
            return build("second")

        try:
            hit = await cache.get_or_build("post", "7", rebuilt)  # the sync face's bytes
            await cache.invalidate()
            return [hit, await cache.get_or_build("post", "7", rebuilt)]
        finally:
            await cache.close()

    assert asyncio.run(via_async()) == [b"first", b"second"]
    assert sync.get_or_build("post", "7", lambda: build("third")) == b"second"  # the async face's bytes
    sync.invalidate()
    assert sync.get_or_build("post", "7", lambda: build("fourth")) == b"fourth"
    assert built == ["first", "second", "fourth"]


def test_a_hit_is_one_round_trip(own_redis, store):
    cache = GenerationCache(RedisStore.from_url(own_redis))
    cache.get_or_build("posts", "{}", lambda: b"[]")
    store.config_resetstat()
    assert cache.get_or_build("posts", "{}", lambda: b"rebuilt") == b"[]"
    stats = store.info("commandstats").items()
    commands = {name: s["calls"] for name, s in stats if not name.startswith(("cmdstat_config", "cmdstat_info"))}
    assert commands == {"cmdstat_mget": 1}


def test_the_in_process_store_keeps_the_same_rule():
    cache = GenerationCache(LocalStore(threshold=3))
    assert cache.get_or_build("a", "", lambda: b"1") == b"1"
    assert cache.get_or_build("a", "", lambda: b"2") == b"1"
    cache.invalidate()
    assert cache.get_or_build("a", "", lambda: b"3") == b"3"
    for name in "bcdef":  # over the threshold: older entries go, the generation stays
        cache.get_or_build(name, "", lambda: b"x")
    assert len(cache.store._items) <= 3
    assert cache.get_or_build("f", "", lambda: b"y") == b"x"


def test_an_unreachable_redis_reads_uncached_and_bumps_later():
    cache = GenerationCache.for_redis("redis://127.0.0.1:1/0")
    assert cache.get_or_build("posts", "", lambda: b"from the database") == b"from the database"
    cache.invalidate()  # deferred, never raised
    assert cache._pending_bump


@pytest.mark.parametrize("database_kind", ["postgres"], indirect=True)
def test_flask_fastapi_and_django_share_keys_and_invalidation(app, client, make, own_redis, store, tmp_path):
    """Each backend's cached read is the others' hit; a write through any one retires it in all."""
    import httpx
    from fastapi.testclient import TestClient

    from backends.fastapi.main import create_app
    from finboard.registry import get
    from finboard.serving import start_backend

    # Flask as production configures it on this Redis (the default prefix).
    app.extensions[CACHE_EXTENSION] = GenerationCache.for_redis(own_redis)
    alice = make.user("alice")
    post = make.post(alice, title="Shared $NVDA")
    settings = app.config["FINBOARD_SETTINGS"].replace(
        database_url=app.config["SQLALCHEMY_DATABASE_URI"], redis_url=own_redis, cache_enabled=True
    )
    env = {
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key,
        "FINBOARD_ENV": "testing",
        "CACHE_ENABLED": "1",
        "REDIS_URL": own_redis,
    }
    detail = f"{P}/posts/{post}"

    def rename_behind_the_caches(title: str) -> None:
        with app.app_context():
            db.session.execute(update(Post).where(Post.id == post).values(title=title))
            db.session.commit()

    with (
        TestClient(create_app(settings)) as fastapi,
        start_backend(get("django-orm"), env=env, workers=1, log_dir=tmp_path, timeout=60) as server,
        httpx.Client(base_url=server.base_url, timeout=30) as django,
    ):

        def read_all(first=None) -> list[bytes]:
            """The detail through each backend; ``first`` reads first (on a miss, it builds the bytes)."""
            reads = {
                client: lambda: client.get(detail).data,
                fastapi: lambda: fastapi.get(detail).content,
                django: lambda: django.get(detail).content,
            }
            if first is not None:
                reads[first]()
            return [read() for read in reads.values()]

        def comment(via, body: str) -> None:
            login = via.post(f"{P}/auth/login", json={"username": "alice", "password": TEST_PASSWORD})
            token = login.get_json()["access_token"] if hasattr(login, "get_json") else login.json()["access_token"]
            response = via.post(f"{detail}/comments", json={"body": body}, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 201, response

        # Flask caches the read; FastAPI and Django hit Flask's entry (one key, one value format).
        first = client.get(detail).data
        assert [key.decode() for key in store.scan_iter(f"{KEY_PREFIX}read:post:*")] == [
            value_key(*read_cache_keys.post(post))
        ]
        rename_behind_the_caches("Renamed behind the caches")
        assert read_all() == [first] * 3
        assert len(list(store.scan_iter(f"{KEY_PREFIX}read:*"))) == 1

        # A write through each backend retires the read cached for all three; the
        # writer builds the new bytes, the other two are served them as stored.
        title = "Renamed behind the caches"
        for via, body in ((fastapi, "Via FastAPI"), (django, "Via Django"), (client, "Via Flask")):
            before = read_all()
            assert len(set(before)) == 1
            comment(via, body)
            after = read_all(first=via)
            assert len(set(after)) == 1 and after != before, body
            assert body.encode() in after[0] and title.encode() in after[0]
            title = f"Renamed after {body}"
            rename_behind_the_caches(title)  # hidden again until the next write
            assert read_all() == after
