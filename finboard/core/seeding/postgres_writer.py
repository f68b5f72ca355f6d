"""The seeded rows written to PostgreSQL by ``COPY ... FROM STDIN``, streamed as they are generated.

A large load (``BULK_ROWS``) also switches the counter triggers off and recomputes the counters
with ``counters.rebuild``, drops the foreign keys and secondary indexes of a table that is empty
or small next to the load and adds them back afterwards (one validating join, one sort), loads
empty tables with ``COPY FREEZE``, and ``ANALYZE``\\s, all in the caller's transaction, so a
failure (a clash with existing rows, say) leaves the database as it was. The seeded tables are
locked against concurrent writes meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from finboard.core import counters
from finboard.core.security import hash_password
from finboard.core.seeding.generator import Generator
from finboard.core.seeding.plan import DAY, DEMO_PASSWORD, YEAR, Plan, epoch_datetime, resolve_authors
from finboard.core.seeding.progress import Reporter

COPY_CHUNK = 4000  # rows per COPY write (PostgreSQL)


NULL = "\\N"  # COPY text format's NULL


# From this many posts + comments on, PostgreSQL loads in bulk mode (triggers
# off, counters rebuilt, indexes rebuilt when that pays, ANALYZE).
BULK_ROWS = 50_000


# A table's foreign keys and secondary indexes are dropped, and put back after
# the load, when at least this many rows are loaded into it and it held fewer
# rows than that before.
REINDEX_ROWS = 100_000


# The counter triggers of migration 0002, switched off during a bulk load.
COUNTER_TRIGGERS = {
    "posts": ("posts_counters", "posts_counters_update"),
    "comments": ("comments_counters",),
    "post_cashtags": ("post_cashtags_counters",),
}


class Timestamps:
    """Epoch seconds as COPY text ("2026-05-01 13:45:07+00") by two table lookups."""

    def __init__(self, oldest: int, newest: int) -> None:
        self.base = oldest - oldest % DAY
        start = epoch_datetime(self.base)
        days = (newest - self.base) // DAY + 1
        self.days = [(start + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(days)]
        self.times = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY)]

    def formatter(self) -> Callable[[int], str]:
        base, days, times = self.base, self.days, self.times

        def fmt(epoch: int) -> str:
            d, s = divmod(epoch - base, DAY)
            return days[d] + times[s]

        return fmt


class PostgresLoader:
    TABLES = ("users", "posts", "post_cashtags", "comments")

    def __init__(self, session: Session, plan: Plan, report: Reporter) -> None:
        self.session, self.plan, self.report = session, plan, report
        self.raw = session.connection().connection.driver_connection  # psycopg.Connection
        self.statement = ""

    def sql(self, statement: str, params: tuple | None = None) -> list[tuple]:
        self.statement = statement
        with self.raw.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []

    def load(self) -> None:
        import psycopg

        try:
            self._load()
        except psycopg.Error as exc:
            raise DBAPIError.instance(self.statement, None, exc, psycopg.Error) from exc

    def _load(self) -> None:
        plan, report = self.plan, self.report
        total = plan.posts + plan.comments
        bulk = total >= BULK_ROWS and total > 0
        # Writers wait until this transaction ends; readers too once a bulk load truncates or drops indexes.
        self.sql(f"LOCK TABLE {', '.join(self.TABLES)} IN SHARE ROW EXCLUSIVE MODE")
        if bulk:
            self.sql("SET LOCAL maintenance_work_mem = '1GB'")
            self.sql("SET LOCAL statement_timeout = 0")
            self.sql("SET LOCAL synchronous_commit = off")
        plan.user_base = self._id_base("users")
        plan.post_base = self._id_base("posts")
        plan.comment_base = self._id_base("comments")
        resolve_authors(self.session, plan)
        gen = Generator(plan, newline="\\n")
        gen.assign_comments()
        expected = {"posts": plan.posts, "comments": plan.comments, "post_cashtags": plan.posts * 2}
        freeze = bulk and plan.posts > 0 and self._truncate_if_empty()
        restore: list[str] = []
        triggers: dict[str, list[str]] = {}
        if bulk:
            triggers = self._counter_triggers()
            for table, names in triggers.items():
                self.sql(f"ALTER TABLE {table} " + ", ".join(f"DISABLE TRIGGER {n}" for n in names))
            for table in ("posts", "post_cashtags", "comments"):
                restore += self._set_aside(table, expected[table])
        report("prepare")

        ts = Timestamps(plan.anchor - 2 * YEAR - DAY, plan.anchor).formatter()
        if plan.users:
            password_hash = hash_password(DEMO_PASSWORD).replace("\\", "\\\\")  # COPY text escapes "\"
            tail = f"\t{password_hash}\tmember\t0\t"
            n = self._copy(
                # demo accounts count as verified (their made-up addresses never get a link)
                "users (id, username, email, password_hash, role, token_version, created_at, email_verified_at)",
                (f"{uid}\t{name}\t{email}{tail}{ts(at)}\t{ts(at)}\n" for uid, name, email, at in gen.users()),
            )
            report("users", n)
        n = self._copy(
            "posts (id, author_id, category_id, title, body, cashtags, comment_count, created_at, updated_at, "
            "sentiment, positions, sentiments)",
            (
                f"{p}\t{a}\t{c}\t{t}\t{b}\t{tags}\t{count}\t{ts(at)}\t{ts(at)}\t{view or NULL}\t{held}\t{views}\n"
                for p, a, c, t, b, tags, count, at, view, held, views in gen.posts()
            ),
            freeze,
        )
        report("posts", n)
        n = self._copy(
            "post_cashtags (ticker, post_id, created_at)",
            (f"{t}\t{p}\t{ts(at)}\n" for t, p, at in gen.cashtags()),
            freeze,
        )
        report("post_cashtags", n)
        n = self._copy(
            "comments (id, post_id, author_id, body, created_at)",
            (f"{c}\t{p}\t{a}\t{b}\t{ts(at)}\n" for c, p, a, b, at in gen.comments()),
            freeze,
        )
        report("comments", n)

        if restore:
            for statement in restore:
                self.sql(statement)
            report("foreign keys checked, indexes rebuilt")
        if bulk:
            if triggers:
                counters.rebuild(self.session.connection())
                for table, names in triggers.items():
                    self.sql(f"ALTER TABLE {table} " + ", ".join(f"ENABLE TRIGGER {n}" for n in names))
                report("counters")
            present = [t for t in (*self.TABLES, *counters.COUNTER_TABLES) if self._exists(t)]
            self.sql(f"ANALYZE {', '.join(present)}")
            report("analyze")
        # Last: setval is not undone by a rollback (a gap in the ids is all a later failure leaves).
        for table, base, count in (
            ("users", plan.user_base, plan.users),
            ("posts", plan.post_base, plan.posts),
            ("comments", plan.comment_base, plan.comments),
        ):
            if count:
                self._advance_sequence(table, base + count)

    # -- helpers --

    def _copy(self, target: str, lines: Iterable[str], freeze: bool = False) -> int:
        self.statement = f"COPY {target} FROM STDIN" + (" WITH (FREEZE)" if freeze else "")
        written = 0
        with self.raw.cursor() as cur, cur.copy(self.statement) as copy:
            chunk: list[str] = []
            for line in lines:
                chunk.append(line)
                if len(chunk) >= COPY_CHUNK:
                    copy.write("".join(chunk))
                    written += len(chunk)
                    chunk = []
            if chunk:
                copy.write("".join(chunk))
                written += len(chunk)
        return written

    def _exists(self, table: str) -> bool:
        return self.sql("SELECT to_regclass(%s) IS NOT NULL", (table,))[0][0]

    def _id_base(self, table: str) -> int:
        """Above both the largest id and anything the id sequence has handed out."""
        (highest,) = self.sql(f"SELECT coalesce(max(id), 0) FROM {table}")[0]  # nosec B608 - fixed table names
        (sequence,) = self.sql("SELECT pg_get_serial_sequence(%s, 'id')", (table,))[0]
        if sequence:
            last, called = self.sql(f"SELECT last_value, is_called FROM {sequence}")[0]  # nosec B608 - a name from pg_get_serial_sequence
            highest = max(highest, last if called else last - 1)
        return highest

    def _advance_sequence(self, table: str, last_id: int) -> None:
        (sequence,) = self.sql("SELECT pg_get_serial_sequence(%s, 'id')", (table,))[0]
        if sequence:
            self.sql("SELECT setval(%s, %s)", (sequence, last_id))

    def _counter_triggers(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for table, names in COUNTER_TRIGGERS.items():
            rows = self.sql(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal "
                "AND tgname = ANY(%s) ORDER BY tgname",
                (table, list(names)),
            )
            if rows:
                found[table] = [r[0] for r in rows]
        return found

    def _truncate_if_empty(self) -> bool:
        """Empty the (already empty) post tables in this transaction, so COPY FREEZE may load them.

        Frozen rows are visible to everyone without hint-bit writes and their
        pages are all-visible at once (index-only scans, no first VACUUM).
        Only when nothing else references these tables (TRUNCATE would refuse).
        """
        tables = ("posts", "post_cashtags", "comments")
        if any(self.sql(f"SELECT EXISTS (SELECT 1 FROM {t})")[0][0] for t in tables):  # nosec B608 - fixed table names
            return False
        others = self.sql(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = ANY(%s::regclass[]) "
            "AND NOT conrelid = ANY(%s::regclass[])",
            (list(tables), list(tables)),
        )[0][0]
        if others:
            return False
        self.sql(f"TRUNCATE {', '.join(tables)}")
        return True

    def _set_aside(self, table: str, rows: int) -> list[str]:
        """Drop the table's foreign keys and plain secondary indexes when the load dwarfs the table.

        Checking a foreign key row by row costs more than the COPY itself, and
        so does inserting into indexes row by row: one validating
        ``ADD CONSTRAINT`` (a single join) and one ``CREATE INDEX`` (a sort)
        after the load are many times faster, and check and build exactly the
        same thing. Returns the statements that put them back, from their
        catalog definitions. Primary keys, unique indexes and indexes behind
        constraints stay (they catch clashes as rows arrive).
        """
        if rows < REINDEX_ROWS:
            return []
        (existing,) = self.sql(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT %s) s", (rows,))[0]  # nosec B608 - fixed table names
        if existing >= rows:
            return []
        foreign_keys = self.sql(
            "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
            (table,),
        )
        indexes = self.sql(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary AND NOT i.indisunique "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
            "ORDER BY i.indexrelid",
            (table,),
        )
        restore = []
        if foreign_keys:
            self.sql(f"ALTER TABLE {table} " + ", ".join(f"DROP CONSTRAINT {name}" for name, _ in foreign_keys))
            restore.append(
                f"ALTER TABLE {table} "
                + ", ".join(f"ADD CONSTRAINT {name} {definition}" for name, definition in foreign_keys)
            )
        for name, definition in indexes:
            self.sql(f"DROP INDEX {name}")
            restore.append(definition)
        return restore
