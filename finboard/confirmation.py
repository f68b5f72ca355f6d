"""A second, explicit step before a destructive form does its work — without JavaScript.

Every destructive button (delete a post or comment, a moderator's delete, sign out
everywhere else, unblock) is a ``<details class="confirm">`` on its page
(``templates/_confirm.html``): the first click opens it, the second submits a form that
carries ``confirm=yes``. A POST that arrives without it — a stale page, a form from a
template that forgot the step, a crafted request — does nothing and gets the page
``templates/confirm.html`` instead, which repeats the request's own fields (a
moderator's reason, the action) with ``confirm=yes`` and a fresh CSRF token, so nothing
typed is lost. The pages are the Flask app's only; the JSON API on every backend is for
programs and needs no confirmation.
"""

from __future__ import annotations

from flask import render_template, request

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"
# Never repeated on the confirmation page: the token is issued afresh, the answer is the page's own.
_NOT_CARRIED = {"csrf_token", CONFIRM_FIELD}


def confirmed() -> bool:
    """Whether this POST carries the second step's ``confirm=yes``."""
    return request.form.get(CONFIRM_FIELD) == CONFIRM_VALUE


def ask_to_confirm(question: str, button: str, cancel_url: str, detail: str | None = None):
    """The confirmation page for this very POST: same URL, same fields, plus ``confirm=yes``.

    Answered 200: nothing happened, and the page says what will when the member agrees.
    """
    carried = [(name, value) for name, value in request.form.items(multi=True) if name not in _NOT_CARRIED]
    return render_template(
        "confirm.html",
        question=question,
        detail=detail,
        button=button,
        action=request.full_path if request.query_string else request.path,
        carried=carried,
        cancel_url=cancel_url,
    )
