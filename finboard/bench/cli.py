"""``flask bench``: the benchmark's commands on Flask's CLI (loaded by cli.init_app).

It exists to give the benchmark one front door — backends, serve, run,
report, compare — with options checked up front, so a typo is a clear click
error and not a failure twenty minutes into a run.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path
from urllib.parse import urlsplit

import click

from finboard.bench import options as opts
from finboard.bench import servers
from finboard.bench.scenarios import SCENARIOS, parse_names


class CommaInts(click.ParamType):
    name = "N[,N…]"

    def convert(self, value, param, ctx):
        if isinstance(value, list | tuple):
            return list(value)
        try:
            numbers = [int(part) for part in str(value).split(",") if part.strip()]
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of whole numbers (e.g. 100,500,1000)", param, ctx)
        if not numbers or any(n < 1 for n in numbers):
            self.fail(f"{value!r}: every concurrency must be at least 1", param, ctx)
        if any(n > 20_000 for n in numbers):
            self.fail(f"{value!r}: more than 20000 connections is beyond what one wrk can open here", param, ctx)
        return sorted(set(numbers))


def parse_sizes(text: str, maximum: int = opts.DATA_SIZE_MAX) -> list[int]:
    """``"10000,1000000"`` (also ``10_000``, ``10k``, ``1M``) → sorted distinct sizes; ValueError says why."""
    sizes = []
    for part in str(text).split(","):
        word = part.strip().lower().replace("_", "")
        if not word:
            continue
        factor = {"k": 1_000, "m": 1_000_000}.get(word[-1], 1)
        digits = word[:-1] if factor > 1 else word
        if not digits.isdigit():
            raise ValueError(
                f"{part.strip()!r} is not a number of posts: give a comma-separated list like 10000,1000000 (or 10k,1M)"
            )
        size = int(digits) * factor
        if not 1 <= size <= maximum:
            raise ValueError(f"{part.strip()!r}: every data size must be between 1 and {maximum:,} posts")
        sizes.append(size)
    if not sizes:
        raise ValueError(f"{text!r} names no data size: give a comma-separated list like 10000,1000000")
    return sorted(set(sizes))


class DataSizes(click.ParamType):
    """``--data-size 10000,1000000``: one round (seed, then every backend × scenario) per size."""

    name = "N[,N…]"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            value = [value]
        if isinstance(value, list | tuple):
            value = ",".join(str(v) for v in value)
        try:
            return parse_sizes(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class Seconds(click.ParamType):
    """``60``, ``60s``, ``2m`` → whole seconds (wrk's resolution); with ``auto``, also ``auto`` → None."""

    name = "DURATION"

    def __init__(self, minimum: int = 1, auto: bool = False):
        self.minimum = minimum
        self.auto = auto

    def convert(self, value, param, ctx):
        if value is None or (self.auto and str(value).strip().lower() == "auto"):
            return None
        if isinstance(value, int):
            seconds = value
        else:
            text = str(value).strip().lower()
            factor = 60 if text.endswith("m") else 1
            number = text.rstrip("sm")
            if not number.isdigit():
                like = "60, 60s, 2m or auto" if self.auto else "60, 60s or 2m"
                self.fail(f"{value!r} is not a duration like {like}", param, ctx)
            seconds = int(number) * factor
        if seconds < self.minimum:
            self.fail(f"{value!r}: must be at least {self.minimum}s", param, ctx)
        return seconds


def _rates(ctx, param, value: tuple[str, ...]) -> list[float]:
    from finboard.bench.openloop import parse_rates

    try:
        return parse_rates(",".join(value)) if value else []
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _backends(ctx, param, value: str) -> list[str]:
    """Registered names (old ones such as flask or raw are read as their canonical names)."""
    from finboard.registry import canonical, registered

    known = registered()
    names = [canonical(n.strip()) for n in value.split(",") if n.strip()]
    if not names or names == ["all"]:
        return list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise click.BadParameter(f"unknown backend(s) {', '.join(unknown)}; registered: {', '.join(known)}")
    return list(dict.fromkeys(names))


def _aa(ctx, param, value: str) -> str:
    """The A/A backend's registered name (an old name such as flask is read as flask-orm)."""
    from finboard.registry import canonical

    return canonical(value.strip())


def _scenarios(ctx, param, value: str) -> list[str]:
    try:
        return parse_names(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _target(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{value!r} is not a URL like http://127.0.0.1:8000")
    return value.rstrip("/")


def _baseline(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    from finboard.bench.baseline import BaselineError, resolve

    try:
        resolve(value)
    except BaselineError as exc:
        raise click.BadParameter(str(exc)) from exc
    return value


def _database(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    from finboard.bench.database import DatabaseError, check_postgres_url

    try:
        return check_postgres_url(value)
    except DatabaseError as exc:
        raise click.BadParameter(str(exc)) from exc


@click.group("bench")
def bench() -> None:
    """Benchmark the /api/v1 backends (Flask, FastAPI, Django, plugins) with wrk."""
    from finboard.bench import missing_modules
    from finboard.registry import install_hint

    missing = missing_modules()
    if missing:
        raise click.ClickException(f"flask bench needs {', '.join(missing)} (not installed): {install_hint('bench')}")


@bench.command("backends")
@click.option(
    "--check", is_flag=True, help="Also start each one under its production server (DATABASE_URL), then stop it."
)
def backends_command(check: bool) -> None:
    """List the registered backends and whether each can start (its dependencies import)."""
    from finboard.registry import registered
    from finboard.serving import BackendStartError, start_backend
    from finboard.settings import load_settings

    database_url = load_settings(require_secret=False).database_url
    for backend in registered().values():
        missing = [*backend.missing_dependencies(), *filter(None, [backend.database_problem(database_url)])]
        state = "ready" if not missing else "cannot start: " + "; ".join(missing)
        if check and not missing:
            try:
                env = {"DATABASE_URL": database_url}
                with start_backend(backend, env=env, workers=1, timeout=60) as running:
                    state = f"started under its production server in {running.startup_s:.2f}s"
            except BackendStartError as exc:
                state = "cannot start: " + str(exc).replace("\n", "\n" + " " * 11)
        pages = " + forum pages" if backend.pages else ""
        click.echo(f"{backend.name:<12} {backend.framework}{pages}\n{'':<12} data layer: {backend.data_layer}; {state}")


@bench.command("serve")
@click.argument("name")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 256), default=opts.cores, show_default="number of cores")
@click.option("--server", type=click.Choice(servers.SERVERS), default=servers.DEFAULT, show_default=True)
def serve_command(name: str, port: int, workers: int, server: str) -> None:
    """Run backend NAME under its production server (or granian) until Ctrl-C (uses DATABASE_URL etc.)."""
    from finboard.registry import get
    from finboard.serving import BackendStartError, free_port, port_in_use, start_backend
    from finboard.settings import load_settings

    try:
        backend = servers.served_by(get(name), server)
    except KeyError as exc:
        raise click.BadParameter(exc.args[0], param_hint="NAME") from exc
    database_url = load_settings().database_url
    missing = [*backend.missing_dependencies(), *filter(None, [backend.database_problem(database_url)])]
    if missing:
        raise click.ClickException(f"{name} cannot start: {'; '.join(missing)}")
    if port_in_use(port):
        new_port = free_port()
        click.echo(f"Port {port} is in use; using {new_port} instead.", err=True)
        port = new_port
    env = {"DATABASE_URL": database_url}
    try:
        running = start_backend(backend, env=env, port=port, workers=workers, timeout=60)
    except BackendStartError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{backend.name} ({backend.framework}, {servers.describe(backend, server)}) on {running.base_url} with "
        f"{workers} workers, started in {running.startup_s:.2f}s. Ctrl-C to stop. Log: {running.log_path}"
    )

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C or a supervisor's SIGTERM: stop the server cleanly
        signal.signal(sig, interrupt)
    try:
        while running.alive():
            time.sleep(0.5)
        raise click.ClickException(f"{name} exited with code {running.process.returncode}:\n{running.log_tail()}")
    except KeyboardInterrupt:
        click.echo("\nStopping…")
    finally:
        running.stop()


QUICK_HELP = (
    "A short profile that finishes within a minute on two cores: every backend, the scenarios "
    f"{','.join(opts.QUICK['scenarios'])}, {','.join(map(str, opts.QUICK['concurrency']))} connections, "
    f"{opts.QUICK['duration_s']}s cells (wrk's shortest), no per-scenario warm-up (the verification requests are "
    f"the only primer), one data size of {opts.QUICK['data_size'][0]} posts, one round, no A/A copy, cache off, "
    f"{opts.QUICK['sql_requests']} requests per SQL count with --sql-flush end. "
    "Options given explicitly still win (e.g. --quick --scenarios all)."
)


@bench.command("run")
@click.option(
    "--backends",
    "backend_names",
    default="all",
    show_default=True,
    callback=_backends,
    help="Comma-separated registered names, or all.",
)
@click.option(
    "--scenarios",
    default=",".join(opts.DEFAULT_SCENARIOS),
    show_default=True,
    callback=_scenarios,
    help=f"Comma-separated: {', '.join(SCENARIOS)}; or all.",
)
@click.option(
    "--concurrency",
    type=CommaInts(),
    default=",".join(map(str, opts.DEFAULT_CONCURRENCY)),
    show_default=True,
    help="Connections per cell (the seed's comparison used 100,500,1000).",
)
@click.option(
    "--duration",
    type=Seconds(1, auto=True),
    default="auto",
    show_default=True,
    help="Measured time per cell; auto: the longest cells (2-10 s) that keep the run within its budget "
    "(20 minutes; --quick: 60 s). The plan and its estimate are printed before anything starts.",
)
@click.option(
    "--warmup",
    type=Seconds(0),
    default=f"{opts.DEFAULT_WARMUP_S}s",
    show_default=True,
    help="Uncounted load at the highest concurrency before each scenario.",
)
@click.option(
    "--repeat",
    type=click.IntRange(1, 100),
    default=opts.DEFAULT_REPEAT,
    show_default=True,
    help="Interleaved rounds: every backend once per round, the order rotated; figures are medians with "
    "95% bootstrap CIs, ratios between backends are paired by round.",
)
@click.option(
    "--aa",
    default="auto",
    show_default=True,
    callback=_aa,
    help="A/A control: run this backend twice (as NAME and NAME~aa) and report their ratio; 'auto' picks the "
    "first framework backend (flask-orm when it runs), 'none' turns it off.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=opts.cores,
    show_default="number of cores",
    help="Server workers, the same for every backend.",
)
@click.option(
    "--threads", type=click.IntRange(1, 256), default=opts.cores, show_default="number of cores", help="wrk threads."
)
@click.option(
    "--cache",
    type=click.Choice(["off", "on", "both"]),
    default="both",
    show_default=True,
    help="Redis read cache; 'both' adds a cache-on pass of list and detail (hit vs miss).",
)
@click.option("--database", callback=_database, help="PostgreSQL URL to use (kept); default: a throwaway database.")
@click.option(
    "--data-size",
    type=DataSizes(),
    default=str(opts.DEFAULT_DATA_SIZE),
    show_default=True,
    help="Posts to seed (users = posts/10, comments = 3 × posts), 1 to 5,000,000; a comma-separated list (e.g. "
    "10000,1000000) runs one round per size, smallest first: seed, then every backend × scenario.",
)
@click.option("--target", callback=_target, help="Load an already-running deployment at this URL instead.")
@click.option(
    "--server",
    type=click.Choice(servers.SERVERS),
    default=servers.DEFAULT,
    show_default=True,
    help="HTTP server of every backend: each framework's documented one (gunicorn; uvicorn workers for ASGI), or "
    "granian (WSGI or ASGI, same workers and bind; labels become NAME@granian).",
)
@click.option(
    "--baseline",
    metavar="REV",
    callback=_baseline,
    help="Also serve the backends of git revision REV (a temporary worktree) as NAME@REV, interleaved in the "
    "same rounds on the same database, and report after ÷ before per backend and cell with 95% CIs.",
)
@click.option("--quick", is_flag=True, help=QUICK_HELP)
@click.option(
    "--rate",
    multiple=True,
    callback=_rates,
    help="Open-loop latency at this offered load (requests/s; repeatable or a list, e.g. 200,400,800): send times "
    "fixed in advance, latency counted from the intended send time; once per backend × scenario, first round.",
)
@click.option(
    "--rate-connections",
    type=click.IntRange(1, 256),
    default=64,
    show_default=True,
    help="Connections (one wrk thread each) that carry the --rate load.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("bench-results"),
    show_default=True,
    help="Directory for the run's folder (JSON, Markdown, PNGs, logs).",
)
@click.option(
    "--timeout",
    type=Seconds(1),
    default=f"{opts.DEFAULT_TIMEOUT_S}s",
    show_default=True,
    help="wrk's --timeout: slower responses count as timeouts.",
)
@click.option(
    "--pool-size",
    type=click.IntRange(1, 200),
    default=opts.DEFAULT_POOL_SIZE,
    show_default=True,
    help="Database pool per worker, the same for every backend.",
)
@click.option(
    "--sql-requests",
    type=click.IntRange(1, 100_000),
    default=opts.DEFAULT_SQL_REQUESTS,
    show_default=True,
    help="Requests per scenario for the SQL count.",
)
@click.option(
    "--redis",
    "redis_url",
    default=opts.DEFAULT_REDIS_URL,
    show_default=True,
    help="Redis for the cache-on pass: a database number of its own (it is flushed).",
)
@click.option(
    "--sql-flush",
    type=click.Choice(["idle", "end"]),
    default="end",
    show_default=True,
    help="SQL count: wait 10 s per scenario for PostgreSQL's counters (exact), or end the server's idle "
    "database sessions (fast; then also counts the pools reconnecting).",
)
@click.pass_context
def run_command(ctx, **params) -> None:
    """Benchmark the backends: verify each, then load it with wrk; write JSON, Markdown and PNGs."""
    from finboard.bench.environment import command_line

    # option name -> RunOptions field (the --quick profile fills those left at their default)
    fields = {"duration": "duration_s", "warmup": "warmup_s", "timeout": "timeout_s", "backend_names": "backends"}
    values = {fields.get(name, name): value for name, value in params.items()}
    if params["quick"]:
        for name in params:
            key = fields.get(name, name)
            if key in opts.QUICK and ctx.get_parameter_source(name) is click.core.ParameterSource.DEFAULT:
                quick = opts.QUICK[key]
                values[key] = list(quick) if isinstance(quick, tuple) else quick
    if params["target"] and params["database"]:
        raise click.BadParameter(
            "--target loads a running deployment; --database is for servers started here", param_hint="--database"
        )
    if params["database"] and len(values["data_size"]) > 1:
        raise click.BadParameter(
            "--database keeps one database seeded once: give a single --data-size (or leave out --database, "
            "then each size gets a throwaway database of its own)",
            param_hint="--data-size",
        )
    if params["target"] and len(values["data_size"]) > 1:
        raise click.BadParameter(
            "--target loads a running deployment with the data it has: a list of sizes needs servers started here",
            param_hint="--data-size",
        )
    if params["aa"] not in ("auto", "none") and params["aa"] not in values["backends"]:
        raise click.BadParameter(
            f"{params['aa']!r} is not one of the backends this run measures ({', '.join(values['backends'])})",
            param_hint="--aa",
        )
    if params["target"] and (params["baseline"] or params["server"] != servers.DEFAULT):
        raise click.BadParameter(
            "--target loads a running deployment; --baseline and --server are for servers started here",
            param_hint="--baseline" if params["baseline"] else "--server",
        )
    if params["target"]:
        values["backends"] = []
    execute(opts.RunOptions(command=command_line(), **values))


def execute(options: opts.RunOptions) -> dict:
    """Run, then write the report and charts; errors become clear click exceptions."""
    from finboard.bench import baseline, charts, report, results
    from finboard.bench.baseline import BaselineError
    from finboard.bench.database import DatabaseError
    from finboard.bench.runner import BenchRun
    from finboard.bench.wrk import WrkError

    runner = BenchRun(options)
    try:
        run = runner.execute()
    except (WrkError, DatabaseError, BaselineError) as exc:
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt as exc:  # before the first cell: nothing to keep
        raise click.Abort() from exc
    if runner.write_problem:
        raise click.ClickException(runner.write_problem)
    try:
        pngs = charts.write_charts(run, runner.dir)
        md = report.write_markdown(run, runner.dir / "report.md", pngs)
    except OSError as exc:
        raise click.ClickException(results.write_problem(exc, runner.dir)) from exc
    click.echo(report.terminal_table(run))
    click.echo("\n" + report.precision_section(run).replace("**", ""))
    if run.get("baseline"):
        click.echo("\nBefore / after:\n" + baseline.markdown(run))
    click.echo(f"\nResults: {runner.json_path}\nReport:  {md}\nCharts:  {', '.join(str(p) for p in pngs)}")
    ctx = click.get_current_context(silent=True)
    if run.get("interrupted"):
        click.echo("Interrupted: the files above hold the partial results.", err=True)
        if ctx is not None:
            ctx.exit(130)
    failed = failed_backends(run)
    if failed:
        for line in failed:
            click.echo(f"error: {line}", err=True)
        click.echo("The files above hold the results of the others.", err=True)
        if ctx is not None:
            ctx.exit(3)
    return run


def failed_backends(run: dict) -> list[str]:
    """One line per backend that did not start, failed its verification or died (they make the run fail)."""
    lines = []
    for name, info in (run.get("backends") or {}).items():
        status = info.get("status")
        if status in ("failed_to_start", "failed_verification", "died"):
            problems = info.get("problems") or []
            lines.append(f"{name}: {status.replace('_', ' ')}: {problems[0] if problems else 'no reason recorded'}")
    return lines


@bench.command("agree")
@click.argument("url", callback=_target)
@click.option("--concurrency", type=click.IntRange(1, 1000), default=8, show_default=True)
@click.option("--duration", type=Seconds(1), default="5s", show_default=True, help="Per measurement.")
@click.option("--rounds", type=click.IntRange(1, 10), default=2, show_default=True, help="Measurements per tool.")
def agree_command(url: str, concurrency: int, duration: int, rounds: int) -> None:
    """Measure URL with flask bench (wrk + Lua) and with ab, alternating; exit 1 unless req/s agree within 10%."""
    from finboard.bench.abcheck import AgreementError, measure
    from finboard.bench.wrk import WrkError

    try:
        result = measure(url, concurrency=concurrency, duration_s=duration, rounds=rounds)
    except (AgreementError, WrkError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("\n".join(result.lines()))
    if not result.agrees:
        raise SystemExit(1)


@bench.command("tables")
@click.option(
    "--backends", "backend_names", default="all", show_default=True, callback=_backends, help="Registered names."
)
@click.option("--pool-size", type=click.IntRange(1, 200), default=opts.DEFAULT_POOL_SIZE, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document (the results file's seed_tables).")
def tables_command(backend_names: list[str], pool_size: int, as_json: bool) -> None:
    """The seed's tables that need no load: installed size, lines of code, connection pools, image size."""
    import json

    from finboard.bench import seed_report
    from finboard.bench.seedtables import SeedTablesError, collect

    try:
        tables = collect(backend_names, pool_size)
    except SeedTablesError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(tables, indent=1) if as_json else seed_report.markdown(tables))


@bench.command("report")
@click.argument("run_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), help="Where to write (default: beside the JSON)."
)
def report_command(run_json: Path, out: Path | None) -> None:
    """Print the terminal table and write the Markdown report and PNG charts of RUN_JSON."""
    from finboard.bench import charts, report, results

    try:
        run = results.load_run(run_json)
    except results.ResultsError as exc:
        raise click.ClickException(str(exc)) from exc
    directory = out or run_json.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        pngs = charts.write_charts(run, directory)
        md = report.write_markdown(
            run, directory / f"{run_json.stem}.md" if run_json.stem != "run" else directory / "report.md", pngs
        )
    except OSError as exc:
        raise click.ClickException(results.write_problem(exc, directory)) from exc
    click.echo(report.terminal_table(run))
    click.echo("\n" + report.precision_section(run).replace("**", ""))
    click.echo(f"\nReport: {md}\nCharts: {', '.join(str(p) for p in pngs)}")


@bench.command("compare")
@click.argument("a", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("b", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1000),
    default=5.0,
    show_default=True,
    help="Percent change below which nothing is flagged.",
)
@click.option("--only-changes", is_flag=True, help="Show only the flagged differences.")
@click.option(
    "--fail-below",
    type=click.FloatRange(0, 100, min_open=True),
    help="Regression gate: exit 1 when a scenario's B÷A req/s 95% CI lies wholly below this ratio (e.g. 0.95).",
)
def compare_command(a: Path, b: Path, threshold: float, only_changes: bool, fail_below: float | None) -> None:
    """What changed from run A to run B, flagging differences bigger than the noise."""
    from finboard.bench import compare, results

    try:
        run_a, run_b = results.load_run(a), results.load_run(b)
    except results.ResultsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(compare.render(run_a, run_b, threshold / 100, only_changes))
    if fail_below is not None:
        verdicts = compare.gate(run_a, run_b, fail_below)
        click.echo("")
        click.echo(f"Regression gate (B ÷ A req/s, 95% CI wholly below {fail_below:g} fails):")
        for verdict in verdicts:
            click.echo(f"  {verdict.line}")
        failing = [v for v in verdicts if v.failed]
        if not verdicts:
            raise click.ClickException("regression gate: no scenario was measured in both runs")
        if failing:
            click.echo(f"FAIL: {len(failing)} of {len(verdicts)} scenarios regressed.", err=True)
            raise SystemExit(1)
        click.echo(f"PASS: none of {len(verdicts)} scenarios is below {fail_below:g}.")
