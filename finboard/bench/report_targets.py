"""The performance targets of the report: their verdicts, and each target's checks as a matrix or a list."""

from __future__ import annotations

from finboard.bench import targets
from finboard.bench.report_text import size_text, table, title
from finboard.bench.tables import Aggregate


def targets_section(run: dict, aggs: list[Aggregate], profile_note: str = "") -> str:
    """The verdicts, then each target's checks; ``profile_note`` (a profile's lines) follows target 1's (× ceiling)."""
    checks = targets.evaluate(run)
    settings = run.get("settings") or {}
    c = targets.concurrency(aggs[-1]) if aggs else None
    conditions = f"at {c} connections" if c else "(no cell measured)"
    if c is not None and c != targets.TARGET_CONCURRENCY:
        conditions += f" — **not the targets' c={targets.TARGET_CONCURRENCY}** (the run has no such cells)"
    workers = settings.get("workers")
    conditions += f", {workers} workers per backend" + (" — **not the targets' 2**" if workers != 2 else "")
    lines = [
        "Every target is a ratio of two figures measured in this run, on this machine, at the same time "
        f"({conditions}; cache off except target 4). Verdicts count only the judged checks; the others are"
        " shown for context. The margin is relative to the threshold.",
        "",
        table(
            ["#", "Target", "Threshold", "Result", "Worst judged check"],
            [
                [
                    str(o.target.number),
                    f"**{o.target.title}**: {o.target.what}",
                    targets.check(o.target.number, "", None).threshold_text()
                    + (f", < {targets.STARTUP_LIMIT_S:g} s" if o.target.number == 6 else ""),
                    o.text(),
                    f"{o.worst.label}: {o.worst.value_text()} — {o.worst.verdict()}" if o.worst else "—",
                ]
                for o in targets.outcomes(checks)
            ],
        ),
    ]
    for number, target in targets.TARGETS.items():
        mine = [ch for ch in checks if ch.target == number]
        lines += ["", f"### Target {number}: {target.title}", "", target_detail(number, mine)]
        if number == 1 and profile_note:
            lines += ["", profile_note]
    return "\n".join(lines)


def target_detail(number: int, checks: list[targets.Check]) -> str:
    """Targets 1–4 as a matrix (scenario × size down, backends across); the others as a list of checks."""
    if not checks:
        why = {
            2: "Needs two or more data sizes (e.g. --data-size 10000,1000000).",
            3: "Needs the deep and list scenarios.",
            4: "Needs --cache both.",
            5: "Needs the pages and list scenarios on flask.",
            8: "Needs the page scenarios (page_*; the hello yardstick joins them) with the cache on (--cache on "
            "or both).",
            9: "Needs page_revalidate on a server that sends ETags; without them its cells are skipped and say so "
            "(see All cells).",
            10: "Needs the logged-in page scenarios (page_*_member) and list.",
            11: "Needs the page scenarios at two or more data sizes (e.g. --data-size 10000,1000000).",
        }.get(number, "Not measured in this run.")
        return why
    threshold = checks[0].threshold_text()
    if number in (1, 2, 3, 4):
        backends = list(dict.fromkeys(ch.backend for ch in checks))
        several = len({ch.data_size for ch in checks}) > 1
        rows: dict[tuple, dict[str, targets.Check]] = {}
        for ch in checks:
            rows.setdefault((ch.scenario, ch.data_size), {})[ch.backend] = ch
        body = []
        for (scenario, size), by_backend in rows.items():
            label = title(scenario) if number != 3 else "deep ÷ list"
            if several or number == 3:
                label += f", {size_text(size)}"
            note = next((ch.note for ch in by_backend.values() if ch.note and number == 3), "")
            label += f" ({note})" if note else ""
            cells = []
            for backend in backends:
                ch = by_backend.get(backend)
                if ch is None:
                    cells.append("—")
                    continue
                text = f"{ch.value_text()} {ch.mark()}".strip()
                if ch.note and number != 3:
                    text += f" ({ch.note})"
                cells.append(text)
            body.append([label, *cells])
        judged = [b for b in backends if any(ch.judged for ch in checks if ch.backend == b)]
        scope = ", ".join(judged) or "no backend"
        head = f"Threshold {threshold}, judged for {scope} (✅ met, ❌ missed; no mark: context)."
        return head + "\n\n" + table(["", *backends], body)
    rows_list = [[ch.label, ch.value_text(), ch.threshold_text(), f"{ch.mark()} {ch.verdict()}".strip(), ch.note]
                 for ch in checks]  # fmt: skip
    return table(["Check", "Measured", "Threshold", "Verdict", "Note"], rows_list)
