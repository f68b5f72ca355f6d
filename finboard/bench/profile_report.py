"""profile.md of ``flask bench profile``, and the lines the bench report links it with.

It exists so the profile answers the issue's question in the report's words:
per scenario, a table of layers × backends in CPU µs per request, each
adapter minus its own ceiling ("where the rest goes"), the adapter's top
self-time functions that its ceiling never runs, and a paragraph, written
from the numbers, of what reaching 0.8× would take. Everything is read from
the profile document (profile.json), so the Markdown can be rebuilt from it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from finboard.bench.profile_layers import LAYERS
from finboard.bench.report_text import table, title


def _us(value) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _signed(value) -> str:
    return "—" if value is None else f"{value:+,.0f}"


def scenario_section(document: dict, scenario: str) -> str:
    """Layers down, backends across (µs per request), then one "adapter − ceiling" column per comparison."""
    cells = {c["backend"]: c for c in document.get("cells", []) if c["scenario"] == scenario}
    if not cells:
        return "Not profiled."
    pairs = [p for p in document.get("comparisons", []) if p["scenario"] == scenario]
    backends = list(cells)
    headers = ["Layer (self time)", *backends, *(f"{p['adapter']} − {p['ceiling']}" for p in pairs)]
    rows = []
    for layer in document.get("layers", LAYERS):
        row = [layer, *(_us(cells[b]["layers_us"].get(layer)) for b in backends)]
        row += [_signed(p["layer_differences_us"].get(layer)) for p in pairs]
        rows.append(row)

    def total(b):
        return cells[b]["cpu_us_per_request"]

    rows.append(
        ["**total = measured CPU / request**", *(f"**{_us(total(b))}**" for b in backends),
         *(f"**{_signed(_minus(total(p['adapter']) if p['adapter'] in cells else None, total(p['ceiling'])))}**"
           for p in pairs)]
    )  # fmt: skip
    rows.append(
        ["framework, inclusive (its request handling)",
         *(_us(cells[b]["inclusive_us"].get("framework")) for b in backends), *("" for _ in pairs)]
    )  # fmt: skip
    rows.append(
        ["ceiling CPU ÷ backend CPU", *(_ratio_for(b, pairs) for b in backends), *("" for _ in pairs)]
    )  # fmt: skip
    rows.append(["req/s (1 cell, sampled; ÷ the ceiling's)", *(_us(cells[b]["rps"]) for b in backends),
                 *(_times(p.get("rps_ratio")) for p in pairs)])  # fmt: skip
    rows.append(["PostgreSQL CPU / request", *(_us(cells[b].get("postgres_cpu_us_per_request")) for b in backends),
                 *("" for _ in pairs)])  # fmt: skip
    rows.append(["py-spy samples (attributed to a layer)",
                 *(f"{cells[b]['samples']:,} ({cells[b]['attributed_share']:.0%})" for b in backends),
                 *("" for _ in pairs)])  # fmt: skip
    rows.append(["samples ÷ (user CPU s × rate)", *(_coverage(cells[b].get("sample_coverage")) for b in backends),
                 *("" for _ in pairs)])  # fmt: skip
    parts = [table(headers, rows)]
    for pair in pairs:
        functions = pair.get("new_functions") or []
        parts.append(f"#### {pair['adapter']} over {pair['ceiling']}: {title(scenario)}")
        parts.append(pair["what_it_would_take"])
        if functions:
            parts.append(
                f"Top {len(functions)} self-time functions of {pair['adapter']} that appear nowhere in "
                f"{pair['ceiling']}'s stacks:\n\n"
                + table(
                    ["Function (file)", "Layer", "µs / request"],
                    [[f"`{f['function']}`", f["layer"], f"{f['us']:.1f}"] for f in functions],
                )
            )
    return "\n\n".join(parts)


def _times(value) -> str:
    return "—" if value is None else f"{value:.2f}×"


def _coverage(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def _minus(a, b):
    return None if a is None or b is None else a - b


def _ratio_for(backend: str, pairs: list[dict]) -> str:
    """The backend's ceiling CPU ÷ its CPU in this scenario's comparison (``ceiling`` for a ceiling)."""
    for pair in pairs:
        if pair["adapter"] == backend and pair.get("cpu_ratio") is not None:
            return f"{pair['cpu_ratio']:.2f}×"
    return "ceiling" if any(p["ceiling"] == backend for p in pairs) else "—"


def markdown(document: dict) -> str:
    settings = document.get("settings") or {}
    env = document.get("environment") or {}
    scenarios = list(dict.fromkeys(c["scenario"] for c in document.get("cells", []))) or settings.get("scenarios", [])
    notes = document.get("layer_notes") or {}
    parts = [
        "# Where the time goes: a py-spy profile of the backends against their ceilings",
        f"`{document.get('command') or 'flask bench profile'}` — {document.get('started_at', '')}"
        f"{' (interrupted: partial results)' if document.get('interrupted') else ''}.",
        (
            f"Each backend under its production server ({settings.get('server', 'default')}), "
            f"{settings.get('workers')} worker(s), on {settings.get('data_size', 0):,} seeded posts, loaded by wrk at "
            f"c={settings.get('concurrency')} for {settings.get('duration_s')} s per cell after "
            f"{settings.get('warmup_s')} s of unsampled warm-up, while py-spy ({env.get('py_spy') or 'py-spy'}) "
            f"sampled every worker at {settings.get('sample_rate')} Hz (`record --subprocesses --nonblocking --gil "
            "--format raw`: the thread holding the GIL, i.e. running Python). A layer's CPU µs per request is its "
            "share of the samples × the server tree's user CPU per request measured from /proc over the same window; "
            "the kernel row is its system CPU per request (system calls — socket reads and writes, poll, accept — run "
            "without the GIL, so no sample sees them). A backend's layers therefore add up to its measured CPU per "
            "request. Self time is charged to the innermost frame's package; C code holding the GIL (orjson, "
            "psycopg's C core, httptools, uvloop, pydantic-core) shows as the Python frame that called it, and "
            "standard-library frames as their nearest caller of a known layer. Without `--gil`, py-spy counts every "
            "thread the kernel calls runnable: on this shared 2-core machine a worker woken from `poll` waits there "
            "for a CPU, and the first profiles counted 2.7–3.8× the CPU the workers used, most of it in psycopg's and "
            "gunicorn's waits; `samples ÷ (user CPU s × rate)` below checks the sampling against /proc. One cell per "
            "backend and scenario: a breakdown, not a confidence interval (the bench run's tables have those)."
        ),
        *(
            [
                "Under granian the HTTP server is Rust: its work has no Python frame, so py-spy cannot see it and the"
                " other layers' shares are overstated by it."
            ]
            if settings.get("server") == "granian"
            else []
        ),  # fmt: skip
        "Layers: " + "; ".join(f"**{k}** — {v}" for k, v in notes.items()) + ".",
    ]
    failed = [(b, i) for b, i in (document.get("backends") or {}).items() if i.get("status") not in ("ok", "pending")]
    if failed:
        parts.append(
            "**Not profiled:**\n\n"
            + "\n".join(f"- {b}: {i['status'].replace('_', ' ')}: {(i.get('problems') or ['?'])[0]}" for b, i in failed)
        )
    for scenario in scenarios:
        parts += [f"## {title(scenario)} ({scenario})", scenario_section(document, scenario)]
    missing = [
        f"{b} (its ceiling {i['ceiling']} was not profiled: add it to --backends)"
        for b, i in (document.get("backends") or {}).items()
        if i.get("ceiling") and i["ceiling"] != b and i["ceiling"] not in (document.get("backends") or {})
    ]
    if missing:
        parts.append("No comparison for " + ", ".join(missing) + ".")
    raws = [c.get("raw") for c in document.get("cells", []) if c.get("raw")]
    if raws:
        parts.append(
            "The collapsed stacks (py-spy's raw format, gzipped) for flame graphs: "
            + ", ".join(f"[{r.split('/')[-1]}]({r})" for r in raws)
            + "."
        )
    return "\n\n".join(parts) + "\n"


def report_lines(document: dict, link: str) -> list[str]:
    """One line per adapter × scenario for the bench report: how far from 0.8× by CPU, and its largest layer."""
    lines = []
    for pair in document.get("comparisons", []):
        diffs = {k: v for k, v in (pair.get("layer_differences_us") or {}).items() if v is not None}
        top = max(diffs.items(), key=lambda kv: kv[1]) if diffs else None
        ratio = pair.get("cpu_ratio")
        text = f"- {pair['adapter']} over {pair['ceiling']}, {title(pair['scenario'])}: "
        text += f"ceiling CPU ÷ its CPU {ratio:.2f}×" if ratio is not None else "no CPU figure"
        if top is not None:
            text += f"; the largest addition is the {top[0]} layer, {top[1]:+.0f} µs/request"
        excess = pair.get("excess_us")
        if excess is not None:
            text += f"; 0.8× needs {max(0.0, excess):.0f} µs/request less" if excess > 0 else "; within the 0.8× budget"
        lines.append(text + f" ([profile]({link}))")
    return lines


def report_section(document: dict, link: str) -> str:
    """The bench report's paragraph: where the rest goes, with a profile (``flask bench report --profile DIR``)."""
    lines = report_lines(document, link)
    if not lines:
        return f"The [profile]({link}) has no adapter beside its ceiling."
    return (
        f"Where the rest goes, by layer, from a py-spy profile ([{link}]({link}), "
        f"{document.get('started_at', '')}; one sampled cell each, at "
        f"c={(document.get('settings') or {}).get('concurrency')}):\n\n" + "\n".join(lines)
    )


@dataclass(frozen=True)
class ProfileLink:
    """A profile given to ``flask bench report --profile DIR``: its document and its profile.md seen from the report."""

    document: dict
    link: str

    @classmethod
    def of(cls, document: dict, given: Path, report_dir: Path) -> ProfileLink:
        directory = given if given.is_dir() else given.parent
        return cls(document, Path(os.path.relpath(directory / "profile.md", report_dir)).as_posix())

    def note(self) -> str:
        return report_section(self.document, self.link)
