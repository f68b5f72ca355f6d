"""The arithmetic of ``flask bench profile``: samples → CPU µs per request per layer, adapter − ceiling.

It exists apart from the sampling (finboard.bench.profile_run) so the
numbers can be checked on made-up samples. py-spy says what share of the
GIL-holding samples each layer had; /proc says how much CPU the server's
process tree used over the same window, user and system apart; the two
together give each layer's CPU µs per request: ``share × user CPU µs per
request``, and the kernel layer is the system CPU µs per request (system
calls run without the GIL: no sample sees them). So the layers of one backend
add up to its measured CPU per request. An adapter's layer minus
its ceiling's is where the rest goes, and the 0.8× line gives a budget:
a CPU-bound server reaching 0.8× its ceiling's req/s may spend at most
``ceiling CPU µs ÷ 0.8`` per request.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from finboard.bench.profile_layers import FRAMEWORK, KERNEL, LAYERS, OTHER, SAMPLED, Sample

TARGET = 0.8  # issue 14: each -sql adapter ≥ 0.8× its own ceiling
TOP_FUNCTIONS = 10


@dataclass
class CellProfile:
    """One backend × scenario: the sampled stacks and the CPU the server's tree used over the same window."""

    backend: str
    scenario: str
    successes: int
    cpu_s: float  # the server's process tree, user + system, over the wrk window (finboard.bench.resources)
    duration_s: float
    samples: list[Sample] = field(default_factory=list)
    postgres_cpu_s: float | None = None
    rate: int | None = None  # py-spy's samples per second per process
    system_s: float = 0.0  # the part of cpu_s spent in the kernel (system calls): the kernel layer

    @property
    def user_s(self) -> float:
        return max(0.0, self.cpu_s - self.system_s)

    @property
    def coverage(self) -> float | None:
        """Samples ÷ (user CPU seconds × rate): near 1 when py-spy saw the GIL held whenever Python ran."""
        return self.total / (self.user_s * self.rate) if self.rate and self.user_s > 0 else None

    @property
    def total(self) -> int:
        return sum(s.count for s in self.samples)

    @property
    def cpu_us(self) -> float | None:
        """CPU µs per successful request (None without a request)."""
        return self.cpu_s * 1e6 / self.successes if self.successes else None

    @property
    def rps(self) -> float | None:
        return self.successes / self.duration_s if self.duration_s else None

    @property
    def kernel_us(self) -> float | None:
        """System CPU µs per request (None without a request)."""
        return self.system_s * 1e6 / self.successes if self.successes else None

    def _scale(self) -> float | None:
        """User CPU µs per request that one sample stands for (None without samples or requests)."""
        total = self.total
        return None if not total or not self.successes else self.user_s * 1e6 / self.successes / total

    def self_counts(self) -> Counter:
        counts: Counter = Counter(dict.fromkeys(SAMPLED, 0))
        for s in self.samples:
            counts[s.self_layer] += s.count
        return counts

    def inclusive_counts(self) -> Counter:
        counts: Counter = Counter(dict.fromkeys(SAMPLED, 0))
        for s in self.samples:
            for layer in s.inclusive_layers:
                counts[layer] += s.count
        return counts

    def layers_us(self) -> dict[str, float | None]:
        """Self CPU µs per request of each layer, the kernel's included; they add up to ``cpu_us``."""
        scale = self._scale()
        layers = {layer: None if scale is None else n * scale for layer, n in self.self_counts().items()}
        return {**layers, KERNEL: None if scale is None else self.kernel_us}

    def inclusive_us(self) -> dict[str, float | None]:
        """Inclusive user CPU µs per request: samples with a frame of the layer anywhere on the stack."""
        scale = self._scale()
        return {layer: None if scale is None else n * scale for layer, n in self.inclusive_counts().items()}

    def packages_us(self) -> dict[tuple[str, str], float]:
        """Self CPU µs per request by (layer, package) of the frame it is charged to."""
        counts: Counter = Counter()
        for s in self.samples:
            frame = s.self_frame
            counts[(s.self_layer, frame.package if frame else "")] += s.count
        scale = self._scale() or 0.0
        return {key: n * scale for key, n in counts.most_common()}

    def functions_us(self) -> dict[str, tuple[str, float]]:
        """Self CPU µs per request by innermost function (``func (path)``), with the layer it is charged to."""
        counts: Counter = Counter()
        layers: dict[str, str] = {}
        for s in self.samples:
            frame = s.innermost
            key = frame.key if frame else "(no Python frame)"
            counts[key] += s.count
            layers.setdefault(key, s.self_layer)
        scale = self._scale() or 0.0
        return {key: (layers[key], n * scale) for key, n in counts.most_common()}

    def functions_seen(self) -> set[str]:
        """Every function on any sampled stack (self or not)."""
        return {f.key for s in self.samples for f in s.frames}

    def attributed_share(self) -> float:
        """The share of samples charged to a named layer (not stdlib/other)."""
        total = self.total
        return 1 - self.self_counts()[OTHER] / total if total else 0.0

    def as_dict(self) -> dict:
        return {
            "backend": self.backend,
            "scenario": self.scenario,
            "successes": self.successes,
            "duration_s": round(self.duration_s, 3),
            "rps": _round(self.rps, 1),
            "cpu_s": round(self.cpu_s, 4),
            "system_s": round(self.system_s, 4),
            "postgres_cpu_s": _round(self.postgres_cpu_s, 4),
            "cpu_us_per_request": _round(self.cpu_us, 1),
            "postgres_cpu_us_per_request": _round(
                self.postgres_cpu_s * 1e6 / self.successes
                if self.postgres_cpu_s is not None and self.successes
                else None,
                1,
            ),
            "samples": self.total,
            "processes": sorted({s.pid for s in self.samples if s.pid is not None}),
            "attributed_share": round(self.attributed_share(), 4),
            "sample_coverage": _round(self.coverage, 3),
            "layers_us": {k: _round(v, 1) for k, v in self.layers_us().items()},
            "layers_samples": dict(self.self_counts()),
            "inclusive_us": {k: _round(v, 1) for k, v in self.inclusive_us().items()},
            "packages_us": [
                {"layer": layer, "package": package, "us": round(us, 1)}
                for (layer, package), us in self.packages_us().items()
            ][:30],
            "top_functions": [
                {"function": key, "layer": layer, "us": round(us, 1)}
                for key, (layer, us) in list(self.functions_us().items())[:30]
            ],
        }


