"""Retries: which failures are retried, how long the client waits, and where it stops."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from publisher.plain import (
    AuthenticationError,
    ForbiddenError,
    MutationError,
    NetworkError,
    PlainClient,
    RateLimitedError,
    RetryPolicy,
    ServerError,
)
from publisher.plain.errors import PlainError
from publisher.plain.retry import call_with_retries, parse_rate_limit_reset, parse_retry_after

API_URL = "https://plain.test/graphql/v1"
API_KEY = "plainApiKey_RETRYSECRET"

Step = httpx.Response | Exception


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def ok_article() -> httpx.Response:
    node = {
        "id": "art_1",
        "slug": "a",
        "title": "A",
        "description": None,
        "icon": None,
        "contentHtml": "",
        "status": "PUBLISHED",
        "articleGroup": None,
        "updatedAt": None,
    }
    return httpx.Response(200, json={"data": {"helpCenterArticle": node}})


def scripted(steps: list[Step]) -> tuple[Callable[[httpx.Request], httpx.Response], list[int]]:
    """A handler answering with ``steps`` in order; the list counts the calls made."""
    calls: list[int] = []
    queue: Iterator[Step] = iter(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        step = next(queue)
        if isinstance(step, Exception):
            raise step
        return step

    return handler, calls


def make(
    steps: list[Step], policy: RetryPolicy | None = None
) -> tuple[PlainClient, FakeClock, list[int]]:
    handler, calls = scripted(steps)
    clock = FakeClock()
    client = PlainClient(
        API_URL,
        API_KEY,
        transport=httpx.MockTransport(handler),
        retry=policy or RetryPolicy(jitter=False),
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(0),
    )
    return client, clock, calls


TRANSIENT_FAILURES: list[Step] = [
    httpx.Response(429),
    httpx.Response(500),
    httpx.Response(502, text="bad gateway"),
    httpx.Response(503),
    httpx.Response(504),
    httpx.Response(408),
    httpx.ConnectError("refused"),
    httpx.ConnectTimeout("connect timeout"),
    httpx.ReadTimeout("read timeout"),
    httpx.WriteTimeout("write timeout"),
    httpx.PoolTimeout("pool timeout"),
    httpx.ReadError("reset by peer"),
    httpx.RemoteProtocolError("server disconnected without sending a response"),
]


@pytest.mark.parametrize(
    "failure",
    TRANSIENT_FAILURES,
    ids=lambda f: type(f).__name__ + (str(f.status_code) if isinstance(f, httpx.Response) else ""),
)
def test_each_transient_failure_is_retried(failure: Step) -> None:
    client, clock, calls = make([failure, failure, ok_article()])
    article = client.get_article("art_1")
    assert article is not None
    assert len(calls) == 3
    assert client.stats.requests == 3
    assert client.stats.retries == 2
    assert clock.sleeps == [0.5, 1.0]  # exponential, no jitter in this policy


def test_internal_mutation_error_is_retried() -> None:
    internal = httpx.Response(
        200,
        json={
            "data": {
                "deleteHelpCenterArticle": {
                    "error": {
                        "message": "Internal error",
                        "type": "INTERNAL",
                        "code": "internal",
                        "fields": [],
                    }
                }
            }
        },
    )
    done = httpx.Response(200, json={"data": {"deleteHelpCenterArticle": {"error": None}}})
    client, _, calls = make([internal, done])
    assert client.delete_article("art_1")
    assert len(calls) == 2
    assert client.stats.retries == 1


@pytest.mark.parametrize(
    ("response", "error_type"),
    [
        (httpx.Response(401), AuthenticationError),
        (httpx.Response(403), ForbiddenError),
        (
            httpx.Response(
                200,
                json={
                    "data": {
                        "deleteHelpCenterArticle": {
                            "error": {
                                "message": "bad",
                                "type": "VALIDATION",
                                "code": "input_validation",
                                "fields": [
                                    {
                                        "field": "helpCenterArticleId",
                                        "message": "bad",
                                        "type": "VALIDATION",
                                    }
                                ],
                            }
                        }
                    }
                },
            ),
            MutationError,
        ),
        (
            httpx.Response(
                200,
                json={
                    "data": {
                        "deleteHelpCenterArticle": {
                            "error": {
                                "message": "nope",
                                "type": "FORBIDDEN",
                                "code": "forbidden",
                                "fields": [],
                            }
                        }
                    }
                },
            ),
            MutationError,
        ),
        (
            httpx.Response(
                200,
                json={
                    "data": {
                        "deleteHelpCenterArticle": {
                            "error": {
                                "message": "gone",
                                "type": "VALIDATION",
                                "code": "not_found",
                                "fields": [],
                            }
                        }
                    }
                },
            ),
            MutationError,
        ),
    ],
)
def test_permanent_failures_are_not_retried(
    response: httpx.Response, error_type: type[Exception]
) -> None:
    client, clock, calls = make([response, response])
    with pytest.raises(error_type):
        client.delete_article("art_1")
    assert len(calls) == 1
    assert clock.sleeps == []
    assert client.stats.retries == 0


def test_retry_after_seconds_is_honoured() -> None:
    client, clock, _ = make([httpx.Response(429, headers={"Retry-After": "3"}), ok_article()])
    client.get_article("art_1")
    assert clock.sleeps == [3.0]


def test_retry_after_http_date_is_honoured() -> None:
    when = datetime.now(UTC) + timedelta(seconds=20)
    header = format_datetime(when, usegmt=True)
    client, clock, _ = make([httpx.Response(503, headers={"Retry-After": header}), ok_article()])
    client.get_article("art_1")
    assert len(clock.sleeps) == 1
    assert 17.0 <= clock.sleeps[0] <= 20.0


def test_retry_after_with_jitter_never_waits_less() -> None:
    policy = RetryPolicy(jitter=True)
    client, clock, _ = make(
        [httpx.Response(429, headers={"Retry-After": "2"}), ok_article()], policy
    )
    client.get_article("art_1")
    assert 2.0 <= clock.sleeps[0] <= 2.0 + policy.initial_backoff


def test_rate_limit_holds_back_other_requests() -> None:
    # A later request from another worker waits out the server's Retry-After too.
    client, clock, calls = make(
        [httpx.Response(429, headers={"Retry-After": "5"}), ok_article()],
        RetryPolicy.disabled(),
    )
    with pytest.raises(RateLimitedError):
        client.get_article("art_1")
    client.get_article("art_1")
    assert clock.sleeps == [5.0]
    assert len(calls) == 2


def test_attempts_are_bounded() -> None:
    client, clock, calls = make([httpx.Response(500)] * 10)
    with pytest.raises(ServerError):
        client.get_article("art_1")
    assert len(calls) == 6
    assert client.stats.requests == 6
    assert client.stats.retries == 5
    assert clock.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(
        max_attempts=8, initial_backoff=1.0, max_backoff=3.0, max_total=1000, jitter=False
    )
    client, clock, _ = make([httpx.ReadError("x")] * 8, policy)
    with pytest.raises(NetworkError):
        client.get_article("art_1")
    assert clock.sleeps == [1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0]


def test_total_time_is_bounded() -> None:
    # Waits Plain names may pass the 60 s budget, but not the ceiling (300 s by default)
    # for all the waits of one request together.
    limited = httpx.Response(429, headers={"Retry-After": "140"})
    client, clock, calls = make([limited, limited, limited, ok_article()])
    with pytest.raises(RateLimitedError) as info:
        client.get_article("art_1")
    assert info.value.retry_after == 140.0
    assert len(calls) == 3
    assert sum(clock.sleeps) <= 300.0


def test_backoff_without_a_named_wait_keeps_the_60_second_budget() -> None:
    policy = RetryPolicy(max_attempts=50, initial_backoff=8.0, max_backoff=30.0, jitter=False)
    client, clock, calls = make([httpx.Response(503)] * 50, policy)
    with pytest.raises(ServerError):
        client.get_article("art_1")
    assert sum(clock.sleeps) <= 60.0
    assert 2 <= len(calls) < 10


def graphql_errors(
    *codes: str | None, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    errors: list[dict[str, Any]] = []
    for code in codes:
        entry: dict[str, Any] = {"message": f"failed ({code})"}
        if code is not None:
            entry["extensions"] = {"code": code}
        errors.append(entry)
    return httpx.Response(status, json={"data": None, "errors": errors}, headers=headers)


@pytest.mark.parametrize(
    "first",
    [
        graphql_errors("INTERNAL_SERVER_ERROR"),
        graphql_errors("internal_server_error"),  # codes are compared case-insensitively
        graphql_errors("INTERNAL_SERVER_ERROR", "INTERNAL_SERVER_ERROR"),
        graphql_errors("INTERNAL_SERVER_ERROR", status=500),
        graphql_errors("RATE_LIMITED", headers={"Retry-After": "2"}),
        graphql_errors("RATE_LIMITED", status=429),
    ],
    ids=["200-internal", "lowercase", "two-internal", "500-internal", "200-rate", "429-rate"],
)
def test_retryable_graphql_errors_are_retried_whatever_the_status(first: httpx.Response) -> None:
    client, _, calls = make([first, first, ok_article()])
    assert client.get_article("art_1") is not None
    assert len(calls) == 3


@pytest.mark.parametrize(
    "answer",
    [
        graphql_errors("INTERNAL_SERVER_ERROR", "BAD_USER_INPUT"),
        graphql_errors("INTERNAL_SERVER_ERROR", None),
        graphql_errors("GRAPHQL_VALIDATION_FAILED"),
        graphql_errors("BAD_USER_INPUT"),
        graphql_errors(None),
    ],
    ids=["internal-beside-input", "internal-beside-uncoded", "validation", "input", "no-code"],
)
def test_other_graphql_errors_fail_at_once(answer: httpx.Response) -> None:
    client, _, calls = make([answer, ok_article()])
    with pytest.raises(PlainError) as info:
        client.get_article("art_1")
    assert not info.value.transient
    assert len(calls) == 1


def test_a_rate_limit_in_a_200_waits_as_asked() -> None:
    client, clock, calls = make(
        [graphql_errors("RATE_LIMITED", headers={"Retry-After": "7"}), ok_article()]
    )
    client.get_article("art_1")
    assert len(calls) == 2
    assert 7.0 <= clock.sleeps[0] < 8.0


def test_the_rate_limit_reset_header_gives_the_wait_when_retry_after_is_absent() -> None:
    reset = (datetime.now(UTC) + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    limited = graphql_errors("RATE_LIMITED", status=429, headers={"x-ratelimit-reset": reset})
    client, clock, calls = make([limited, ok_article()])
    client.get_article("art_1")
    assert len(calls) == 2
    assert 25.0 <= clock.sleeps[0] <= 31.0


@pytest.mark.parametrize("wait", ["90", "299"])
def test_a_retry_after_past_the_budget_is_waited_out_and_announced(wait: str) -> None:
    notices: list[str] = []
    clock = FakeClock()
    handler, calls = scripted([httpx.Response(429, headers={"Retry-After": wait}), ok_article()])
    client = PlainClient(
        API_URL,
        API_KEY,
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(1),
        notice=notices.append,
    )
    assert client.get_article("art_1") is not None
    assert len(calls) == 2
    assert clock.sleeps[0] >= float(wait)
    assert len(notices) == 1
    assert f"waiting {wait}" in notices[0] or f"waiting {int(wait) + 1}" in notices[0]
    assert "Plain asked for this wait" in notices[0]


@pytest.mark.parametrize(("wait", "ceiling"), [("301", 300.0), ("3600", 300.0), ("11", 10.0)])
def test_a_retry_after_beyond_the_ceiling_fails_at_once_saying_so(
    wait: str, ceiling: float
) -> None:
    policy = RetryPolicy(max_retry_after=ceiling)
    client, clock, calls = make([httpx.Response(429, headers={"Retry-After": wait})], policy)
    with pytest.raises(RateLimitedError) as info:
        client.get_article("art_1")
    assert len(calls) == 1
    assert clock.sleeps == []
    assert f"asked to wait {wait} s" in str(info.value)
    assert "max_retry_wait" in str(info.value)


def test_only_the_first_short_wait_is_announced() -> None:
    notices: list[str] = []
    clock = FakeClock()
    handler, _ = scripted([httpx.Response(503), httpx.Response(503), ok_article(), ok_article()])
    client = PlainClient(
        API_URL,
        API_KEY,
        transport=httpx.MockTransport(handler),
        sleep=clock.sleep,
        clock=clock,
        notice=notices.append,
    )
    client.get_article("art_1")
    client.get_article("art_1")
    assert len(notices) == 1
    assert "HTTP 503" in notices[0] and "retry 1 of 5" in notices[0]


def test_total_time_counts_slow_attempts() -> None:
    policy = RetryPolicy(
        max_attempts=100, initial_backoff=1.0, max_backoff=1.0, max_total=9.5, jitter=False
    )
    clock = FakeClock()
    calls: list[int] = []

    def slow_failure(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        clock.now += 4.0  # each attempt takes 4 s before timing out
        raise httpx.ReadTimeout("timed out")

    client = PlainClient(
        API_URL,
        API_KEY,
        transport=httpx.MockTransport(slow_failure),
        retry=policy,
        sleep=clock.sleep,
        clock=clock,
    )
    with pytest.raises(NetworkError):
        client.get_article("art_1")
    # 4 + 1 + 4 = 9 s elapsed; one more 1 s wait would pass the 9.5 s budget.
    assert len(calls) == 2


def test_disabled_policy_tries_once() -> None:
    client, clock, calls = make([httpx.Response(503), ok_article()], RetryPolicy.disabled())
    with pytest.raises(ServerError):
        client.get_article("art_1")
    assert len(calls) == 1
    assert clock.sleeps == []


def test_pages_are_retried_individually() -> None:
    def page(after: str | None, has_next: bool) -> httpx.Response:
        connection = {
            "edges": [
                {
                    "cursor": "c",
                    "node": {
                        "id": f"g{after}",
                        "slug": "s",
                        "name": "n",
                        "parentArticleGroup": None,
                        "updatedAt": None,
                    },
                }
            ],
            "pageInfo": {"hasNextPage": has_next, "endCursor": "c1" if has_next else None},
        }
        return httpx.Response(
            200, json={"data": {"helpCenter": {"id": "hc", "articleGroups": connection}}}
        )

    client, _, calls = make([page(None, True), httpx.Response(502), page("c1", False)])
    groups = client.list_groups("hc")
    assert [g.id for g in groups] == ["gNone", "gc1"]
    assert len(calls) == 3


# -- the policy and helpers on their own ----------------------------------------------------


def test_policy_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.initial_backoff, policy.max_backoff, policy.max_total) == (
        6,
        0.5,
        10.0,
        60.0,
    )
    assert policy.jitter


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(initial_backoff=-1)


def test_jittered_backoff_stays_within_bounds() -> None:
    policy = RetryPolicy()
    rng = random.Random(42)
    error = PlainError("x")
    for retry_number in range(1, 10):
        ceiling = min(policy.max_backoff, policy.initial_backoff * 2 ** (retry_number - 1))
        for _ in range(50):
            delay = policy.delay(retry_number, error, rng)
            assert ceiling / 2 <= delay <= ceiling


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("12", 12.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 27, 30, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == expected


def test_call_with_retries_reports_each_retry() -> None:
    seen: list[tuple[int, str, float]] = []
    failures = iter([ServerError("a", status_code=500), ServerError("b", status_code=500)])

    def attempt() -> str:
        error = next(failures, None)
        if error is not None:
            raise error
        return "done"

    clock = FakeClock()
    result = call_with_retries(
        attempt,
        RetryPolicy(jitter=False),
        sleep=clock.sleep,
        clock=clock,
        rng=random.Random(),
        on_retry=lambda n, e, d: seen.append((n, str(e), d)),
    )
    assert result == "done"
    assert seen == [(1, "a", 0.5), (2, "b", 1.0)]


def test_non_plain_errors_propagate_untouched() -> None:
    def attempt() -> Any:
        raise KeyError("boom")

    clock = FakeClock()
    with pytest.raises(KeyError):
        call_with_retries(
            attempt, RetryPolicy(), sleep=clock.sleep, clock=clock, rng=random.Random()
        )
    assert clock.sleeps == []


def test_request_body_is_identical_on_retry() -> None:
    bodies: list[bytes] = []
    steps = iter([httpx.Response(500), ok_article()])

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return next(steps)

    clock = FakeClock()
    client = PlainClient(
        API_URL, API_KEY, transport=httpx.MockTransport(handler), sleep=clock.sleep, clock=clock
    )
    client.get_article("art_1")
    assert bodies[0] == bodies[1]
    assert json.loads(bodies[0])["operationName"] == "HelpCenterArticle"


NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2026-12-01T12:00:30Z", 30.0),
        ("2026-12-01T12:00:30.000Z", 30.0),
        ("2026-12-01T13:00:30+01:00", 30.0),
        ("2026-12-01T12:00:30", 30.0),  # no zone: UTC
        ("2026-12-01T11:59:00Z", 0.0),  # already past
        (str(int(NOW.timestamp()) + 45), 45.0),  # epoch seconds
        ("12", 12.0),  # a bare delay
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_rate_limit_reset_header(value: str | None, seconds: float | None) -> None:
    assert parse_rate_limit_reset(value, now=NOW) == seconds
