"""What a page shows of each post card and comment, computed once in Python per render.

The card and comment templates used to work each value out per card: a macro call with
a filter for the time (and the clock read again), four ``link.*`` calls, a dict literal and
a nested loop for the cashtags' view marks, the member's filter asked twice, an include
per comment that imported two macro files again. Here one pass over a page's rows reads the
clock once, fills the link templates (``finboard.templating.Links.paths``), applies the
member's mutes, blocks and reading marks (``finboard.members``: a visitor pays for none)
and leaves the templates (``_macros.html``' ``post_card``, ``posts/_comment.html``) only
attribute lookups. The rendered HTML is the same as before, byte for byte
(``tests/web/test_page_rows.py`` against pages rendered by the old path).

Cards are built from page rows (``finboard.posts.rows``) or from the contract's models
(the watchlist feed, bookmarks, a hidden post for a moderator): both answer the same attributes.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import current_app
from markupsafe import Markup, escape

from finboard.contract.threads import Thread
from finboard.relative_time import Stamp, current_time, now_micros, time_tag

_SENTIMENT_BADGES = {
    "bullish": Markup(
        '<span class="badge sentiment sentiment-bullish"><span aria-hidden="true">▲</span> Bullish</span>'
    ),
    "bearish": Markup(
        '<span class="badge sentiment sentiment-bearish"><span aria-hidden="true">▼</span> Bearish</span>'
    ),
}
_VIEW_MARKS = {"bullish": "▲", "bearish": "▼", "neutral": "●"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class Clock:
    """The render's one reading of the clock, for every time on the page."""

    __slots__ = ("now", "micros")

    def __init__(self):
        self.now = current_time()
        self.micros = now_micros(self.now)

    def tag(self, value) -> Markup:
        """A row's ``Stamp`` or a model's datetime as its ``<time>`` tag, both seen from this clock."""
        if isinstance(value, Stamp):
            return value.tag(self.micros)
        return time_tag(value, self.now)


class PostCard:
    """A listing card's values; the markup is ``post_card`` in ``_macros.html``."""

    __slots__ = (
        "id",
        "title",
        "url",
        "pinned",
        "category_url",
        "category_name",
        "sentiment_badge",
        "author_url",
        "author_name",
        "time",
        "comments",
        "reactions",
        "cashtags",
        "marks",
        "blocked",
    )


def _cashtags(post, cashtag_path: str) -> Markup:
    """The card's cashtag links, each followed by the author's view on that ticker.

    Plain string building with ``escape`` on every value (``Markup.format`` costs an escaping
    formatter per field: a fifth of a listing's render when this was written with it)."""
    parts = []
    for ticker in post.cashtags:
        t = escape(ticker)
        href = escape(cashtag_path.format(quote(ticker, safe="")))
        parts.append(f'<a class="cashtag" href="{href}">${t}</a>')
        for view in post.sentiments:
            if view.ticker == ticker:
                v = escape(view.sentiment)
                parts.append(
                    f'<span class="view-mark view-{v}" title="{escape(view.sentiment.capitalize())} on ${t}">'
                    f'<span aria-hidden="true">{_VIEW_MARKS.get(view.sentiment, "")}</span>'
                    f'<span class="visually-hidden"> {v}</span></span>'
                )
    return Markup("".join(parts))  # noqa: S704  # nosec B704 - every value escaped above


def post_card(post, paths: dict, clock: Clock, marks=None, blocked: bool = False) -> PostCard:
    """One card's values from a row or a model: what ``post_card`` in ``_macros.html`` used to
    compute per card with filters, ``link.*`` calls and loops, done here in plain Python."""
    card = PostCard()
    card.id = post.id
    card.title = post.title
    card.url = paths["post"].format(post.id)
    card.pinned = post.pinned
    category = post.category
    card.category_url = paths["category"].format(quote(category.slug, safe=""))
    card.category_name = category.name
    card.sentiment_badge = _SENTIMENT_BADGES.get(post.sentiment) if post.sentiment else None
    author = post.author.username
    card.author_url = paths["author"].format(quote(author, safe=""))
    card.author_name = author
    card.time = clock.tag(post.created_at)
    card.comments = _plural(post.comment_count, "comment")
    card.reactions = _plural(post.reaction_count, "reaction") if post.reaction_count else None
    card.cashtags = _cashtags(post, paths["cashtag"]) if post.cashtags else None
    card.marks = marks_markup(post.id, marks, paths) if marks else None
    card.blocked = blocked
    return card


_BOOKMARK_BADGE = ' <span class="badge bookmark-badge" title="You bookmarked this post">Bookmarked</span>'


