"""A server that echoes the API key transformed (case changed, JSON-escaped, percent-encoded,
base64 or base64url, alone or inside `Bearer <key>`) never gets it into an error or a log,
whatever shape its error body has."""

from __future__ import annotations

import base64
import json
import logging
import random
from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest

from publisher.plain import PlainClient, PlainError, RetryPolicy
from publisher.plain.redact import key_pattern, redact

API_URL = "https://plain.test/graphql/v1"
API_KEY = "plainApiKey_SUPERSECRET_4b1d2c3e"


def _json_escaped(text: str, every: int = 1) -> str:
    return "".join(f"\\u{ord(c):04x}" if i % every == 0 else c for i, c in enumerate(text))


def _b64(text: str, urlsafe: bool = False) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(text.encode()).decode()


#: How a server may spell the key back, as it appears in the raw body.
SPELLINGS: dict[str, str] = {
    "as is": API_KEY,
    "lowercase": API_KEY.lower(),
    "uppercase": API_KEY.upper(),
    "case swapped": API_KEY.swapcase(),
    "percent-encoded": quote(API_KEY, safe=""),
    "percent-encoded, every character": "".join(f"%{b:02X}" for b in API_KEY.encode()),
    "percent-encoded, lowercase hex": "".join(f"%{b:02x}" for b in API_KEY.encode()),
    "JSON-escaped, every character": _json_escaped(API_KEY),
    "JSON-escaped, every third character": _json_escaped(API_KEY, 3),
    "JSON-escaped and uppercased": _json_escaped(API_KEY.upper(), 2),
    "HTML character references": "".join(f"&#{ord(c)};" for c in API_KEY),
    "base64": _b64(API_KEY),
    "base64url": _b64(API_KEY, urlsafe=True),
    "base64 of the lowercase key": _b64(API_KEY.lower()),
    "base64 of Bearer <key>": _b64(f"Bearer {API_KEY}"),
    "base64url of Bearer <key>": _b64(f"Bearer {API_KEY}", urlsafe=True),
    "base64 of an Authorization header": _b64(f"Authorization: Bearer {API_KEY}"),
    "base64 of user:<key>": _b64(f"api:{API_KEY}"),
    "hex": API_KEY.encode().hex(),
}


