"""The API's use cases on the Django ORM, in finboard.core.api_service's order.

Every check happens in the same order and raises the same
``finboard.contract.errors.ApiError`` as the reference, and every write keeps the
derived data (cashtags, comment counts) right in one transaction, exactly
like finboard.core.content_writes.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from finboard.contract.blocks import check_not_blocked
from finboard.contract.cashtags import extract_cashtags
from finboard.contract.categories import CategoryList, CategoryStatsList
from finboard.contract.comments import CommentCreate, CommentPage, CommentPublic
from finboard.contract.errors import UNKNOWN_CATEGORY, USERNAME_TAKEN, ApiError
from finboard.contract.limits import DETAIL_COMMENTS
from finboard.contract.pagination import PageQuery
from finboard.contract.permissions import (
    check_author,
    check_author_delete,
    check_may_comment,
    require_writer,
)
from finboard.contract.positions import positions_for
from finboard.contract.post_edits import text_edit
from finboard.contract.post_filters import PostFilters, missing_target, named_targets
from finboard.contract.posts import (
    PinnedPosts,
    PostCreate,
    PostDetail,
    PostListQuery,
    PostPage,
    PostPublic,
    PostUpdate,
    RevisionList,
)
from finboard.contract.serializers import revision
from finboard.contract.ticker_views import legacy_sentiment, post_sentiment, sentiments_for
from finboard.contract.transitions import author_delete_refused
from finboard.contract.users import LoginRequest, Token, UserCreate, UserPublic
from finboard.core import api_service, mail_jobs
from finboard.core.ratelimit import account_key, resolvable
from finboard.core.security import create_access_token, hash_password, verify_password
from finboard.settings import Settings

from . import (
    comment_services,
    content_writes,
    jobs,
    lookups,
    moderation_transitions,
    queries,
    two_factor_services,
    watches,
    write_rate,
)
from .models import Category, Comment, Post, PostCashtag, PostRevision, User, UserBlock
from .serializers import (
    category_public,
    category_stats,
    comment_page,
    comment_public,
    post_detail,
    post_page,
    post_public,
    user_public,
)

# --- auth ---------------------------------------------------------------------


def register(payload: UserCreate) -> UserPublic:
    """Create the account and, in the same transaction, its verification mail's job. Only the
    username can be taken; the address is never checked (finboard.core.api_service.register)."""
    if queries.username_taken(payload.username):
        raise ApiError(409, "conflict", {"username": USERNAME_TAKEN})
    password_hash = hash_password(payload.password)
    try:
        with transaction.atomic():
            user = User.objects.create(
                username=payload.username,
                email=str(payload.email).lower(),
                password_hash=password_hash,
                role="member",
                token_version=0,
                created_at=timezone.now(),
            )
            jobs.enqueue_mail(mail_jobs.job_args("verify", user_id=user.id))
    except IntegrityError as exc:  # lost a race with a concurrent registration of the name
        raise ApiError(409, "conflict", {"username": USERNAME_TAKEN}) from exc
    return user_public(user)


def login(settings: Settings, payload: LoginRequest, allow_code: Callable[[int], bool]) -> Token:
    """The password, then the two-factor code of an account that has it (``allow_code``:
    the shared code limiter for this client)."""
    user = queries.user_by_login(payload.username)
    if not verify_password(user.password_hash if user else None, payload.password) or user is None:
        raise ApiError(401, "invalid_credentials", code="invalid_credentials")
    two_factor_services.check_login_code(settings.secret_key, user, payload.code, allow_code)
    token = create_access_token(settings.secret_key, user.id, user.token_version, settings.token_ttl_seconds)
    return Token(access_token=token, expires_in=settings.token_ttl_seconds)


def login_account_key(login: str) -> str | None:
    """The shared limiter's per-account key: the user the name resolves to, else the name."""
    user = queries.user_by_login(login) if resolvable(login) else None
    return account_key(user.id if user else None, login)


def authenticate(settings: Settings, authorization: str | None) -> User:
    """The user behind a bearer token (one primary-key lookup) or 401."""
    claims = api_service.token_claims(settings, authorization)
    return api_service.check_user(User.objects.filter(id=claims.user_id).first(), claims.token_version)


# --- reads ----------------------------------------------------------------------


