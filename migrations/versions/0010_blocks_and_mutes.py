"""Blocks and mutes: who a member blocks, and the words and tickers they muted.

- ``user_blocks (blocker_id, blocked_id)``: its primary key serves "whom do I block"
  (the forum's filter) and the fan-out's ``NOT EXISTS`` (blocker = recipient, blocked
  = author: one index probe per recipient); ``ix_user_blocks_blocked_id`` serves the
  cascade when the blocked member's account goes. A member cannot block themselves
  (a check, on top of the use case's 422).
- ``user_mutes (user_id, kind, term)``: kind ``word`` or ``ticker``; the term is
  stored normalised (``finboard.contract.blocks``), so the key makes a mute idempotent.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_blocks",
        sa.Column("blocker_id", sa.Integer(), nullable=False),
        sa.Column("blocked_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("blocker_id <> blocked_id", name=op.f("ck_user_blocks_not_self")),
        sa.ForeignKeyConstraint(
            ["blocker_id"], ["users.id"], name=op.f("fk_user_blocks_blocker_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["blocked_id"], ["users.id"], name=op.f("fk_user_blocks_blocked_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_user_blocks")),
    )
    op.create_index(op.f("ix_user_blocks_blocked_id"), "user_blocks", ["blocked_id"])
    op.create_table(
        "user_mutes",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=6), nullable=False),
        sa.Column("term", sa.String(length=40), nullable=False),
        sa.CheckConstraint("kind IN ('word', 'ticker')", name=op.f("ck_user_mutes_kind_valid")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_mutes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", "term", name=op.f("pk_user_mutes")),
    )


def downgrade() -> None:
    op.drop_table("user_mutes")
    op.drop_index(op.f("ix_user_blocks_blocked_id"), table_name="user_blocks")
    op.drop_table("user_blocks")
