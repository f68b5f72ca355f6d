"""The tables every backend shares, as SQLAlchemy 2 typed models.

migrations/ is the only DDL: these definitions must match it (a test checks
that ``alembic upgrade head`` and this metadata agree, and another that the
Django ``managed = False`` models agree with it).

Design notes, with every later feature in view:
- ``posts.comment_count`` is maintained in the same transaction as every
  comment insert/delete, so listings sort and display counts without N+1
  or a per-request aggregate.
- cashtags are stored twice on purpose: ``posts.cashtags`` (space separated,
  for display in one query) and ``post_cashtags`` (indexed, for lookup).
- full-text search is not mapped here: PostgreSQL has a generated tsvector
  column with a GIN index, SQLite an FTS5 table kept in sync by triggers;
  ``finboard.core.search`` builds the right predicate for each.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from finboard.contract.limits import (
    EMAIL_MAX,
    MUTE_WORD_MAX,
    REASON_MAX,
    SLUG_MAX,
    SUMMARY_MAX,
    TICKER_MAX,
    TITLE_MAX,
    USERNAME_MAX,
)
from finboard.contract.post_rows import PostColumnReadings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Evaluated per row (never at import): the current time in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp on every database.

    PostgreSQL stores ``timestamptz``; SQLite stores text and gives back naive
    values, which this type marks as UTC so every backend serialises the same.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if value is not None and dialect.name == "sqlite":
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        Index("uq_users_username_lower", func.lower(text("username")), unique=True),
        # An address is owned once confirmed: one confirmed account per address, any number of
        # unconfirmed ones (sign-up never refuses an address, migration 0019).
        Index(
            "uq_users_email_verified",
            func.lower(text("email")),
            unique=True,
            postgresql_where=text("email_verified_at IS NOT NULL"),
            sqlite_where=text("email_verified_at IS NOT NULL"),
        ),
        Index("ix_users_email", "email"),
        CheckConstraint("role IN ('member', 'moderator', 'admin')", name="role_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    email: Mapped[str] = mapped_column(String(EMAIL_MAX))  # stored lower case
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="member", server_default="member")
    # Bumped when the password changes: API tokens carry it, so older ones stop working.
    token_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    bio: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A suspended user reads but cannot write until this moment (None: not suspended).
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)
    # The content hash naming the re-encoded avatar file (finboard.core.avatars); None: no avatar.
    avatar: Mapped[str | None] = mapped_column(String(64), nullable=True, default=None)
    # When the member followed the mailed verification link (None: not verified yet).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)

    # Flask-Login's protocol, kept framework-free (no UserMixin import here).
    is_active = True
    is_authenticated = True
    is_anonymous = False

    # The forum session this object was loaded for (finboard.auth.session), not columns.
    session_token = None
    session_row_id = None

    def get_id(self) -> str:
        """Flask-Login's id: a session without a token (none was started) is never accepted."""
        return f"{self.id}:{self.token_version}:{self.session_token or ''}"

    def __repr__(self) -> str:
        return f"<User {self.username!r}>"


