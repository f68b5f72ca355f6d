"""``flask bench run``: its options, the --quick profile, and turning a run into files and an exit code.

It exists apart from the other subcommands (finboard.bench.cli) because the
run's options are most of the CLI: each checked up front (a clear click error,
exit 2, before anything starts), the --quick profile filling those left at
their default, then the run, its report and charts, and a non-zero exit when
a backend failed or the run was interrupted.
"""

from __future__ import annotations

from pathlib import Path

import click

from finboard.bench import options as opts
from finboard.bench import servers
from finboard.bench.cli_options import (
    CommaInts,
    DataSizes,
    Seconds,
    _aa,
    _backends,
    _baseline,
    _database,
    _rates,
    _scenarios,
    _target,
)
from finboard.bench.scenarios import SCENARIOS

QUICK_HELP = (
    f"A short profile that finishes within a minute on two cores: the backends {','.join(opts.QUICK['backends'])}, "
    "the scenarios "
    f"{','.join(opts.QUICK['scenarios'])}, {','.join(map(str, opts.QUICK['concurrency']))} connections, "
    f"{opts.QUICK['duration_s']}s cells (wrk's shortest), no per-scenario warm-up and no --primer (the verification "
    f"requests prime the servers), one data size of {opts.QUICK['data_size'][0]} posts, one round, no A/A copy, "
    "cache off, "
    f"{opts.QUICK['sql_requests']} requests per SQL count with --sql-flush end. "
    "Options given explicitly still win (e.g. --quick --scenarios all)."
)


@click.command("run")
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
    "--primer",
    type=Seconds(0),
    default=f"{opts.DEFAULT_PRIMER_S}s",
    show_default=True,
    help="Before round 1 (of each cache mode), run every backend × scenario once for this long at the highest "
    "concurrency, unmeasured (run.json: primer[]), so round 1 does not pay for cold servers and caches; 0 turns it "
    "off. Counted in the plan's estimate and --duration auto's budget.",
)
@click.option(
    "--repeat",
    type=click.IntRange(1, 100),
    default=opts.DEFAULT_REPEAT,
    show_default=True,
    help="Interleaved rounds: every backend once per round, the order a balanced Latin square; figures are medians "
    "with 95% bootstrap CIs, ratios between backends are paired by round.",
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
    fields = {
        "duration": "duration_s",
        "warmup": "warmup_s",
        "primer": "primer_s",
        "timeout": "timeout_s",
        "backend_names": "backends",
    }
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
