"""A member's listing page made from the visitor's cached page and the member's own parts.

Why: a member's listing cost a whole render — 20 cards through Jinja, the header, the
pager — although all but a few dozen bytes of it are the page every visitor gets, which the
whole-page cache (``finboard.page_cache``) already holds as finished bytes (issue 19:
logged-in pages ≥ 0.5× the API list). So a member's index or search page is that visitor
page with three kinds of parts put in, each rendered by the code the full render uses:

- the header's account links: the ``account_nav`` block of ``base.html`` (New post, the
  bell with its unread count, the account menu and its CSRF-protected logout form);
- the page's own member block, where it has one (the index's feed toggle, ``member_intro``);
- each card's marks ("N new comments", "Bookmarked"): ``finboard.posts.cards.marks_markup``,
  from one query for the page's posts (``reading_service.card_marks``), at the end of the
  card's meta line, as the ``post_card`` macro puts them.

The result is the full render's page, byte for byte (``tests/web/test_member_pages.py``
renders both ways and compares). Anything else a member's page may carry falls back to the
full render: a flashed message, the unconfirmed-address and suspension banners, blocks or
mutes (which leave posts out and collapse others), a page the visitor does not get as a
cached 200 (an error, a form with errors), the cache off or down. A write retires the
visitor page by the generation rule, so a member sees every write at once like a visitor;
the member's own state (marks, unread count) is read fresh on every request.
"""

from __future__ import annotations

import re

from flask import current_app, request, session

from finboard.contract.permissions import suspended
from finboard.core import reading_service
from finboard.extensions import db
from finboard.members.blocking import viewer_filter
from finboard.page_cache import LAYER_EXTENSION, STATE_HEADER
from finboard.pages import viewer
from finboard.posts.cards import marks_markup

SPLICED = "spliced"  # X-Page-Cache of a member page made from the visitor's
NAV_OPEN = '<nav class="account" aria-label="Account">'
NAV_CLOSE = "</nav>"
META_END = "    </p>"  # how the post_card macro ends a card's meta line, right after the marks
_CARD = re.compile(r'<article class="post-card[^"]*" aria-labelledby="post-(\d+)-title">')
# Templates with a member-only block inside the page, and the visitor's text the block follows.
_PAGE_BLOCKS = {"posts/index.html": ("member_intro", "<h1>Latest posts</h1>\n")}


def spliced_page(template_name: str):
    """The member's page from the visitor's (a response tuple), or None: render it in full."""
    user = viewer()
    layer = current_app.extensions.get(LAYER_EXTENSION)
    if user is None or layer is None or not _plain_member(user):
        return None
    body = layer.visitor_page(request.environ)
    if body is None:
        return None
    html = body.decode("utf-8")
    html = _put_account_nav(html)
    html = _put_page_block(html, template_name)
    if html is None:
        return None
    html = _put_marks(html, user.id)
    return html, 200, {STATE_HEADER: SPLICED}


def _plain_member(user) -> bool:
    """Whether this member's page differs from a visitor's only in the spliced parts."""
    return (
        "_flashes" not in session
        and user.email_verified_at is not None
        and not suspended(user)
        and viewer_filter().empty
    )


def _block(template_name: str, block: str) -> str:
    """One block of a template, rendered in this request's context as the full render would."""
    template = current_app.jinja_env.get_template(template_name)
    context: dict = {}
    current_app.update_template_context(context)
    return "".join(template.blocks[block](template.new_context(context)))


def _put_account_nav(html: str) -> str:
    start = html.index(NAV_OPEN) + len(NAV_OPEN)
    end = html.index(NAV_CLOSE, start)
    return html[:start] + _block("base.html", "account_nav") + html[end:]


def _put_page_block(html: str, template_name: str) -> str | None:
    """The page's member block after its anchor; None (full render) if the anchor is missing."""
    found = _PAGE_BLOCKS.get(template_name)
    if found is None:
        return html
    block, anchor = found
    at = html.find(anchor)
    if at < 0:
        return None
    at += len(anchor)
    return html[:at] + _block(template_name, block) + html[at:]


def _put_marks(html: str, user_id: int) -> str:
    """Each card's marks at the end of its meta line: one query for the page's posts."""
    cards = [(int(m.group(1)), m.end()) for m in _CARD.finditer(html)]
    if not cards:
        return html
    marks = reading_service.card_marks(db.session, user_id, [post_id for post_id, _ in cards])
    paths = current_app.jinja_env.globals["link"].paths()
    parts, done = [], 0
    for post_id, card_start in cards:
        markup = marks_markup(post_id, marks[post_id], paths)
        if markup:
            at = html.index(META_END, card_start)
            parts += [html[done:at], markup]
            done = at
    return "".join(parts) + html[done:] if parts else html
