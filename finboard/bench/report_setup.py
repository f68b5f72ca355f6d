"""What a run ran on and what it served: the report's environment, backends, data and EXPLAIN sections.

These say how to read the figures (machine, versions, the data of each round,
what each backend applied, the plans of the hot queries) and hold no figure
of the measured cells themselves.
"""

from __future__ import annotations

from finboard.bench.ceilings import ceiling_of
from finboard.bench.report_text import size_text, table


def environment_section(run: dict) -> str:
    env, s = run.get("environment", {}), run.get("settings", {})
    packages = ", ".join(f"{k} {v}" for k, v in (env.get("packages") or {}).items() if v)
    git = env.get("git") or {}
    lines = [
        f"- **Hardware**: {env.get('cpu_model')}, {env.get('cores_logical')} logical cores,"
        f" {env.get('memory_gb')} GB RAM",
        f"- **OS**: {env.get('os')}; **Python**: {env.get('python')}",
        f"- **Database**: PostgreSQL {env.get('postgresql')}, "
        + "; ".join(f"{r.get('posts') or 0:,} posts, {r.get('users') or 0:,} users" for r in run.get("rounds") or [])
        + f" (deterministic seed, one round per size; see Data); **Redis**: {env.get('redis') or 'n/a'}",
        f"- **Load testing tool**: {env.get('wrk')}, {s.get('threads')} threads, --timeout {s.get('timeout_s')}s,"
        " Lua script `finboard/bench/lua/finboard.lua`",
        f"- **Concurrent connections**: {', '.join(str(c) for c in s.get('concurrency', []))}",
        f"- **Test duration**: {s.get('duration_s')}s per cell after a {s.get('warmup_s')}s warm-up at the highest"
        f" concurrency (not counted); {s.get('repeat')} repeat(s), backend order rotating",
        f"- **Servers**: gunicorn, {s.get('workers')} workers per backend, database pool {s.get('pool_size')}"
        f" per worker; cache modes: {', '.join(s.get('cache_modes') or [])}",
        f"- **Network**: localhost; **commit**: {git.get('commit')}"
        f"{' (with local changes)' if git.get('dirty') else ''}",
        f"- **Versions**: {packages}",
        f"- **Command**: `{run.get('command')}`",
    ]
    return "\n".join(lines)


def backends_section(run: dict) -> str:
    rows, tails = [], []
    for name, info in run.get("backends", {}).items():
        verification = info.get("verification") or {}
        checked = verification.get("checked")
        verified = "passed" if verification.get("ok") else ("failed" if verification else "—")
        problems = "; ".join(info.get("problems") or [])[:400] or "—"
        rows.append(
            [
                name,
                info.get("framework", ""),
                info.get("data_layer") or "—",
                info.get("server") or "—",
                _tuning(info),
                ceiling_of(name) or "—",
                status_text_backend(info.get("status")),
                f"{verified} ({checked} requests)" if checked else verified,
                problems,
            ]
        )
        if info.get("log_tail"):
            tails.append(f"<details><summary>{name}: log tail</summary>\n\n```\n{info['log_tail']}\n```\n</details>")
    headers = ["Backend", "Framework", "Data layer", "Server", "Tuning applied", "Its ceiling", "Status",
               "Verification", "Problems"]  # fmt: skip
    return table(headers, rows) + ("\n\n" + "\n\n".join(tails) if tails else "")


def _tuning(info: dict) -> str:
    """The registry's ``tuning`` the backend ran with; files recorded before it was listed say so."""
    if "tuning" not in info:
        return "not recorded"
    return "; ".join(info["tuning"]) or "the framework's defaults"


def status_text_backend(status: str | None) -> str:
    return {"ok": "measured", "pending": "not run"}.get(status or "", (status or "").replace("_", " "))


