"""Reading what a page shows: flashed messages, field errors, form values, post titles.

The forum tests assert on what a person would see, so these parse the HTML
(with the standard library's parser) instead of matching raw markup.
"""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}


class Document(HTMLParser):
    """Every start tag with its attributes, the text, and what each form control holds."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str]]]] = []
        self.texts: list[str] = []
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._selected = False
        self._skip = 0  # inside <style>: not visible text
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        pairs = [(name, value or "") for name, value in attrs]
        self.elements.append((tag, pairs))
        attributes = dict(pairs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("checkbox", "radio"):
            self.values.setdefault(name, attributes.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
            self._selected = False
        elif tag == "option" and self._select:
            # A select shows its first option unless another one is selected.
            if "selected" in attributes and not self._selected:
                self.values[self._select] = attributes.get("value", "")
                self._selected = True
            elif self._select not in self.values:
                self.values[self._select] = attributes.get("value", "")
        elif tag == "style":
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            # HTML drops a textarea's first newline and reads CR LF as LF.
            value = self.values[self._textarea].replace("\r\n", "\n").replace("\r", "\n")
            self.values[self._textarea] = value[1:] if value.startswith("\n") else value
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "style":
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if self._textarea is not None:
            self.values[self._textarea] += data
        if not self._skip:
            self.texts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.texts).split())


def body(response) -> str:
    return response.get_data(as_text=True)


def doc(response) -> Document:
    return Document(body(response))


def text(response) -> str:
    """The page's visible text, whitespace collapsed."""
    return doc(response).text


def flashes(response) -> list[str]:
    return [html_lib.unescape(m) for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', body(response), re.S)]


def field_error(response, field: str) -> str | None:
    """The message shown next to a form field (``<p class="error" id="FIELD-error">``)."""
    match = re.search(rf'<p class="error" id="{re.escape(field)}-error">(.*?)</p>', body(response), re.S)
    return html_lib.unescape(match.group(1)) if match else None


def form_value(response, name: str) -> str | None:
    """What the first form control called ``name`` holds (input value, textarea text, selected option)."""
    return doc(response).values.get(name)


def element(response, element_id: str) -> dict[str, str] | None:
    """The attributes of the element with that id."""
    for _tag, attrs in doc(response).elements:
        if dict(attrs).get("id") == element_id:
            return dict(attrs)
    return None


def post_titles(response) -> list[str]:
    """Titles of the post cards on a listing, in page order."""
    return [
        html_lib.unescape(m)
        for m in re.findall(r'<h2 id="post-\d+-title"><a href="/posts/\d+">(.*?)</a></h2>', body(response), re.S)
    ]


# The forum's own scripts: external, same-origin, fingerprinted (CSP script-src 'self'), e.g. the
# Markdown forms' image upload (finboard/static/markdown_tools.js). Nothing else may be a script.
OWN_SCRIPT = re.compile(r'<script src="/static/[\w-]+\.js\?v=[0-9a-f]{12}" defer></script>')


def without_own_scripts(html: str) -> str:
    """The page less the forum's own external scripts, for checks that no other script got in."""
    return OWN_SCRIPT.sub("", html)


def unsafe_markup(markup: str) -> list[str]:
    """Anything that would run script in a browser: script/iframe tags, on* handlers, javascript: URLs."""
    problems = []
    for tag, attrs in Document(markup).elements:
        if tag in ("script", "iframe", "object", "embed"):
            problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                problems.append(f"<{tag} {name}=...>")
            squashed = re.sub(r"[\x00-\x20]", "", value).lower()
            if name.lower() in URL_ATTRIBUTES and squashed.startswith(("javascript:", "vbscript:", "data:")):
                problems.append(f"<{tag} {name}={value!r}>")
    return problems


def location_path(response) -> str:
    """The redirect target as path (plus query), whether absolute or relative."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def next_param(response) -> str | None:
    """The ``next`` a login redirect carries."""
    values = parse_qs(urlsplit(response.headers["Location"]).query).get("next")
    return values[0] if values else None


def logged_in_as(client) -> str | None:
    """The username the header shows as logged in, or None for an anonymous visitor."""
    nav = re.search(r'<nav class="account".*?</nav>', body(client.get("/")), re.S)
    assert nav, "no account navigation on the home page"
    match = re.search(r'<span class="user-menu-name">(\w+)</span>', nav.group(0))  # the user menu's summary
    if match:
        assert "Log out" in nav.group(0)
        return match.group(1)
    assert "Log in" in nav.group(0)
    return None


def sign_in(client, user_id: int, token_version: int = 0) -> None:
    """Log a test client in without the login form and its argon2 verification.

    Starts a session row and stores what Flask-Login's ``login_user`` stores. Tests of the login itself
    use the real form (``auth.login``); everything else uses this to stay fast.
    """
    import secrets

    from finboard.auth.session import token_hash
    from finboard.core.models import UserSession
    from finboard.extensions import db

    token = secrets.token_urlsafe(32)
    with client.application.app_context():
        db.session.add(UserSession(user_id=user_id, token_hash=token_hash(token)))
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:{token_version}:{token}"
        session["_fresh"] = True
