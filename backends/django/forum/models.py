"""The shared tables as unmanaged Django models.

migrations/versions/ (0001 to 0004) is the DDL and
finboard.core.models its SQLAlchemy mirror; tests/adapters/test_django_models.py
checks that these models agree with it column by column. Foreign keys are
DO_NOTHING: the database enforces its own ON DELETE rules, and deleting a
post removes its comments and cashtags explicitly (as finboard.core.content_writes
does), so Django never emulates cascades.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

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
from finboard.contract.reactions import REACTION_KIND_MAX


class UTCDateTimeField(models.DateTimeField):
    """The columns SQLAlchemy maps as ``UTCDateTime``.

    On PostgreSQL a plain ``timestamptz``. On SQLite the value is text, and
    SQLAlchemy always writes six fractional digits ("… 12:00:00.000000")
    where Django would write none for a whole second; writing and comparing
    with the same text keeps ``since``/``until`` filters and ordering identical.
    """

    def get_db_prep_value(self, value, connection, prepared=False):
        value = super().get_db_prep_value(value, connection, prepared)
        if connection.vendor == "sqlite" and isinstance(value, str) and len(value) == len("2000-01-01 00:00:00"):
            value += ".000000"
        return value


class User(models.Model):
    id = models.AutoField(primary_key=True)
    username = models.CharField(max_length=USERNAME_MAX)  # unique on lower(username), an index
    email = models.CharField(max_length=EMAIL_MAX)  # stored lowercase; see Meta.constraints
    password_hash = models.CharField(max_length=255)
    role = models.CharField(max_length=16, default="member")
    token_version = models.IntegerField(default=0)
    created_at = UTCDateTimeField(default=timezone.now)
    bio = models.TextField(default="", blank=True)
    # A suspended user reads but cannot write until this moment (None: not suspended).
    suspended_until = UTCDateTimeField(null=True, default=None)
    avatar = models.CharField(max_length=64, null=True, default=None)  # the avatar file's content hash
    # When the member followed the mailed verification link (None: not verified yet).
    email_verified_at = UTCDateTimeField(null=True, default=None)

    class Meta:
        managed = False
        db_table = "users"
        # Migration 0019 (migrations/ is the DDL): one confirmed account per address.
        constraints = [
            models.UniqueConstraint(
                Lower("email"), condition=models.Q(email_verified_at__isnull=False), name="uq_users_email_verified"
            ),
        ]

    def __str__(self) -> str:
        return self.username


class UserSession(models.Model):
    """One signed-in browser (the cookie's token is stored only as its SHA-256)."""

    id = models.AutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    token_hash = models.CharField(max_length=64)  # unique index uq_user_sessions_token_hash
    user_agent = models.CharField(max_length=255, default="", blank=True)
    created_at = UTCDateTimeField(default=timezone.now)
    last_seen_at = UTCDateTimeField(default=timezone.now)
    revoked_at = UTCDateTimeField(null=True, default=None)

    class Meta:
        managed = False
        db_table = "user_sessions"


class TwoFactor(models.Model):
    """A member's TOTP enrolment (secret Fernet-encrypted; enabled once a first code confirms it)."""

    id = models.AutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+", unique=True)
    secret_encrypted = models.CharField(max_length=255)
    created_at = UTCDateTimeField(default=timezone.now)
    enabled_at = UTCDateTimeField(null=True, default=None)
    last_used_step = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = "user_two_factor"


class RecoveryCode(models.Model):
    """One single-use recovery code (its SHA-256; unique index on user and hash)."""

    id = models.AutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    code_hash = models.CharField(max_length=64)
    created_at = UTCDateTimeField(default=timezone.now)
    used_at = UTCDateTimeField(null=True, default=None)

    class Meta:
        managed = False
        db_table = "user_recovery_codes"


class NotificationPreference(models.Model):
    """How a member wants one kind of notification delivered (no row: in-app)."""

    id = models.AutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    kind = models.CharField(max_length=16)
    delivery = models.CharField(max_length=16)

    class Meta:
        managed = False
        db_table = "notification_preferences"


class Category(models.Model):
    id = models.AutoField(primary_key=True)
    slug = models.CharField(max_length=SLUG_MAX, unique=True)
    name = models.CharField(max_length=80)
    description = models.TextField(default="", blank=True)
    position = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = "categories"

    def __str__(self) -> str:
        return self.slug


class Post(PostColumnReadings, models.Model):
    id = models.AutoField(primary_key=True)
    author = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="posts")
    category = models.ForeignKey(Category, on_delete=models.DO_NOTHING, related_name="posts")
    title = models.CharField(max_length=TITLE_MAX)
    body = models.TextField()
    # Space separated, for display; post_cashtags is the index for filtering.
    cashtags = models.CharField(max_length=255, default="", blank=True)
    comment_count = models.IntegerField(default=0)
    created_at = UTCDateTimeField(default=timezone.now)
    updated_at = UTCDateTimeField(default=timezone.now)
    # The author's view and disclosed positions ("AAPL:long BTC:none"), on the row like cashtags.
    sentiment = models.CharField(max_length=8, null=True, default=None)  # bullish / bearish
    positions = models.CharField(max_length=400, default="", blank=True)
    sentiments = models.CharField(max_length=400, default="", blank=True)  # "NVDA:bullish AMD:neutral"
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False)
    edit_count = models.IntegerField(default=0)
    # Set by a moderator: the post leaves every listing and every counter until restored.
    hidden_at = UTCDateTimeField(null=True, default=None)
    # Kept by triggers (migration 0014): reactions, and the hot score (finboard.contract.reactions).
    reaction_count = models.IntegerField(default=0)
    hot_score = models.IntegerField(default=0)
    # search_vector (PostgreSQL) / posts_fts (SQLite) exist only in the database.

    class Meta:
        managed = False
        db_table = "posts"

    def __str__(self) -> str:
        return f"{self.id} {self.title}"


