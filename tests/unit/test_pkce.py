from __future__ import annotations

import re

import pytest

from maica_xero_desktop.core import pkce


def test_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce.challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_new_verifier_is_valid_and_random() -> None:
    verifiers = {pkce.new_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", verifier)
        assert "=" not in pkce.challenge(verifier)


@pytest.mark.parametrize("bad", ["short", "x" * 129, "a" * 42 + "!", "é" * 50])
def test_invalid_verifier_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="43-128"):
        pkce.challenge(bad)


def test_state_is_unguessable() -> None:
    states = {pkce.new_state() for _ in range(50)}
    assert len(states) == 50
    assert all(len(s) >= 40 for s in states)


def test_requests_oauthlib_makes_the_same_challenge() -> None:
    """The sign-ins let requests-oauthlib make the challenge; it agrees with RFC 7636 (and
    this module) for the appendix B verifier and for random ones."""
    from oauthlib.oauth2 import WebApplicationClient

    client = WebApplicationClient("id")
    verifiers = ["dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", pkce.new_verifier()]
    for verifier in verifiers:
        assert client.create_code_challenge(verifier, "S256") == pkce.challenge(verifier)
