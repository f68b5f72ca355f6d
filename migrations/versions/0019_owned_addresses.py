"""An address is owned once it is confirmed: unique among confirmed accounts only.

``users.email`` was unique, so sign-up had to refuse a taken address — and that refusal
told anyone whether the address has an account (issue 17: no answer may). Now:

- ``uq_users_email`` (a unique constraint on ``email``) is dropped;
- ``uq_users_email_verified``: a unique index on ``lower(email)`` WHERE
  ``email_verified_at IS NOT NULL`` — at most one account has *confirmed* an address, and
  of two confirmations at once the index lets exactly one commit;
- ``ix_users_email``: a plain index on ``email`` (stored lower case) for the lookups by
  address (login, reset, sign-up) that the unique constraint used to serve.

Any number of unconfirmed accounts may carry an address; the mail jobs decide who gets
what (finboard.core.mail_jobs). Rows are not touched: every existing address is already
unique, so the new index holds for them.

SQLite drops a table constraint only by rebuilding the table (batch mode). The rebuild
runs with foreign keys off (this connection never turns them on: a ``DROP TABLE users``
with them on would delete every post by cascade), and it cannot carry the expression index
``uq_users_username_lower`` across (SQLAlchemy does not reflect it), so that index is
dropped before and created again after. ``users`` has no triggers.

The downgrade restores the unique constraint; it refuses (changing nothing) while two
accounts share an address, which only this revision allows — those must be resolved
first (their addresses changed or the accounts deleted), not silently rewritten.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

OLD_UNIQUE = "uq_users_email"
OWNED = "uq_users_email_verified"
LOOKUP = "ix_users_email"
USERNAME_INDEX = "uq_users_username_lower"
CONFIRMED = "email_verified_at IS NOT NULL"
SHARED_ADDRESSES = "SELECT count(*) FROM (SELECT email FROM users GROUP BY email HAVING count(*) > 1) shared"


def _rebuild_users(change) -> None:
    """SQLite: rebuild ``users`` through ``change(batch)``, keeping the username index."""
    bind = op.get_bind()
    if bind.execute(sa.text("PRAGMA foreign_keys")).scalar():
        raise RuntimeError("migration 0019 rebuilds users on SQLite: run it with foreign keys off (alembic does)")
    op.drop_index(USERNAME_INDEX, table_name="users")
    with op.batch_alter_table("users", recreate="always") as batch:
        change(batch)
    op.create_index(USERNAME_INDEX, "users", [sa.text("lower(username)")], unique=True)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(OLD_UNIQUE, "users", type_="unique")
    else:
        _rebuild_users(lambda batch: batch.drop_constraint(OLD_UNIQUE, type_="unique"))
    op.create_index(
        OWNED,
        "users",
        [sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text(CONFIRMED),
        sqlite_where=sa.text(CONFIRMED),
    )
    op.create_index(LOOKUP, "users", ["email"])


def downgrade():
    shared = op.get_bind().execute(sa.text(SHARED_ADDRESSES)).scalar_one()
    if shared:
        raise RuntimeError(
            f"{shared} address(es) belong to more than one account; the unique constraint of 0018 cannot "
            "hold them. Change those accounts' addresses or delete the accounts, then downgrade again."
        )
    op.drop_index(LOOKUP, table_name="users")
    op.drop_index(OWNED, table_name="users")
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint(OLD_UNIQUE, "users", ["email"])
    else:
        _rebuild_users(lambda batch: batch.create_unique_constraint(OLD_UNIQUE, ["email"]))
