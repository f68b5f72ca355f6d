"""``flask bench profile``: its options, checked up front, and its exit code.

It exists apart from ``flask bench run`` (finboard.bench.cli_run) because it
answers another question — not how fast, but where an adapter's CPU goes
beyond its ceiling's — with other options (py-spy's rate; one cell per
backend and scenario, no rounds). Bad options are a click error (exit 2)
before anything starts; no py-spy, no wrk or no database a clear message
(exit 1); a backend that could not be profiled exit 3 after the others'
files are written; an interruption exit 130, the partial files kept.
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

import click

from finboard.bench import options as opts
from finboard.bench import pyspy, servers
from finboard.bench.cli_options import Seconds, _backends, _database, parse_sizes
from finboard.bench.scenarios import SCENARIOS, parse_names


def _profile_scenarios(ctx, param, value: str) -> list[str]:
    try:
        names = parse_names(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    writes = [n for n in names if SCENARIOS[n].writes or SCENARIOS[n].needs_tokens or SCENARIOS[n].posts_to_api]
    if writes:
        raise click.BadParameter(
            f"{', '.join(writes)} write or log in: the profile samples reads only (e.g. list,detail,search_common)"
        )
    return names


def _size(ctx, param, value: str) -> int:
    try:
        sizes = parse_sizes(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if len(sizes) != 1:
        raise click.BadParameter("give one data size: the profile runs on one seeded database")
    return sizes[0]


def _interrupt(signum, frame):  # SIGTERM behaves like Ctrl-C: servers and py-spy stopped, partial files written
    raise KeyboardInterrupt


@click.command("profile")
@click.option(
    "--backends",
    "backend_names",
    default=",".join(opts.PROFILE_BACKENDS),
    show_default=True,
    callback=_backends,
    help="Registered names; give each adapter's ceiling too (wsgi-raw, asgi-raw) to get its comparison.",
)
@click.option(
    "--scenarios",
    default=",".join(opts.PROFILE_SCENARIOS),
    show_default=True,
    callback=_profile_scenarios,
    help="Read scenarios, comma-separated.",
)
@click.option(
    "--data-size", default=str(opts.DEFAULT_DATA_SIZE), show_default=True, callback=_size, help="Posts to seed."
)
@click.option("--duration", type=Seconds(1), default="8s", show_default=True, help="Sampled load per cell.")
@click.option("--warmup", type=Seconds(0), default="2s", show_default=True, help="Unsampled load before each cell.")
@click.option("--concurrency", type=click.IntRange(1, 20_000), default=8, show_default=True, help="wrk connections.")
@click.option(
    "--workers",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Server workers: one leaves the other core to wrk, py-spy and PostgreSQL on a 2-core machine.",
)
@click.option("--threads", type=click.IntRange(1, 256), default=1, show_default=True, help="wrk threads.")
@click.option(
    "--sample-rate",
    type=click.IntRange(10, 1000),
    default=pyspy.DEFAULT_RATE,
    show_default=True,
    help="py-spy samples per second per process.",
)
@click.option("--server", type=click.Choice(servers.SERVERS), default=servers.DEFAULT, show_default=True)
@click.option("--database", callback=_database, help="PostgreSQL URL to use (kept); default: a throwaway database.")
@click.option("--pool-size", type=click.IntRange(1, 200), default=opts.DEFAULT_POOL_SIZE, show_default=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory for profile.md, profile.json, raw/ and logs/ (default: bench-results/profile-STAMP).",
)
@click.option(
    "--rebuild",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Run nothing: derive DIR's profile.json and profile.md again from its raw stacks and recorded CPU figures.",
)
def profile_command(backend_names, scenarios, data_size, duration, warmup, concurrency, workers, threads,
                    sample_rate, server, database, pool_size, out, rebuild) -> None:  # fmt: skip
    """Profile the backends with py-spy under wrk load: where each adapter's CPU goes beyond its ceiling's."""
    from finboard.bench.database import DatabaseError
    from finboard.bench.environment import command_line
    from finboard.bench.profile_run import ProfileFileError, ProfileOptions, ProfileRun
    from finboard.bench.profile_run import rebuild as rebuild_profile
    from finboard.bench.wrk import WrkError

    if rebuild is not None:
        try:
            rebuild_profile(rebuild)
        except (ProfileFileError, OSError) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Profile: {rebuild / 'profile.md'}\nData:    {rebuild / 'profile.json'}")
        return

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    options = ProfileOptions(
        backends=backend_names, scenarios=scenarios, data_size=data_size, duration_s=duration, warmup_s=warmup,
        concurrency=concurrency, workers=workers, threads=threads, sample_rate=sample_rate, server=server,
        database=database, pool_size=pool_size, out=out or Path("bench-results") / f"profile-{stamp}",
        command=command_line(),
    )  # fmt: skip
    runner = ProfileRun(options, echo=lambda text: click.echo(text, err=True))
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        runner.execute()
    except (pyspy.ProfilerError, WrkError, DatabaseError) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write to {options.out}: {exc}") from exc
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo(f"Profile: {options.out / 'profile.md'}\nData:    {options.out / 'profile.json'}")
    ctx = click.get_current_context()
    if runner.interrupted:
        click.echo("Interrupted: the files above hold the partial profile.", err=True)
        ctx.exit(130)
    failed = runner.failed()
    if failed:
        for line in failed:
            click.echo(f"error: {line}", err=True)
        click.echo("The files above hold the others' profiles.", err=True)
        ctx.exit(3)