def _secret_parts(spelling: str) -> list[str]:
    """What must not appear: the key and the echoed spelling (or its middle, for base64
    of a longer text, whose ends belong to the text around the key)."""
    middle = spelling[len(spelling) // 4 : -len(spelling) // 4] if len(spelling) > 16 else spelling
    return [API_KEY, API_KEY.lower(), "SUPERSECRET", "supersecret", middle]


def _clean(text: str, spelling: str) -> None:
    for part in _secret_parts(spelling):
        assert part not in text, (part, text)


def _text(status: int, body: str, content_type: str = "application/json") -> Handler:
    return lambda r: httpx.Response(
        status, content=body.encode(), headers={"Content-Type": content_type}
    )


Handler = Callable[[httpx.Request], httpx.Response]


def _bodies(echo: str) -> dict[str, Handler]:
    """Error bodies of every shape, each carrying `echo` as the server wrote it (raw JSON
    text, so that escapes stay escapes)."""
    said = f"you sent {echo}"
    return {
        "401 errors list": _text(401, f'{{"errors": [{{"message": "{said}"}}]}}'),
        "500 message object": _text(500, f'{{"message": "{said}"}}'),
        "403 JSON string": _text(403, f'"{said}"'),
        "500 JSON list of strings": _text(500, f'["{said}"]'),
        "429 JSON list of errors": _text(429, f'[{{"message": "{said}"}}]'),
        "404 plain text": _text(404, said, "text/plain"),
        "418 plain text": _text(418, said, "text/plain"),
        "200 GraphQL error": _text(200, f'{{"errors": [{{"message": "{said}"}}]}}'),
        "200 GraphQL error code": _text(
            200,
            f'{{"errors": [{{"message": "x", "extensions": {{"code": "{said}"}}}}]}}',
        ),
        "200 mutation error": _text(
            200,
            json.dumps(
                {
                    "data": {
                        "deleteHelpCenterArticle": {
                            "error": {
                                "message": "@",
                                "type": "VALIDATION",
                                "code": "c",
                                "fields": [{"field": "@", "message": "@", "type": "VALIDATION"}],
                            }
                        }
                    }
                }
            ).replace("@", said),
        ),
        "200 unexpected shape": _text(200, f'{{"data": {{"{said}": 1}}}}'),
        "connection error": _raise(httpx.ConnectError(said)),
    }


def _raise(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


CASES = [
    (spelling_name, body_name)
    for spelling_name in SPELLINGS
    for body_name in _bodies("x")
    # Each body shape with a few spellings, and each spelling in a few shapes.
    if (list(SPELLINGS).index(spelling_name) + list(_bodies("x")).index(body_name)) % 3 == 0
]


@pytest.mark.parametrize(("spelling_name", "body_name"), CASES)
def test_a_transformed_echo_of_the_key_is_scrubbed(
    spelling_name: str, body_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    spelling = SPELLINGS[spelling_name]
    client = PlainClient(
        API_URL,
        API_KEY,
        transport=httpx.MockTransport(_bodies(spelling)[body_name]),
        retry=RetryPolicy(max_attempts=2, jitter=False),
        sleep=lambda _s: None,
        rng=random.Random(0),
    )
    with client, pytest.raises(PlainError) as info:
        client.delete_article("art_1")
    error = info.value
    texts = [str(error), repr(error), error.message, repr(error.args), caplog.text]
    texts += [repr(vars(error))]
    for text in texts:
        _clean(text, spelling)


@pytest.mark.parametrize("name", list(SPELLINGS))
def test_every_spelling_is_redacted_inside_other_text(name: str) -> None:
    spelling = SPELLINGS[name]
    text = f"before {spelling} after"
    redacted = redact(text, API_KEY, "[redacted]")
    assert redacted.startswith("before ") and redacted.endswith(" after")
    _clean(redacted, spelling)
    assert key_pattern(API_KEY).search(text)


@pytest.mark.parametrize(
    "text",
    [
        "Internal server error",
        "Slug 'plain-api' is already used by article ha_1",
        "https://cdn.plain.test/f/6c1e0a7b?X-Amz-Signature=abc%20def&x=1",
        "<p>A page of HTML with &amp; entities, 100% text and a \\ backslash</p>" * 50,
        "plainApiKey_OTHER_key_of_someone_else",
    ],
)
def test_other_text_is_left_alone(text: str) -> None:
    assert redact(text, API_KEY, "[redacted]") == text


def test_a_key_echoed_in_the_upload_url_is_scrubbed() -> None:
    """The upload URL comes from the server: a path that echoes the key is not shown."""

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.host == "files.test":
            raise httpx.ConnectError("refused")
        body = json.loads(request.content)
        assert body["operationName"] == "CreateWorkspaceFileUploadUrl"
        return httpx.Response(
            200,
            json={
                "data": {
                    "createWorkspaceFileUploadUrl": {
                        "error": None,
                        "workspaceFileUploadUrl": {
                            "workspaceFile": {"id": "wf_1"},
                            "uploadFormUrl": f"https://files.test/u/{quote(API_KEY.lower())}"
                            f"?sig={_b64(API_KEY)}",
                            "uploadFormData": [],
                            "expiresAt": None,
                        },
                    }
                }
            },
        )

    client = PlainClient(
        API_URL,
        API_KEY,
        transport=httpx.MockTransport(route),
        retry=RetryPolicy(max_attempts=1),
    )
    with client, pytest.raises(PlainError) as info:
        client.upload_file("a.png", b"x")
    assert "files.test" in str(info.value)
    _clean(str(info.value), quote(API_KEY.lower()))
    assert "sig=" not in str(info.value)
