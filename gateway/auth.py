"""Optional API keys (``CALLE_API_KEYS``), checked the same way for HTTP and gRPC.

Off when no key is configured. A key travels as ``Authorization: Bearer <key>`` or
``X-API-Key: <key>`` (gRPC metadata ``authorization`` / ``x-api-key``).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from gateway.errors import UnauthorizedError


class ApiKeys:
    """The configured keys and the check every ``/v1`` call and gRPC method passes."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._keys = tuple(key.encode() for key in keys)

    @property
    def enabled(self) -> bool:
        """Whether calls need a key."""
        return bool(self._keys)

    def check(self, authorization: str | None, api_key: str | None) -> None:
        """Accept the call or raise.

        Args:
            authorization: The ``Authorization`` header or metadata value.
            api_key: The ``X-API-Key`` header or metadata value.

        Raises:
            UnauthorizedError: Keys are on and neither value carries a configured key.
        """
        if not self._keys:
            return
        scheme, _, token = (authorization or "").partition(" ")
        offered = [api_key or ""]
        if scheme.lower() == "bearer":
            offered.append(token.strip())
        # Compare against every key without stopping early: timing says nothing about keys.
        matches = [
            hmac.compare_digest(candidate.encode(), key)
            for candidate in offered
            if candidate
            for key in self._keys
        ]
        if not any(matches):
            raise UnauthorizedError()
