"""Retry policy for transient Plain failures.

A plain loop rather than tenacity: each wait depends on the failure (``Retry-After`` beats the
computed backoff), the total-time bound must count the sleep about to happen, and both the clock
and the sleep must be injectable so tests run instantly; tenacity reads ``time.monotonic``
itself, which would leave the elapsed-time bound untestable without real waiting.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from publisher.plain.errors import PlainError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard the client tries before giving up on a transient failure.

    Only errors whose ``transient`` flag is set are retried (429, 5xx, timeouts, dropped
    connections, mutation errors with code ``internal``); everything else fails at once.
    """

    #: Attempts in total, the first one included (1 disables retries).
    max_attempts: int = 6
    #: Backoff before the first retry, doubled for each further one.
    initial_backoff: float = 0.5
    #: Upper bound of a single computed backoff (``Retry-After`` may ask for more).
    max_backoff: float = 10.0
    #: Give up rather than start a wait that would end later than this after the first attempt.
    max_total: float = 60.0
    #: Randomise waits so concurrent workers do not retry in lockstep.
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.initial_backoff, self.max_backoff, self.max_total) < 0:
            raise ValueError("backoff and time bounds must not be negative")

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def delay(self, retry_number: int, error: PlainError, rng: random.Random) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry)."""
        backoff = min(self.max_backoff, self.initial_backoff * 2.0 ** (retry_number - 1))
        if error.retry_after is not None:
            # The server's figure is a floor; a little jitter on top spreads the workers out.
            extra = rng.uniform(0, self.initial_backoff) if self.jitter else 0.0
            return max(0.0, error.retry_after) + extra
        if self.jitter:
            # "Equal jitter": keeps at least half the backoff, randomises the rest.
            return backoff / 2 + rng.uniform(0, backoff / 2)
        return backoff


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT even when the zone is malformed
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def call_with_retries(
    attempt: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    rng: random.Random,
    on_retry: Callable[[int, PlainError, float], None] | None = None,
) -> T:
    """Run ``attempt`` until it succeeds, fails for good, or the policy's bounds are reached.

    ``on_retry(retry_number, error, delay)`` is called before each wait. The last error is
    re-raised unchanged when the attempts or the time budget run out.
    """
    started = clock()
    retry_number = 0
    while True:
        try:
            return attempt()
        except PlainError as error:
            if not error.transient or retry_number + 1 >= policy.max_attempts:
                raise
            retry_number += 1
            delay = policy.delay(retry_number, error, rng)
            # Sleeping past the deadline only to fail afterwards helps nobody.
            if clock() - started + delay > policy.max_total:
                raise
            if on_retry is not None:
                on_retry(retry_number, error, delay)
            sleep(delay)