def list_posts(query: PostListQuery) -> PostPage:
    filters = PostFilters.from_query(query)
    cursor = query.decoded_cursor
    wanted = query.per_page + 1 + (0 if cursor is not None else (query.page - 1) * query.per_page)
    rows = queries.post_page(
        queries.filtered_posts(filters, connection.vendor, cursor, wanted), filters, query.per_page, query.page, cursor
    )
    if not rows:  # an empty page: does the category or member it is filtered by exist at all?
        for target, value in named_targets(filters):
            if not queries.named_target_exists(target, value):
                raise missing_target(target)
    total_row, kind = queries.post_total(queries.filtered_posts(filters, connection.vendor), filters, connection.vendor)
    return post_page(rows, query, total_row, kind)


def get_post(post_id: int) -> PostDetail:
    post = queries.post_with_author_and_category(post_id)
    if post is None:
        raise ApiError(404, "post_not_found")
    return post_detail(post, queries.comments(post_id, DETAIL_COMMENTS))


def list_comments(post_id: int, query: PageQuery) -> CommentPage:
    """Comments oldest first; 404 when the post does not exist."""
    offset = (query.page - 1) * query.per_page
    rows = queries.comments(post_id, query.per_page, offset, newest_first=False)
    total = Post.objects.filter(id=post_id, hidden_at__isnull=True).values_list("comment_count", flat=True).first()
    if total is None:
        raise ApiError(404, "post_not_found")
    return comment_page(rows, query, total)


def list_categories() -> CategoryList:
    return CategoryList(items=[category_public(c) for c in queries.categories()])


def category_stats_list() -> CategoryStatsList:
    return CategoryStatsList(items=[category_stats(row) for row in queries.category_stats()])


# --- writes ---------------------------------------------------------------------