@dataclass
class Comparison:
    """An adapter against its own ceiling in one scenario."""

    adapter: CellProfile
    ceiling: CellProfile

    @property
    def cpu_ratio(self) -> float | None:
        """Ceiling CPU ÷ adapter CPU per request: the req/s ratio a CPU-bound server would reach."""
        a, c = self.adapter.cpu_us, self.ceiling.cpu_us
        return c / a if a and c else None

    @property
    def rps_ratio(self) -> float | None:
        """The adapter's req/s ÷ the ceiling's in these (sampled, one-off) cells: context, not the verdict."""
        a, c = self.adapter.rps, self.ceiling.rps
        return a / c if a and c else None

    @property
    def budget_us(self) -> float | None:
        """The most CPU µs per request the adapter may use and still reach 0.8× (CPU-bound)."""
        return self.ceiling.cpu_us / TARGET if self.ceiling.cpu_us else None

    @property
    def excess_us(self) -> float | None:
        """How many µs per request over that budget (≤ 0: within it)."""
        return None if self.budget_us is None or self.adapter.cpu_us is None else self.adapter.cpu_us - self.budget_us

    def layer_differences(self) -> dict[str, float | None]:
        a, c = self.adapter.layers_us(), self.ceiling.layers_us()
        return {layer: None if a[layer] is None or c[layer] is None else a[layer] - c[layer] for layer in LAYERS}

    def package_differences(self) -> list[tuple[str, str, float]]:
        """(layer, package, adapter µs − ceiling µs), largest first."""
        a, c = self.adapter.packages_us(), self.ceiling.packages_us()
        keys = set(a) | set(c)
        rows = [
            (layer, package, a.get((layer, package), 0.0) - c.get((layer, package), 0.0)) for layer, package in keys
        ]
        return sorted(rows, key=lambda row: -row[2])

    def new_functions(self, limit: int = TOP_FUNCTIONS) -> list[tuple[str, str, float]]:
        """The adapter's top self-time functions that appear nowhere on the ceiling's stacks: (function, layer, µs)."""
        seen = self.ceiling.functions_seen()
        rows = [(key, layer, us) for key, (layer, us) in self.adapter.functions_us().items() if key not in seen]
        return rows[:limit]

    def what_it_would_take(self) -> str:
        """One paragraph, from the numbers: how far from 0.8×, which layers add what, what would reach it."""
        a, c = self.adapter, self.ceiling
        if a.cpu_us is None or c.cpu_us is None or not a.total or not c.total:
            return f"{a.backend}, {a.scenario}: not enough samples or requests to say."
        ratio, budget, excess = _round(self.cpu_ratio, 3), self.budget_us, self.excess_us  # as profile.json has it
        diffs = {k: v for k, v in self.layer_differences().items() if v is not None}
        adds = sorted(((k, v) for k, v in diffs.items() if v >= 0.5), key=lambda kv: -kv[1])
        head = (
            f"**{a.backend}, {a.scenario}**: {a.cpu_us:.0f} µs of CPU per request against {c.backend}'s "
            f"{c.cpu_us:.0f} µs, so at most {ratio:.2f}× its req/s when CPU-bound. It adds "
            f"{a.cpu_us - c.cpu_us:+.0f} µs"
        )
        parts = []
        for layer, us in adds[:4]:
            packages = [(p, d) for lay, p, d in self.package_differences() if lay == layer and d >= 0.5 and p][:3]
            detail = f" ({', '.join(f'{p} {d:+.0f}' for p, d in packages)})" if packages else ""
            parts.append(f"{layer} {us:+.0f} µs{detail}")
        head += (": " + "; ".join(parts) if parts else "") + "."
        framework = a.inclusive_us().get(FRAMEWORK) or 0.0
        own_framework = a.layers_us().get(FRAMEWORK) or 0.0
        if framework:
            head += (
                f" The framework's request handling holds {framework:.0f} µs inclusive (everything it calls), "
                f"{own_framework:.0f} µs of it in the framework's own code."
            )
        if excess is not None and excess <= 0:
            return head + f" Within the 0.8× budget of {budget:.0f} µs per request already ({-excess:.0f} µs to spare)."
        allowed = budget - c.cpu_us
        tail = (
            f" Reaching 0.8× needs ≤ {budget:.0f} µs per request, i.e. ≤ {allowed:.0f} µs over the ceiling: "
            f"{excess:.0f} µs less than today."
        )
        if adds:
            top_layer, top_us = adds[0]
            if top_us >= excess:
                tail += (
                    f" Cutting the {top_layer} layer's {top_us:.0f} µs to ≤ {top_us - excess:.0f} µs would do it alone."
                )
            else:
                tail += (
                    f" Even removing all of the {top_layer} layer's {top_us:.0f} µs would not: it takes cuts in "
                    "several layers (or fewer, cheaper requests per worker)."
                )
        return head + tail

    def as_dict(self) -> dict:
        return {
            "adapter": self.adapter.backend,
            "ceiling": self.ceiling.backend,
            "scenario": self.adapter.scenario,
            "cpu_ratio": _round(self.cpu_ratio, 3),
            "rps_ratio": _round(self.rps_ratio, 3),
            "budget_us": _round(self.budget_us, 1),
            "excess_us": _round(self.excess_us, 1),
            "layer_differences_us": {k: _round(v, 1) for k, v in self.layer_differences().items()},
            "package_differences_us": [
                {"layer": layer, "package": p, "us": round(d, 1)} for layer, p, d in self.package_differences() if p
            ][:20],
            "new_functions": [
                {"function": f, "layer": layer, "us": round(us, 1)} for f, layer, us in self.new_functions()
            ],
            "what_it_would_take": self.what_it_would_take(),
        }


def comparisons(cells: Iterable[CellProfile], ceiling_of) -> list[Comparison]:
    """Every profiled adapter set against its own ceiling's profile of the same scenario (when it was profiled)."""
    cells = list(cells)
    by_key = {(c.backend, c.scenario): c for c in cells}
    found = []
    for cell in cells:
        ceiling = ceiling_of(cell.backend)
        if ceiling and ceiling != cell.backend and (ceiling, cell.scenario) in by_key:
            found.append(Comparison(cell, by_key[(ceiling, cell.scenario)]))
    return found


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
