"""Issue 19's table from the measured cells: medians and min–max over rounds, ratios within a round.

Why ratios within a round: the machine drifts (other work, thermal, the database's caches), and a
ratio of two cells measured minutes apart in the same round carries less of that drift than a
ratio of two medians. Both are kept: the table prints the median of the per-round ratios and
their range; results.json has every value.
"""

from __future__ import annotations

import statistics

BOARD_NAMES = {"flaskbb": "FlaskBB", "finboard-cached": "FinBoard cached", "finboard-uncached": "FinBoard uncached"}
RATIOS = {
    "cached_vs_flaskbb": ("finboard-cached", "flaskbb"),
    "uncached_vs_flaskbb": ("finboard-uncached", "flaskbb"),
    "cached_vs_hello": ("finboard-cached", "hello-finboard"),
    "uncached_vs_hello": ("finboard-uncached", "hello-finboard"),
    "flaskbb_vs_hello": ("flaskbb", "hello-flaskbb"),
}


def spread(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}


def summarise(cells: list[dict], rounds: int) -> dict:
    """Per page and board: req/s over the rounds (valid cells only); per page: the ratios of issue 19."""
    by_round: dict[tuple[str, str], dict[int, float]] = {}
    for cell in cells:
        if cell["valid"]:
            by_round.setdefault((cell["page"], cell["board"]), {})[cell["round"]] = cell["rps"]
    hello = {name: by_round.get(("hello", name), {}) for name in ("hello-finboard", "hello-flaskbb")}
    pages: dict[str, dict] = {}
    for (page, board), values in by_round.items():
        if page != "hello":
            pages.setdefault(page, {"boards": {}, "ratios": {}})["boards"][board] = spread(list(values.values()))
    for page, entry in pages.items():
        for name, (top, bottom) in RATIOS.items():
            tops = by_round.get((page, top), {})
            bottoms = hello[bottom] if bottom.startswith("hello") else by_round.get((page, bottom), {})
            values = [tops[r] / bottoms[r] for r in range(rounds) if r in tops and r in bottoms]
            if values:
                entry["ratios"][name] = spread(values)
    return {
        "pages": pages,
        "hello": {name: spread(list(values.values())) for name, values in hello.items() if values},
    }


def rate(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def times(value: float) -> str:
    if value < 0.1:
        return f"{value:.3f}"
    return f"{value:.2f}" if value < 1 else f"{value:.1f}" if value < 10 else f"{value:.0f}"


def fmt(entry: dict | None, unit=rate, suffix: str = "") -> str:
    if not entry:
        return "n/a"
    low, high = unit(entry["min"]), unit(entry["max"])
    return f"{unit(entry['median'])}{suffix} ({low}–{high})" if low != high else f"{unit(entry['median'])}{suffix}"


def render_table(summary: dict, meta: dict, targets: dict) -> str:
    order = ["index", "category page 1", "deep category page", "post with 3 comments", "search"]
    lines = [
        "| page | FlaskBB req/s | FinBoard cached | FinBoard uncached | FinBoard ÷ FlaskBB (cached) "
        "| FinBoard ÷ FlaskBB (uncached) | FinBoard cached ÷ /hello |",
        "|---|---|---|---|---|---|---|",
    ]
    for page in order:
        entry = summary["pages"].get(page, {"boards": {}, "ratios": {}})
        boards, ratios = entry["boards"], entry["ratios"]
        lines.append(
            f"| {page} | {fmt(boards.get('flaskbb'))} | {fmt(boards.get('finboard-cached'))} "
            f"| {fmt(boards.get('finboard-uncached'))} | {fmt(ratios.get('cached_vs_flaskbb'), times, '×')} "
            f"| {fmt(ratios.get('uncached_vs_flaskbb'), times, '×')} | {fmt(ratios.get('cached_vs_hello'), times)} |"
        )
    hello = summary["hello"]
    lines += [
        "",
        "| yardstick | req/s |",
        "|---|---|",
        f"| `/hello`, FinBoard's Python {meta.get('finboard_python', '?')} | {fmt(hello.get('hello-finboard'))} |",
        f"| `/hello`, FlaskBB's venv, Python {meta.get('flaskbb_python', '?')} | {fmt(hello.get('hello-flaskbb'))} |",
        "",
        "Each page ÷ the `/hello` of its own interpreter (how many `/hello`s a page costs, inverted):",
        "",
        "| page | FlaskBB ÷ its /hello | FinBoard cached ÷ its /hello | FinBoard uncached ÷ its /hello |",
        "|---|---|---|---|",
    ]
    for page in order:
        ratios = summary["pages"].get(page, {}).get("ratios", {})
        lines.append(
            f"| {page} | {fmt(ratios.get('flaskbb_vs_hello'), times)} | {fmt(ratios.get('cached_vs_hello'), times)} "
            f"| {fmt(ratios.get('uncached_vs_hello'), times)} |"
        )
    search = {board: targets[("search", board)].facts.get("results_shown") for board in BOARD_NAMES}
    lines += [
        "",
        f"Medians over {meta.get('rounds')} alternating rounds of {meta.get('duration_s'):g} s cells, wrk "
        f"-c{meta.get('connections')} -t{meta.get('wrk_threads')}, min–max in brackets; ratios are taken within "
        "each round. Every answer was checked for status 200 and a string of the expected page.",
        f"Search for `{meta.get('search_term')}`: FlaskBB shows all {search['flaskbb']} matching topics on one page "
        f"(its search does not paginate), FinBoard the newest {search['finboard-cached']} matching posts.",
        "",
    ]
    return "\n".join(lines)
