"""The measured versions of the seed's guessed tables, as Markdown (``flask bench tables``, the run's report).

It exists so the install-size, code-size, pool and production tables read the
same ``seed_tables`` document (finboard.bench.seedtables) wherever they are
shown, and the production table comes from a run's own cells.
"""

from __future__ import annotations

from finboard.bench.tables import Aggregate

SEED_WORKERS = 4  # the seed's "Production Deployment": 4 worker processes each


def _table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return "\n".join(lines + ["| " + " | ".join("—" if c is None else str(c) for c in row) + " |" for row in rows])


def installed_section(tables: dict) -> str:
    rows = []
    for name, info in (tables.get("installed") or {}).items():
        image = (tables.get("images") or {}).get(name, "n/a")
        rows.append([name, info.get("distributions"), f"{info['mb']:,.1f} MB" if info.get("mb") is not None else None,
                     f"+{info['added_mb']:,.1f} MB ({', '.join(info.get('added') or []) or 'nothing'})"
                     if info.get("added_mb") is not None else None,
                     f"{image} MB" if isinstance(image, int | float) else image])  # fmt: skip
    return (
        "Installed size of each backend's dependency closure: the project's dependencies plus the backend's extra"
        " (pyproject.toml), followed through every installed distribution's requirements, each counted as the"
        " files its RECORD lists. The second column is what the extra adds over the forum's own set.\n\n"
        + _table(["Backend", "Distributions", "Installed size", "Added by its extra", "Docker image"], rows)
    )


def _paths(info: dict) -> str:
    return ", ".join(f"`{p}`" for p in info.get("paths") or []) or "—"


def code_section(tables: dict) -> str:
    rows = []
    for name, info in (tables.get("lines_of_code") or {}).items():
        if not info:
            continue
        adapter = info.get("adapter", info)  # files before the matrix: the adapter's counts only
        layer = info.get("data_layer") or {}
        rows.append([name, _paths(adapter), f"{adapter['code']:,}", layer.get("layer") or "—", _paths(layer),
                     f"{layer['code']:,}" if "code" in layer else "—"])  # fmt: skip
    return (
        "Lines of code (cloc; code lines, not comments or blanks) of each backend's adapter — its framework's own"
        " files, shared by its `-orm` and `-sql` entries — and, beside it, of the read code of its data layer: the"
        " ORM's queries and their serialisation (left out of the adapter's count), or the hand-written SQL layer"
        " `finboard/rawsql` that every `-sql` backend and ceiling shares. The shared contract (`finboard/contract`)"
        " is counted for none. The measured stand-in for the seed's “development speed” stars.\n\n"
        + _table(["Backend", "Adapter files", "Adapter code", "Data layer", "Its read code", "Read code"], rows)
    )


def pools_section(tables: dict) -> str:
    rows = [[name, p.get("library"), p.get("role"), p.get("size"), p.get("overflow"), p.get("timeout_s"),
             "yes" if p.get("checked_on_checkout") else "no", p.get("persistent")]
            for name, pools in (tables.get("pools") or {}).items() for p in _as_list(pools)]  # fmt: skip
    return (
        "Every connection pool one worker process holds, read from each backend's own configuration (the engine,"
        " `DATABASES` or pool it builds) under its registry environment and the run's DB_POOL_SIZE: an `-sql`"
        " backend reads on the SQL layer, on its own psycopg pool (FastAPI) or on the framework pool's"
        " connections (Flask, Django).\n\n"
        + _table(
            ["Backend", "Pool", "Serves", "Size", "Overflow", "Timeout (s)", "Checked on checkout", "Persistent"], rows
        )  # fmt: skip
    )


def _as_list(pools) -> list[dict]:
    """A backend's pools: a list, or one dict in files recorded before the matrix, or none."""
    return [pools] if isinstance(pools, dict) else list(pools or [])


def production_section(run: dict) -> str:
    """The seed's production table: each backend's best req/s on the list scenario, with the workers it had."""
    workers = (run.get("settings") or {}).get("workers")
    agg = Aggregate(run)
    scenario = "list" if "list" in agg.scenarios else agg.headline_scenario()
    if scenario is None:
        return "No measurements."
    rows = []
    for backend in agg.backends:
        best = None
        for c in agg.concurrencies:
            cell = agg.cell(backend, scenario, agg.base_cache(), c)
            if cell is not None and cell.rps is not None and (best is None or cell.rps.median > best[1]):
                best = (c, cell.rps.median)
        rows.append([backend, workers, f"{best[1]:,.0f} req/s at {best[0]} connections" if best else None])
    note = "" if workers == SEED_WORKERS else (
        f" **This run had {workers} workers, not the seed's {SEED_WORKERS}**: run with `--workers {SEED_WORKERS}`"
        " for the seed's table.")  # fmt: skip
    return (
        f"The seed's “Production Deployment”: each backend under its production server with {workers} worker"
        f" processes, its best throughput on `{scenario}` (cache {agg.base_cache()}).{note}\n\n"
        + _table(["Backend", "Workers", "Serves"], rows)
    )


def markdown(tables: dict) -> str:
    return "\n\n".join(
        [
            "### Installed size",
            installed_section(tables),
            "### Lines of code per adapter",
            code_section(tables),
            "### Connection pools",
            pools_section(tables),
        ]
    )
