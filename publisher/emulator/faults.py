"""Fault injection for reliability tests: which GraphQL requests fail, and how."""

from __future__ import annotations

import enum
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass


class FaultKind(enum.StrEnum):
    RATE_LIMIT = "rate_limit"  # HTTP 429 with Retry-After
    SERVER_ERROR = "server_error"  # HTTP 500
    DISCONNECT = "disconnect"  # the connection closes with no response at all
    LOST_RESPONSE = "lost_response"  # a mutation commits, then its response is lost
    # HTTP 200 with errors[0].extensions.code INTERNAL_SERVER_ERROR, which Plain's
    # error-handling guide says "should be retried"; the operation does not run.
    GRAPHQL_INTERNAL = "graphql_internal"
    # HTTP 200 with errors[0].extensions.code RATE_LIMITED and Retry-After; it does not run.
    GRAPHQL_RATE_LIMIT = "graphql_rate_limit"
    # HTTP 429 whose Retry-After asks for a long wait (--long-retry-after, 75 s by default).
    LONG_RETRY_AFTER = "long_retry_after"


# Faults that strike before the operation runs, so any request can take them.
_BEFORE = (
    FaultKind.RATE_LIMIT,
    FaultKind.SERVER_ERROR,
    FaultKind.DISCONNECT,
    FaultKind.GRAPHQL_INTERNAL,
    FaultKind.GRAPHQL_RATE_LIMIT,
    FaultKind.LONG_RETRY_AFTER,
)

#: Injected when no kinds are named: all but long_retry_after, whose wait is real time.
DEFAULT_KINDS = frozenset(k for k in FaultKind if k is not FaultKind.LONG_RETRY_AFTER)
DEFAULT_LONG_RETRY_AFTER = 75


def parse_kinds(text: str) -> frozenset[FaultKind]:
    """Read a comma list like ``rate_limit,disconnect`` (``-`` may stand for ``_``)."""
    kinds = set()
    for raw in text.split(","):
        name = raw.strip().lower().replace("-", "_")
        if not name:
            continue
        try:
            kinds.add(FaultKind(name))
        except ValueError:
            known = ", ".join(k.value for k in FaultKind)
            raise ValueError(f"unknown fault kind {raw.strip()!r} (known: {known})") from None
    return frozenset(kinds)


@dataclass(frozen=True)
class FaultConfig:
    fail_rate: float = 0.0
    kinds: frozenset[FaultKind] = DEFAULT_KINDS
    seed: int | None = None
    latency_ms: int = 0
    retry_after_seconds: int = 1
    long_retry_after_seconds: int = DEFAULT_LONG_RETRY_AFTER

    def __post_init__(self) -> None:
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError("fail rate must be between 0 and 1")
        if self.latency_ms < 0:
            raise ValueError("latency must not be negative")
        if min(self.retry_after_seconds, self.long_retry_after_seconds) < 0:
            raise ValueError("Retry-After must not be negative")


class FaultInjector:
    """Draws, per GraphQL request, whether it fails and with which fault.

    One seeded generator serves all requests, so a test that sends its requests one at a
    time sees the same faults on every run.
    """

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)
        self._lock = threading.Lock()

    def draw(self, is_mutation: bool) -> FaultKind | None:
        if self.config.fail_rate <= 0:
            return None
        allowed = [k for k in FaultKind if k in self.config.kinds]
        if not is_mutation:
            allowed = [k for k in allowed if k in _BEFORE]
        with self._lock:
            # Draw even when nothing applies, so queries and mutations stay in step.
            hit = self._random.random() < self.config.fail_rate
            if not hit or not allowed:
                return None
            return self._random.choice(allowed)

    def lose_by_disconnect(self) -> bool:
        """Whether a lost response shows as a dropped connection (else as HTTP 500)."""
        with self._lock:
            return self._random.random() < 0.5


def describe(kinds: Iterable[FaultKind]) -> str:
    return ",".join(sorted(k.value for k in kinds))
