"""Newest-first search that reads only the rows it returns: a RUM index in time order (issue 19).

Why: the newest 20 matches of a search were found by reading every match from the table
(GIN gives no order) and sorting them, or by walking the newest posts until 20 matched.
At 1,000,000 posts a word in 4,000 posts meant 4,000 heap rows per page. A RUM index
(``rum_tsvector_addon_ops``) keeps each post's ``created_at`` beside its lexemes, so
``ORDER BY created_at <=| <newest moment>`` sorts the matches inside the index and
PostgreSQL fetches only the rows it returns.

``finboard_search_newest(query, after_at, after_id, wanted)`` is the one place that
search runs, called by every data layer (``finboard.contract.search_newest``): the ids
of the ``wanted`` newest visible posts matching ``query`` after the keyset cursor, plus any
posts tied with the last one in time (the caller sorts by ``(created_at, id)`` and
cuts, so the result is exactly the plain query's). The rum 1.3 of Debian 12 sorts every
match of the query in the index before returning the first, so a word in a quarter of
all posts is cheaper the old way (walk the newest posts, a few rows per hit): the
function asks the planner how many posts match (as ``finboard_search_estimate`` does)
and walks the time index when the walk reads fewer rows than the sort would sort
(``estimate² > 8 × wanted × posts``; the setting ``finboard.search_common_rows``, when
set, is an absolute threshold instead — for tests and operators). JIT is off inside: the
function's statements are short LIMITed reads, and compiling the estimate's plan cost more
(0.2-0.6 ms at 1M posts) than the whole search.

The extension is optional. Without it (package ``postgresql-15-rum`` not installed, or
the migrating role may not ``CREATE EXTENSION``, or ``FINBOARD_SEARCH_INDEX=gin``) no
RUM index is built and the function is the GIN query the layers ran before; the
migration says which it built, and every server logs it when it starts
(``finboard.contract.search_newest.SEARCH_INDEX_SQL``). To switch later: downgrade to 0019 and upgrade.
The GIN index stays either way: other sorts and filters, and the estimates, use it.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

import logging
import os

from alembic import op
from sqlalchemy import text

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

RUM_INDEX = (
    "CREATE INDEX ix_posts_search_rum ON posts USING rum (search_vector rum_tsvector_addon_ops, created_at) "
    "WITH (attach = 'created_at', to = 'search_vector')"
)

# The keyset condition (finboard.core.read_statements._after, sort "new"), added when a cursor is given.
_KEYSET = "' AND p.created_at <= $2 AND (p.created_at < $2 OR p.id < $3)'"
_MATCHES = "'SELECT p.id FROM posts p WHERE p.search_vector @@ $1 AND p.hidden_at IS NULL'"
_WALK = "' ORDER BY p.created_at DESC, p.id DESC LIMIT $4'"
# Distance from the cursor (or from the last moment Python can write) backwards: newest first.
_RUM_ORDER = "' ORDER BY p.created_at <=| $5 FETCH FIRST $4 ROWS WITH TIES'"

_SIGNATURE = "finboard_search_newest(query tsquery, after_at timestamptz, after_id bigint, wanted bigint)"

GIN_FUNCTION = f"""
CREATE FUNCTION {_SIGNATURE}
RETURNS SETOF integer LANGUAGE plpgsql VOLATILE ROWS 25 SET jit = off AS $$
BEGIN
    -- Planned for these values each call (EXECUTE): the plan the query had before 0019.
    RETURN QUERY EXECUTE {_MATCHES}
        || CASE WHEN after_at IS NULL THEN '' ELSE {_KEYSET} END || {_WALK}
        USING query, after_at, after_id, wanted;
END $$;
"""

RUM_FUNCTION = f"""
CREATE FUNCTION {_SIGNATURE}
RETURNS SETOF integer LANGUAGE plpgsql VOLATILE ROWS 25 SET jit = off AS $$
DECLARE
    plan json;
    estimate float8;
    table_rows float8;
    common text := current_setting('finboard.search_common_rows', true);
    keyset text := CASE WHEN after_at IS NULL THEN '' ELSE {_KEYSET} END;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM posts WHERE search_vector @@ $1' INTO plan USING query;
    estimate := (plan -> 0 -> 'Plan' ->> 'Plan Rows')::float8;
    SELECT greatest(reltuples, 0) INTO table_rows FROM pg_class WHERE oid = 'posts'::regclass;
    IF (coalesce(common, '') <> '' AND estimate > common::float8)
        OR (coalesce(common, '') = '' AND estimate * estimate > 8 * wanted * table_rows) THEN
        RETURN QUERY EXECUTE {_MATCHES} || keyset || {_WALK} USING query, after_at, after_id, wanted;
    ELSE
        RETURN QUERY EXECUTE {_MATCHES} || keyset || {_RUM_ORDER}
            USING query, after_at, after_id, wanted, coalesce(after_at, '9999-12-31 23:59:59.999999+00');
    END IF;
END $$;
"""


def _rum_usable(bind) -> bool:
    """Whether the rum extension is (or can now be) installed in this database; says why not."""
    if os.environ.get("FINBOARD_SEARCH_INDEX", "").strip().lower() == "gin":
        log.warning("search: FINBOARD_SEARCH_INDEX=gin, no RUM index: newest-first search uses GIN")
        return False
    if bind.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'rum'")).first():
        return True
    if not bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")).first():
        log.warning(
            "search: the rum extension is not installed on the PostgreSQL server (Debian: apt-get install "
            "postgresql-15-rum): newest-first search uses GIN, reading every match"
        )
        return False
    savepoint = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION rum"))
    except Exception as exc:  # noqa: BLE001 - most often "permission denied": the role is no superuser
        savepoint.rollback()
        log.warning("search: CREATE EXTENSION rum failed (%s): newest-first search uses GIN", str(exc).strip())
        return False
    savepoint.commit()
    return True


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite keeps FTS5
    if _rum_usable(bind):
        op.execute(RUM_INDEX)
        op.execute(RUM_FUNCTION)
        log.info("search: RUM index ix_posts_search_rum built: newest-first search reads the index in time order")
    else:
        op.execute(GIN_FUNCTION)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS finboard_search_newest(tsquery, timestamptz, bigint, bigint)")
    op.execute("DROP INDEX IF EXISTS ix_posts_search_rum")
    # The extension goes if this role owns it (it installed it) and no other index uses it.
    op.execute(
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'rum' AND extowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user)) AND NOT EXISTS (SELECT 1 FROM pg_class c "
        "JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'rum') THEN DROP EXTENSION rum; END IF; END $$"
    )