def _category(slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise ApiError(422, "invalid", {"category": UNKNOWN_CATEGORY})
    return category


def _post_for_change(user: User, post_id: int) -> Post:
    """Called inside the change's transaction: the row stays locked until it commits (as in the reference)."""
    list(Post.objects.select_for_update(no_key=True).filter(id=post_id).values_list("id", flat=True))
    post = lookups.visible_post(post_id, "category")
    check_author(user, post)
    return post


def _set_cashtags(post: Post) -> list[str]:
    """The cashtags column from title and body; returns the tickers for post_cashtags."""
    tickers = extract_cashtags(post.title, post.body)
    post.cashtags = " ".join(tickers)
    return tickers


def lock_author(user_id: int) -> None:
    """Hold the account's lock until the enclosing transaction ends (finboard.core.content_writes.lock_author).

    PostgreSQL: ``SELECT … FOR NO KEY UPDATE`` on the user's row. SQLite has no
    row locks (Django ignores select_for_update there): a no-op write to the row,
    as the transaction's first statement, takes the database's write lock.
    """
    if connection.features.has_select_for_update:
        list(User.objects.select_for_update(no_key=True).filter(id=user_id).values_list("id", flat=True))
    else:
        User.objects.filter(id=user_id).update(id=F("id"))


def create_post(settings: Settings, user: User, payload: PostCreate) -> PostPublic:
    """Checked in the reference's order: suspension (403), category (422), hourly limit (429), positions (422)."""
    require_writer(user)
    category = _category(payload.category)
    with transaction.atomic():
        # Check and insert in one transaction that holds the author's lock: concurrent
        # creates by one account are counted one after the other, never all at once.
        lock_author(user.id)
        write_rate.check_write_rate(settings, user, "post")
        return _insert_post(user, category, payload)


def _insert_post(user: User, category: Category, payload: PostCreate) -> PostPublic:
    now = timezone.now()
    post = Post(
        author=user,
        category=category,
        title=payload.title,
        body=payload.body,
        comment_count=0,
        created_at=now,
        updated_at=now,
    )
    tickers = _set_cashtags(post)
    post.positions = positions_for(tickers, payload.positions or {}, [])
    legacy = legacy_sentiment(payload)
    post.sentiments = sentiments_for(tickers, payload.sentiments, legacy, [])
    post.sentiment = post_sentiment(post.sentiments, payload.sentiments, legacy, None)
    post.save(force_insert=True)  # in create_post's transaction
    moderation_transitions.insert_cashtag_rows(post, tickers)
    watches.watch_post(user.id, post.id)
    jobs.enqueue_fanout("post", post.id)
    return post_public(post)


def update_post(user: User, post_id: int, payload: PostUpdate) -> PostPublic:
    """A change of title or body keeps the previous version as a revision (and counts an edit)."""
    with transaction.atomic():
        post = _post_for_change(user, post_id)
        if payload.is_empty:
            raise ApiError(422, "empty_update")
        category = _category(payload.category) if payload.category else None
        edit = text_edit(post, payload.title, payload.body)
        revision = None
        if edit.keeps_revision:
            revision = PostRevision(
                post_id=post.id, editor_id=user.id, title=post.title, body=post.body, created_at=timezone.now()
            )
            post.edit_count += 1
        post.title, post.body = edit.title, edit.body
        if category is not None:
            post.category = category
        tickers = _set_cashtags(post)
        post.positions = positions_for(tickers, payload.positions, post.position_list)
        legacy = legacy_sentiment(payload)
        post.sentiments = sentiments_for(tickers, payload.sentiments, legacy, post.sentiment_list)
        post.sentiment = post_sentiment(post.sentiments, payload.sentiments, legacy, post.sentiment)
        post.updated_at = timezone.now()
        if revision is not None:
            revision.save(force_insert=True)
        post.save(
            update_fields=[
                "title",
                "body",
                "category",
                "cashtags",
                "sentiment",
                "positions",
                "sentiments",
                "edit_count",
                "updated_at",
            ]
        )
        PostCashtag.objects.filter(post_id=post.id).delete()
        moderation_transitions.insert_cashtag_rows(post, tickers)
    post.author = user
    return post_public(post)


def delete_post(user: User, post_id: int) -> None:
    """The reference's order: post (404), authorship (403), a moderator's hide (403 ``hidden``),
    suspension (403); the conditional DELETE re-checks visibility."""
    with transaction.atomic():
        post = Post.objects.filter(id=post_id).first()
        check_author_delete(user, post)
        if not content_writes.delete_post(post, author_id=user.id):
            raise author_delete_refused(Post.objects.filter(id=post_id, hidden_at__isnull=False).exists())


def blocks(user_id: int, blocked_id: int) -> bool:
    """Does ``user_id`` block ``blocked_id``? (block_services manages the rows; the check lives here,
    with the comment it guards, so block_services may import this module's ``lock_author``.)"""
    return UserBlock.objects.filter(blocker_id=user_id, blocked_id=blocked_id).exists()


def create_comment(settings: Settings, user: User, post_id: int, payload: CommentCreate) -> CommentPublic:
    """Checked in the reference's order: post (404), suspension (403), lock (403, moderators
    excepted), a block by the post's author (403 ``blocked``), hourly limit (429), a reply's parent (422)."""
    post = lookups.visible_post(post_id)
    check_may_comment(user, post)
    check_not_blocked(post.author_id != user.id and blocks(post.author_id, user.id))
    with transaction.atomic():
        lock_author(user.id)  # check and insert under the author's lock (see create_post)
        write_rate.check_write_rate(settings, user, "comment")
        if payload.parent_id is not None:  # a reply: to a visible comment of this post (422 parent_id)
            comment_services.check_parent(post.id, payload.parent_id)
        comment = Comment.objects.create(
            post_id=post.id, author=user, body=payload.body, created_at=timezone.now(), parent_id=payload.parent_id
        )
        content_writes.move_comment_count(post.id, 1)
        jobs.enqueue_fanout("comment", comment.id)
        watches.watch_post(user.id, post.id)
    return comment_public(comment)


# --- edit history and pinned posts -------------------------------------------


def revisions(post_id: int) -> RevisionList:
    lookups.visible_post(post_id)
    rows = PostRevision.objects.select_related("editor").filter(post_id=post_id).order_by("-id")
    return RevisionList(items=[revision(r, r.editor) for r in rows])


def pinned_posts(slug: str) -> PinnedPosts:
    category = lookups.category_by_slug(slug)
    rows = (
        Post.objects.select_related("author", "category")
        .filter(category_id=category.id, pinned=True, hidden_at__isnull=True)
        .order_by("-created_at", "-id")[:10]
    )
    return PinnedPosts(items=[post_public(p) for p in rows])
