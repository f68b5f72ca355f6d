"""/api/v1 blocks and mutes in Django: thin views over block_services (per member, never
cached). The reference is finboard/api/blocks.py, and so is the order of checks."""

from __future__ import annotations

from finboard.contract.request_parsing import parse_path_text

from . import block_services
from .responses import json_response
from .views import ApiView, current_user


class BlocksView(ApiView):
    def get(self, request):
        return json_response(block_services.block_list(current_user(request)))


class BlockView(ApiView):
    def put(self, request, username: str):
        return self.switch(request, username, True)

    def delete(self, request, username: str):
        return self.switch(request, username, False)

    def switch(self, request, username: str, blocking: bool):
        username = parse_path_text(username)
        return json_response(block_services.set_block(current_user(request), username, blocking))


class MutesView(ApiView):
    def get(self, request):
        return json_response(block_services.mute_list(current_user(request)))


class MuteView(ApiView):
    """``/mutes/words/{term}`` and ``/mutes/tickers/{term}``: the route names the kind."""

    kind = "word"

    def put(self, request, term: str):
        return self.switch(request, term, True)

    def delete(self, request, term: str):
        return self.switch(request, term, False)

    def switch(self, request, term: str, muting: bool):
        term = parse_path_text(term)
        return json_response(block_services.set_mute(current_user(request), self.kind, term, muting))
