"""Server-rendered pages: listings, a post with comments, search, writing."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from finboard.cache_keys import invalidate_content
from finboard.core import queries
from finboard.core.api_contract import MAX_ID, ApiError, validate
from finboard.core.models import Category, Comment, Post, User
from finboard.core.pagination import NUMBERED_ROWS_MAX, Cursor, CursorError, numbered_page_too_deep
from finboard.core.schemas import PAGE_MAX, PageQuery, PostListQuery
from finboard.extensions import db
from finboard.posts.forms import CommentForm, DeleteForm, PostForm
from finboard.reads import get_post, list_categories, list_comments, list_posts

bp = Blueprint("posts", __name__)

PER_PAGE = 20
COMMENTS_PER_PAGE = 50
SEARCH_FIELDS = ("q", "category", "author", "cashtag", "since", "until", "sort")
# Ids are 32-bit columns: a larger id in a URL is simply not found (never a
# database error).
POST_ID = f"<int(max={MAX_ID}):post_id>"
COMMENT_ID = f"<int(max={MAX_ID}):comment_id>"
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _page_arg() -> int:
    page = request.args.get("page", 1, type=int)
    return min(max(page or 1, 1), PAGE_MAX)


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
    page = _page_arg()
    if numbered_page_too_deep(page, PER_PAGE):
        abort(404)
    return {"page": page}


def _listing(template: str, filters: dict | None = None, **context):
    try:
        query = validate(PostListQuery, {**(filters or {}), **_paging_args(), "per_page": PER_PAGE})
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
    return _listing("posts/index.html")


@bp.route("/c/<slug>")
def category(slug: str):
    match = next((c for c in list_categories().items if c.slug == slug), None)
    if match is None:
        abort(404)
    return _listing("posts/category.html", {"category": slug}, category=match)


@bp.route("/u/<username>")
def author(username: str):
    user = db.session.scalars(select(User).where(func.lower(User.username) == username.lower())).first()
    if user is None:
        abort(404)
    return _listing("posts/author.html", {"author": user.username}, author=user)


@bp.route("/search")
def search():
    """Full-text search with filters; bad filters are shown next to their field."""
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
            page = list_posts(query)
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
    return {renamed.get(f, f): _FIELD_MESSAGES.get(renamed.get(f, f), msg) for f, msg in fields.items()}


@bp.route(f"/posts/{POST_ID}")
def detail(post_id: int):
    post = get_post(post_id)
    if post is None:
        abort(404)
    comments = list_comments(post_id, PageQuery(page=_page_arg(), per_page=COMMENTS_PER_PAGE))
    return render_template(
        "posts/detail.html", post=post, comments=comments, form=CommentForm(), delete_form=DeleteForm()
    )


def _category_choices() -> list[tuple[str, str]]:
    return [(c.slug, c.name) for c in list_categories().items]


def _own_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    if post.author_id != current_user.id:
        abort(403)
    return post


def _category_by_slug(slug: str) -> Category:
    category = db.session.scalars(select(Category).where(Category.slug == slug)).first()
    if category is None:  # validate_choice already refused unknown slugs
        abort(400)
    return category


@bp.route("/posts/new", methods=["GET", "POST"])
@login_required
def new_post():
    form = PostForm()
    form.category.choices = _category_choices()
    if request.method == "GET" and request.args.get("category"):
        form.category.data = request.args["category"]
    if form.validate_on_submit():
        post = queries.create_post(
            db.session,
            author=current_user._get_current_object(),
            category=_category_by_slug(form.category.data),
            title=form.title.data.strip(),
            body=form.body.data,
        )
        db.session.commit()
        invalidate_content()
        flash("Your post is live.", "success")
        return redirect(url_for("posts.detail", post_id=post.id))
    return render_template("posts/edit.html", form=form, post=None), 422 if form.errors else 200


@bp.route(f"/posts/{POST_ID}/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    post = _own_post(post_id)
    # Prefilled from plain values: reading post.category would raise (lazy="raise_on_sql").
    current = {"title": post.title, "body": post.body, "category": db.session.get(Category, post.category_id).slug}
    form = PostForm(data=current if request.method == "GET" else None)
    form.category.choices = _category_choices()
    if form.validate_on_submit():
        queries.update_post(
            db.session,
            post,
            title=form.title.data.strip(),
            body=form.body.data,
            category=_category_by_slug(form.category.data),
        )
        db.session.commit()
        invalidate_content()
        flash("Post updated.", "success")
        return redirect(url_for("posts.detail", post_id=post.id))
    return render_template("posts/edit.html", form=form, post=post), 422 if form.errors else 200


@bp.route(f"/posts/{POST_ID}/delete", methods=["POST"])
@login_required
def delete_post(post_id: int):
    post = _own_post(post_id)
    if not DeleteForm().validate_on_submit():
        abort(400)
    queries.delete_post(db.session, post)
    db.session.commit()
    invalidate_content()
    flash("Post deleted.", "info")
    return redirect(url_for("posts.index"))


@bp.route(f"/posts/{POST_ID}/comments", methods=["POST"])
@login_required
def add_comment(post_id: int):
    post = db.session.get(Post, post_id)
    if post is None:
        abort(404)
    form = CommentForm()
    if form.validate_on_submit():
        comment = queries.create_comment(db.session, post, current_user._get_current_object(), form.body.data)
        db.session.commit()
        invalidate_content()
        flash("Comment added.", "success")
        return redirect(url_for("posts.detail", post_id=post_id, _anchor=f"comment-{comment.id}"))
    detail_view = get_post(post_id)
    comments = list_comments(post_id, PageQuery(page=1, per_page=COMMENTS_PER_PAGE))
    return (
        render_template("posts/detail.html", post=detail_view, comments=comments, form=form, delete_form=DeleteForm()),
        422,
    )


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
    queries.delete_comment(db.session, comment)
    db.session.commit()
    invalidate_content()
    flash("Comment deleted.", "info")
    return redirect(url_for("posts.detail", post_id=post_id))
