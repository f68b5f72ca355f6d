"""Put a running backend's database back to the seeded template, without restarting the server.

Each conformance module starts from the seed (tests/conformance/conftest.py calls this
for every backend before a module's first test), so no module depends on what another
module wrote: the suite passes in any order (``-p random_order``). Re-cloning the
database would break the servers' pooled connections, so the rows are copied instead:
every table emptied and refilled from the template with COPY, triggers off (the counter
tables are copied as they are), and every sequence set to the template's value.
"""

from __future__ import annotations

import psycopg

LOCK_TIMEOUT = "10s"  # a server holding a transaction open fails the restore loudly


# The job queue's own tables (Procrastinate) are not seed data, and truncating them under a running
# worker would delete its registration and its in-flight jobs: the drain before each module empties
# the queue instead (LiveBackend.wait_for_jobs).
QUEUE_TABLES = r"procrastinate\_%"


def _tables(conn: psycopg.Connection) -> list[str]:
    query = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE %s ORDER BY 1"
    return [row[0] for row in conn.execute(query, (QUEUE_TABLES,))]


def _stored_columns(conn: psycopg.Connection, table: str) -> str:
    """The table's columns but the generated ones (posts.search_vector), which COPY cannot fill."""
    rows = conn.execute(
        "SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
        (f"public.{table}",),
    )
    return ", ".join(row[0] for row in rows)


def _sequences(conn: psycopg.Connection) -> list[tuple[str, int | None]]:
    query = (
        "SELECT quote_ident(sequencename), last_value FROM pg_sequences"
        " WHERE schemaname = 'public' AND sequencename NOT LIKE %s"
    )
    return list(conn.execute(query, (QUEUE_TABLES,)))


def restore_from_template(template_dsn: str, target_dsn: str) -> None:
    """Make ``target_dsn``'s rows and sequences those of ``template_dsn`` (same schema), in one transaction."""
    with psycopg.connect(template_dsn) as source, psycopg.connect(target_dsn) as target:
        tables = _tables(source)
        target.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        target.execute("SET LOCAL session_replication_role = replica")  # no triggers, no FK checks
        target.execute(f"TRUNCATE {', '.join(tables)}")
        for table in tables:
            columns = _stored_columns(source, table)
            with (
                source.cursor().copy(f"COPY {table} ({columns}) TO STDOUT (FORMAT BINARY)") as rows_out,
                target.cursor().copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as rows_in,
            ):
                for block in rows_out:
                    rows_in.write(block)
        for sequence, last_value in _sequences(source):
            if last_value is None:  # never used: the next value is the first
                target.execute("SELECT setval(%s::regclass, 1, false)", (f"public.{sequence}",))
            else:
                target.execute("SELECT setval(%s::regclass, %s, true)", (f"public.{sequence}", last_value))
        target.commit()