class PostCashtag(models.Model):
    """One row per (ticker, post): the index behind filtering by cashtag."""

    pk = models.CompositePrimaryKey("ticker", "post_id")
    ticker = models.CharField(max_length=TICKER_MAX)
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, related_name="cashtag_rows")
    created_at = UTCDateTimeField()  # the post's, so the newest posts on a ticker are one index range

    class Meta:
        managed = False
        db_table = "post_cashtags"


# --- counters, kept by database triggers (migration 0002); read-only here ---------


class CategoryCounter(models.Model):
    category = models.OneToOneField(Category, on_delete=models.DO_NOTHING, primary_key=True, related_name="counter")
    post_count = models.IntegerField(default=0)
    comment_count = models.IntegerField(default=0)
    author_count = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = "category_counters"


class CategoryAuthor(models.Model):
    pk = models.CompositePrimaryKey("category_id", "author_id")
    category = models.ForeignKey(Category, on_delete=models.DO_NOTHING, related_name="+")
    author = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    post_count = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = "category_authors"


class AuthorCounter(models.Model):
    author = models.OneToOneField(User, on_delete=models.DO_NOTHING, primary_key=True, related_name="counter")
    post_count = models.IntegerField(default=0)
    comment_count = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = "author_counters"


class CashtagCounter(models.Model):
    ticker = models.CharField(max_length=TICKER_MAX, primary_key=True)
    post_count = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = "cashtag_counters"


class Comment(models.Model):
    id = models.AutoField(primary_key=True)
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="comments")
    body = models.TextField()
    created_at = UTCDateTimeField(default=timezone.now)
    hidden_at = UTCDateTimeField(null=True, default=None)
    reaction_count = models.IntegerField(default=0)  # kept by triggers (migration 0014)
    # Threaded replies (migration 0015); the database sets a deleted parent's replies' parent_id NULL.
    parent = models.ForeignKey("self", on_delete=models.DO_NOTHING, null=True, default=None, related_name="+")
    edit_count = models.IntegerField(default=0)

    class Meta:
        managed = False
        db_table = "comments"

    def __str__(self) -> str:
        return f"{self.id} on post {self.post_id}"


