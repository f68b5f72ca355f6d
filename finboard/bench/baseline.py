"""``flask bench run --baseline REV``: before and after in one run, paired round by round.

It exists because two runs made at different times differ by more than most
changes (the machine's neighbours, its temperature): comparing a change with
its baseline is only fair when both are measured in the same rounds, one right
after the other. So the backends of REV are served from a git worktree of REV
(``git worktree add --detach`` in a temporary directory, removed afterwards),
beside the working tree's, as ``NAME@REV``: same seeded database, same
options, interleaved in every round. The answer is after ÷ before req/s (and
CPU µs per request) per backend and cell, each the median of the per-round
ratios with its bootstrap CI (``stats.paired_ratio``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from finboard.bench.precision import per_round
from finboard.bench.servers import LABEL_SEPARATOR
from finboard.bench.stats import Estimate, paired_ratio
from finboard.settings import PROJECT_ROOT

GIT_TIMEOUT_S = 120


class BaselineError(ValueError):
    """REV is not a commit of this repository, or its worktree could not be made."""


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BaselineError(f"git {' '.join(args)} failed: {exc}") from exc


def resolve(rev: str, repo: Path = PROJECT_ROOT) -> str:
    """The full commit id REV names in ``repo``; BaselineError saying why when it names none."""
    if not rev.strip() or rev.startswith("-"):
        raise BaselineError(f"{rev!r} is not a git revision")
    done = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if done.returncode != 0:
        inside = _git(repo, "rev-parse", "--git-dir").returncode == 0
        where = f"the repository at {repo}" if inside else f"{repo} (not a git checkout)"
        raise BaselineError(f"unknown revision {rev!r}: no such commit in {where}")
    return done.stdout.strip()


def label(name: str, rev: str) -> str:
    """``flask`` served from REV → ``flask@REV`` (characters a file name can't hold become ``-``)."""
    return f"{name}{LABEL_SEPARATOR}{re.sub(r'[^A-Za-z0-9._~^-]', '-', rev)}"


@contextmanager
def worktree(commit: str, repo: Path = PROJECT_ROOT) -> Iterator[Path]:
    """A detached worktree of ``commit`` in a temporary directory, removed (and pruned) afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="finboard-baseline-"))
    path = parent / "tree"
    added = _git(repo, "worktree", "add", "--detach", str(path), commit)
    if added.returncode != 0:
        shutil.rmtree(parent, ignore_errors=True)
        raise BaselineError(f"could not make a worktree of {commit[:12]}: {added.stderr.strip()}")
    try:
        yield path
    finally:
        _git(repo, "worktree", "remove", "--force", str(path))
        shutil.rmtree(parent, ignore_errors=True)
        _git(repo, "worktree", "prune")


def process_cwd(pid: int | None) -> str | None:
    """The working directory of a running server: which tree it serves."""
    try:
        return psutil.Process(pid).cwd() if pid else None
    except psutil.Error:
        return None


def _ci(estimate: Estimate | None) -> list[float] | None:
    return None if estimate is None else [round(estimate.low, 3), round(estimate.high, 3)]


def ratios(entries: list[dict], pairs: dict[str, str]) -> list[dict]:
    """After ÷ before per cell: ``pairs`` maps each backend (after) to its baseline copy (before)."""
    rps = per_round(entries, "rps")
    cpu = per_round(entries, "cpu_us_per_request")
    out = []
    for cid, rounds in rps.items():
        size, after, scenario, cache, concurrency = cid
        if after not in pairs:
            continue
        before_id = (size, pairs[after], scenario, cache, concurrency)
        rps_ratio = paired_ratio(rounds, rps.get(before_id, {}))
        cpu_ratio = paired_ratio(cpu.get(cid, {}), cpu.get(before_id, {}))
        out.append(
            {
                "data_size": size,
                "backend": after,
                "baseline": pairs[after],
                "scenario": scenario,
                "cache": cache,
                "concurrency": concurrency,
                "rounds": rps_ratio.n if rps_ratio else 0,
                "rps_ratio": None if rps_ratio is None else round(rps_ratio.value, 3),
                "rps_ratio_ci95": _ci(rps_ratio),
                "cpu_ratio": None if cpu_ratio is None else round(cpu_ratio.value, 3),
                "cpu_ratio_ci95": _ci(cpu_ratio),
            }
        )
    return out


def annotate(run: dict) -> dict:
    """Fill ``baseline.ratios`` from the results (a no-op for a run without ``--baseline``)."""
    info = run.get("baseline")
    if info:
        info["ratios"] = ratios(run.get("results", []), info.get("pairs") or {})
    return run


def verdict(ratio: dict) -> str:
    """faster / slower when the req/s CI lies wholly above / below 1, else no clear change (one round: no CI)."""
    ci = ratio.get("rps_ratio_ci95")
    if not ci:
        return "not measured"
    if ratio.get("rounds", 2) < 2:
        return "one round: no CI"
    if ci[0] > 1:
        return "faster"
    if ci[1] < 1:
        return "slower"
    return "no clear change"


def markdown(run: dict) -> str:
    """The report's *Before / after* section: one row per backend × cell."""
    info = run.get("baseline") or {}
    if not info:
        return ""

    def ratio_text(value, ci) -> str:
        if value is None:
            return "—"
        return f"{value:.3f}" + (f" [{ci[0]:.3f}–{ci[1]:.3f}]" if ci and ci[0] != ci[1] else "")

    rows = [
        f"| {r['backend']} | {r['baseline']} | {r['scenario']} | {r['cache']} | {r['concurrency']} | "
        f"{r['data_size']:,} | {ratio_text(r['rps_ratio'], r['rps_ratio_ci95'])} | "
        f"{ratio_text(r['cpu_ratio'], r['cpu_ratio_ci95'])} | {verdict(r)} |"
        for r in info.get("ratios") or []
    ]
    head = (
        f"After (the working tree) ÷ before (`{info.get('rev')}`, commit {str(info.get('commit'))[:12]}), measured "
        "in the same interleaved rounds on the same database: the median of the per-round ratios with its 95% "
        "bootstrap CI. req/s above 1 and CPU µs per request below 1 are improvements; *no clear change* means "
        "the CI contains 1."
    )
    header = "| After | Before | Scenario | Cache | Connections | Posts | req/s after ÷ before | CPU µs/req after ÷ before | Verdict |"  # noqa: E501
    return "\n\n".join([head, "\n".join([header, "|" + "---|" * 9, *rows]) if rows else "No cell measured both sides."])
