"""Server-rendered pages: listings, a post with comments, search, writing."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from finboard.confirmation import ask_to_confirm, confirmed
from finboard.contract.comments import CommentCreate
from finboard.contract.errors import ApiError
from finboard.contract.pagination import NUMBERED_ROWS_MAX, Cursor, CursorError, PageQuery, numbered_page_too_deep
from finboard.contract.permissions import is_moderator, require_writer
from finboard.contract.posts import SEARCH_NEGATIONS_MAX, PostCreate, PostListQuery, PostUpdate
from finboard.contract.request_parsing import validate
from finboard.contract.threads import build_threads, parents_elsewhere
from finboard.contract.transitions import hidden_evidence
from finboard.core import api_service, block_service, content_writes, reading_service, watch_service
from finboard.core.models import Category, Comment, Post, User
from finboard.extensions import cache, db
from finboard.member_pages import spliced_page
from finboard.members.views import profile_context
from finboard.pages import COMMENT_ID, POST_ID, page_arg, previewing, viewer
from finboard.posts.cards import comment_threads
from finboard.posts.forms import CommentForm, DeleteForm, PostForm
from finboard.posts.hidden import hidden_post, hidden_post_comments
from finboard.posts.reaction_bars import page_reactions
from finboard.posts.rows import get_post_with_comments, list_posts
from finboard.posts.ticker_rows import TickerRows, rows_from_form, rows_from_post
from finboard.reads import list_categories

bp = Blueprint("posts", __name__)

PER_PAGE = 20
COMMENTS_PER_PAGE = 50
SEARCH_FIELDS = ("q", "category", "author", "cashtag", "since", "until", "sort")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _paging_args() -> dict:
    """``?cursor=`` (the "Older" links: any depth at the cost of the first page) or ``?page=N``.

    Numbered pages stop at ``NUMBERED_ROWS_MAX`` rows; a deeper number is a 404
    like a page past the end, and an unreadable cursor is a 400.
    """
    cursor = request.args.get("cursor", "").strip()
    if cursor:
        try:
            Cursor.decode(cursor)
        except CursorError:
            abort(400)
        return {"cursor": cursor}
    page = page_arg()
    if numbered_page_too_deep(page, PER_PAGE):
        abort(404)
    return {"page": page}


def _sort_args() -> dict:
    """``?sort=`` (new, hot, top, comments, old) and ``?period=`` (with top) of the sort control."""
    return {name: request.args[name] for name in ("sort", "period") if request.args.get(name)}


def _listing(template: str, filters: dict | None = None, **context):
    try:
        query = validate(PostListQuery, {**(filters or {}), **_sort_args(), **_paging_args(), "per_page": PER_PAGE})
    except ApiError:
        abort(400)  # e.g. a cursor of another sort order: not one of our links
    page = list_posts(query)
    if query.page is not None and query.page > max(page.pages, 1):
        abort(404)
    return render_template(template, page=page, numbered_pages=_numbered_pages(page), **context)


def _numbered_pages(page) -> int:
    """How many page numbers the pager may link: the existing ones, within the numbered range."""
    return min(page.pages, NUMBERED_ROWS_MAX // PER_PAGE)


@bp.route("/")
def index():
    return spliced_page("posts/index.html") or _listing("posts/index.html")


@bp.route("/c/<slug>")
def category(slug: str):
    match = next((c for c in list_categories().items if c.slug == slug), None)
    if match is None:
        abort(404)
    watching = watch_service.watching_category(db.session, viewer(), match.id)
    return _listing("posts/category.html", {"category": slug}, category=match, watching=watching)


@bp.route("/u/<username>")
def author(username: str):
    """The member's page: profile, bio, recent comments and their posts (the listing pages)."""
    user = db.session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()
    if user is None:
        abort(404)
    return _listing("posts/author.html", {"author": user.username}, author=user, **profile_context(user))


