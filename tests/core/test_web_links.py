"""Signed addresses and form tokens: what cadence signs holds, anything else does not."""

from __future__ import annotations

import pytest
from cadence.daemon.core import web_links
from hypothesis import given
from hypothesis import strategies as st

KEY = web_links.link_key(b"k" * 32, b"installation")
keys = st.binary(min_size=16, max_size=32)
texts = st.text(alphabet="0123456789abcdef-/x", max_size=60)


@given(keys, st.integers(1, 10**9), st.sampled_from(web_links.CHOICES))
def test_a_proposal_link_holds_for_its_proposal_and_choice_only(
    key: bytes, proposal: int, choice: str
) -> None:
    _, p, number, shown, signature = web_links.proposal_path(key, proposal, choice).split("/")
    assert (p, int(number), shown) == ("p", proposal, choice)
    assert web_links.proposal_signature_ok(key, proposal, choice, signature)
    assert not web_links.proposal_signature_ok(key, proposal + 1, choice, signature)
    other = next(c for c in web_links.CHOICES if c != choice)
    assert not web_links.proposal_signature_ok(key, proposal, other, signature)
    assert not web_links.proposal_signature_ok(key + b"x", proposal, choice, signature)


@given(st.integers(1, 1000), st.sampled_from(web_links.CHOICES), texts)
def test_a_made_up_signature_never_holds(proposal: int, choice: str, signature: str) -> None:
    real = web_links.proposal_path(KEY, proposal, choice).rsplit("/", 1)[1]
    assert web_links.proposal_signature_ok(KEY, proposal, choice, signature) == (signature == real)


@given(st.text(alphabet="0123456789abcdef", min_size=1, max_size=32), texts)
def test_agenda_tokens(nonce: str, tail: str) -> None:
    token = web_links.agenda_path(KEY, nonce).removeprefix("/a/")
    assert web_links.agenda_nonce(KEY, token) == nonce
    assert web_links.agenda_nonce(KEY, token + tail) in (None, nonce if not tail else None)
    assert web_links.agenda_nonce(KEY, f"{nonce}0-{token.split('-')[1]}") is None


def test_sign_in_tokens_carry_their_expiry() -> None:
    token = web_links.sign_in_path(KEY, 1_800_000_000).removeprefix("/in/")
    assert web_links.sign_in_expiry(KEY, token) == 1_800_000_000
    later = token.replace("1800000000", "1900000000")
    assert web_links.sign_in_expiry(KEY, later) is None
    assert web_links.sign_in_expiry(KEY, "garbage") is None


@given(st.integers(0, 2**34), st.integers(0, 10**6))
def test_form_tokens_are_bound_to_their_page(issued: int, later: int) -> None:
    token = web_links.form_token(KEY, "/p/1/1/abc", issued)
    assert web_links.form_token_age(KEY, "/p/1/1/abc", token, issued + later) == later
    assert web_links.form_token_age(KEY, "/p/1/2/abc", token, issued + later) is None
    assert web_links.form_token_age(KEY, "/p/1/1/abc", token, issued - 60) is None


def test_only_known_choices_are_signed() -> None:
    with pytest.raises(ValueError, match="not a choice"):
        web_links.proposal_path(KEY, 1, "4")
    assert not web_links.proposal_signature_ok(KEY, 1, "4", "0" * 24)


def test_a_rebuilt_state_signs_with_another_key() -> None:
    assert web_links.link_key(b"k" * 32, b"one") != web_links.link_key(b"k" * 32, b"two")