def data_section(run: dict) -> str:
    rounds = run.get("rounds") or []
    if not rounds:
        return "No round recorded."
    parts = []
    for r in rounds:
        seeded = r.get("seed_s")
        how = f"seeded in {seeded:.0f} s" if r.get("seeded") and seeded is not None else "already seeded"
        lines = [
            f"### {size_text(r.get('data_size'))}",
            "",
            f"{r.get('posts') or 0:,} posts, {r.get('users') or 0:,} users, {r.get('comments') or 0:,} comments"
            f" ({how}; data ready after {r.get('prepare_s', 0):.0f} s).",
        ]
        tickers = r.get("tickers") or []
        if tickers:
            lines.append(
                "Cashtags of `list_cashtag` (the most used): "
                + ", ".join(f"{t['ticker']} ({t['posts']:,} posts)" for t in tickers)
                + "."
            )
        categories = r.get("categories") or []
        if categories:
            lines.append(f"Categories of `list_category`: {', '.join(categories)}.")
        deep = r.get("deep") or {}
        if deep:
            if deep.get("cursor"):
                shallower = (
                    f" — the deepest page at this size ({deep['requested_page']:,} asked)"
                    if deep.get("page", 0) < deep.get("requested_page", 0)
                    else ""
                )
                lines.append(
                    f"Deep page: page {deep['page']:,} of {deep['per_page']}{shallower}, by the cursor after row"
                    f" {deep['after_row']:,} of ORDER BY created_at DESC, id DESC (`{deep['cursor']}`);"
                    f" it starts with post {deep.get('first_id')}."
                )
            else:
                lines.append("Deep page: the data has one page only, so `deep` reads the first page.")
        terms = r.get("search_terms") or {}
        rows = []
        for band, picked in terms.items():
            for t in picked:
                rows.append(
                    [
                        band,
                        f"`{t['query']}`",
                        f"{t['posts']:,}",
                        f"{t['fraction']:.2%}" if t["fraction"] >= 0.001 else f"{t['fraction']:.4%}",
                        "yes" if t.get("in_band") else "no (nothing in the band: the closest)",
                    ]
                )
        if rows:
            lines += [
                "",
                "Search terms, picked by document frequency (ts_stat over `posts.search_vector`; lexemes, so"
                " stems; a rare query of several lexemes matches posts that have all of them):",
                "",
                table(["Band", "?search=", "Posts", "Of all posts", "In band"], rows),
            ]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def explain_section(run: dict) -> str:
    found = [r for r in run.get("rounds") or [] if r.get("explain")]
    if not found:
        return "Not recorded (with --target, or the run stopped before its largest size)."
    r = found[-1]
    parts = [
        f"At {size_text(r.get('data_size'))}: the hand-written statements that the ceilings' and every -sql"
        " backend's reads run"
        " (`finboard/rawsql/statements.py`) with"
        " the scenarios' parameters, each run once to warm the caches, then under EXPLAIN (ANALYZE, BUFFERS) twice:"
        " with the values bound (the **custom** plan, what a statement gets the first times it runs) and prepared"
        " under `plan_cache_mode = force_generic_plan` (the **generic** plan: psycopg prepares a statement after"
        " five executions on a connection, and PostgreSQL may then keep the generic plan). Where the two differ"
        " much, the generic plan is what a busy server may really be running.",
        table(
            ["Query", "Statement", "Custom plan", "Generic plan"],
            [
                [
                    e["query"],
                    e.get("part") or "—",
                    ms_text(e, "execution_ms", "error"),
                    ms_text(e, "generic_execution_ms", "generic_error"),
                ]
                for e in r["explain"]
            ],
        ),  # fmt: skip
    ]
    for e in r["explain"]:
        head = f"### {e['query']}" + (f" · {e['part']}" if e.get("part") else "")
        block = [head]
        if e.get("sql"):
            block.append(f"```sql\n{e['sql']}\n```")
            if e.get("params"):
                block.append("Parameters: " + ", ".join(f"`{p}`" for p in e["params"]))
        if e.get("error"):
            block.append(f"Could not explain: {e['error']}")
        elif e.get("plan"):
            block.append(f"Custom plan:\n\n```\n{e['plan']}\n```")
        if e.get("generic_error"):
            block.append(f"Could not explain the generic plan: {e['generic_error']}")
        elif e.get("generic_plan"):
            block.append(f"Generic plan:\n\n```\n{e['generic_plan']}\n```")
        parts.append("\n\n".join(block))
    return "\n\n".join(parts)


def ms_text(entry: dict, key: str, error_key: str) -> str:
    if entry.get(error_key):
        return "error"
    value = entry.get(key)
    return f"{value:,.2f} ms" if value is not None else "—"