class UserSession(Base):
    """One signed-in browser. The cookie carries a random token; only its SHA-256 is stored,
    so revoking the row (logout, password change, sign out everywhere) ends that session."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        Index("uq_user_sessions_token_hash", "token_hash", unique=True),
        Index("ix_user_sessions_user_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64))
    user_agent: Mapped[str] = mapped_column(String(255), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(SLUG_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __repr__(self) -> str:
        return f"<Category {self.slug!r}>"


class Post(PostColumnReadings, Base):
    __tablename__ = "posts"
    __table_args__ = (
        Index("ix_posts_created_at_id", "created_at", "id"),
        Index("ix_posts_category_created", "category_id", "created_at", "id"),
        Index("ix_posts_author_created", "author_id", "created_at", "id"),
        Index("ix_posts_comment_count_created", "comment_count", "created_at", "id"),
        Index("ix_posts_hot", "hot_score", "created_at", "id"),
        Index("ix_posts_reaction_count_created", "reaction_count", "created_at", "id"),
        CheckConstraint("comment_count >= 0", name="comment_count_nonnegative"),
        CheckConstraint("sentiment IN ('bullish', 'bearish')", name="sentiment_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    cashtags: Mapped[str] = mapped_column(String(255), default="", server_default="")
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The author's view and disclosed positions ("AAPL:long BTC:none", like ``cashtags``:
    # stored on the row so a listing needs no extra query).
    sentiment: Mapped[str | None] = mapped_column(String(8), nullable=True, default=None)
    positions: Mapped[str] = mapped_column(String(400), default="", server_default="")
    # The view per ticker ("NVDA:bullish AMD:neutral", finboard.contract.ticker_views), beside the positions.
    sentiments: Mapped[str] = mapped_column(String(400), default="", server_default="")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    locked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    edit_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Set by a moderator: the post leaves every listing and every counter until restored.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)
    # Kept by triggers (migration 0014): reactions on the post, and the hot score they and the
    # comment count give (finboard.contract.reactions.hot_score).
    reaction_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hot_score: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    author: Mapped[User] = relationship(lazy="raise_on_sql")
    category: Mapped[Category] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Post {self.id} {self.title!r}>"


class PostCashtag(Base):
    """One row per (ticker, post): the index behind filtering by cashtag.

    ``created_at`` repeats the post's (it never changes), so the newest posts
    on a ticker are one index range scan of (ticker, created_at, post_id)
    instead of a join over every post that ever mentioned it.
    """

    __tablename__ = "post_cashtags"
    __table_args__ = (Index("ix_post_cashtags_ticker_created", "ticker", "created_at", "post_id"),)

    ticker: Mapped[str] = mapped_column(String(TICKER_MAX), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_post_created", "post_id", "created_at", "id"),
        Index("ix_comments_author_created", "author_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, default=None)
    reaction_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # trigger-kept (0014)
    # Threaded replies (migration 0015): the comment this one answers, and the author's edits.
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="SET NULL"), nullable=True, default=None, index=True
    )
    edit_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    author: Mapped[User] = relationship(lazy="raise_on_sql")

    def __repr__(self) -> str:
        return f"<Comment {self.id} on post {self.post_id}>"


# --- community: history, moderation, reports, notifications, watches -----------


class PostRevision(Base):
    """A post as it was before an edit (the edit's author and time)."""

    __tablename__ = "post_revisions"
    __table_args__ = (Index("ix_post_revisions_post_id", "post_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Report(Base):
    """A member's report of a post or of one of its comments (``target_type``), with a snapshot of it.

    ``title``, ``content`` and ``target_author_id`` are what was reported, copied at report time:
    a moderator still sees it after the author edits or deletes it.
    """

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_status_id", "status", "id"),
        CheckConstraint("status IN ('open', 'resolved')", name="status_valid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Evidence outlives its subject: deleting the post or comment leaves the report with NULL here
    # and the snapshot below (migration 0006).
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), nullable=True, index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="SET NULL"), nullable=True)
    target_type: Mapped[str] = mapped_column(String(8), default="post", server_default="post")
    title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    content: Mapped[str] = mapped_column(Text, default="", server_default="")
    target_author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")
    resolution: Mapped[str] = mapped_column(String(REASON_MAX), default="", server_default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModerationAction(Base):
    """Who did what to which post, comment, user or report, when and why: the moderation log.

    ``target_id`` is not a foreign key on purpose: the record outlives a deleted
    target, and ``summary`` keeps what it was (a title, an excerpt, a username).
    """

    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    action: Mapped[str] = mapped_column(String(16))
    target_type: Mapped[str] = mapped_column(String(8))
    target_id: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(SUMMARY_MAX), default="", server_default="")
    reason: Mapped[str] = mapped_column(String(REASON_MAX), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id", "user_id", "id"),
        # The bell's unread count reads only unread rows.
        Index(
            "ix_notifications_unread",
            "user_id",
            postgresql_where=text("read_at IS NULL"),
            sqlite_where=text("read_at IS NULL"),
        ),
        # One notification per member and event (migration 0007): the fan-out's dedup and idempotence.
        Index("uq_notifications_event", "user_id", "post_id", text("COALESCE(comment_id, 0)"), unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # actor_id and post_id reference their rows, but on PostgreSQL without a constraint checked per
    # inserted row (migration 0012): the actor's posts and comments cascade, a trigger replaces the post's.
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), nullable=True)
    ticker: Mapped[str | None] = mapped_column(String(TICKER_MAX), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PostWatch(Base):
    __tablename__ = "post_watches"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True, index=True)


class CategoryWatch(Base):
    __tablename__ = "category_watches"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class TickerFollow(Base):
    """A member's watchlist: one row per followed ticker."""

    __tablename__ = "ticker_follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    ticker: Mapped[str] = mapped_column(String(TICKER_MAX), primary_key=True, index=True)


class UserBlock(Base):
    """A member (``blocker``) no longer hears from another (``blocked``): ``finboard.contract.blocks``."""

    __tablename__ = "user_blocks"
    __table_args__ = (CheckConstraint("blocker_id <> blocked_id", name="not_self"),)

    blocker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class UserMute(Base):
    """A muted word or ticker (``kind``), its ``term`` stored normalised."""

    __tablename__ = "user_mutes"
    __table_args__ = (CheckConstraint("kind IN ('word', 'ticker')", name="kind_valid"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(6), primary_key=True)
    term: Mapped[str] = mapped_column(String(MUTE_WORD_MAX), primary_key=True)


# --- counters ----------------------------------------------------------------
# Kept by database triggers (migrations/versions/0002_*) in the same transaction
# as the write, whichever backend writes, so listings and statistics read a row
# instead of counting a table. ``finboard.core.counters.rebuild`` recomputes them.


class CategoryCounter(Base):
    __tablename__ = "category_counters"

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    author_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CategoryAuthor(Base):
    """Posts per (category, author): what makes ``author_count`` exact under deletes and moves.

    Never queried through the ORM (the triggers of migration 0002 and
    ``counters.rebuild`` use SQL); mapped so ``Base.metadata`` has the table, as
    Alembic's autogenerate target (migrations/env.py) and the Django parity test
    (tests/adapters/test_django_models.py) expect.
    """

    __tablename__ = "category_authors"

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class AuthorCounter(Base):
    __tablename__ = "author_counters"

    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    comment_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class CashtagCounter(Base):
    __tablename__ = "cashtag_counters"

    ticker: Mapped[str] = mapped_column(String(TICKER_MAX), primary_key=True)
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


DEFAULT_CATEGORIES: list[tuple[str, str, str]] = [
    ("stocks", "Stocks", "Equities, earnings beats and misses, single-name ideas."),
    ("crypto", "Crypto", "Bitcoin, Ethereum and the rest of the chain."),
    ("dividends", "Dividends", "Income investing, yields, payout ratios and DRIPs."),
    ("options", "Options", "Calls, puts, spreads, the greeks and implied volatility."),
    ("macro", "Macro", "Rates, inflation, central banks and the business cycle."),
    ("personal-finance", "Personal finance", "Budgets, savings, retirement accounts and taxes."),
    ("earnings", "Earnings", "Quarterly reports, guidance and the calls behind them."),
    ("off-topic", "Off-topic", "Everything else, kept civil."),
]


# The account tables (two-factor, recovery codes, notification preferences) live in their own
# module; imported here so that ``Base.metadata`` is complete wherever the models are.
import finboard.core.account_models  # noqa: E402,F401 - not a name: this module may be importing it
import finboard.core.comment_models  # noqa: E402,F401 - comment revisions (threaded replies), same reason
import finboard.core.reaction_models  # noqa: E402,F401 - the same, for the reaction tables
import finboard.core.reading_models  # noqa: E402,F401 - read state and bookmarks (migration 0016)
import finboard.core.upload_models  # noqa: E402,F401 - the uploads table (migration 0017), same reason