def marks_markup(post_id: int, marks, paths: dict) -> Markup | None:
    """A member's marks on a card — "N new comments" (to the first unread) and "Bookmarked" —
    as they end the card's meta line; None without any. One place for both ways a member's
    card is made: the full render (``post_card``) and a member page spliced from the visitor's
    (``finboard.member_pages``)."""
    parts = []
    if marks.unread:
        href = escape(paths["first_unread"].format(post_id))
        parts.append(f' · <a class="badge unread-badge" href="{href}">{_plural(marks.unread, "new comment")}</a>')
    if marks.bookmarked:
        parts.append(_BOOKMARK_BADGE)
    return Markup("".join(parts)) if parts else None  # noqa: S704  # nosec B704 - the href is escaped


class CardList:
    """A listing's cards after the member's mutes, and how many posts the mutes left out."""

    __slots__ = ("cards", "muted")

    def __init__(self, cards: list[PostCard], muted: int):
        self.cards, self.muted = cards, muted


def _paths() -> dict:
    return current_app.jinja_env.globals["link"].paths()


def post_cards(items: list, filtered: bool = True) -> CardList:
    """A page's cards (a template global): the member's mutes leave posts out, their blocks
    collapse them (``filtered``; bookmarks show every post), their reading marks are added."""
    from finboard.members.blocking import viewer_filter
    from finboard.members.reading import reading_marks

    mine = viewer_filter() if filtered else None
    shown = mine.shown(items) if mine is not None and not mine.empty else items
    marks = reading_marks(shown)
    paths, clock = _paths(), Clock()
    blocks = mine.blocked_ids if mine is not None else ()
    cards = [post_card(p, paths, clock, marks.get(p.id), p.author.id in blocks) for p in shown]
    return CardList(cards, len(items) - len(shown))


class CommentCard:
    """One comment of the post page; the markup is the ``comment`` macro of ``posts/_comment.html``."""

    __slots__ = (
        "id",
        "body",
        "reply",
        "is_new",
        "author_name",
        "author_url",
        "in_reply_to",
        "in_reply_url",
        "time",
        "history_url",
        "blocked",
        "react_url",
        "mine",
        "reply_url",
        "quote_url",
        "edit_url",
        "delete_url",
        "report_url",
        "moderate_url",
    )


def comment_card(c, in_reply_to, paths: dict, clock: Clock, viewer_id, blocked_ids, last_read) -> CommentCard:
    """One comment's values: its links (a member's actions only for a member), whether it is new
    since the reader's last visit, whether its author is blocked — once, not per template branch."""
    card = CommentCard()
    ident = c.id
    card.id = ident
    card.body = c.body
    card.reply = bool(c.parent_id)
    author_id = c.author.id
    card.is_new = last_read is not None and ident > last_read and author_id != viewer_id
    card.author_name = c.author.username
    card.author_url = paths["author"].format(quote(c.author.username, safe=""))
    card.in_reply_to = in_reply_to
    card.in_reply_url = paths["comment"].format(c.parent_id) if in_reply_to else None
    card.time = clock.tag(c.created_at)
    card.history_url = paths["comment_history"].format(ident) if c.edit_count else None
    card.blocked = author_id in blocked_ids
    card.react_url = paths["react_to_comment"].format(ident)
    card.mine = viewer_id is not None and viewer_id == author_id
    if viewer_id is not None:
        card.reply_url = paths["reply"].format(ident)
        card.quote_url = paths["quote"].format(ident)
        card.edit_url = paths["edit_comment"].format(ident)
        card.delete_url = paths["delete_comment"].format(ident)
        card.report_url = paths["report_comment"].format(ident)
        card.moderate_url = paths["moderate_comment"].format(ident)
    else:  # a visitor gets no actions
        card.reply_url = card.quote_url = card.edit_url = card.delete_url = None
        card.report_url = card.moderate_url = None
    return card


def comment_threads(threads: list[Thread], viewer_id: int | None, reading) -> list[Thread]:
    """The threads' entries with their comments as ``CommentCard`` (``build_threads``' threads, in place)."""
    from finboard.members.blocking import viewer_filter

    paths, clock = _paths(), Clock()
    blocked_ids = viewer_filter().blocked_ids
    last_read = reading.last_read_comment_id if reading else None
    for thread in threads:
        for entry in (thread.top, *thread.replies):
            entry.comment = comment_card(
                entry.comment, entry.in_reply_to, paths, clock, viewer_id, blocked_ids, last_read
            )
    return threads
