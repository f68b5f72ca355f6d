"""/api/v1/auth/two-factor in Flask: thin views over ``finboard.core.two_factor``'s API use cases.

Order of checks, as in the other adapters: token (401), body (413/400/422), then the use
case's (409, the password's 422, the code limiter's 429, the code's 422).
"""

from __future__ import annotations

from functools import partial

from flask import request

from finboard.api.views import body, bp, current_api_user, respond, settings
from finboard.contract.two_factor import TwoFactorDisable, TwoFactorEnable
from finboard.core import two_factor
from finboard.extensions import db
from finboard.ratelimits import limiter


def _allow_code():
    return partial(limiter().allow_code, request.remote_addr or "")


@bp.get("/auth/two-factor")
def two_factor_status():
    return respond(two_factor.status(db.session, current_api_user()))


@bp.post("/auth/two-factor/setup")
def two_factor_setup():
    return respond(two_factor.api_setup(db.session, settings().secret_key, current_api_user()))


@bp.post("/auth/two-factor/enable")
def two_factor_enable():
    user = current_api_user()
    payload = body(TwoFactorEnable)
    return respond(two_factor.api_enable(db.session, settings().secret_key, user, payload, _allow_code()))


@bp.post("/auth/two-factor/disable")
def two_factor_disable():
    user = current_api_user()
    payload = body(TwoFactorDisable)
    return respond(two_factor.api_disable(db.session, settings().secret_key, user, payload, _allow_code()))
