"""Fixtures of the in-process conformance suite: the seeded databases and the adapters on them.

``adapter`` is parametrized over flask | fastapi | django and ``seeded_database`` over
SQLite and PostgreSQL, so a test id names the adapter and the database that failed.
Reads share one seeded copy per database (nothing in them writes); every write test
gets fresh copies, so no test depends on another having run.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

from tests.adapters.inprocess import ADAPTERS, BUILDERS, InProcessBackend
from tests.conformance.conftest import seed_conformance_data
from tests.databases import PG_ADMIN_DSN, postgres_database, sqlite_database


@dataclass
class SeededDatabase:
    """A migrated database holding the conformance seed, never opened by an app: copies are."""

    kind: str
    template_url: str
    directory: Path

    def copy(self) -> str:
        """A new database with the template's rows (a file copy, or CREATE DATABASE … TEMPLATE)."""
        if self.kind == "sqlite":
            path = self.directory / f"copy-{uuid.uuid4().hex[:8]}.sqlite3"
            shutil.copyfile(self.template_url.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        name = f"finboard_inproc_{uuid.uuid4().hex[:10]}"
        template = self.template_url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.template_url.rsplit("/", 1)[0] + f"/{name}"

    def drop(self, url: str) -> None:
        if self.kind == "sqlite":
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            return
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded_database(request, tmp_path_factory) -> Iterator[SeededDatabase]:
    directory = tmp_path_factory.mktemp("inprocess")
    if request.param == "sqlite":
        databases = sqlite_database(directory)
    else:
        databases = postgres_database("finboard_inproc_tpl")
    with databases as url:
        seed_conformance_data(url)  # the engine is disposed: a SQLite file is complete on disk
        yield SeededDatabase(request.param, url, directory)


@pytest.fixture(scope="session")
def read_database(seeded_database) -> Iterator[str]:
    """The copy every adapter reads from (the template itself must stay unopened)."""
    url = seeded_database.copy()
    yield url
    seeded_database.drop(url)


@pytest.fixture(scope="session", params=ADAPTERS)
def adapter(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def readers(read_database) -> Iterator[dict[str, InProcessBackend]]:
    """The three adapters on the read copy, built once per database and closed at the end."""
    with ExitStack() as stack:
        yield {name: stack.enter_context(BUILDERS[name](read_database)) for name in ADAPTERS}


@pytest.fixture
def reader(readers, adapter) -> InProcessBackend:
    return readers[adapter]


@pytest.fixture
def reference(readers) -> InProcessBackend:
    """The Flask app: the reference every adapter's bytes are compared with."""
    return readers["flask"]


@pytest.fixture(scope="session")
def seeded_author(read_database) -> str:
    """The username of the author of post 1 (for the author filters of the cases)."""
    engine = create_engine(read_database)
    with engine.connect() as conn:
        name = conn.execute(
            text("SELECT u.username FROM posts p JOIN users u ON u.id = p.author_id WHERE p.id = 1")
        ).scalar_one()
    engine.dispose()
    return name


@pytest.fixture(scope="session")
def cursors(readers) -> dict[str, str]:
    """Cursors as the API issues them: next_cursor of a first page, per sort (from the reference)."""
    found = {}
    for sort in ("new", "old", "comments"):
        page = readers["flask"].request("GET", f"/api/v1/posts?per_page=7&sort={sort}").json()
        found[f"CURSOR_{sort.upper()}"] = page["next_cursor"]
    assert all(found.values()), found
    return found


@pytest.fixture(scope="session")
def member(readers) -> dict[str, str]:
    """A member's bearer header, valid on every adapter (one database, one secret)."""
    account = {"username": "input_ivy", "email": "input_ivy@example.com", "password": "input_ivy-password"}
    flask = readers["flask"]
    assert flask.request("POST", "/api/v1/auth/register", json=account).status_code == 201
    login = flask.request("POST", "/api/v1/auth/login", json={"username": "input_ivy", "password": account["password"]})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@pytest.fixture(scope="session")
def reference_logs() -> dict:
    """Each write script's Flask log, per database kind: run once, compared with every adapter's."""
    return {}


@pytest.fixture
def fresh(seeded_database) -> Iterator:
    """Build an adapter on a database copy of its own: ``fresh("django")``. Copies are dropped after the test."""
    with ExitStack() as stack:

        def build(name: str) -> InProcessBackend:
            url = seeded_database.copy()
            stack.callback(seeded_database.drop, url)
            return stack.enter_context(BUILDERS[name](url))  # closed before its database is dropped

        yield build
