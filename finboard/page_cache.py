"""Whole pages for logged-out visitors, answered before Flask runs a line of view code.

Why: a visitor page built from cached reads still cost 7-10 times a ``/hello`` (issue 19):
parsing, models and 20 cards through Jinja on every hit. Here the finished bytes are
cached instead, gzip-compressed, and a hit is a WSGI layer (:class:`PageCacheLayer`, inside
ProxyFix, outside Flask) that makes one cache round trip and writes them out: no request
context, no routing, no templates.

The rule is the read cache's (``finboard.core.generation_cache``): an entry is stored
under ``<prefix>read:page:<blake2b of scheme, host, path and sorted query>`` tagged with
the content generation read *before* the page was built, and one ``MGET`` of the
generation and the entry answers; every write bumps the generation, so every worker and
machine drops every page at once. Besides the writes that already invalidate, any other
write request that committed (a bio, a follow, a suspension: parts of a page no cached
read holds) bumps it too (:func:`_retire_after_write`), but for the writes that change
only the writer's own state (``PRIVATE_WRITES``: logins, blocks and mutes, bookmarks, ...).
Without Redis the same scheme runs on the in-process ``LocalStore``; with no cache
(``CACHE_ENABLED=0``) or ``PAGE_CACHE=0`` the layer only marks private responses.

What is never served from or stored in the cache: any method but GET/HEAD, a request
carrying the session or remember cookie or an Authorization header, ``/api``, ``/static``,
``/media``, ``/avatars``; and the app (:func:`_judge`) stores only a 200 HTML or feed
page, for an anonymous viewer, that set no cookie, flashed nothing, rendered no CSRF
token, set no ``Cache-Control`` of its own, and was not streamed. A HEAD miss builds the
GET and answers with its headers.

Answers: a strong ``ETag`` (the BLAKE2b of the page; ``-gzip`` for the compressed
representation), ``Last-Modified`` (when the entry was built), 304 on ``If-None-Match``
(else ``If-Modified-Since``), ``Vary: Accept-Encoding, Cookie`` and ``Cache-Control:
public, max-age=PAGE_CACHE_MAX_AGE`` so nginx or a CDN may hold them a few seconds
(README: *Full-page cache*). Responses to members, and any that set a cookie, get
``Cache-Control: private, no-store`` unless the view chose its own. Relative times ("3 min
ago") are rendered into the page, so an entry lives at most ``PAGE_CACHE_TTL`` seconds
(60 by default: a time reads at most a minute young), or a replica's maximum lag when
replicas serve reads. A cache error means uncached pages (and the layer stays out of the
way for ``RETRY_AFTER`` seconds), never an error page.
"""

from __future__ import annotations

import hashlib
import logging
import time
import zlib
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from functools import lru_cache

from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.orm import Session

from finboard.core.generation_cache import CACHE_ERRORS, GenerationCache, value_key
from finboard.extensions import CACHE_EXTENSION, cache
from finboard.rawsql import replicas as routing

logger = logging.getLogger("finboard.page_cache")

