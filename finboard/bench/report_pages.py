"""The report's page table: every page scenario's req/s, divided by the /hello yardstick of the same run.

It exists because a page's req/s alone drifts with the machine; its ratio to
the cheapest answer of the same stack (``hello``: Flask under the same gunicorn
settings, measured in the same rounds) does not, and issue 19's targets are
written in it. Visitor and member pages sit side by side; a member's page is
also set against the API list (target 10).
"""

from __future__ import annotations

from finboard.bench.page_scenarios import HELLO, MEMBER_SUFFIX
from finboard.bench.report_text import table, title
from finboard.bench.tables import Aggregate, fmt, status_text
from finboard.bench.targets import concurrency, ratio, rps
from finboard.bench.targets_pages import hello_label, hello_rps, page_scenario_names, per_hello


def _backends(agg: Aggregate) -> list[str]:
    names = page_scenario_names()
    return [b for b in agg.backends if any(k[0] == b and k[1] in names for k in agg.cells)]


def _cell(agg: Aggregate, backend: str, scenario: str, cache: str, c: int) -> str:
    cell = agg.cell(backend, scenario, cache, c)
    if cell is None:
        return "—"
    if not cell.measured:
        return status_text(cell)
    x = per_hello(agg, backend, scenario, cache)
    text = fmt(cell.rps, flagged=cell.flagged)
    return f"{text} ({x:.2f}× /hello)" if x is not None else text


def pages_section(agg: Aggregate) -> str:
    backends, c = _backends(agg), concurrency(agg)
    if not backends or c is None:
        return ""
    rows = []
    visitors = [n for n in page_scenario_names() if not n.endswith(MEMBER_SUFFIX)]
    for cache in agg.caches:
        for scenario in visitors:
            member = scenario + MEMBER_SUFFIX
            if not any(agg.cell(b, s, cache, c) for b in backends for s in (scenario, member)):
                continue
            row = [title(scenario), cache]
            for backend in backends:
                row.append(_cell(agg, backend, scenario, cache, c))
                member_text = _cell(agg, backend, member, cache, c)
                to_list = ratio(rps(agg, backend, member, cache), rps(agg, backend, "list", cache))
                row.append(member_text + (f", {to_list:.2f}× list" if to_list is not None else ""))
            rows.append(row)
    yardsticks = []
    measured = [b for b in agg.backends if any(k[0] == b and k[1] == HELLO for k in agg.cells)]
    for backend in measured or [hello_label(backends[0])]:
        figures = [f"cache {cache}: {value:,.0f} req/s" for cache in agg.caches
                   if (value := rps(agg, backend, HELLO, cache)) is not None]  # fmt: skip
        yardsticks.append(f"`{backend}` {'; '.join(figures) or 'not measured'}")
    head = (
        f"Successful requests per second at {c} connections (median of the rounds), each ÷ the /hello yardstick's in "
        f"the same run and cache mode — {', '.join(yardsticks)}. A member's page is logged in through the form (one "
        "session per connection) and also set against the API list (`list`) of the same cache mode.\n\n"
    )
    headers = ["Page", "Cache"]
    for backend in backends:
        headers += [f"{backend}: visitor", f"{backend}: member"]
    notes = []
    for (backend, scenario, cache, _), cell in agg.cells.items():
        note = next((e["note"] for e in cell.entries if e.get("note")), None)
        if note and backend in backends:
            notes.append(f"- {backend}, {scenario}, cache {cache}: {note}")
    return head + table(headers, rows) + ("\n\n" + "\n".join(dict.fromkeys(notes)) if notes else "")


def terminal_lines(agg: Aggregate) -> list[str]:
    """``10,000 posts, page_index (cache off): flask-orm 0.31× /hello (…)`` lines for the terminal."""
    c = concurrency(agg)
    size = f"{agg.data_size:,} posts, " if agg.data_size else ""
    lines = []
    for backend in _backends(agg):
        for scenario in page_scenario_names():
            for cache in agg.caches:
                x = per_hello(agg, backend, scenario, cache) if c is not None else None
                if x is not None:
                    hello = hello_rps(agg, backend, cache)
                    lines.append(f"  {size}{scenario} (cache {cache}): {backend} {x:.2f}× /hello ({hello:,.0f} req/s)")
    return lines
