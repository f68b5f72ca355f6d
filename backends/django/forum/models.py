"""The shared tables as unmanaged Django models.

migrations/versions/0001_initial_schema.py is the DDL and
finboard.core.models its SQLAlchemy mirror; tests/test_django_models.py
checks that these models agree with it column by column. Foreign keys are
DO_NOTHING: the database enforces its own ON DELETE rules, and deleting a
post removes its comments and cashtags explicitly (as finboard.core.queries
does), so Django never emulates cascades.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from finboard.core.models import (
    EMAIL_MAX,
    SLUG_MAX,
    TICKER_MAX,
    TITLE_MAX,
    USERNAME_MAX,
)


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
    email = models.CharField(max_length=EMAIL_MAX, unique=True)  # stored lowercase
    password_hash = models.CharField(max_length=255)
    role = models.CharField(max_length=16, default="member")
    token_version = models.IntegerField(default=0)
    created_at = UTCDateTimeField(default=timezone.now)

    class Meta:
        managed = False
        db_table = "users"

    def __str__(self) -> str:
        return self.username


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


class Post(models.Model):
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
    # search_vector (PostgreSQL) / posts_fts (SQLite) exist only in the database.

    class Meta:
        managed = False
        db_table = "posts"

    @property
    def cashtag_list(self) -> list[str]:
        return self.cashtags.split() if self.cashtags else []

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

    class Meta:
        managed = False
        db_table = "comments"

    def __str__(self) -> str:
        return f"{self.id} on post {self.post_id}"
