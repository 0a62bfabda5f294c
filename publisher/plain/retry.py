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
    connections, mutation errors with code ``internal``, GraphQL errors whose code is
    ``INTERNAL_SERVER_ERROR`` or a rate limit, whatever the HTTP status); everything else
    fails at once.
    """

    #: Attempts in total, the first one included (1 disables retries).
    max_attempts: int = 6
    #: Backoff before the first retry, doubled for each further one.
    initial_backoff: float = 0.5
    #: Upper bound of a single computed backoff (``Retry-After`` may ask for more).
    max_backoff: float = 10.0
    #: Give up rather than start a computed backoff that would end later than this after the
    #: first attempt.
    max_total: float = 60.0
    #: A wait the server names (``Retry-After``) is honoured even past ``max_total``, up to
    #: this many seconds; a longer one fails at once, saying how long Plain asked for.
    max_retry_after: float = 300.0
    #: Randomise waits so concurrent workers do not retry in lockstep.
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.initial_backoff, self.max_backoff, self.max_total, self.max_retry_after) < 0:
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


def parse_rate_limit_reset(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from Plain's ``x-ratelimit-reset`` header, an ISO-8601 timestamp of
    when the limit resets (Plain sends no ``Retry-After``). A bare number is read as epoch
    seconds when large, else as seconds to wait."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    now = now or datetime.now(UTC)
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if number > 1e9:
            return max(0.0, number - now.timestamp())
        return max(0.0, number)
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
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
            if error.retry_after is not None and error.retry_after > policy.max_retry_after:
                error.message += (
                    f" (Plain asked to wait {error.retry_after:.0f} s before trying again, "
                    f"more than the {policy.max_retry_after:.0f} s this run may wait: raise "
                    "`max_retry_wait` in publisher.toml, or run again later)"
                )
                raise
            # Sleeping past the deadline only to fail afterwards helps nobody. A wait Plain
            # asked for may go past it (the next try is then likely to succeed), up to the
            # ceiling for all the waits of this request together.
            deadline = policy.max_total
            if error.retry_after is not None:
                deadline = max(deadline, policy.max_retry_after)
            if clock() - started + delay > deadline:
                raise
            if on_retry is not None:
                on_retry(retry_number, error, delay)
            sleep(delay)
