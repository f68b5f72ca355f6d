"""/account/unsubscribe/<token>: the link in every notification mail and digest (``account`` blueprint).

GET shows what the link stops and a button; nothing changes on GET (a mail scanner fetching
the link unsubscribes nobody). POST unsubscribes: from that button (a plain form, no
JavaScript) or from a mail client's RFC 8058 one-click request (``List-Unsubscribe=One-Click``).
The POST carries no CSRF token — a mail client has none to send — and needs none: the
signed, single-use token in the URL is the credential, and it only ever turns mail off.
"""

from __future__ import annotations

from flask import current_app, render_template, request

from finboard.account.views import bp
from finboard.contract.accounts import TOKEN_MESSAGES
from finboard.core import unsubscribe
from finboard.core.account_tokens import TokenInvalid
from finboard.extensions import csrf, db


def _refused(exc: TokenInvalid):
    return render_template("account/link_refused.html", message=TOKEN_MESSAGES[exc.reason]), 422


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe_link(token: str):
    secret = current_app.config["FINBOARD_SETTINGS"].secret_key
    try:
        if request.method == "POST":
            claim = unsubscribe.unsubscribe(db.session, secret, token)
            return render_template("account/unsubscribed.html", what=claim.describe())
        claim = unsubscribe.read_token(secret, token)
        if unsubscribe.is_used(db.session, claim):
            raise TokenInvalid("used")
    except TokenInvalid as exc:
        return _refused(exc)
    return render_template("account/unsubscribe.html", what=claim.describe())
