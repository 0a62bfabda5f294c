"""The API key never shows up in logs, reprs or error text, even when a server echoes it."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import httpx
import pytest

from publisher.plain import (
    AuthenticationError,
    FieldError,
    ForbiddenError,
    GraphQLResponseError,
    HTTPError,
    InvalidResponseError,
    MutationError,
    NetworkError,
    NotFoundError,
    PlainClient,
    PlainError,
    RateLimitedError,
    RetryPolicy,
    ServerError,
)

API_URL = "https://plain.test/graphql/v1"
API_KEY = "plainApiKey_SUPERSECRET_4b1d2c3e"
ECHO = f"you sent Bearer {API_KEY}"


def raise_(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def _mutation_error_response(code: str, type_: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "data": {
                "deleteHelpCenterArticle": {
                    "error": {
                        "message": ECHO,
                        "type": type_,
                        "code": code,
                        "fields": [
                            {"field": "helpCenterArticleId", "message": ECHO, "type": "VALIDATION"}
                        ],
                    }
                }
            }
        },
    )


# Each server behaviour echoes the key where it can, to prove the client scrubs it.
HOSTILE: list[tuple[Callable[[httpx.Request], httpx.Response], type[PlainError]]] = [
    (lambda r: httpx.Response(401, json={"errors": [{"message": ECHO}]}), AuthenticationError),
    (lambda r: httpx.Response(403, text=ECHO), ForbiddenError),
    (lambda r: httpx.Response(404, text=ECHO), HTTPError),
    (lambda r: httpx.Response(429, text=ECHO, headers={"Retry-After": "1"}), RateLimitedError),
    (lambda r: httpx.Response(500, json={"message": ECHO}), ServerError),
    (lambda r: httpx.Response(200, json={"errors": [{"message": ECHO}]}), GraphQLResponseError),
    (lambda r: httpx.Response(400, json={"errors": [{"message": ECHO}]}), GraphQLResponseError),
    (
        lambda r: httpx.Response(200, json={"data": {"deleteHelpCenterArticle": None}}),
        InvalidResponseError,
    ),
    (lambda r: httpx.Response(200, json={"data": {ECHO: 1}}), InvalidResponseError),
    (raise_(httpx.ConnectError(ECHO)), NetworkError),
    (raise_(httpx.ReadTimeout(ECHO)), NetworkError),
    (raise_(httpx.RemoteProtocolError(ECHO)), NetworkError),
    (lambda r: _mutation_error_response("input_validation", "VALIDATION"), MutationError),
    (lambda r: _mutation_error_response("internal", "INTERNAL"), MutationError),
]


def _assert_clean(text: str) -> None:
    assert API_KEY not in text
    assert "SUPERSECRET" not in text


@pytest.mark.parametrize(("handler", "error_type"), HOSTILE)
def test_key_absent_from_errors_and_logs(
    handler: Callable[[httpx.Request], httpx.Response],
    error_type: type[PlainError],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client = PlainClient(
        API_URL,
        API_KEY,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=2, jitter=False),
        sleep=lambda _s: None,
        rng=random.Random(0),
    )
    with client, pytest.raises(error_type) as info:
        client.delete_article("art_1")
    error = info.value
    assert error.operation == "DeleteHelpCenterArticle"
    for text in (str(error), repr(error), error.message, repr(error.args)):
        _assert_clean(text)
    if isinstance(error, MutationError):
        _assert_clean(error.plain_message)
        for field in error.fields:
            _assert_clean(repr(field))
    if isinstance(error, GraphQLResponseError):
        _assert_clean(repr(error.errors))
    # No chained httpx exception: it would hold the request and its Authorization header.
    assert error.__cause__ is None
    assert caplog.records, "the client logs each request at DEBUG"
    for record in caplog.records:
        _assert_clean(record.getMessage())
    _assert_clean(caplog.text)


def test_key_absent_from_successful_request_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    node = {
        "id": "a",
        "slug": "s",
        "title": "t",
        "description": None,
        "icon": None,
        "contentHtml": "",
        "status": "DRAFT",
        "articleGroup": None,
        "updatedAt": None,
    }
    client = PlainClient(
        API_URL,
        API_KEY,
        transport=httpx.MockTransport(
            lambda r: httpx.Response(200, json={"data": {"helpCenterArticle": node}})
        ),
    )
    client.get_article("a")
    messages = [r.getMessage() for r in caplog.records if r.name == "publisher.plain"]
    assert any("HelpCenterArticle" in m and "200" in m for m in messages)
    _assert_clean(caplog.text)


def test_client_repr_and_state_hide_key() -> None:
    client = PlainClient(API_URL, API_KEY)
    for text in (repr(client), str(client), repr(vars(client)), repr(client.stats)):
        _assert_clean(text)
    assert API_URL in repr(client)
    assert "redacted" in repr(client)
    # The pool's default headers carry no key: uploads to other hosts must not get it.
    assert "Authorization" not in client._http.headers
    client.close()


def test_every_error_type_repr_is_clean() -> None:
    errors: list[PlainError] = [
        PlainError("x", operation="Op"),
        AuthenticationError("x", operation="Op", status_code=401),
        ForbiddenError("x", operation="Op", status_code=403),
        RateLimitedError("x", operation="Op", status_code=429, retry_after=1),
        ServerError("x", operation="Op", status_code=500),
        HTTPError("x", operation="Op", status_code=418),
        NetworkError("x", operation="Op", transient=True),
        NotFoundError("x", operation="Op"),
        InvalidResponseError("x", operation="Op"),
        GraphQLResponseError("x", operation="Op", errors=[{"message": "x"}]),
        MutationError(
            "x",
            type="VALIDATION",
            code="c",
            fields=[FieldError("f", "m", "VALIDATION")],
            operation="Op",
        ),
    ]
    for error in errors:
        assert "Op" in repr(error)
        _assert_clean(str(error) + repr(error))


def test_empty_key_error_does_not_echo() -> None:
    with pytest.raises(ValueError) as info:
        PlainClient(API_URL, "")
    _assert_clean(str(info.value))