@bp.route("/search")
def search():
    """Full-text search with filters; bad filters are shown next to their field."""
    spliced = spliced_page("posts/search.html")
    if spliced is not None:
        return spliced
    raw = {key: request.args.get(key, "") for key in SEARCH_FIELDS}
    errors: dict[str, str] = {}
    page = None
    params = {
        "search": raw["q"],
        "category": raw["category"],
        "author": raw["author"],
        "cashtag": raw["cashtag"],
        "since": raw["since"] or None,
        "until": _inclusive_until(raw["until"]),
        "sort": raw["sort"] or "new",
        **_paging_args(),
        "per_page": PER_PAGE,
    }
    try:
        query = validate(PostListQuery, params)
    except ApiError as exc:
        errors = _search_errors(exc.fields)
    else:
        if query.category and not any(c.slug == query.category for c in list_categories().items):
            errors["category"] = "Unknown category."
        elif any(raw[k] for k in SEARCH_FIELDS if k != "sort"):
            try:
                page = list_posts(query)
            except ApiError as exc:  # the listing names a member who does not exist
                if exc.args[0] != "user_not_found":
                    raise
                errors["author"] = "No member by that name."
    status = 400 if errors else 200
    return (
        render_template(
            "posts/search.html",
            page=page,
            numbered_pages=_numbered_pages(page) if page else 0,
            form=raw,
            errors=errors,
            categories=list_categories().items,
        ),
        status,
    )


def _inclusive_until(value: str) -> str | None:
    """The form's date input means "up to the end of that day", not its first instant."""
    value = value.strip()
    if _DATE_ONLY.match(value):
        return f"{value}T23:59:59.999999"
    return value or None


_FIELD_MESSAGES = {
    "q": "Search text is limited to 200 characters.",
    "category": "Unknown category.",
    "author": "Usernames have at most 32 characters.",
    "cashtag": "A cashtag looks like $AAPL or BRK.B.",
    "since": "Use a date like 2024-01-31.",
    "until": "Use a date like 2024-01-31.",
    "sort": "Sort by new, old or comments.",
    "cursor": "That link is out of date: start again from the first page.",
}


def _search_errors(fields: dict[str, str]) -> dict[str, str]:
    renamed = {"search": "q"}
    errors = {renamed.get(f, f): _FIELD_MESSAGES.get(renamed.get(f, f), msg) for f, msg in fields.items()}
    if "in a row" in fields.get("search", ""):
        errors["q"] = f"Search text can have at most {SEARCH_NEGATIONS_MAX} '-' in a row."
    return errors


@bp.route(f"/posts/{POST_ID}")
def detail(post_id: int):
    return _render_detail(post_id)


def _render_detail(post_id: int, form: CommentForm | None = None, status: int = 200, preview: str | None = None):
    """The post page. A hidden post is a 404 but for moderators, who read it with the ORM."""
    user = viewer()
    moderator = is_moderator(user)
    query = PageQuery(page=page_arg(), per_page=COMMENTS_PER_PAGE)
    found = get_post_with_comments(post_id, query)
    hidden_at = None
    if found is None:
        hidden = hidden_post(post_id) if moderator else None
        if hidden is None:
            abort(404)
        post, hidden_at = hidden
        comments = hidden_post_comments(post_id, query)
    else:
        post, comments = found
    seen = reading_service.progress(db.session, user.id, post_id) if user is not None and hidden_at is None else None
    user_id, reading = (user.id if user is not None else None), (seen.state if seen else None)
    # A hidden post shows no reaction bars (nor does any of its comments).
    bars = page_reactions(post, comments.items, user_id) if hidden_at is None else (None, {})
    page = render_template(
        "posts/detail.html",
        post=post,
        comments=comments,
        # Forms (and their CSRF token, whose secret sets a session cookie) only for members: a
        # visitor's page stays cookie-free and cacheable whole (finboard.page_cache).
        form=form or (CommentForm() if user is not None else None),
        delete_form=DeleteForm() if user is not None else None,
        hidden_at=hidden_at,
        moderator=moderator,
        watching=watch_service.watching(db.session, user, post_id) if hidden_at is None else False,
        can_comment=hidden_at is None and (not post.locked or moderator),
        blocked_by_author=_blocked_by_author(user, post.author.id),
        threads=comment_threads(build_threads(comments.items, _parent_names(comments.items)), user_id, reading),
        reading=reading,
        post_reactions=bars[0],
        comment_reactions=bars[1],
        bookmarked=reading_service.is_bookmarked(db.session, user, post_id) if seen else False,
        preview=preview,
    )
    if seen is not None:  # after rendering: the page shows what was new before this visit
        reading_service.record_read(db.session, user.id, post_id, seen)
    return page, status


def _parent_names(comments: list) -> dict[int, str]:
    """The authors of the parents a page of comments answers but does not show (one query, or none)."""
    ids = parents_elsewhere(comments)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Comment.id, User.username).join(User, User.id == Comment.author_id).where(Comment.id.in_(ids))
    )
    return dict(rows.all())


