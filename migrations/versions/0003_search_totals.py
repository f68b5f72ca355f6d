"""Search totals that cost the same at any size; a GIN index without a pending list.

Why: counting the matches of a common word scans every one of them (at a
million posts, tens of thousands of heap rows per request). PostgreSQL's
planner already knows roughly how many rows match (the tsvector statistics);
``finboard_search_estimate`` returns that estimate, and the API counts
exactly only when it says the matches are few (``finboard.contract.pagination``).

``fastupdate = off``: with the default pending list, every search also scans
the list of not-yet-merged entries linearly (13 ms for a word that matches
nothing, against 0.05 ms after a VACUUM, at 10k posts); inserts pay a little
more instead, which suits a board with far more reads than writes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ESTIMATE_FUNCTION = """
CREATE FUNCTION finboard_search_estimate(search text) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    plan json;
BEGIN
    -- The search is a bound parameter of the explained statement, never SQL text.
    EXECUTE 'EXPLAIN (FORMAT JSON) SELECT 1 FROM posts '
            'WHERE search_vector @@ websearch_to_tsquery(''english'', $1)'
        INTO plan USING search;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::bigint;
END $$;
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite counts its (small) matches exactly
    op.execute("ALTER INDEX ix_posts_search_vector SET (fastupdate = off)")
    op.execute(ESTIMATE_FUNCTION)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS finboard_search_estimate(text)")
    op.execute("ALTER INDEX ix_posts_search_vector RESET (fastupdate)")
