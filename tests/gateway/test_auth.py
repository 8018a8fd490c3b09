"""API keys: off by default; when on, a Bearer token or an X-API-Key must match."""

from __future__ import annotations

import pytest

from gateway.auth import ApiKeys
from gateway.errors import UnauthorizedError

KEYS = ApiKeys(["key-one", "key-two"])


def test_no_keys_means_no_check():
    keys = ApiKeys([])

    assert not keys.enabled
    keys.check(None, None)


@pytest.mark.parametrize(
    ("authorization", "api_key"),
    [("Bearer key-one", None), ("bearer key-two", None), (None, "key-two"), ("Basic x", "key-one")],
)
def test_a_configured_key_passes(authorization, api_key):
    KEYS.check(authorization, api_key)


@pytest.mark.parametrize(
    ("authorization", "api_key"),
    [(None, None), ("Bearer nope", None), (None, "nope"), ("key-one", None), ("Bearer ", "")],
)
def test_anything_else_is_unauthorized(authorization, api_key):
    with pytest.raises(UnauthorizedError):
        KEYS.check(authorization, api_key)