def _blocked_by_author(user: User | None, author_id: int) -> bool:
    """Whether the post's author blocks the reader (one primary-key probe, members only): the page
    says so instead of offering a comment form the rules would refuse (403 ``blocked``)."""
    return user is not None and user.id != author_id and block_service.blocks(db.session, author_id, user.id)


def _settings():
    return current_app.config["FINBOARD_SETTINGS"]


def _me() -> User:
    return current_user._get_current_object()


def _ticker_rows(form: PostForm) -> TickerRows:
    """The rows of the control per detected cashtag, from what the page sent."""
    return rows_from_form(request.form, form.title.data or "", form.body.data or "")


def _market_fields(rows: TickerRows) -> dict:
    """The view and position per ticker, as ``PostCreate``/``PostUpdate`` take them."""
    return {"sentiments": rows.sentiments, "positions": rows.positions}


def _review_rows(form: PostForm, rows: TickerRows, post: Post | None):
    """The form again, before saving: new tickers to state a view on, or a row's bad value (422)."""
    if rows.new_tickers and not rows.errors:
        listed = ", ".join(f"${t}" for t in rows.new_tickers)
        flash(
            f"Your post mentions {listed}: state your view and position on each (or leave them empty), then "
            f"{'save' if post else 'publish'} again.",
            "info",
        )
    return render_template("posts/edit.html", form=form, post=post, rows=rows), 422 if rows.errors else 200


def _show_field_errors(form, exc: ApiError) -> bool:
    """An ApiError's field messages next to the form's own fields; False when none is one of them."""
    if hasattr(form, "show_api_error"):
        return form.show_api_error(exc)
    shown = False
    for name, message in exc.fields.items():
        field = form._fields.get(name)
        if field is not None and name != "csrf_token":
            field.errors = [*field.errors, message]
            shown = True
    return shown


def _refused_form(exc: ApiError, form, template: str, **context):
    """A write the shared rules refused: the form again, with the rule's message and status.

    403 (suspended, locked), 429 (hourly allowance) and anything else without
    fields of this form are flashed; a 422's fields go next to the form's fields.
    """
    db.session.rollback()
    if exc.status == 404:
        abort(404)
    if not (exc.status == 422 and _show_field_errors(form, exc)):
        flash(exc.message, "error")
    return render_template(template, form=form, **context), exc.status


# No category is chosen for the author: a post filed under the first one by default ended up
# in the wrong place. The empty first option is the select's placeholder; InputRequired refuses it.
CATEGORY_PLACEHOLDER = ("", "Choose a category…")


def _category_choices(placeholder: bool = False) -> list[tuple[str, str]]:
    categories = [(c.slug, c.name) for c in list_categories().items]
    return [CATEGORY_PLACEHOLDER, *categories] if placeholder else categories


def _own_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or post.hidden_at is not None:  # hidden: gone for its author too
        abort(404)
    if post.author_id != current_user.id:
        abort(403)
    return post


@bp.route("/posts/new", methods=["GET", "POST"])
@login_required
def new_post():
    form = PostForm()
    form.category.choices = _category_choices(placeholder=True)
    if request.method == "GET" and request.args.get("category"):
        form.category.data = request.args["category"]
    rows = _ticker_rows(form) if request.method == "POST" else TickerRows()
    if previewing():
        return render_template("posts/edit.html", form=form, post=None, preview=form.body.data or "", rows=rows)
    if form.validate_on_submit():
        if rows.needs_review or rows.errors:
            return _review_rows(form, rows, None)
        fields = {"title": form.title.data.strip(), "body": form.body.data, "category": form.category.data}
        try:
            payload = validate(PostCreate, {**fields, **_market_fields(rows)})
            post = api_service.create_post(db.session, _settings(), _me(), payload)
        except ApiError as exc:  # suspended, hourly allowance...
            return _refused_form(exc, form, "posts/edit.html", post=None, rows=rows)
        cache.invalidate()
        flash("Your post is live.", "success")
        return redirect(url_for("posts.detail", post_id=post.id))
    return render_template("posts/edit.html", form=form, post=None, rows=rows), 422 if form.errors else 200


