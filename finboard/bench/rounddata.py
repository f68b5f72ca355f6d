"""The data of one round of ``flask bench run``: the seeded database, bearer tokens, resets, SQL counts.

It exists so every backend is measured on the same data: a throwaway database
per data size (migrated, seeded, its facts read), one bearer token per
connection from a server of its own, writes undone and the benchmark's Redis
database emptied between cells, and the SQL per request counted by PostgreSQL
in the first round.
"""

from __future__ import annotations

import secrets
import time
from contextlib import ExitStack, suppress

import psycopg
from sqlalchemy.engine import make_url

from finboard.bench import database
from finboard.bench.client import login_sessions, login_tokens
from finboard.bench.plan import PENDING, server_env
from finboard.bench.scenarios import SCENARIOS, write_tokens
from finboard.bench.sqlcount import SqlCounter, count_scenarios
from finboard.bench.target import TARGET
from finboard.serving import BackendStartError, start_backend


class RoundData:
    """The round's database, tokens, cache and SQL counts (mixed into BenchRun)."""

    def _prepare_data(self, cleanup: ExitStack, size: int) -> str | None:
        if self.o.target:
            return None
        if self.o.database:
            url = database.check_postgres_url(self.o.database)
        else:
            url = cleanup.enter_context(database.throwaway_database(self.admin))
        database.migrate(url)
        seed_started = time.monotonic()
        self.seeded = database.seed_if_empty(url, size)
        self.seed_s = round(time.monotonic() - seed_started, 1)
        self.facts = database.read_facts(url)
        dbname = make_url(url).database or ""
        self.counter = SqlCounter(database.libpq_dsn(url), database.admin_dsn_for(url), dbname, self.o.sql_flush)
        self.sql_method = self.counter.method
        return url

    def _env(self, cache: str) -> dict[str, str]:
        return server_env(self.url, self.secret, self.o.pool_size, cache, self.o.redis_url)

    @property
    def secret(self) -> str:
        if not hasattr(self, "_secret"):
            self._secret = secrets.token_urlsafe(32)
        return self._secret

    def _obtain_tokens(self) -> None:
        """One bearer token per connection, before any backend is measured (logins are argon2: heavy).

        They come from a server of their own (the first backend that starts), so
        no measured server has done a thousand logins more than the others;
        tokens are JWTs signed with the run's SECRET_KEY, valid on every backend.
        """
        needs = [k for k in self.cells if k.size == self.size and SCENARIOS[k.scenario].needs_tokens]
        if not needs:
            return
        count = max(self.o.concurrency)
        self.progress.phase(f"Logging in {count} seeded users (one bearer token per connection)…")
        problems = []
        for name in [TARGET] if self.o.target else self.names():
            try:
                if name == TARGET:
                    self.tokens = login_tokens(self.o.target, self.facts.usernames, count)
                elif not self.backends[name].missing_dependencies():
                    env = self._env("off")
                    backend, cwd = self.backends[name], self.trees.get(name)
                    with start_backend(backend, env=env, workers=self.o.workers, cwd=cwd) as server:
                        self.tokens = login_tokens(server.base_url, self.facts.usernames, count)
                break
            except (BackendStartError, RuntimeError, OSError, ValueError, KeyError) as exc:
                problems.append(f"{name}: {str(exc).splitlines()[0]}")
        if self.tokens:
            self.tokens_file = write_tokens(self.tmp / "tokens.lua", self.tokens)
            return
        reason = "no bearer tokens for the write scenarios: " + ("; ".join(problems) or "no backend could start")
        self.progress.message(reason)
        for key in needs:
            if self.cells[key]["status"] == PENDING:
                self.cells[key].update(status="skipped", reason=reason)

    def _obtain_sessions(self) -> None:
        """One forum session cookie per connection for the logged-in page scenarios, logged in through the form.

        Like the bearer tokens, from a server of its own (the first backend serving pages): the
        sessions are rows of ``user_sessions`` in the round's database and the cookie is signed
        with the run's SECRET_KEY, so each is valid on every backend serving pages.
        """
        needs = [k for k in self.cells if k.size == self.size and SCENARIOS[k.scenario].needs_session]
        if not needs:
            return
        count = max(self.o.concurrency)
        self.progress.phase(f"Logging in {count} seeded members through the login form (one session per connection)…")
        problems = []
        paged = [n for n in self.names() if self.backends[n].pages] if not self.o.target else [TARGET]
        for name in paged:
            try:
                if name == TARGET:
                    self.sessions = login_sessions(self.o.target, self.facts.usernames, count)
                elif not self.backends[name].missing_dependencies():
                    backend, cwd = self.backends[name], self.trees.get(name)
                    with start_backend(backend, env=self._env("off"), workers=self.o.workers, cwd=cwd) as server:
                        self.sessions = login_sessions(server.base_url, self.facts.usernames, count)
                break
            except (BackendStartError, RuntimeError, OSError, ValueError, KeyError) as exc:
                problems.append(f"{name}: {str(exc).splitlines()[0]}")
        if self.sessions:
            self.sessions_file = write_tokens(self.tmp / "sessions.lua", [s.cookie for s in self.sessions])
            self.session_file = write_tokens(self.tmp / "session-1.lua", [self.sessions[0].cookie])
            return
        reason = "no member sessions for the logged-in pages: " + ("; ".join(problems) or "no backend serves pages")
        self.progress.message(reason)
        for key in needs:
            if self.cells[key]["status"] == PENDING:
                self.cells[key].update(status="skipped", reason=reason)

    def _dbname(self) -> str | None:
        return (make_url(self.url).database or None) if self.url else None

    def _local_db(self) -> bool:
        return bool(self.url) and database.is_local(self.url)

    def _reset(self) -> None:
        if self.o.target:
            return
        database.reset_writes(self.url, self.facts.max_ids)
        self._flush_cache()

    def _redis_ok(self) -> bool:
        try:
            import redis

            return bool(redis.Redis.from_url(self.o.redis_url, socket_connect_timeout=2).ping())
        except Exception:  # noqa: BLE001 - any failure means "no cache-on pass"
            return False

    def _flush_cache(self) -> None:
        """Empty the benchmark's own Redis database (cached reads, rate-limit counters)."""
        if "on" not in self.o.cache_modes:
            return
        with suppress(Exception):
            import redis

            redis.Redis.from_url(self.o.redis_url, socket_connect_timeout=2).flushdb()

    def _count_sql(self, name: str, cache: str, base_url: str, scenarios) -> None:
        ordered = sorted(scenarios, key=lambda s: SCENARIOS[s].writes)  # writes last: one reset at the end
        self.progress.phase(f"{name} (cache {cache}) · counting SQL per request for {len(ordered)} scenarios")
        try:
            counts = count_scenarios(
                self.counter,
                base_url,
                {s: self._requests(s)[1] for s in ordered},
                size=self.o.sql_requests,
                token=self.tokens[0] if self.tokens else None,
                cookie=self.sessions[0].cookie if self.sessions else None,
                server_pid=self.active.process.pid,
                tick=self.progress.draw,
            )
        except (OSError, RuntimeError, psycopg.Error) as exc:
            self.progress.message(f"SQL count for {name} failed: {exc}")
            return
        finally:
            if any(SCENARIOS[s].writes for s in ordered):
                self._reset()
        for scenario, record in counts.items():
            self.sql[(self.size, name, cache, scenario)] = record
