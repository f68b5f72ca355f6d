"""Server-side sessions; room for every disclosed position.

- ``user_sessions``: one row per signed-in browser. The session cookie carries
  a random token whose SHA-256 is ``token_hash``; logging out, changing the
  password or "sign out everywhere" revokes rows, so a copied cookie stops
  working at once instead of living out Flask's 31-day lifetime.
- ``posts.positions`` grows from 255 to 400 characters: the contract allows 20
  positions of tickers up to 9 characters ("ABCDEF.XY:short", 15 characters
  plus a separator: 319), which overflowed the old column on PostgreSQL (a
  500). SQLite does not enforce VARCHAR lengths, so it only needs the model.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from finboard.core.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(255), nullable=False, server_default=""),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_sessions_user_id_users"), ondelete="CASCADE"
        ),
    )
    op.create_index("uq_user_sessions_token_hash", "user_sessions", ["token_hash"], unique=True)
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("posts", "positions", type_=sa.String(400), existing_nullable=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("posts", "positions", type_=sa.String(255), existing_nullable=False)
    op.drop_table("user_sessions")