@bp.route(f"/posts/{POST_ID}/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = _own_post(post_id)
    # Prefilled from plain values: reading post.category would raise (lazy="raise_on_sql").
    current = {
        "title": post.title,
        "body": post.body,
        "category": db.session.get(Category, post.category_id).slug,
    }
    form = PostForm(data=current if request.method == "GET" else None)
    form.category.choices = _category_choices()
    if request.method == "POST":
        rows = _ticker_rows(form)
    else:
        rows = rows_from_post(post.cashtag_list, post.sentiment_list, post.position_list)
    if previewing():
        return render_template("posts/edit.html", form=form, post=post, preview=form.body.data or "", rows=rows)
    if form.validate_on_submit():
        if rows.needs_review or rows.errors:
            return _review_rows(form, rows, post)
        fields = {"title": form.title.data.strip(), "body": form.body.data, "category": form.category.data}
        try:
            payload = validate(PostUpdate, {**fields, **_market_fields(rows)})
            api_service.update_post(db.session, _me(), post_id, payload)
        except ApiError as exc:
            return _refused_form(exc, form, "posts/edit.html", post=post, rows=rows)
        cache.invalidate()
        flash("Post updated.", "success")
        return redirect(url_for("posts.detail", post_id=post_id))
    return render_template("posts/edit.html", form=form, post=post, rows=rows), 422 if form.errors else 200


@bp.route(f"/posts/{POST_ID}/delete", methods=["POST"])
@login_required
def delete_post(post_id: int):
    post = db.session.get(Post, post_id)
    if post is None or (post.hidden_at is not None and post.author_id != current_user.id):
        abort(404)
    if post.author_id != current_user.id:
        abort(403)
    if not DeleteForm().validate_on_submit():
        abort(400)
    if not confirmed():
        return ask_to_confirm(
            f"Delete “{post.title}”?",
            "Yes, delete the post",
            url_for("posts.detail", post_id=post_id),
            "The post and its comments are gone for good. This cannot be undone.",
        )
    try:
        api_service.delete_post(db.session, _me(), post_id)
    except ApiError as exc:  # suspended, or hidden by a moderator (kept as evidence)
        if exc.code == "hidden":
            db.session.rollback()
            flash(exc.message, "error")
            return redirect(url_for("posts.index"))
        return _refused_detail(exc, post_id)
    cache.invalidate()
    flash("Post deleted.", "info")
    return redirect(url_for("posts.index"))


@bp.route(f"/posts/{POST_ID}/comments", methods=["POST"])
@login_required
def add_comment(post_id: int):
    post = db.session.get(Post, post_id)
    if post is None or post.hidden_at is not None:
        abort(404)
    form = CommentForm()
    if previewing():
        return _render_detail(post_id, form, preview=form.body.data or "")
    if form.validate_on_submit():
        try:
            payload = validate(CommentCreate, {"body": form.body.data})
            comment = api_service.create_comment(db.session, _settings(), _me(), post_id, payload)
        except ApiError as exc:  # suspended, locked, hourly allowance
            return _refused_detail(exc, post_id, form)
        cache.invalidate()
        flash("Comment added.", "success")
        return redirect(url_for("posts.detail", post_id=post_id, _anchor=f"comment-{comment.id}"))
    return _render_detail(post_id, form, 422)


def _refused_detail(exc: ApiError, post_id: int, form: CommentForm | None = None):
    """A write from the post page the rules refused: the page again with the message and status."""
    db.session.rollback()
    if exc.status == 404:
        abort(404)
    if not (exc.status == 422 and form is not None and _show_field_errors(form, exc)):
        flash(exc.message, "error")
    return _render_detail(post_id, form, exc.status)


@bp.route(f"/comments/{COMMENT_ID}/delete", methods=["POST"])
@login_required
def delete_comment(comment_id: int):
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    if comment.author_id != current_user.id:
        abort(403)
    if not DeleteForm().validate_on_submit():
        abort(400)
    post_id = comment.post_id
    if not confirmed():
        return ask_to_confirm(
            "Delete your comment?",
            "Yes, delete it",
            url_for("posts.detail", post_id=post_id, _anchor=f"comment-{comment_id}"),
            "It is gone for good. This cannot be undone.",
        )
    try:
        if comment.hidden_at is not None:  # a moderator hid it: the evidence stays
            raise hidden_evidence("comment")
        require_writer(_me())  # the shared rule: a suspended account reads but does not write
        if not content_writes.delete_comment(db.session, comment, author_id=current_user.id):
            db.session.rollback()  # hidden or deleted since it was read: the guard changed nothing
            if db.session.get(Comment, comment_id) is None:
                abort(404)
            raise hidden_evidence("comment")
    except ApiError as exc:
        return _refused_detail(exc, post_id)
    db.session.commit()
    cache.invalidate()
    flash("Comment deleted.", "info")
    return redirect(url_for("posts.detail", post_id=post_id))
