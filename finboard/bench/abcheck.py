"""``flask bench agree URL``: does ``flask bench``'s req/s agree with ApacheBench's on the same URL?

It exists so the benchmark's own counting (wrk + the Lua script, successes
over the measured duration) is checked against an independent, well-known
tool: the same URL, the same concurrency, the same duration, the two tools
alternating so a neighbour's load falls on both. They must agree within
``TOLERANCE`` (10 %). ``parse_ab`` is pure (tests feed it ab's text).
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from finboard.bench import wrk
from finboard.bench.scenarios import Request, write_lua

TOLERANCE = 0.10
AB_INSTALL_HINT = "install it with `apt-get install -y apache2-utils` (Debian/Ubuntu)"
AB_FIELDS = {
    "complete": r"Complete requests:\s+(\d+)",
    "failed": r"Failed requests:\s+(\d+)",
    "non_2xx": r"Non-2xx responses:\s+(\d+)",
    "time_s": r"Time taken for tests:\s+([\d.]+) seconds",
    "reported_rps": r"Requests per second:\s+([\d.]+)",
}


class AgreementError(RuntimeError):
    """ab is missing or failed, or the URL can't be measured; the message says why."""


def find_ab() -> str:
    path = shutil.which("ab")
    if path is None:
        raise AgreementError(f"ab (ApacheBench) is not installed: {AB_INSTALL_HINT}")
    return path


def parse_ab(text: str) -> dict:
    """ab's report as figures; ``rps`` counts only 2xx answers that ab did not call failed, like wrk's side."""
    found = {}
    for key, pattern in AB_FIELDS.items():
        match = re.search(pattern, text)
        found[key] = float(match.group(1)) if match else None
    if found["complete"] is None or not found["time_s"]:
        raise AgreementError(f"ab printed no result: {text.strip()[-400:]}")
    complete, failed, non_2xx = int(found["complete"]), int(found["failed"] or 0), int(found["non_2xx"] or 0)
    successes = max(0, complete - failed - non_2xx)
    return {
        "requests": complete,
        "successes": successes,
        "failed": failed,
        "non_2xx": non_2xx,
        "duration_s": found["time_s"],
        "rps": round(successes / found["time_s"], 2),
        "reported_rps": found["reported_rps"],
    }


def run_ab(url: str, *, concurrency: int, duration_s: int, timeout_s: int = 10) -> dict:
    """ab with keep-alive for ``duration_s`` (-t; -n large so time, not count, ends it)."""
    argv = [find_ab(), "-q", "-k", "-c", str(concurrency), "-t", str(duration_s), "-n", "100000000",
            "-s", str(timeout_s), url]  # fmt: skip
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=duration_s + timeout_s + 30)
    except subprocess.TimeoutExpired as exc:
        raise AgreementError(f"ab did not finish within {duration_s + timeout_s + 30}s") from exc
    if out.returncode != 0:
        raise AgreementError(f"ab exited with {out.returncode}: {(out.stderr or out.stdout).strip()[-400:]}")
    return parse_ab(out.stdout)


def run_flask_bench(url: str, *, concurrency: int, duration_s: int, timeout_s: int = 10) -> dict:
    """The URL measured the way ``flask bench run`` measures a cell: wrk + the Lua script, 200 = success."""
    parts = urlsplit(url)
    path = parts.path or "/"
    path += f"?{parts.query}" if parts.query else ""
    with tempfile.TemporaryDirectory(prefix="finboard-agree-") as tmp:
        requests_file = write_lua(Path(tmp) / "requests.lua", [Request("GET", path, "", 200)], [200])
        run = wrk.run_wrk(
            f"{parts.scheme}://{parts.netloc}", requests_file=requests_file, out_file=Path(tmp) / "out.json",
            connections=concurrency, threads=1, duration_s=duration_s, timeout_s=timeout_s,
        )  # fmt: skip
    return run.result


@dataclass
class Agreement:
    """Both tools' req/s, round by round, and whether their medians agree within the tolerance."""

    url: str
    concurrency: int
    duration_s: int
    flask_bench: list[float] = field(default_factory=list)
    ab: list[float] = field(default_factory=list)
    tolerance: float = TOLERANCE

    @property
    def ratio(self) -> float | None:
        """median flask bench req/s ÷ median ab req/s."""
        if not self.flask_bench or not self.ab or not statistics.median(self.ab):
            return None
        return statistics.median(self.flask_bench) / statistics.median(self.ab)

    @property
    def agrees(self) -> bool:
        return self.ratio is not None and abs(self.ratio - 1) <= self.tolerance

    def lines(self) -> list[str]:
        fb = ", ".join(f"{v:,.0f}" for v in self.flask_bench)
        ab = ", ".join(f"{v:,.0f}" for v in self.ab)
        ratio = f"{self.ratio:.3f}" if self.ratio is not None else "n/a"
        verdict = "agree" if self.agrees else "DISAGREE"
        return [
            f"{self.url}: {self.concurrency} connections, {self.duration_s}s per measurement, tools alternating",
            f"  flask bench (wrk + Lua): {fb} req/s",
            f"  ab (ApacheBench -k):     {ab} req/s",
            f"  flask bench ÷ ab (medians) = {ratio}: {verdict} (tolerance ±{self.tolerance:.0%})",
        ]


def measure(url: str, *, concurrency: int, duration_s: int, rounds: int = 2) -> Agreement:
    """Alternate flask bench and ab ``rounds`` times each on ``url`` (the order flips every round)."""
    find_ab()
    wrk.find_wrk()
    result = Agreement(url, concurrency, duration_s)
    for number in range(rounds):
        tools = ("flask_bench", "ab") if number % 2 == 0 else ("ab", "flask_bench")
        for tool in tools:
            if tool == "ab":
                result.ab.append(run_ab(url, concurrency=concurrency, duration_s=duration_s)["rps"])
            else:
                result.flask_bench.append(run_flask_bench(url, concurrency=concurrency, duration_s=duration_s)["rps"])
    return result