# --- community (migration 0004): history, moderation, reports, notifications, watches ---


class PostRevision(models.Model):
    """A post as it was before an edit (the edit's author and time)."""

    id = models.AutoField(primary_key=True)
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, related_name="revisions")
    editor = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    title = models.CharField(max_length=TITLE_MAX)
    body = models.TextField()
    created_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "post_revisions"


class CommentRevision(models.Model):
    """A comment's body as it was before an edit (migration 0015)."""

    id = models.AutoField(primary_key=True)
    comment = models.ForeignKey(Comment, on_delete=models.DO_NOTHING, related_name="revisions")
    editor = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    body = models.TextField()
    created_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "comment_revisions"


class Report(models.Model):
    """A member's report of a post or of one of its comments, with a snapshot of what was reported.

    ``post``/``comment`` become NULL when the subject is deleted (ON DELETE SET NULL, migration 0006).
    """

    id = models.AutoField(primary_key=True)
    reporter = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, null=True, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.DO_NOTHING, null=True, related_name="+")
    target_type = models.CharField(max_length=8, default="post")
    title = models.CharField(max_length=200, default="", blank=True)
    content = models.TextField(default="", blank=True)
    target_author = models.ForeignKey(User, on_delete=models.DO_NOTHING, null=True, related_name="+")
    reason = models.CharField(max_length=REASON_MAX)
    status = models.CharField(max_length=8, default="open")  # open / resolved
    resolution = models.CharField(max_length=REASON_MAX, default="", blank=True)
    resolved_by = models.ForeignKey(User, on_delete=models.DO_NOTHING, null=True, related_name="+")
    resolved_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "reports"


class ModerationAction(models.Model):
    """The moderation log. ``target_id`` is no foreign key: the record outlives its target."""

    id = models.AutoField(primary_key=True)
    moderator = models.ForeignKey(User, on_delete=models.DO_NOTHING, null=True, related_name="+")
    action = models.CharField(max_length=16)
    target_type = models.CharField(max_length=8)
    target_id = models.IntegerField()
    summary = models.CharField(max_length=SUMMARY_MAX, default="", blank=True)
    reason = models.CharField(max_length=REASON_MAX, default="", blank=True)
    created_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "moderation_actions"


class Notification(models.Model):
    # actor and post are references without a constraint on PostgreSQL (migration 0012: a trigger
    # deletes a deleted post's notifications), so Django never deletes them itself (DO_NOTHING).
    id = models.AutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    kind = models.CharField(max_length=16)
    actor = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, related_name="+")
    comment = models.ForeignKey(Comment, on_delete=models.DO_NOTHING, null=True, related_name="+")
    ticker = models.CharField(max_length=TICKER_MAX, null=True)
    created_at = UTCDateTimeField(default=timezone.now)
    read_at = UTCDateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "notifications"
        # Migration 0007's uq_notifications_event: one notification per member and event.
        constraints = [
            models.UniqueConstraint("user", "post", Coalesce("comment", 0), name="uq_notifications_event"),
        ]


class PostWatch(models.Model):
    pk = models.CompositePrimaryKey("user_id", "post_id")
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, related_name="+")

    class Meta:
        managed = False
        db_table = "post_watches"


class CategoryWatch(models.Model):
    pk = models.CompositePrimaryKey("user_id", "category_id")
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.DO_NOTHING, related_name="+")

    class Meta:
        managed = False
        db_table = "category_watches"


class TickerFollow(models.Model):
    """A member's watchlist: one row per followed ticker."""

    pk = models.CompositePrimaryKey("user_id", "ticker")
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    ticker = models.CharField(max_length=TICKER_MAX)

    class Meta:
        managed = False
        db_table = "ticker_follows"


