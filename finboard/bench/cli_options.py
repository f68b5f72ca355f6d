"""The option types and checks of ``flask bench``'s commands: durations, sizes, names, URLs, revisions.

They exist so a bad option is a clear click error (exit 2) before anything
starts, not a failure minutes into a run; the commands (finboard.bench.cli,
finboard.bench.cli_run) share them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from finboard.bench import options as opts
from finboard.bench.scenarios import parse_names


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

    known = registered(yardsticks=True)  # "hello" may be named; "all" is every /api/v1 backend
    names = [canonical(n.strip()) for n in value.split(",") if n.strip()]
    if not names or names == ["all"]:
        return list(registered())
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
