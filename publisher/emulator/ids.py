"""Identifiers shaped like Plain's: a type prefix and a ULID (``hca_01J…``)."""

from __future__ import annotations

import os
import threading
import time

# Plain's prefixes for the entities the emulator serves.
HELP_CENTER = "hc"
ARTICLE = "hca"
ARTICLE_GROUP = "hcag"
WORKSPACE_FILE = "wf"
MACHINE_USER = "mu"
USER = "u"

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32, as ULIDs use
_RANDOM_BITS = 80


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


class _Monotonic:
    """ULIDs that sort in creation order even within one millisecond.

    Connections page in id order, so ids minted in the same millisecond must still grow.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_random = 0

    def next(self) -> str:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000
            if now_ms <= self._last_ms:
                now_ms = self._last_ms
                self._last_random += 1
            else:
                self._last_random = int.from_bytes(os.urandom(10)) >> 1  # room to increment
            self._last_ms = now_ms
            return _encode(now_ms, 10) + _encode(self._last_random % (1 << _RANDOM_BITS), 16)


_ULIDS = _Monotonic()


def new_id(prefix: str) -> str:
    return f"{prefix}_{_ULIDS.next()}"


def has_prefix(entity_id: str, prefix: str) -> bool:
    return entity_id.startswith(prefix + "_")
