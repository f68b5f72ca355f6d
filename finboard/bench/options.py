"""The settings of one ``flask bench run``, and the ``--quick`` profile.

It exists so the runner takes one plain object (easy to build in tests) and
the CLI's defaults and the quick profile are written down in one place.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

# The default run must give every table within 20 minutes on a 2-core machine (finboard.bench.budget): one
# concurrency level (the targets' 64: past it a 2-core server only queues), the scenarios the tables and targets
# need (list, detail, search and deep against the ceiling; create for the writes; pages for the forum — not
# login: argon2 by design, the same for every framework, and the slowest to drain), no warm-up (the verification
# requests, every scenario's, prime each server as in --quick), 50-request SQL counts, and cells as long as the
# budget allows (--duration auto). --scenarios all and
# --concurrency 100,500,1000 (the seed's) remain for long runs.
DEFAULT_CONCURRENCY = (64,)
DEFAULT_SCENARIOS = ("list", "detail", "search", "deep", "create", "pages")
DEFAULT_DURATION_S = None  # None: auto, the longest cells that fit the budget
DEFAULT_WARMUP_S = 0
# The primer: before round 1 of each cache mode, every backend × scenario runs once for this long at the highest
# concurrency, unmeasured (results file: primer[]), so round 1 does not pay for cold servers and caches
# (PostgreSQL's buffers, each framework's lazy set-up, the pools' connections). 2 s keeps the default run within
# its 20 minutes (finboard.bench.budget); the A/A control of a run without it was 1.07 [0.95-1.23].
DEFAULT_PRIMER_S = 2
DEFAULT_DATA_SIZE = 10_000
DATA_SIZE_MAX = 5_000_000
DEFAULT_TIMEOUT_S = 10
# Interleaved rounds: every backend once per round, the order balanced (Latin square); medians with 95 % CIs.
DEFAULT_REPEAT = 5
DEFAULT_POOL_SIZE = 5
DEFAULT_SQL_REQUESTS = 50  # per backend and scenario, one at a time: the counts are per request
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"
# With --cache both, the cache-on pass measures what the issue asks: hit vs miss for list and detail.
CACHE_IMPACT_SCENARIOS = ("list", "detail")
# Generous limits so login throughput is measurable (the report says so).
RAISED_LIMIT = "1000000/second"

# --quick: within a minute (finboard.bench.budget) — one idiomatic backend per framework and the ceiling (the
# question in brief: which framework, against what it could reach; the 8-backend matrix takes ~90 s even so), the
# two hottest reads (list and detail), one concurrency level, one-second cells (wrk's shortest), no per-scenario
# warm-up and no primer pass (the verification requests prime the servers), one size of 1000 posts, one round, no
# A/A copy (one round gives it no CI), cache off, 10-request SQL counts that end the server's database sessions
# instead of waiting 10 s for PostgreSQL's counters.
QUICK = {
    "backends": ("flask-orm", "fastapi-orm", "django-orm", "wsgi-raw"),
    "scenarios": ("list", "detail"),
    "concurrency": (16,),
    "duration_s": 1,
    "warmup_s": 0,
    "primer_s": 0,
    "repeat": 1,
    "aa": "none",
    "data_size": (1000,),
    "cache": "off",
    "sql_requests": 10,
    "sql_flush": "end",
}

# flask bench profile (finboard.bench.profile_run): the -sql adapters and both ceilings, on the list and detail.
PROFILE_BACKENDS = ("flask-sql", "django-sql", "fastapi-sql", "wsgi-raw", "asgi-raw")
PROFILE_SCENARIOS = ("list", "detail")


def _paged(scenario: str) -> bool:
    """A page scenario divided by /hello, or the /hello yardstick itself."""
    from finboard.bench.scenarios import SCENARIOS

    found = SCENARIOS.get(scenario)
    return found is not None and (found.per_hello or found.yardstick)


def with_yardstick(backends: list[str], scenarios: list[str]) -> tuple[list[str], list[str]]:
    """The backends and scenarios with the /hello yardstick added where the page scenarios need it.

    A page scenario's row is divided by the ``hello`` backend's req/s in the same run (issue 19),
    so a run with page scenarios and a backend serving pages gets ``hello`` too; and ``hello``
    gets its one scenario. A run against ``--target`` (no backends) has no yardstick.
    """
    from finboard.bench.scenarios import SCENARIOS
    from finboard.registry import HELLO, get

    def serves_pages(name: str) -> bool:
        try:
            return get(name.split("@")[0]).pages
        except KeyError:
            return False

    paged = any(SCENARIOS[s].per_hello for s in scenarios if s in SCENARIOS)
    if paged and HELLO.name not in backends and any(serves_pages(n) for n in backends):
        backends = [*backends, HELLO.name]
    if HELLO.name in backends and not any(SCENARIOS[s].yardstick for s in scenarios if s in SCENARIOS):
        scenarios = [*scenarios, "hello"]
    return backends, scenarios


def cores() -> int:
    return os.cpu_count() or 1


@dataclass
class RunOptions:
    backends: list[str]
    scenarios: list[str]
    concurrency: list[int] = field(default_factory=lambda: list(DEFAULT_CONCURRENCY))
    duration_s: int | None = DEFAULT_DURATION_S  # None: auto (finboard.bench.budget.fit_duration)
    warmup_s: int = DEFAULT_WARMUP_S
    primer_s: int = DEFAULT_PRIMER_S  # 0: no primer pass
    repeat: int = DEFAULT_REPEAT
    workers: int = field(default_factory=cores)
    threads: int = field(default_factory=cores)
    cache: str = "both"  # off | on | both
    database: str | None = None
    # Posts to seed, one round per size (smallest first): seed, then every backend × scenario.
    data_size: list[int] = field(default_factory=lambda: [DEFAULT_DATA_SIZE])
    target: str | None = None
    quick: bool = False
    out: Path = Path("bench-results")
    timeout_s: int = DEFAULT_TIMEOUT_S
    pool_size: int = DEFAULT_POOL_SIZE
    sql_requests: int = DEFAULT_SQL_REQUESTS
    sql_flush: str = "end"  # how the SQL counter makes PostgreSQL publish its counters (finboard.bench.sqlcount)
    redis_url: str = DEFAULT_REDIS_URL
    command: str = ""
    # The A/A control: this backend also runs as NAME~aa ("auto": the first framework backend; "none": no control).
    aa: str | None = "auto"
    # The HTTP server of every backend: "default" (each framework's documented one) or "granian".
    server: str = "default"
    # A git revision whose backends run beside the working tree's (NAME@REV), interleaved: after ÷ before.
    baseline: str | None = None
    # Open-loop cells (--rate): offered requests/s, each run once per backend × scenario in the first round.
    rate: list[float] = field(default_factory=list)
    rate_connections: int = 64

    def __post_init__(self) -> None:
        sizes = [self.data_size] if isinstance(self.data_size, int) else list(self.data_size)
        self.data_size = sorted(set(sizes))
        self.backends, self.scenarios = with_yardstick(list(self.backends), list(self.scenarios))

    @property
    def sizes(self) -> list[int]:
        """The data sizes in run order (smallest first)."""
        return list(self.data_size)

    @property
    def cache_modes(self) -> list[str]:
        if self.target:  # a running deployment caches (or not) as it was deployed
            return ["deployed"]
        return ["off", "on"] if self.cache == "both" else [self.cache]

    def scenarios_for_cache(self, cache: str) -> list[str]:
        """With ``--cache both`` the cache-on pass runs list and detail, and every page scenario with its
        yardstick: a cached visitor page ÷ /hello is issue 19's first target."""
        if self.cache == "both" and cache == "on":
            return [s for s in self.scenarios if s in CACHE_IMPACT_SCENARIOS or _paged(s)]
        return list(self.scenarios)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["out"] = str(self.out)
        data.pop("command", None)
        if data.get("database"):
            from sqlalchemy.engine import make_url

            data["database"] = make_url(data["database"]).render_as_string(hide_password=True)
        return data
