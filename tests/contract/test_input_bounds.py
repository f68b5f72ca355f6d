"""The shared input bounds every backend applies (finboard.contract.request_parsing,
finboard.contract.limits), as properties: no byte string makes the body parser raise anything but the contract's
400/413, nesting is measured exactly (brackets inside strings don't count), and a
text path parameter with a control character is the shared 404 (issue 15)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from finboard.contract.errors import ApiError
from finboard.contract.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH
from finboard.contract.request_parsing import json_depth_exceeds, load_json, login_name, parse_body, parse_path_text
from finboard.contract.users import LoginRequest

TRICKY_TEXT = st.text(alphabet=st.sampled_from('[]{}"\\ab\u00e9\U0001f4b9 \n,:'), max_size=30)
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TRICKY_TEXT)
JSON_VALUES = st.recursive(
    LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY_TEXT, inner, max_size=4)
)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


def _nest(value, depth: int, as_object: bool):
    for _ in range(depth):
        value = {"k[{": value} if as_object else [value, "]]"]
    return value


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.binary(max_size=3000))
def test_any_bytes_are_parsed_or_refused_with_the_contracts_answer(raw):
    try:
        load_json(raw)
    except ApiError as exc:
        assert exc.status == 400
    assert isinstance(login_name(raw), str)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(JSON_VALUES)
def test_depth_is_measured_exactly_whatever_the_strings_hold(value):
    raw = json.dumps(value, ensure_ascii=False).encode()
    assert json_depth_exceeds(raw, limit=3) == (_depth(value) > 3)


@pytest.mark.parametrize("as_object", [False, True])
@pytest.mark.parametrize("depth", [1, MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 500])
def test_nesting_past_the_limit_is_a_400_and_up_to_it_is_parsed(depth, as_object):
    raw = json.dumps(_nest("[[{{", depth, as_object)).encode()
    if depth > MAX_JSON_DEPTH:
        with pytest.raises(ApiError) as refused:
            load_json(raw)
        assert (refused.value.status, refused.value.message) == (
            400,
            f"The request body nests JSON deeper than {MAX_JSON_DEPTH} levels.",
        )
    else:
        assert load_json(raw) == _nest("[[{{", depth, as_object)


@pytest.mark.parametrize("raw", [b"[" * 30_000, b'{"a":' * 10_000, b"[{" * 20_000, b'{"username": ' + b"[" * 50_000])
def test_deep_bodies_never_reach_the_parser(raw):
    with pytest.raises(ApiError) as refused:
        parse_body(raw, LoginRequest)
    assert refused.value.status == 400
    assert login_name(raw) == ""


def test_size_is_checked_before_depth():
    with pytest.raises(ApiError) as refused:
        load_json(b"[" * (MAX_BODY_BYTES + 1))
    assert refused.value.status == 413


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None, derandomize=True)
def test_text_path_parameters(text):
    unsafe = any(ord(c) < 32 or 127 <= ord(c) < 160 or 0xD800 <= ord(c) < 0xE000 for c in text)
    if unsafe:
        with pytest.raises(ApiError) as refused:
            parse_path_text(text)
        assert (refused.value.status, refused.value.message) == (404, "Not found.")
    else:
        assert parse_path_text(text) == text


@pytest.mark.parametrize("text", ["\x00", "a\x00", "\x1f", "\x7f", "\x85", "\ud800", "a\nb", "\t"])
def test_control_characters_in_path_text_are_a_404(text):
    with pytest.raises(ApiError):
        parse_path_text(text)
