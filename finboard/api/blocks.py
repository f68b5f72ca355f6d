"""/api/v1 blocks and mutes in Flask: thin views over ``finboard.core.block_service``
(per member, never cached). Order of checks as everywhere: path (404), token (401), then
the use case (404 unknown member, 422 bad term, yourself or a full list).
"""

from __future__ import annotations

from flask import request

from finboard.api.views import bp, current_api_user, respond
from finboard.contract.request_parsing import parse_path_text
from finboard.core import block_service
from finboard.extensions import db


@bp.get("/blocks")
def blocks():
    return respond(block_service.block_list(db.session, current_api_user()))


@bp.route("/blocks/<username>", methods=["PUT", "DELETE"])
def block(username: str):
    username = parse_path_text(username)
    user = current_api_user()
    return respond(block_service.set_block(db.session, user, username, request.method == "PUT"))


@bp.get("/mutes")
def mutes():
    return respond(block_service.mute_list(db.session, current_api_user()))


@bp.route("/mutes/words/<word>", methods=["PUT", "DELETE"])
def mute_word(word: str):
    word = parse_path_text(word)
    user = current_api_user()
    return respond(block_service.set_mute(db.session, user, "word", word, request.method == "PUT"))


@bp.route("/mutes/tickers/<ticker>", methods=["PUT", "DELETE"])
def mute_ticker(ticker: str):
    ticker = parse_path_text(ticker)
    user = current_api_user()
    return respond(block_service.set_mute(db.session, user, "ticker", ticker, request.method == "PUT"))
