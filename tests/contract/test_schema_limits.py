"""Every limit the API's schemas put on a stored string fits its column (issue 15).

A limit above its column is a 500 on PostgreSQL (``value too long for type
character varying``) for input the contract accepts: 17 disclosed positions did
that while ``posts.positions`` was VARCHAR(255). This test reads the limits from
the pydantic schemas and the lengths from the tables' metadata, so raising a
limit (or narrowing a column) without the other fails here. Every string limit
in the schemas must be classified as stored (and where) or not stored (and
why): a new field fails until it is.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import string
import typing
from itertools import product

import pytest
from pydantic import BaseModel, StringConstraints, TypeAdapter, ValidationError
from sqlalchemy import Column, String

import finboard.contract
from finboard.contract.account_data import AccountDeletionRequest
from finboard.contract.accounts import EmailChange, EmailConfirm, PasswordReset, PasswordResetRequest
from finboard.contract.cashtags import MAX_CASHTAGS_PER_POST, extract_cashtags, normalize_ticker
from finboard.contract.comments import CommentCreate, CommentUpdate
from finboard.contract.fields import PositionKind, Ticker, TickerSentiment
from finboard.contract.limits import MAX_POSITIONS
from finboard.contract.moderation import CommentModeration, PostModeration, ReportCreate, ReportResolve, UserModeration
from finboard.contract.positions import format_positions
from finboard.contract.posts import PostCreate, PostListQuery, PostUpdate
from finboard.contract.reading import BookmarkQuery
from finboard.contract.ticker_views import UNSET, sentiments_for
from finboard.contract.two_factor import TwoFactorDisable, TwoFactorEnable
from finboard.contract.users import LoginRequest, ProfileUpdate, UserCreate
from finboard.core.models import Base

TABLES = Base.metadata.tables


def column(name: str) -> Column:
    table, col = name.split(".")
    return TABLES[table].c[col]


# (schema, field) → every column the value is written to.
STORED: dict[tuple[type[BaseModel], str], tuple[str, ...]] = {
    (UserCreate, "username"): ("users.username",),
    (UserCreate, "email"): ("users.email",),
    (EmailChange, "email"): ("users.email",),  # once the link mailed to it is followed
    (PostCreate, "title"): ("posts.title", "post_revisions.title"),
    (PostUpdate, "title"): ("posts.title", "post_revisions.title"),
    (PostCreate, "body"): ("posts.body", "post_revisions.body"),
    (PostUpdate, "body"): ("posts.body", "post_revisions.body"),
    (CommentCreate, "body"): ("comments.body",),
    (CommentUpdate, "body"): ("comments.body", "comment_revisions.body"),
    (ProfileUpdate, "bio"): ("users.bio",),
    (ReportCreate, "reason"): ("reports.reason",),
    (ReportResolve, "resolution"): ("reports.resolution", "moderation_actions.reason"),
    (PostModeration, "reason"): ("moderation_actions.reason",),
    (CommentModeration, "reason"): ("moderation_actions.reason",),
    (UserModeration, "reason"): ("moderation_actions.reason",),
}
# (schema, field) → why its limit needs no column.
NOT_STORED: dict[tuple[type[BaseModel], str], str] = {
    (UserCreate, "password"): "only its argon2 hash is stored (fixed length)",
    (LoginRequest, "username"): "looked up, never written",
    (PasswordResetRequest, "email"): "looked up, never written",
    (PasswordReset, "password"): "only its argon2 hash is stored (fixed length)",
    (PasswordReset, "token"): "a signed link: verified, never written",
    (EmailConfirm, "token"): "a signed link: verified, never written",
    (EmailChange, "password"): "verified, never written",
    (LoginRequest, "password"): "verified, never written",
    (LoginRequest, "code"): "verified, never written (a recovery code is looked up by its SHA-256)",
    (TwoFactorEnable, "code"): "verified, never written",
    (TwoFactorDisable, "code"): "verified, never written",
    (TwoFactorDisable, "password"): "verified, never written",
    (AccountDeletionRequest, "code"): "verified, never written",
    (AccountDeletionRequest, "password"): "verified, never written",
    (PostCreate, "category"): "looked up: the post stores category_id",
    (PostUpdate, "category"): "looked up: the post stores category_id",
    (PostListQuery, "search"): "a query parameter",
    (PostListQuery, "category"): "a query parameter",
    (PostListQuery, "author"): "a query parameter",
    (PostListQuery, "cursor"): "a query parameter",
    (BookmarkQuery, "cursor"): "a query parameter",
}
# Composite fields, checked below by their serialised form.
COMPOSITE = {
    (PostCreate, "positions"),
    (PostUpdate, "positions"),
    (PostCreate, "sentiments"),
    (PostUpdate, "sentiments"),
}


def _string_limit(annotation, metadata) -> int | None:
    """The max_length a StringConstraints puts on a field (through Optional and
    Annotated, not into the items of a dict or list), else None."""
    for item in metadata:
        if isinstance(item, StringConstraints) and item.max_length is not None:
            return item.max_length
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _string_limit(base, extra)
    args = typing.get_args(annotation)
    if args and type(None) in args:  # Optional[...]
        found = [_string_limit(arg, []) for arg in args if arg is not type(None)]
        return next((limit for limit in found if limit is not None), None)
    return None


CONTRACT_MODULES = [
    importlib.import_module(f"finboard.contract.{info.name}")
    for info in pkgutil.iter_modules(finboard.contract.__path__)
]


def _schema_fields():
    for module in CONTRACT_MODULES:
        for model in vars(module).values():
            if inspect.isclass(model) and issubclass(model, BaseModel) and model.__module__ == module.__name__:
                for name, info in model.model_fields.items():
                    yield model, name, info


def _string_limits() -> dict[tuple[type[BaseModel], str], int]:
    found = {}
    for model, name, info in _schema_fields():
        limit = _string_limit(info.annotation, info.metadata)
        if limit is not None:
            found[(model, name)] = limit
    return found


def _length(col: Column) -> int | None:
    """A column's character limit, or None when it has none (TEXT)."""
    return col.type.length if isinstance(col.type, String) else None


