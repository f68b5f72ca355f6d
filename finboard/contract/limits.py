"""Bounds shared by the API schemas, the forum's forms and the table columns.

One place for every length and range a client can hit, so a column, a form
field and a schema field can never disagree (tests/contract/test_schema_limits.py).
"""

from __future__ import annotations

# Text lengths (the columns are sized from these too).
USERNAME_MAX = 32
EMAIL_MAX = 254
TITLE_MAX = 200
POST_BODY_MAX = 20_000
COMMENT_BODY_MAX = 5_000
SLUG_MAX = 40
TICKER_MAX = 10
BIO_MAX = 500
REASON_MAX = 500
SUMMARY_MAX = 200
PASSWORD_MIN = 8
PASSWORD_MAX = 128
# A two-factor code: 6 digits, or a recovery code ("abcde-fghij", spaces tolerated).
TWO_FACTOR_CODE_MAX = 32
SEARCH_MAX = 200

# Numbered pages.
PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 100
PAGE_MAX = 10_000

# The comments a post's detail carries, positions per post, days of a suspension.
DETAIL_COMMENTS = 20
MAX_POSITIONS = 20
SUSPENSION_DAYS_MAX = 3650
WATCHLIST_MAX = 100  # tickers one member may follow
BLOCKS_MAX = 500  # members one member may block
MUTES_MAX = 100  # words and tickers one member may mute (together)
MUTE_WORD_MAX = 40  # characters of a muted word or phrase

# Request bodies and ids.
MAX_BODY_BYTES = 64 * 1024
# JSON bodies nest at most this deep (the contract's deepest body is 3 levels);
# checked before parsing, so no nesting reaches the parser's recursion limit.
MAX_JSON_DEPTH = 64
MAX_ID = 2**31 - 1  # the id columns are 32-bit integers

ROLES = ("member", "moderator", "admin")
