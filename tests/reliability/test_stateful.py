"""Random sequences of API calls keep the board consistent (issue 15, "How to prove it").

A Hypothesis ``RuleBasedStateMachine`` plays three members and a moderator
against one backend's running production server (real HTTP): members create
posts and comments, delete their own posts, report posts and comments, watch
posts, follow tickers and mark their notifications read; the moderator hides,
restores, locks, unlocks, pins, unpins and deletes posts, hides, restores and
deletes comments, resolves reports and suspends and unsuspends members.

A plain Python model predicts every answer exactly (201/200/204, or the
documented 403 suspended, locked or hidden (an author deleting what a
moderator hid), 404 gone or hidden, 409 nothing to change or already
reported) — so a 5xx, or any answer the contract does not give, fails the step. After every step:

- the database invariants of ``Board.assert_consistent`` hold (counters equal
  a rebuild, ``comment_count`` equals the visible comments, no duplicate open
  report, cashtag rows only for visible posts);
- each member's post listing (``GET /api/v1/posts?author=``) is exactly the
  model's visible posts of that member, its exact ``total`` included, and each
  listed post's ``comment_count`` is the model's number of visible comments;
- the model's watches, follows and open reports are the rows in the database.

Each example starts with fresh accounts on the shared seeded board, so
examples are independent. Bounded (``max_examples`` × ``stateful_step_count``)
to well under 60 s per backend. Runs every backend on PostgreSQL; set
``STATEFUL_DATABASES=postgres,sqlite`` to add SQLite.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from tests.reliability.boards import HTTP, Account, Board, api_backends, burst, seeded_board

DATABASES = [d for d in os.environ.get("STATEFUL_DATABASES", "postgres").split(",") if d]
TICKERS = ("AAPL", "RACE", "BTC")
MEMBERS = 3
PICK = st.integers(min_value=0, max_value=10_000)
DOUBLE = 3  # copies of one request in a double-submit step
POST_FLAGS = {
    "hide": ("hidden", True),
    "restore": ("hidden", False),
    "lock": ("locked", True),
    "unlock": ("locked", False),
    "pin": ("pinned", True),
    "unpin": ("pinned", False),
}


@dataclass
class PostModel:
    id: int
    author: int  # index into members
    ticker: str
    hidden: bool = False
    locked: bool = False
    pinned: bool = False
    comments: dict[int, bool] = field(default_factory=dict)  # comment id -> hidden

    @property
    def visible_comments(self) -> int:
        return sum(1 for hidden in self.comments.values() if not hidden)


class BoardMachine(RuleBasedStateMachine):
    """The model and the rules; ``board`` and ``base_url`` are set on a subclass per backend."""

    board: Board
    base_url: str
    where: str

    def __init__(self):
        super().__init__()
        self.members: list[Account] = [self.board.account(prefix="sm") for _ in range(MEMBERS)]
        self.moderator = self.board.account("moderator", prefix="smod")
        self.suspended: set[int] = set()
        self.posts: dict[int, PostModel] = {}  # existing posts (hidden ones included)
        # report id -> (member, post, comment, target type); a deleted target leaves the report, its id nulled
        self.open_reports: dict[int, tuple[int, int | None, int | None, str]] = {}
        self.watches: set[tuple[int, int]] = set()  # (member, post) explicitly watched (authors watch their own)
        self.follows: set[tuple[int, str]] = set()

    # --- helpers ---------------------------------------------------------------------------

    def send(self, what: str, expected: int | set[int], method: str, path: str, who: Account, **kwargs):
        response = HTTP.request(method, self.base_url + path, headers=who.headers, **kwargs)
        assert response.status_code < 500, f"{self.where} {what}: {response.status_code} {response.text[:200]}"
        assert response.status_code in (expected if isinstance(expected, set) else {expected}), (
            f"{self.where} {what}: answered {response.status_code}, the model expects {expected}: {response.text[:200]}"
        )
        return response.json() if response.content else None

    def pick_post(self, index: int) -> PostModel:
        ids = sorted(self.posts)
        return self.posts[ids[index % len(ids)]]

    def comments(self) -> list[tuple[PostModel, int]]:
        return [(post, cid) for post in self.posts.values() for cid in sorted(post.comments)]

    def _report_target_deleted(self, comment: int) -> None:
        self.open_reports = {
            i: (m, p, None, t) if c == comment else (m, p, c, t) for i, (m, p, c, t) in self.open_reports.items()
        }

    def forget_post(self, post: PostModel) -> None:
        del self.posts[post.id]
        self.open_reports = {
            i: (m, None, None, t) if p == post.id else (m, p, c, t) for i, (m, p, c, t) in self.open_reports.items()
        }
        self.watches = {w for w in self.watches if w[1] != post.id}

    # --- members ---------------------------------------------------------------------------

    @rule(member=st.integers(0, MEMBERS - 1), ticker=st.sampled_from(TICKERS))
    def create_post(self, member, ticker):
        body = {"title": f"Stateful ${ticker} idea", "body": "Body text.", "category": "stocks"}
        expected = 403 if member in self.suspended else 201
        result = self.send("create post", expected, "POST", "/api/v1/posts", self.members[member], json=body)
        if expected == 201:
            self.posts[result["id"]] = PostModel(result["id"], member, ticker)

    @precondition(lambda self: self.posts)
    @rule(member=st.integers(-1, MEMBERS - 1), pick=PICK)
    def create_comment(self, member, pick):
        post = self.pick_post(pick)
        who = self.moderator if member < 0 else self.members[member]
        if post.hidden:
            expected = 404
        elif member in self.suspended:
            expected = 403
        elif post.locked and member >= 0:
            expected = 403
        else:
            expected = 201
        path = f"/api/v1/posts/{post.id}/comments"
        result = self.send("create comment", expected, "POST", path, who, json={"body": "A comment."})
        if expected == 201:
            post.comments[result["id"]] = False

    @precondition(lambda self: self.posts)
    @rule(pick=PICK)
    def author_deletes_post(self, pick):
        post = self.pick_post(pick)
        # A moderator's hide keeps the post as evidence: its author gets 403 `hidden`, checked before suspension.
        expected = 403 if post.hidden or post.author in self.suspended else 204
        self.send("author deletes post", expected, "DELETE", f"/api/v1/posts/{post.id}", self.members[post.author])
        if expected == 204:
            self.forget_post(post)

    @precondition(lambda self: self.posts)
    @rule(member=st.integers(0, MEMBERS - 1), pick=PICK, on_comment=st.booleans())
    def report(self, member, pick, on_comment):
        post = self.pick_post(pick)
        comment = None
        if on_comment and post.comments:
            comment = sorted(post.comments)[pick % len(post.comments)]
        key = (member, post.id, comment, "post" if comment is None else "comment")
        if member in self.suspended:
            expected = 403
        elif post.hidden or (comment is not None and post.comments[comment]):
            expected = 404
        elif key in self.open_reports.values():
            expected = 409
        else:
            expected = 201
        body = {"post_id": post.id, "reason": "spam"} | ({"comment_id": comment} if comment else {})
        result = self.send("report", expected, "POST", "/api/v1/reports", self.members[member], json=body)
        if expected == 201:
            self.open_reports[result["id"]] = key

    @precondition(lambda self: self.posts)
    @rule(member=st.integers(0, MEMBERS - 1), pick=PICK, on=st.booleans())
    def watch_post(self, member, pick, on):
        post = self.pick_post(pick)
        expected = 404 if post.hidden else 200
        path = f"/api/v1/posts/{post.id}/watch"
        self.send("watch post", expected, "PUT" if on else "DELETE", path, self.members[member])
        if expected == 200:
            (self.watches.add if on else self.watches.discard)((member, post.id))

    @rule(member=st.integers(0, MEMBERS - 1), ticker=st.sampled_from(TICKERS), on=st.booleans())
    def follow_ticker(self, member, ticker, on):
        self.send("follow ticker", 200, "PUT" if on else "DELETE", f"/api/v1/watchlist/{ticker}", self.members[member])
        (self.follows.add if on else self.follows.discard)((member, ticker))

    @rule(member=st.integers(0, MEMBERS - 1))
    def mark_read(self, member):
        result = self.send("mark read", 200, "POST", "/api/v1/notifications/read", self.members[member], json={})
        assert result["unread"] == 0, f"{self.where} mark read: still {result['unread']} unread"

    # --- the moderator -----------------------------------------------------------------------

    @precondition(lambda self: self.posts)
    @rule(pick=PICK, action=st.sampled_from(["hide", "restore", "lock", "unlock", "pin", "unpin", "delete"]))
    def moderate_post(self, pick, action):
        post = self.pick_post(pick)
        flags = POST_FLAGS
        if action == "delete":
            expected = 200
        else:
            name, value = flags[action]
            expected = 409 if getattr(post, name) == value else 200
        body = {"action": action, "reason": "stateful"}
        self.send(f"post {action}", expected, "POST", f"/api/v1/moderation/posts/{post.id}", self.moderator, json=body)
        if action == "delete":
            self.forget_post(post)
        elif expected == 200:
            setattr(post, *flags[action])

    @precondition(lambda self: any(p.comments for p in self.posts.values()))
    @rule(pick=PICK, action=st.sampled_from(["hide", "restore", "delete"]))
    def moderate_comment(self, pick, action):
        comments = self.comments()
        post, comment = comments[pick % len(comments)]
        hidden = post.comments[comment]
        expected = 409 if (action == "hide" and hidden) or (action == "restore" and not hidden) else 200
        body = {"action": action, "reason": "stateful"}
        path = f"/api/v1/moderation/comments/{comment}"
        self.send(f"comment {action}", expected, "POST", path, self.moderator, json=body)
        if action == "delete":
            del post.comments[comment]
            self._report_target_deleted(comment)
        elif expected == 200:
            post.comments[comment] = action == "hide"

    @precondition(lambda self: self.posts)
    @rule(pick=PICK, on_comment=st.booleans(), action=st.sampled_from([*POST_FLAGS, "delete"]))
    def double_submit(self, pick, on_comment, action):
        """The same moderation sent DOUBLE times at once (a double click) takes effect once."""
        comments = self.comments()
        if on_comment and comments and action in ("hide", "restore", "delete"):
            post, ident = comments[pick % len(comments)]
            kind, target = "comment", ident
            changes = action == "delete" or post.comments[ident] != (action == "hide")
        else:
            post, ident = self.pick_post(pick), None
            kind, target = "post", post.id
            changes = action == "delete" or getattr(post, POST_FLAGS[action][0]) != POST_FLAGS[action][1]
        before = self.board.log_entries(kind, target, action)
        responses = burst(
            self.base_url,
            DOUBLE,
            "POST",
            f"/api/v1/moderation/{kind}s/{target}",
            headers=self.moderator.headers,
            json={"action": action, "reason": "double click"},
        )
        statuses = sorted(r.status_code for r in responses)
        what = f"{self.where} {kind} {action} sent {DOUBLE} times at once"
        assert all(s < 500 for s in statuses), f"{what}: answered {statuses}: {responses[-1].text[:200]}"
        allowed = ({200, 404, 409} if action == "delete" else {200, 409}) if changes else {409}
        assert set(statuses) <= allowed and (200 in statuses) == changes, f"{what}: answered {statuses}"
        logged = self.board.log_entries(kind, target, action) - before
        assert logged == int(changes), f"{what}: {logged} moderation-log entries for {int(changes)} change"
        if kind == "comment" and action == "delete":
            del post.comments[ident]
            self._report_target_deleted(ident)
        elif kind == "comment":
            post.comments[ident] = action == "hide"
        elif action == "delete":
            self.forget_post(post)
        else:
            setattr(post, *POST_FLAGS[action])

    @precondition(lambda self: self.open_reports)
    @rule(pick=PICK)
    def resolve_report(self, pick):
        ids = sorted(self.open_reports)
        report_id = ids[pick % len(ids)]
        del self.open_reports[report_id]
        path = f"/api/v1/moderation/reports/{report_id}/resolve"
        self.send("resolve report", 200, "POST", path, self.moderator, json={"resolution": "done"})

    @rule(member=st.integers(0, MEMBERS - 1), suspend=st.booleans())
    def moderate_member(self, member, suspend):
        body = (
            {"action": "suspend", "reason": "stateful", "days": 1}
            if suspend
            else {"action": "unsuspend", "reason": "stateful"}
        )
        if suspend:  # suspending a suspended member again: a new suspension, or nothing to change
            expected = {200, 409} if member in self.suspended else 200
        else:
            expected = 200 if member in self.suspended else 409
        path = f"/api/v1/moderation/users/{self.members[member].username}"
        self.send("suspend" if suspend else "unsuspend", expected, "POST", path, self.moderator, json=body)
        (self.suspended.add if suspend else self.suspended.discard)(member)

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def database_is_consistent(self):
        self.board.assert_consistent(self.where)

    @invariant()
    def listings_match_the_model(self):
        for index, member in enumerate(self.members):
            url = f"{self.base_url}/api/v1/posts?author={member.username}&per_page=100"
            response = HTTP.get(url)
            assert response.status_code == 200, f"{self.where} listing: {response.status_code}"
            page = response.json()
            listed = {item["id"]: item["comment_count"] for item in page["items"]}
            expected = {p.id: p.visible_comments for p in self.posts.values() if p.author == index and not p.hidden}
            assert set(listed) == set(expected), (
                f"{self.where} listing of member {index}: ids {sorted(listed)}, the model has {sorted(expected)}"
            )
            assert page["total"] == len(expected), f"{self.where} listing total {page['total']}, model {len(expected)}"
            assert listed == expected, f"{self.where} comment_count per post {listed}, model {expected}"

    @invariant()
    def rows_match_the_model(self):
        ids = {m.id: i for i, m in enumerate(self.members)}
        members = ",".join(str(m.id) for m in self.members)
        follows = {
            (ids[user], ticker)
            for user, ticker in self.board.rows(
                f"SELECT user_id, ticker FROM ticker_follows WHERE user_id IN ({members})"  # noqa: S608 - ints
            )
        }
        assert follows == self.follows, f"{self.where} ticker follows {sorted(follows)}, model {sorted(self.follows)}"
        reports = {
            i: (ids[r], p, c, t)
            for i, r, p, c, t in self.board.rows(
                "SELECT id, reporter_id, post_id, comment_id, target_type FROM reports "  # noqa: S608 - ints
                f"WHERE status = 'open' AND reporter_id IN ({members})"
            )
        }
        assert reports == self.open_reports, f"{self.where} open reports {reports}, model {self.open_reports}"
        watched = {
            (ids[u], p)
            for u, p in self.board.rows(
                f"SELECT user_id, post_id FROM post_watches WHERE user_id IN ({members})"  # noqa: S608 - ints
            )
        }
        # Writing a post or a comment also watches the post: the model's watches are the explicit ones.
        assert self.watches <= watched, f"{self.where} post watches {watched} lack {self.watches - watched}"


TARGETS = [f"{kind}-{backend.name}" for kind in DATABASES for backend in api_backends()]


@pytest.fixture(scope="module")
def boards(tmp_path_factory):
    with ExitStack() as stack:
        made: dict[str, Board] = {}

        def get(kind: str) -> Board:
            if kind not in made:
                made[kind] = stack.enter_context(seeded_board(kind, tmp_path_factory.mktemp(f"stateful-{kind}")))
            return made[kind]

        yield get


@pytest.mark.parametrize("target", TARGETS)
def test_random_sequences_keep_the_board_consistent(boards, target):
    kind, name = target.split("-", 1)
    board = boards(kind)
    server = board.server(name)
    try:
        machine = type(
            f"BoardMachine_{kind}_{name}",
            (BoardMachine,),
            {"board": board, "base_url": server.base_url, "where": f"{kind}/{name}"},
        )
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=int(os.environ.get("STATEFUL_EXAMPLES", "5")),
                stateful_step_count=int(os.environ.get("STATEFUL_STEPS", "20")),
                deadline=None,
                database=None,
                # No shrinking: a failure is reported as found, so a failing run stays as bounded as a passing one.
                phases=(Phase.explicit, Phase.generate),
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        board.stop(name)
