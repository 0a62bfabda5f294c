"""A malformed `uploadFormUrl` from the server, or any failure of httpx on the way to the file
store, is a PlainError naming the operation (never a traceback, never the URL's query, which
may carry a signature), and a publish that had written groups says re-running is safe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Emulator
from content_factory import PNG, article, write_tree
from test_sync_publish import compiled

from publisher.errors import EXIT_REMOTE
from publisher.plain import InvalidResponseError, NetworkError, PlainClient, PlainError, RetryPolicy
from publisher.plain.client import upload_url_problem
from publisher.sync.apply import PublishError
from publisher.sync.publish import PublishOptions, publish

API_URL = "https://plain.test/graphql/v1"
SIGNATURE = "X-Amz-Signature=5ecret5ignature"

BAD_URLS = {
    "empty": "",
    "blank": "   ",
    "relative": f"/upload/wf_1?{SIGNATURE}",
    "javascript": f"javascript:alert(1)//?{SIGNATURE}",
    "ftp": f"ftp://files.test/upload?{SIGNATURE}",
    "no host": f"https:///upload?{SIGNATURE}",
    "spaces": f"https://files.test/up load?{SIGNATURE}",
    "space in the host": f"https://files .test/upload?{SIGNATURE}",
    "a newline": f"https://files.test/upload\n?{SIGNATURE}",
    "port not a number": f"https://files.test:http/upload?{SIGNATURE}",
    "port out of range": f"https://files.test:99999/upload?{SIGNATURE}",
    "non-ASCII host that is no domain": f"https://☃\u200d☃.test/upload?{SIGNATURE}",
    "host with a NUL": f"https://files\x00.test/upload?{SIGNATURE}",
    "long garbage": "x" * 5000 + f"?{SIGNATURE}",
}
GOOD_URLS = [
    "https://files.test/upload",
    f"https://files.test:8443/upload?{SIGNATURE}",
    "http://127.0.0.1:8765/files/upload/wf_1",
    "https://bücher.example/upload",  # a non-ASCII host that IDNA can spell
    "https://[::1]/upload",
]


def _create_upload_url(url: str) -> dict[str, Any]:
    return {
        "data": {
            "createWorkspaceFileUploadUrl": {
                "error": None,
                "workspaceFileUploadUrl": {
                    "workspaceFile": {"id": "wf_1"},
                    "uploadFormUrl": url,
                    "uploadFormData": [{"key": "policy", "value": "abc"}],
                    "expiresAt": None,
                },
            }
        }
    }


def _client(handler: Any) -> PlainClient:
    return PlainClient(
        API_URL,
        "plainApiKey_test",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=2, jitter=False),
        sleep=lambda _s: None,
    )


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS)
def test_a_malformed_upload_url_is_an_error_naming_the_operation(url: str) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=_create_upload_url(url))

    assert upload_url_problem(url) is not None
    with _client(handler) as client, pytest.raises(InvalidResponseError) as info:
        client.upload_file("a.png", PNG)
    message = str(info.value)
    assert "CreateWorkspaceFileUploadUrl" in message and "upload URL" in message
    assert "5ecret5ignature" not in message and "\n" not in message
    assert len(message) < 300
    assert [r.url.host for r in sent] == ["plain.test"]  # nothing went to the bad URL


@pytest.mark.parametrize("url", GOOD_URLS)
def test_a_good_upload_url_is_accepted(url: str) -> None:
    assert upload_url_problem(url) is None


@pytest.mark.parametrize(
    "failure",
    [
        httpx.UnsupportedProtocol("no"),
        httpx.TooManyRedirects("loop"),
        httpx.DecodingError("gzip"),
        httpx.InvalidURL("bad"),
        httpx.LocalProtocolError("h11"),
        httpx.ReadError("reset"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_any_httpx_failure_on_the_way_to_the_file_store_is_a_plain_error(
    failure: Exception,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "files.test":
            raise failure
        return httpx.Response(200, json=_create_upload_url(f"https://files.test/u?{SIGNATURE}"))

    with _client(handler) as client, pytest.raises(NetworkError) as info:
        client.upload_file("a.png", PNG)
    assert isinstance(info.value, PlainError)
    assert "files.test/u" in str(info.value) and "5ecret5ignature" not in str(info.value)
    assert info.value.__cause__ is None


class _BadUploadUrl(httpx.BaseTransport):
    """The real emulator over HTTP, except that its upload URLs come back malformed."""

    def __init__(self, url: str) -> None:
        self.inner = httpx.HTTPTransport()
        self.url = url

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if b"CreateWorkspaceFileUploadUrl" not in request.content:
            return response
        response.read()
        data = json.loads(response.content)
        data["data"]["createWorkspaceFileUploadUrl"]["workspaceFileUploadUrl"]["uploadFormUrl"] = (
            self.url
        )
        return httpx.Response(response.status_code, json=data)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("url", ["", "/relative", "javascript:alert(1)", "https://x:99999/u"])
def test_a_publish_that_wrote_groups_says_a_rerun_is_safe(
    tmp_path: Path, emulator: Emulator, url: str
) -> None:
    write_tree(tmp_path, {"guides/a.md": article("A", "![x](x.png)"), "guides/x.png": PNG})
    site = compiled(tmp_path)
    client = PlainClient(emulator.url, emulator.api_key, transport=_BadUploadUrl(url))
    with client, pytest.raises(PublishError) as info:
        publish(
            client, site, emulator.help_center_id, PublishOptions(backups_dir=tmp_path / "backups")
        )
    error = info.value
    assert error.exit_code == EXIT_REMOTE and error.wrote  # the group was written
    assert "CreateWorkspaceFileUploadUrl" in str(error) and "x.png" in str(error)
    assert any("again is safe" in line for line in error.lines())