class UserBlock(models.Model):
    """A member (``blocker``) no longer hears from another (``blocked``)."""

    pk = models.CompositePrimaryKey("blocker_id", "blocked_id")
    blocker = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    blocked = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")

    class Meta:
        managed = False
        db_table = "user_blocks"


class UserMute(models.Model):
    """A muted word or ticker (``kind``), its ``term`` stored normalised."""

    pk = models.CompositePrimaryKey("user_id", "kind", "term")
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    kind = models.CharField(max_length=6)
    term = models.CharField(max_length=MUTE_WORD_MAX)

    class Meta:
        managed = False
        db_table = "user_mutes"


class DataExport(models.Model):
    """A "Download my data" request (finboard.core.account_data_models); the job fills it in."""

    id = models.AutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    file_name = models.CharField(max_length=64, unique=True)
    created_at = UTCDateTimeField(default=timezone.now)
    ready_at = UTCDateTimeField(null=True, default=None)
    expires_at = UTCDateTimeField(null=True, default=None)
    mailed_at = UTCDateTimeField(null=True, default=None)

    class Meta:
        managed = False
        db_table = "data_exports"


class AccountDeletion(models.Model):
    """A member's pending account deletion and their choice for their content."""

    user = models.OneToOneField(User, on_delete=models.DO_NOTHING, primary_key=True, related_name="+")
    requested_at = UTCDateTimeField(default=timezone.now)
    delete_after = UTCDateTimeField()
    keep_content = models.BooleanField()

    class Meta:
        managed = False
        db_table = "account_deletions"
class NotificationEmail(models.Model):
    """A notification mailed at once (finboard.core.mail_models): the jobs that send run on the shared core,
    mirrored here so the Django project knows every table it shares."""

    notification = models.OneToOneField(Notification, on_delete=models.DO_NOTHING, primary_key=True, related_name="+")
    sent_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "notification_emails"


class DigestSend(models.Model):
    """One digest sent to a member for one period (unique per member, period and its start)."""

    id = models.AutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    period = models.CharField(max_length=8)
    period_start = models.DateField()
    sent_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "digest_sends"


class UnsubscribeUse(models.Model):
    """The nonce of an unsubscribe link followed: each link works once."""

    nonce = models.CharField(max_length=32, primary_key=True)
    used_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "unsubscribe_uses"


# --- reactions (migration 0014) ----------------------------------------------------


class PostReaction(models.Model):
    """A member's one reaction on a post (``finboard.contract.reactions.REACTION_KINDS``)."""

    pk = models.CompositePrimaryKey("post_id", "user_id")
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, related_name="+")
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    kind = models.CharField(max_length=REACTION_KIND_MAX)
    created_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "post_reactions"


class CommentReaction(models.Model):
    """A member's one reaction on a comment."""

    pk = models.CompositePrimaryKey("comment_id", "user_id")
    comment = models.ForeignKey(Comment, on_delete=models.DO_NOTHING, related_name="+")
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    kind = models.CharField(max_length=REACTION_KIND_MAX)
    created_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "comment_reactions"


# --- read state and bookmarks (migration 0016) ----------------------------------------


class PostRead(models.Model):
    """The highest comment id a member had seen when they last opened a post (migration 0016)."""

    pk = models.CompositePrimaryKey("user_id", "post_id")
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, related_name="+")
    last_read_comment_id = models.IntegerField(default=0)
    read_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "post_reads"


class Bookmark(models.Model):
    """A post a member saved, and when (migration 0016)."""

    pk = models.CompositePrimaryKey("user_id", "post_id")
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.DO_NOTHING, related_name="+")
    created_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "bookmarks"


# --- uploaded images (migration 0017) ----------------------------------------------


class Upload(models.Model):
    """Who uploaded which image (finboard.core.upload_models): one row per member and image."""

    id = models.AutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.DO_NOTHING, related_name="+")
    sha256 = models.CharField(max_length=64)
    size = models.IntegerField()
    width = models.IntegerField()
    height = models.IntegerField()
    created_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "uploads"
