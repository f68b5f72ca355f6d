"""Notification mail, digests and unsubscribe links, each done once.

- ``notification_emails (notification_id)``: a notification mailed at once (delivery
  ``email``); the primary key is the mail job's single-send guard;
- ``digest_sends (user_id, period, period_start)`` unique: a member's daily or weekly
  digest of one period, claimed before it is sent, so it is never sent twice;
- ``unsubscribe_uses (nonce)``: the unsubscribe links already followed (single use);
- ``data_exports``: "Download my data" requests, their unguessable file name and expiry;
- ``account_deletions``: accounts to anonymise after their grace period, and how.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from finboard.core.models import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_emails",
        sa.Column("notification_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_emails_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_notification_emails")),
    )
    op.create_table(
        "digest_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_digest_sends_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_sends")),
    )
    op.create_index("uq_digest_sends_user_period", "digest_sends", ["user_id", "period", "period_start"], unique=True)
    op.create_table(
        "unsubscribe_uses",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_unsubscribe_uses")),
    )
    op.create_table(
        "data_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ready_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("mailed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_data_exports_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
        sa.UniqueConstraint("file_name", name=op.f("uq_data_exports_file_name")),
    )
    op.create_index(op.f("ix_data_exports_user_id"), "data_exports", ["user_id"])
    op.create_table(
        "account_deletions",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("delete_after", UTCDateTime(), nullable=False),
        sa.Column("keep_content", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_account_deletions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_account_deletions")),
    )
    op.create_index(op.f("ix_account_deletions_delete_after"), "account_deletions", ["delete_after"])


def downgrade() -> None:
    op.drop_index(op.f("ix_account_deletions_delete_after"), table_name="account_deletions")
    op.drop_table("account_deletions")
    op.drop_index(op.f("ix_data_exports_user_id"), table_name="data_exports")
    op.drop_table("data_exports")
    op.drop_table("unsubscribe_uses")
    op.drop_index("uq_digest_sends_user_period", table_name="digest_sends")
    op.drop_table("digest_sends")
    op.drop_table("notification_emails")
