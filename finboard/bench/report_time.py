"""Where the time goes: one request's CPU cost split into the ceiling, the framework and the ORM.

Issue 14 asks why one framework is faster, not only which: per scenario, the
framework-less ceiling's CPU µs per request (``wsgi-raw`` for WSGI backends,
``asgi-raw`` for ASGI ones, served the same way: ``finboard.bench.ceilings``),
what the framework adds (``X-sql`` − its ceiling) and what the ORM and
serialisation add (``X-orm`` − ``X-sql``), all paired by round. CPU per
request barely moves when a neighbour steals cycles; req/s does, so both are
shown. It also judges the issue's "every ``-sql`` adapter reaches ≥ 0.8× of its
own ceiling on list and detail" as one line per ``-sql`` backend.
"""

from __future__ import annotations

from dataclasses import dataclass

from finboard.bench import precision
from finboard.bench.ceilings import data_layer_of, is_ceiling_label
from finboard.bench.report_precision import base_cells
from finboard.bench.report_text import ci_text, size_text, table, title
from finboard.bench.stats import Estimate
from finboard.bench.tables import Aggregate
from finboard.registry import SQL

SQL_CEILING_TARGET = 0.8  # issue 14, Done when: each -sql adapter ≥ 0.8× its own ceiling's req/s
CEILING_SCENARIOS = ("list", "detail")  # …on list and detail


def time_section(agg: Aggregate) -> str:
    """Per scenario, each backend's server CPU µs/request beside its ceiling's, and what framework and ORM add."""
    c, cache, entries = base_cells(agg)
    if c is None:
        return "No measurements."
    rows = []
    for scenario in agg.scenarios:
        for row in precision.time_breakdown(entries, agg.data_size, scenario, cache, c):
            rows.append(
                [
                    title(scenario),
                    row["backend"],
                    row["ceiling"] or "— (none registered)",
                    ci_text(row["cpu_us"], 0, " µs"),
                    "ceiling" if row["is_ceiling"] else _difference(row["adds_us"]),
                    _difference(row["orm_adds_us"]) if row["sql_variant"] else "—",
                    ci_text(row["postgres_us"], 0, " µs"),
                    ci_text(row["rps"], 0),
                    "—" if row["is_ceiling"] else _ratio(row["x_ceiling"]),
                ]
            )
    if not rows:
        return "Not measured (with --target, or a file older than schema version 3: no CPU time per request)."
    headers = [
        "Scenario",
        "Backend",
        "Its ceiling",
        "Server CPU / request",
        "Over its ceiling",
        "ORM + serialisation (over its -sql)",
        "PostgreSQL CPU / request",
        "req/s",
        "req/s × ceiling",
    ]
    return (
        f"CPU time of the server's whole process tree over each cell (user + system, from /proc) ÷ its successful"
        f" requests, at {c} connections, cache {cache}. Each backend is set against its own framework-less ceiling"
        " — the one of the same interface (WSGI: `wsgi-raw`, ASGI: `asgi-raw`), under the same server and revision."
        " **Over its ceiling** is the backend's CPU µs minus its ceiling's in the same round (paired): for an `-sql`"
        " backend, what the framework adds; for an `-orm` one, framework and ORM together, of which **ORM +"
        " serialisation** is its part over the same framework's `-sql` variant. PostgreSQL: its backends serving the"
        " benchmark database, per request. Medians with 95% CIs.\n\n" + table(headers, rows)
    )


def _ratio(estimate: Estimate | None) -> str:
    return "—" if estimate is None else f"{ci_text(estimate, 2)}×"


def _difference(estimate: Estimate | None) -> str:
    return "—" if estimate is None else ci_text(estimate, 0, " µs")


@dataclass(frozen=True)
class CeilingCheck:
    """One ``-sql`` backend on one scenario: its req/s ÷ its ceiling's, paired by round, against the 0.8 target."""

    backend: str
    ceiling: str
    scenario: str
    ratio: Estimate | None

    @property
    def verdict(self) -> str:
        """``met`` (CI wholly ≥ target), ``missed`` (wholly below), ``inconclusive`` (it straddles), ``unmeasured``."""
        if self.ratio is None:
            return "unmeasured"
        if self.ratio.low >= SQL_CEILING_TARGET:
            return "met"
        if self.ratio.high < SQL_CEILING_TARGET:
            return "missed"
        return "inconclusive"


def ceiling_checks(agg: Aggregate) -> list[CeilingCheck]:
    """Every measured ``-sql`` backend (A/A copies left out) on list and detail, at the tables' concurrency."""
    c, cache, entries = base_cells(agg)
    if c is None:
        return []
    checks = []
    for scenario in CEILING_SCENARIOS:
        for row in precision.time_breakdown(entries, agg.data_size, scenario, cache, c):
            label = row["backend"]
            if precision.is_aa_copy(label) or is_ceiling_label(label) or data_layer_of(label) != SQL:
                continue
            checks.append(CeilingCheck(label, row["ceiling"] or "—", scenario, row["x_ceiling"]))
    return checks


MARKS = {"met": "✅ met", "missed": "❌ missed", "inconclusive": "❔ inconclusive (the CI straddles 0.8)"}


def ceiling_section(agg: Aggregate, profile_note: str = "") -> str:
    """The issue's Done-when line per ``-sql`` backend: ≥ 0.8× its own ceiling's req/s on list and detail.

    ``profile_note``: where the rest goes, from a ``flask bench profile`` (``flask bench report --profile DIR``).
    """
    checks = ceiling_checks(agg)
    if not checks:
        return "No `-sql` backend measured beside its ceiling on list or detail." + (
            f"\n\n{profile_note}" if profile_note else ""
        )
    lines = [
        f"Each `-sql` backend's req/s ÷ its own ceiling's at {size_text(agg.data_size)}, paired by round, with its 95%"
        f" CI; the target is ≥ {SQL_CEILING_TARGET:g}× (met when the whole CI is at or above it). Where it is missed,"
        " the time table above shows what the framework adds per request.",
        "",
    ]
    for ch in checks:
        figure = "not measured beside it" if ch.ratio is None else _ratio(ch.ratio)
        lines.append(
            f"- **{ch.backend}** ÷ {ch.ceiling}, {title(ch.scenario)}: {figure} — {MARKS.get(ch.verdict, ch.verdict)}"
        )
    if profile_note:
        lines += ["", profile_note]
    return "\n".join(lines)


def ceiling_check_lines(agg: Aggregate) -> list[str]:
    """The same checks as one plain line each, for the terminal."""
    return [
        f"  {ch.backend} ÷ {ch.ceiling}, {ch.scenario}: "
        + ("—" if ch.ratio is None else _ratio(ch.ratio))
        + f" ({ch.verdict}; target ≥ {SQL_CEILING_TARGET:g}×)"
        for ch in ceiling_checks(agg)
    ]