KEY_NAME = "page"
CANDIDATE = "finboard.page_cache.candidate"  # environ: the layer asks the app to judge this response
VERDICT = "finboard.page_cache.ttl"  # environ: the app's answer, seconds to keep the page (absent: never)
COMMITTED = "page_cache_committed"  # g: this request committed a transaction
STATE_HEADER = "X-Page-Cache"  # hit, miss (built and stored now) or skip (built, not storable)
BYPASS_PREFIXES = ("/api/", "/static/", "/media/", "/avatars/")
CACHEABLE_TYPES = frozenset({"text/html", "application/atom+xml", "application/rss+xml"})
# Blueprints whose pages are never public content, whatever they carry: the account's links
# (unsubscribe, confirm, reset: a token in the URL, an answer that changes once it is used), sign-in,
# settings, two-factor, moderation and uploads. Their answers depend on who asks or on state no
# generation bump follows, so a visitor's copy must never be replayed to the next visitor.
PRIVATE_BLUEPRINTS = frozenset({"account", "auth", "settings", "two_factor", "moderation", "uploads", "health"})
# Writes that change only the writer's own state, which no cached read or visitor page shows
# (sessions, credentials, blocks and mutes, bookmarks, read marks, watches, reports, uploads):
# they retire nothing, so a member's mute costs no one a rebuilt page. Any other committed write
# request retires every page, the safe default for an endpoint added later.
PRIVATE_WRITES = frozenset(
    {
        *("auth.login", "auth.logout", "auth.register", "auth.change_password", "two_factor.code"),
        *("account.change_email", "account.confirm_email_change", "account.forgot_password"),
        *("account.resend_verification", "account.reset_password", "account.unsubscribe_link"),
        *("members.block", "members.unblock", "members.mute", "members.unmute", "members.bookmark_post"),
        *("members.mark_read", "members.watch_category", "members.watch_post"),
        *("moderation.report_post", "moderation.report_comment", "uploads.create"),
        *("settings.notifications", "settings.recovery_codes", "settings.request_export"),
        *("settings.revoke_session", "settings.sign_out_everywhere"),
        *("settings.two_factor_disable", "settings.two_factor_setup"),
        *("api.login", "api.register", "api.block", "api.bookmark_post", "api.change_email"),
        *("api.confirm_email_change", "api.create_report", "api.mark_post_read", "api.mark_read"),
        *("api.mute_ticker", "api.mute_word", "api.preview", "api.request_data_export"),
        *("api.request_password_reset", "api.resend_verification", "api.reset_password"),
        *("api.two_factor_disable", "api.two_factor_enable", "api.two_factor_setup"),
        *("api.update_notification_preferences", "api.upload", "api.verify_email"),
        *("api.watch_category", "api.watch_post"),
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PRIVATE = "private, no-store"
VARY = "Accept-Encoding, Cookie"
GZIP_LEVEL = 6
RETRY_AFTER = 2.0  # seconds the layer serves uncached after the cache failed
# Headers an entry does not keep: the layer writes its own, or they belong to one response.
# What a visitor's copy of a member's request leaves out: the credentials, and what the layer
# and Flask left in the member's environ.
_MEMBER_ONLY_ENVIRON = frozenset({"HTTP_COOKIE", "HTTP_AUTHORIZATION", CANDIDATE, VERDICT, "werkzeug.request"})
LAYER_EXTENSION = "finboard.page_cache.layer"  # app.extensions: the layer, for finboard.member_pages
_NOT_KEPT = frozenset(
    {"content-length", "content-encoding", "etag", "last-modified", "set-cookie", "date", "cache-control", "vary"}
)


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored page: when it was built, its digest, the headers to replay, the gzip body."""

    built_at: int
    digest: str
    headers: list[tuple[str, str]]
    gz: bytes
    body: bytes | None = None  # the plain body, at hand only in the request that built it

    @classmethod
    def build(cls, headers: list[tuple[str, str]], body: bytes, now: float) -> Entry:
        compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # wbits 31: a gzip member, mtime 0
        gz = compressor.compress(body) + compressor.flush()
        kept = [(name, value) for name, value in headers if name.lower() not in _NOT_KEPT and name != STATE_HEADER]
        return cls(int(now), hashlib.blake2b(body, digest_size=16).hexdigest(), kept, gz, body)

    def encode(self) -> bytes:
        """``built_at\\ndigest\\nName: value\\n…`` (latin-1, as WSGI headers are), NUL, the gzip body."""
        lines = [str(self.built_at), self.digest, *(f"{name}: {value}" for name, value in self.headers)]
        return "\n".join(lines).encode("latin-1") + b"\0" + self.gz

    @classmethod
    def decode(cls, payload: bytes) -> Entry:
        """The inverse of :meth:`encode`: one split, no parser. Raises ValueError on a damaged entry."""
        head, separator, gz = payload.partition(b"\0")
        built_at, digest, *lines = head.decode("latin-1").split("\n")
        headers = [tuple(line.split(": ", 1)) for line in lines]
        if not separator or any(len(header) != 2 for header in headers):
            raise ValueError("not a page cache entry")
        return cls(int(built_at), digest, headers, gz)  # type: ignore[arg-type]

    def plain(self) -> bytes:
        return self.body if self.body is not None else zlib.decompress(self.gz, 31)


def page_key(environ: dict, prefix: str) -> str:
    """Where the page for this request is stored: scheme, host, path and the query sorted by name.

    The query is sorted as raw ``name=value`` parts (stable, so a repeated name keeps its
    values' order) and not decoded, so two spellings never share a page they would not render
    alike. ``X-Forwarded-Proto`` is in the key because Talisman's HSTS header follows it.
    """
    query = environ.get("QUERY_STRING", "")
    if query:
        query = "&".join(sorted((part for part in query.split("&") if part), key=lambda part: part.partition("=")[0]))
    material = "\n".join(
        (
            environ.get("wsgi.url_scheme", "http"),
            environ.get("HTTP_X_FORWARDED_PROTO", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            query,
        )
    )
    return value_key(KEY_NAME, material, prefix)


def accepts_gzip(header: str) -> bool:
    """Whether ``Accept-Encoding`` takes gzip (``gzip;q=0`` refuses it)."""
    header = header.lower()
    if "gzip" not in header:
        return False
    for part in header.split(","):
        coding, _, params = part.partition(";")
        if coding.strip() in ("gzip", "x-gzip"):
            weight = params.strip()
            if weight.startswith("q="):
                try:
                    return float(weight[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


def not_modified(environ: dict, etag: str, built_at: int) -> bool:
    """RFC 9110 §13.2.2: ``If-None-Match`` (weak comparison) decides; without it, ``If-Modified-Since``."""
    tags = environ.get("HTTP_IF_NONE_MATCH")
    if tags is not None:
        return any(tag.strip() in ("*", etag) or tag.strip().removeprefix("W/") == etag for tag in tags.split(","))
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if not since:
        return False
    try:
        return built_at <= parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False


@lru_cache(maxsize=256)
def http_date(seconds: int) -> str:
    return formatdate(seconds, usegmt=True)


def _has_header(headers: list[tuple[str, str]], name: str) -> bool:
    return any(key.lower() == name for key, _ in headers)


def _private(start_response, credentials: bool):
    """``start_response`` that marks a member's response, or one setting a cookie, private."""

    def start(status, headers, exc_info=None):
        if (credentials or _has_header(headers, "set-cookie")) and not _has_header(headers, "cache-control"):
            headers.append(("Cache-Control", PRIVATE))
        return start_response(status, headers, exc_info)

    return start


class PageCacheLayer:
    """The WSGI layer: answers cached visitor pages, and stores the ones the app judged storable."""

    def __init__(self, wsgi_app, flask_app: Flask):
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app
        self.config = flask_app.config
        self.cache: GenerationCache = flask_app.extensions[CACHE_EXTENSION]
        cookies = (self.config.get("SESSION_COOKIE_NAME") or "session", self.config.get("REMEMBER_COOKIE_NAME"))
        self.credential_cookies = tuple(f"{name}=" for name in (*cookies, "remember_token") if name)
        self._down_until = 0.0

    def _has_credentials(self, environ: dict) -> bool:
        """A session/remember cookie or Authorization (a substring test: a false positive only bypasses)."""
        if "HTTP_AUTHORIZATION" in environ:
            return True
        cookie = environ.get("HTTP_COOKIE")
        return bool(cookie) and any(name in cookie for name in self.credential_cookies)

    def _usable(self) -> bool:
        return (
            self.config.get("PAGE_CACHE", True)
            and self.cache.store is not None
            and time.monotonic() >= self._down_until
        )

    def _failed(self, what: str) -> None:
        self._down_until = time.monotonic() + RETRY_AFTER
        logger.warning("page cache unavailable (%s); serving pages uncached", what, exc_info=True)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(BYPASS_PREFIXES):
            return self.wsgi_app(environ, start_response)
        credentials = self._has_credentials(environ)
        if credentials or environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or not self._usable():
            return self.wsgi_app(environ, _private(start_response, credentials))
        key = page_key(environ, self.cache.prefix)
        try:
            generation, entry = self._stored(key)
        except CACHE_ERRORS:
            self._failed("read")
            return self.wsgi_app(environ, _private(start_response, False))
        if entry is not None:
            return self._answer(environ, start_response, entry, "hit")
        return self._build(environ, start_response, key, generation)

    def _stored(self, key: str) -> tuple[bytes | None, Entry | None]:
        """The generation and the entry under ``key`` in one round trip (None: missing, or damaged
        and to be rebuilt). The cache's errors are the caller's to handle."""
        generation, payload = self.cache.lookup(key)
        if payload is None:
            return generation, None
        try:
            return generation, Entry.decode(payload)
        except (ValueError, UnicodeDecodeError):
            logger.warning("damaged page cache entry %s: rebuilding it", key)
            return generation, None

    def visitor_page(self, environ: dict) -> bytes | None:
        """The HTML a visitor gets at this request's URL, for a member's page made from it
        (``finboard.member_pages``): the cached entry, or the page built now and stored. It is
        built in an app context of its own, so nothing of the member's request (``g``, the user,
        the database session) leaks into it. None when the cache is off or down, or when the
        visitor's answer is not a storable page (a 404, a form with errors, ...)."""
        if not self._usable():
            return None
        visitor = {k: v for k, v in environ.items() if k not in _MEMBER_ONLY_ENVIRON}
        visitor["REQUEST_METHOD"] = "GET"
        key = page_key(visitor, self.cache.prefix)
        try:
            generation, entry = self._stored(key)
        except CACHE_ERRORS:
            self._failed("read")
            return None
        if entry is not None:
            try:
                return entry.plain()
            except zlib.error:
                logger.warning("damaged page cache entry %s: rebuilding it", key)
        with self.flask_app.app_context():
            _status, _headers, _body, entry = self._run(visitor, key, generation)
        return entry.plain() if entry is not None else None

    def _run(self, environ, key: str, generation: bytes | None):
        """Run the app for a GET and store its answer if the app judged it storable.

        Returns the status, headers and body, and the stored ``Entry`` (None if not stored)."""
        environ["REQUEST_METHOD"] = "GET"
        environ[CANDIDATE] = True
        written: list[bytes] = []
        started: list = []

        def capture(status, headers, exc_info=None):  # nothing is sent yet: a second call just replaces
            started[:] = [status, headers]
            return written.append

        iterable = self.wsgi_app(environ, capture)
        try:
            chunks = list(iterable)
            body = b"".join(written + chunks)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        status, headers = started
        ttl = environ.get(VERDICT)
        if ttl and generation is not None and status.startswith("200 ") and not _has_header(headers, "set-cookie"):
            entry = Entry.build(headers, body, time.time())
            try:
                self.cache.put(key, generation, entry.encode(), ttl)
            except CACHE_ERRORS:
                self._failed("write")
            return status, headers, body, entry
        return status, headers, body, None

    def _build(self, environ, start_response, key: str, generation: bytes | None):
        """A miss: run the app (a HEAD as the GET it stands for), store the page if the app said so."""
        head = environ["REQUEST_METHOD"] == "HEAD"
        status, headers, body, entry = self._run(environ, key, generation)
        if entry is not None:
            return self._answer(environ, start_response, entry, "miss", head)
        _private(start_response, False)(status, [*headers, (STATE_HEADER, "skip")])
        return [] if head else [body]

    def _answer(self, environ, start_response, entry: Entry, state: str, head: bool | None = None):
        if head is None:
            head = environ.get("REQUEST_METHOD") == "HEAD"
        gzip = accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", ""))
        etag = f'"{entry.digest}-gzip"' if gzip else f'"{entry.digest}"'
        max_age = self.config.get("PAGE_CACHE_MAX_AGE", 5)
        validators = [
            ("ETag", etag),
            ("Last-Modified", http_date(entry.built_at)),
            ("Cache-Control", f"public, max-age={max_age}" if max_age else "no-cache"),
            ("Vary", VARY),
            (STATE_HEADER, state),
        ]
        if not_modified(environ, etag, entry.built_at):
            start_response("304 Not Modified", validators)
            return []
        body = entry.gz if gzip else entry.plain()
        if gzip:
            validators.append(("Content-Encoding", "gzip"))
        start_response("200 OK", [*entry.headers, *validators, ("Content-Length", str(len(body)))])
        return [] if head else [body]


# --- the app's side: which responses may be stored, and writes retire pages ------------


def _storable(response) -> bool:
    csrf_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return (
        response.status_code == 200
        and response.mimetype in CACHEABLE_TYPES
        and not response.is_streamed
        and "Cache-Control" not in response.headers
        and "Set-Cookie" not in response.headers
        and "Content-Encoding" not in response.headers
        and not session.modified  # a flash, a CSRF token: the session cookie would be set
        and csrf_field not in g
        and not g.get("page_cache_exempt")
        and request.blueprint not in PRIVATE_BLUEPRINTS
        and not current_user.is_authenticated
    )


def _judge(response):
    """Tell the layer whether this page may be stored, and for how long."""
    if request.environ.get(CANDIDATE) and _storable(response):
        ttl = int(current_app.config.get("PAGE_CACHE_TTL", 60))
        reads = routing.current()
        if reads is not None:  # replicas serve reads: a page is kept no longer than their lag
            ttl = min(ttl, reads.replica_ttl)
        request.environ[VERDICT] = ttl
    return response


def exempt() -> None:
    """Call from a view whose visitor page must never be cached (none needs it today)."""
    g.page_cache_exempt = True


def _retire_after_write(response):
    """A write request that committed retires every cached page (and read), like the content writes do."""
    committed = g.pop(COMMITTED, False)
    if (
        committed
        and request.method not in SAFE_METHODS
        and response.status_code < 400
        and request.endpoint not in PRIVATE_WRITES
    ):
        cache.invalidate()
    return response


def _note_commit(_session) -> None:
    if has_request_context():
        setattr(g, COMMITTED, True)


def init_app(app: Flask) -> None:
    """Wrap the app in the layer (before ProxyFix wraps it: the layer sees the real scheme and host)."""
    app.wsgi_app = app.extensions[LAYER_EXTENSION] = PageCacheLayer(app.wsgi_app, app)
    app.after_request(_judge)
    app.after_request(_retire_after_write)
    if not event.contains(Session, "after_commit", _note_commit):
        event.listen(Session, "after_commit", _note_commit)
