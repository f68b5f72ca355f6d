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

from finboard.core import mail_jobs
from tests.adapters.inprocess import ADAPTERS, BUILDERS, InProcessBackend
from tests.conformance.conftest import seed_conformance_data
from tests.databases import PG_ADMIN_DSN, first_post_author, postgres_database, sqlite_database


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
        mail_jobs.wait_idle()  # the copy's account mail (sent after commit, from a thread) is out first
        if self.kind == "sqlite":
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
            return
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


class PerDatabase:
    """What the tests share per database kind, built on first use and closed at the end of the session.

    Not parametrized session fixtures: pytest keeps one instance of those at a time and
    rebuilds it whenever the parameter changes, which a shuffled order does at every test.
    """

    def __init__(self, directory: Path, stack: ExitStack):
        self.directory = directory
        self.stack = stack
        self.databases: dict[str, SeededDatabase] = {}
        self.readers: dict[str, dict[str, InProcessBackend]] = {}
        self.read_urls: dict[str, str] = {}

    def database(self, kind: str) -> SeededDatabase:
        if kind not in self.databases:
            if kind == "sqlite":
                url = self.stack.enter_context(sqlite_database(self.directory))
            else:
                url = self.stack.enter_context(postgres_database("finboard_inproc_tpl"))
            seed_conformance_data(url)  # the engine is disposed: a SQLite file is complete on disk
            self.databases[kind] = SeededDatabase(kind, url, self.directory)
        return self.databases[kind]

    def read_url(self, kind: str) -> str:
        """The copy every adapter reads from (the template itself stays unopened, for copying)."""
        if kind not in self.read_urls:
            database = self.database(kind)
            url = database.copy()
            self.stack.callback(database.drop, url)
            self.read_urls[kind] = url
        return self.read_urls[kind]

    def adapters_reading(self, kind: str) -> dict[str, InProcessBackend]:
        """The three adapters on the read copy (each closed before the copy is dropped)."""
        if kind not in self.readers:
            url = self.read_url(kind)
            self.readers[kind] = {name: self.stack.enter_context(BUILDERS[name](url)) for name in ADAPTERS}
        return self.readers[kind]


@pytest.fixture(scope="session")
def per_database(tmp_path_factory) -> Iterator[PerDatabase]:
    with ExitStack() as stack:
        yield PerDatabase(tmp_path_factory.mktemp("inprocess"), stack)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def seeded_database(request, per_database) -> SeededDatabase:
    return per_database.database(request.param)


@pytest.fixture(params=ADAPTERS)
def adapter(request) -> str:
    return request.param


@pytest.fixture
def readers(per_database, seeded_database) -> dict[str, InProcessBackend]:
    return per_database.adapters_reading(seeded_database.kind)


@pytest.fixture
def reader(readers, adapter) -> InProcessBackend:
    return readers[adapter]


@pytest.fixture
def reference(readers) -> InProcessBackend:
    """The Flask app: the reference every adapter's bytes are compared with."""
    return readers["flask"]


@pytest.fixture(scope="session")
def per_database_values() -> dict:
    """Values read once per database kind (the seeded author, the cursors, the member's token)."""
    return {}


def _once(cache: dict, key: tuple, compute):
    if key not in cache:
        cache[key] = compute()
    return cache[key]


@pytest.fixture
def seeded_author(per_database_values, seeded_database, reference) -> str:
    """The username of the author of post 1 (for the author filters of the cases)."""
    url = reference.database_url
    return _once(per_database_values, ("author", seeded_database.kind), lambda: first_post_author(url))


@pytest.fixture
def cursors(per_database_values, seeded_database, reference) -> dict[str, str]:
    """Cursors as the API issues them: next_cursor of a first page, per sort (from the reference)."""

    def read() -> dict[str, str]:
        found = {}
        for sort in ("new", "old", "comments"):
            page = reference.request("GET", f"/api/v1/posts?per_page=7&sort={sort}").json()
            found[f"CURSOR_{sort.upper()}"] = page["next_cursor"]
        assert all(found.values()), found
        return found

    return _once(per_database_values, ("cursors", seeded_database.kind), read)


@pytest.fixture
def member(per_database_values, seeded_database, reference) -> dict[str, str]:
    """A member's bearer header, valid on every adapter (one database, one secret)."""

    def register() -> dict[str, str]:
        password = "input_ivy-password"
        account = {"username": "input_ivy", "email": "input_ivy@example.com", "password": password}
        assert reference.request("POST", "/api/v1/auth/register", json=account).status_code == 201
        login = reference.request("POST", "/api/v1/auth/login", json={"username": "input_ivy", "password": password})
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    return _once(per_database_values, ("member", seeded_database.kind), register)


@pytest.fixture(scope="session")
def reference_logs() -> dict:
    """Each write script's Flask log, per database kind: run once, compared with every adapter's."""
    return {}


@pytest.fixture
def fresh(seeded_database) -> Iterator:
    """Build an adapter on a database copy of its own: ``fresh("django")``, with settings of its
    own as ``fresh("django", REQUIRE_2FA_FOR_STAFF="1")``. Copies are dropped after the test."""
    with ExitStack() as stack:

        def build(name: str, **environ: str) -> InProcessBackend:
            url = seeded_database.copy()
            stack.callback(seeded_database.drop, url)
            return stack.enter_context(BUILDERS[name](url, **environ))  # closed before its database is dropped

        yield build
