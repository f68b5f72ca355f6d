"""``flask bench``: the benchmark's commands on Flask's CLI (loaded by cli.init_app).

It exists to give the benchmark one front door — backends, serve, run,
agree, tables, report, compare — with options checked up front, so a typo is
a clear click error and not a failure twenty minutes into a run. ``run`` and
its options live in finboard.bench.cli_run, the option types in
finboard.bench.cli_options.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import click

from finboard.bench import options as opts
from finboard.bench import servers
from finboard.bench.cli_options import Seconds, _backends, _target, parse_sizes
from finboard.bench.cli_profile import profile_command
from finboard.bench.cli_run import execute, failed_backends, run_command

__all__ = ["bench", "execute", "failed_backends", "parse_sizes"]  # the entry points tests and tools import


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
    for backend in registered(yardsticks=True).values():
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
        layer = backend.data_layer or "none"  # the /hello yardstick reads no database
        click.echo(f"{backend.name:<12} {backend.framework}{pages}\n{'':<12} data layer: {layer}; {state}")


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
@click.option(
    "--profile",
    "profile_dir",
    type=click.Path(exists=True, path_type=Path),
    help="A `flask bench profile` directory (or its profile.json): linked from the targets and the 0.8× lines.",
)
def report_command(run_json: Path, out: Path | None, profile_dir: Path | None) -> None:
    """Print the terminal table and write the Markdown report and PNG charts of RUN_JSON."""
    from finboard.bench import charts, report, results
    from finboard.bench.profile_run import ProfileFileError, load

    try:
        run = results.load_run(run_json)
        profile = load(profile_dir) if profile_dir else None
    except (results.ResultsError, ProfileFileError) as exc:
        raise click.ClickException(str(exc)) from exc
    directory = out or run_json.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        pngs = charts.write_charts(run, directory)
        md_path = directory / f"{run_json.stem}.md" if run_json.stem != "run" else directory / "report.md"
        linked = report.ProfileLink.of(profile, profile_dir, md_path.parent) if profile else None
        md = report.write_markdown(run, md_path, pngs, profile=linked)
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


bench.add_command(run_command)
bench.add_command(profile_command)
