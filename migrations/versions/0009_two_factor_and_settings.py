"""Two-factor login, recovery codes, notification preferences and avatars.

- ``user_two_factor``: one row per member who started enrolling; the TOTP secret is stored
  encrypted (Fernet, keyed from ``SECRET_KEY``), ``enabled_at`` is null until a first code
  confirms the enrolment, and ``last_used_step`` is the TOTP time step last accepted: a
  code is taken by a conditional ``UPDATE … WHERE last_used_step < step``, so a code
  cannot be replayed inside its window, even by two concurrent requests.
- ``user_recovery_codes``: ten per member, only their SHA-256 stored; ``used_at`` is set by
  a conditional ``UPDATE`` (single use under concurrency too).
- ``notification_preferences``: one row per member and notification kind that differs
  from the default (in-app): ``in_app``, ``email``, ``daily``, ``weekly`` or ``off``.
- ``users.avatar``: the content hash naming the member's re-encoded avatar file.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from finboard.core.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_two_factor",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret_encrypted", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("enabled_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_step", sa.Integer(), nullable=False, server_default="0"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_two_factor_user_id_users"), ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", name=op.f("uq_user_two_factor_user_id")),
    )
    op.create_table(
        "user_recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_recovery_codes_user_id_users"), ondelete="CASCADE"
        ),
    )
    op.create_index("ix_user_recovery_codes_user_hash", "user_recovery_codes", ["user_id", "code_hash"], unique=True)
    op.create_table(
        "notification_preferences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("delivery", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notification_preferences_user_id_users"), ondelete="CASCADE"
        ),
        sa.CheckConstraint(
            "delivery IN ('in_app', 'email', 'daily', 'weekly', 'off')",
            name=op.f("ck_notification_preferences_delivery_valid"),
        ),
    )
    op.create_index(
        "uq_notification_preferences_user_kind", "notification_preferences", ["user_id", "kind"], unique=True
    )
    op.add_column("users", sa.Column("avatar", sa.String(64), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("avatar")
    op.drop_table("notification_preferences")
    op.drop_table("user_recovery_codes")
    op.drop_table("user_two_factor")
