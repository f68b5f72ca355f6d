"""E-mail verification: when a member proved the address is theirs.

- ``users.email_verified_at``: set when the member follows the link mailed at sign-up
  (or confirms a new address). Accounts that existed before this revision are taken as
  verified (set to their ``created_at``): they were never asked, and a banner asking
  every old member to verify would be noise, not security.

Password-reset, verification and e-mail-change links need no table: they are signed
(itsdangerous) and carry a fingerprint of the state they change (the password hash, the
verification, the address), so using one — or any password change — voids it
(finboard.core.account_tokens).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from finboard.core.models import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email_verified_at", UTCDateTime(), nullable=True))
    op.execute("UPDATE users SET email_verified_at = created_at")


def downgrade() -> None:
    # Not batch mode on SQLite: rebuilding the table would drop the expression index
    # uq_users_username_lower (SQLAlchemy cannot reflect it). SQLite 3.35+ drops a column itself.
    op.execute("ALTER TABLE users DROP COLUMN email_verified_at")