def test_every_string_limit_is_classified():
    limited = set(_string_limits())
    unclassified = limited - set(STORED) - set(NOT_STORED)
    names = sorted((m.__name__, f) for m, f in unclassified)
    assert not unclassified, f"say whether (and where) these are stored: {names}"
    stale = (set(STORED) | set(NOT_STORED)) - limited
    assert not stale, f"no longer string limits: {sorted((m.__name__, f) for m, f in stale)}"
    for model, name in COMPOSITE:
        assert name in model.model_fields, (model.__name__, name)


@pytest.mark.parametrize(("field", "columns"), STORED.items(), ids=[f"{m.__name__}.{f}" for m, f in STORED])
def test_every_stored_string_limit_fits_its_columns(field, columns):
    limit = _string_limits()[field]
    for name in columns:
        length = _length(column(name))
        what = f"{field[0].__name__}.{field[1]} allows {limit}, {name} holds {length}"
        assert length is None or limit <= length, what


def _longest_ticker() -> str:
    """The longest ticker the schemas accept (as stored: upper case, without "$")."""
    adapter = TypeAdapter(Ticker)
    longest = ""
    for size in range(1, 16):
        for dot in (None, *range(1, size)):
            raw = "".join("." if i == dot else ("A" if i == 0 else "Z") for i in range(size))
            try:
                ticker = adapter.validate_python(raw)
            except ValidationError:
                continue
            longest = max(longest, ticker, key=len)
    assert longest and "$" not in longest
    return longest


def _distinct_tickers_like(template: str, count: int) -> list[str]:
    """``count`` distinct tickers as long as ``template`` (the same shape, other letters)."""
    letters = [i for i, char in enumerate(template) if char in string.ascii_uppercase and i > 0]
    tickers = []
    for combo in product(string.ascii_uppercase, repeat=len(letters)):
        chars = list(template)
        for index, letter in zip(letters, combo, strict=True):
            chars[index] = letter
        tickers.append("".join(chars))
        if len(tickers) == count:
            return tickers
    raise AssertionError("not enough tickers")


def test_the_widest_disclosure_fits_posts_positions():
    longest = _longest_ticker()
    kinds = typing.get_args(PositionKind)
    widest_kind = max(kinds, key=len)
    tickers = _distinct_tickers_like(longest, MAX_POSITIONS)
    payload = {
        "title": "Everything disclosed",
        "body": " ".join(f"${ticker}" for ticker in tickers),
        "category": "stocks",
        "positions": dict.fromkeys(tickers, widest_kind),
    }
    accepted = PostCreate.model_validate(payload)
    assert len(accepted.positions) == MAX_POSITIONS
    stored = format_positions(list(accepted.positions.items()))
    length = _length(column("posts.positions"))
    assert length is None or len(stored) <= length, f"{len(stored)} characters for posts.positions({length})"


def test_the_widest_views_fit_posts_sentiments():
    """20 views of the widest ticker, each with the longest view, in ``posts.sentiments`` (migration 0018)."""
    tickers = _distinct_tickers_like(_longest_ticker(), MAX_POSITIONS)
    widest_view = max(typing.get_args(TickerSentiment), key=len)
    payload = {
        "title": "A view on everything",
        "body": " ".join(f"${ticker}" for ticker in tickers),
        "category": "stocks",
        "sentiments": dict.fromkeys(tickers, widest_view),
    }
    accepted = PostCreate.model_validate(payload)
    assert len(accepted.sentiments) == MAX_POSITIONS
    stored = sentiments_for(tickers, accepted.sentiments, UNSET, [])
    length = _length(column("posts.sentiments"))
    assert length is None or len(stored) <= length, f"{len(stored)} characters for posts.sentiments({length})"


def test_the_most_cashtags_fit_posts_cashtags_and_every_ticker_column():
    longest = _longest_ticker()
    tickers = _distinct_tickers_like(longest, MAX_CASHTAGS_PER_POST + 5)
    found = extract_cashtags(" ".join(f"${ticker}" for ticker in tickers))
    assert len(found) == MAX_CASHTAGS_PER_POST
    length = _length(column("posts.cashtags"))
    assert length is None or len(" ".join(found)) <= length
    # A ticker from a body, a path (/watchlist/{ticker}) or a filter fits every ticker column.
    widest = max(len(longest), len(normalize_ticker(longest) or ""))
    for name in ("post_cashtags.ticker", "ticker_follows.ticker", "notifications.ticker", "cashtag_counters.ticker"):
        assert widest <= _length(column(name)), name
