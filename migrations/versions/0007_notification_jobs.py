"""Notifications fan out as background jobs: one row per member and event, and the job queue.

- ``uq_notifications_event``: one notification per (user, post, comment) — a post's own
  notifications have no comment, hence ``COALESCE(comment_id, 0)``. The set-based fan-out
  (finboard.rawsql.fanout) inserts ``ON CONFLICT DO NOTHING`` on it, so the audiences'
  precedence is kept and re-running a job inserts nothing. Older duplicates (none are
  expected: the in-request fan-out deduplicated) are removed first, the oldest row kept.
- On PostgreSQL, Procrastinate's schema (its jobs table, functions and triggers, as the
  pinned version ships it): writes enqueue with ``procrastinate_defer_jobs_v1`` in their
  own transaction and ``flask worker`` runs them. A later Procrastinate upgrade brings its
  own migrations (``procrastinate/sql/migrations``), applied by a new revision here.
  SQLite has no queue: jobs run in-process after commit (finboard.core.jobs).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

DEDUPLICATE = """
DELETE FROM notifications WHERE id NOT IN (
    SELECT min(id) FROM notifications GROUP BY user_id, post_id, COALESCE(comment_id, 0)
)
"""

DROP_PROCRASTINATE = """
DO $$
DECLARE object record;
BEGIN
    FOR object IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                  WHERE p.proname LIKE 'procrastinate%' AND p.pronamespace = 'public'::regnamespace LOOP
        EXECUTE 'DROP FUNCTION IF EXISTS ' || object.signature || ' CASCADE';
    END LOOP;
END $$;
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type, procrastinate_job_status CASCADE;
"""


def upgrade() -> None:
    op.execute(DEDUPLICATE)
    op.create_index(
        "uq_notifications_event",
        "notifications",
        ["user_id", "post_id", sa.text("COALESCE(comment_id, 0)")],
        unique=True,
    )
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        op.execute(SchemaManager.get_schema())


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_PROCRASTINATE)
    op.drop_index("uq_notifications_event", table_name="notifications")
