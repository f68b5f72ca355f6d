"""Per-ticker views: ``posts.sentiments`` beside ``posts.positions``.

A post's sentiment was one column for the whole post, so a post bullish on $NVDA
that mentions $AMD in passing counted as bullish on $AMD too. The view is now
stated per ticker, stored like the positions on the post row
(``"NVDA:bullish AMD:neutral"``, finboard.contract.ticker_views), and a cashtag
page counts only the views stated on its ticker.

Existing posts keep what they said: a post-level sentiment becomes that view on
every cashtag of the post (which is how the cashtag pages counted it until now),
so no chart changes at the upgrade. ``posts.sentiment`` stays, for the API's
post-level field (see finboard.contract.ticker_views). 20 views of the widest
ticker ("ABCDEF.XY:bullish", 17 characters and a separator) fit in 400.

Revision ID: 0018
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

# PostgreSQL: one statement, cashtag order kept by WITH ORDINALITY.
SPREAD_POSTGRES = """
UPDATE posts SET sentiments = array_to_string(ARRAY(
    SELECT t.ticker || ':' || posts.sentiment
    FROM unnest(string_to_array(posts.cashtags, ' ')) WITH ORDINALITY AS t(ticker, n) ORDER BY t.n
), ' ')
WHERE sentiment IS NOT NULL AND cashtags <> ''
"""
BATCH = 1000


def _spread_in_python(bind) -> None:
    """SQLite: the same, a batch of rows at a time (no array functions)."""
    rows = bind.execute(
        sa.text("SELECT id, cashtags, sentiment FROM posts WHERE sentiment IS NOT NULL AND cashtags <> ''")
    ).all()
    update = sa.text("UPDATE posts SET sentiments = :sentiments WHERE id = :id")
    for start in range(0, len(rows), BATCH):
        bind.execute(
            update,
            [
                {"id": post_id, "sentiments": " ".join(f"{t}:{sentiment}" for t in cashtags.split())}
                for post_id, cashtags, sentiment in rows[start : start + BATCH]
            ],
        )


def upgrade():
    op.add_column("posts", sa.Column("sentiments", sa.String(400), nullable=False, server_default=""))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(SPREAD_POSTGRES)
    else:
        _spread_in_python(bind)


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the posts' FTS triggers.
    op.drop_column("posts", "sentiments")
