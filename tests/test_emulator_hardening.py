"""The emulator as a shared CI service, over real HTTP: hostile input is refused in Plain's
error shapes, one request cannot take the server over, the web view runs no script, the
upload route reads nothing it will not accept, and slugs are what a URL can carry."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Emulator, EmulatorFactory

from publisher.emulator.limits import MAX_BODY_BYTES, MAX_DEPTH, MAX_FIELDS, MAX_TOKENS

# --- Helpers ---------------------------------------------------------------------------------


def post_raw(emulator: Emulator, body: bytes, **headers: str) -> httpx.Response:
    sent = {"Authorization": f"Bearer {emulator.api_key}", **headers}
    return emulator.client().post(emulator.url, content=body, headers=sent)


def assert_graphql_error(response: httpx.Response, status: int, code: str) -> str:
    """The response is JSON in GraphQL's error shape, with this status and code; returns the
    first message."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    errors = response.json()["errors"]
    assert errors and all(e["extensions"]["code"] == code for e in errors), errors
    message: str = errors[0]["message"]
    return message


def article_group_chain(depth: int) -> str:
    """A query nesting fields ``depth`` deep, through parentArticleGroup."""
    inner = "id"
    for _ in range(depth - 3):
        inner = f"parentArticleGroup {{ {inner} }}"
    return f'{{ helpCenterArticle(id: "x") {{ articleGroup {{ {inner} }} }} }}'


# --- (b) Limits: body size, tokens, depth, fields, cost --------------------------------------


def test_a_body_over_the_limit_is_413_read_or_not(emulator: Emulator) -> None:
    padding = " " * (MAX_BODY_BYTES + 1 - len('{"query": "{ __typename }"}'))
    body = ('{"query": "{ __typename }"' + padding + "}").encode()
    assert len(body) == MAX_BODY_BYTES + 1
    assert_graphql_error(post_raw(emulator, body), 413, "BAD_REQUEST")

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while it streams in
        for start in range(0, len(body), 65536):
            yield body[start : start + 65536]

    streamed = emulator.client().post(
        emulator.url,
        content=chunks(),
        headers={"Authorization": f"Bearer {emulator.api_key}"},
    )
    assert_graphql_error(streamed, 413, "BAD_REQUEST")
    # Just under the limit, the same request runs.
    fits = ('{"query": "{ __typename }"' + padding[2:] + "}").encode()
    assert post_raw(emulator, fits).json() == {"data": {"__typename": "Query"}}


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(
    emulator: Emulator,
) -> None:
    status, waited = send_headers_only(
        emulator,
        "/graphql/v1",
        {
            "Authorization": f"Bearer {emulator.api_key}",
            "Content-Type": "application/json",
            "Content-Length": str(10 * MAX_BODY_BYTES),
        },
    )
    assert status == 413 and waited < 5


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, MAX_DEPTH + 5, 200])
def test_queries_nested_too_deep_are_validation_errors(emulator: Emulator, depth: int) -> None:
    message = assert_graphql_error(
        emulator.post(article_group_chain(depth)), 400, "GRAPHQL_VALIDATION_FAILED"
    )
    assert f"more than {MAX_DEPTH} deep" in message


def test_the_depth_limit_counts_through_fragments(emulator: Emulator) -> None:
    # Each fragment adds a level; spread into each other they nest 2 + 12 + 1 deep.
    fragments = "\n".join(
        f"fragment F{i} on HelpCenterArticleGroup {{ parentArticleGroup {{ id ...F{i + 1} }} }}"
        for i in range(12)
    )
    query = (
        '{ helpCenterArticle(id: "x") { articleGroup { ...F0 } } }\n'
        + fragments
        + "\nfragment F12 on HelpCenterArticleGroup { id }"
    )
    assert_graphql_error(emulator.post(query), 400, "GRAPHQL_VALIDATION_FAILED")
    # Inline fragments add no level: the deepest query allowed, with one, still runs.
    inline = article_group_chain(MAX_DEPTH).replace(
        "{ parentArticleGroup {", "{ ... on HelpCenterArticleGroup { parentArticleGroup {", 1
    )
    inline = inline.removesuffix(" }") + " } }"
    response = emulator.post(inline)
    assert response.status_code == 200, response.text


def test_the_deepest_query_allowed_runs(emulator: Emulator) -> None:
    response = emulator.post(article_group_chain(MAX_DEPTH))
    assert response.status_code == 200 and response.json()["data"] == {"helpCenterArticle": None}


@pytest.mark.parametrize(
    "query",
    [
        # Aliases: the same cheap field many times.
        "{ " + " ".join(f"a{i}: __typename" for i in range(MAX_FIELDS + 1)) + " }",
        # Aliases of a root field, each selecting a few fields.
        "{ "
        + " ".join(
            f"h{i}: helpCenters {{ edges {{ cursor }} }}" for i in range(MAX_FIELDS // 3 + 1)
        )
        + " }",
    ],
    ids=["aliased-typename", "aliased-root-fields"],
)
def test_too_many_fields_are_refused(emulator: Emulator, query: str) -> None:
    message = assert_graphql_error(emulator.post(query), 400, "GRAPHQL_VALIDATION_FAILED")
    assert f"at most {MAX_FIELDS}" in message


def test_fragments_that_double_at_each_level_are_counted_expanded(emulator: Emulator) -> None:
    # A few hundred bytes that would select 2^11 fields: each fragment uses the next twice.
    levels = 11
    fragments = [
        f"fragment F{i} on Query {{ a: helpCenters {{ b{i}: __typename }} ...F{i + 1} "
        f"x{i}: __typename ...F{i + 1} }}"
        for i in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Query {{ __typename }}")
    query = "{ ...F0 }\n" + "\n".join(fragments)
    assert len(query) < 2000
    assert_graphql_error(emulator.post(query), 400, "GRAPHQL_VALIDATION_FAILED")


NESTED_PAGES = """
query($first: Int) {
  helpCenters(first: $first) { edges { node {
    articles(first: $first) { edges { node {
      helpCenter { articles(first: $first) { edges { node { id } } } }
    } } }
  } } }
}
"""


def test_page_sizes_multiply_into_the_cost(emulator: Emulator) -> None:
    # 100 x 100 x 100 pages: refused by its estimated cost, before anything runs.
    for literal in ("100", "50"):
        query = NESTED_PAGES.replace("query($first: Int)", "query").replace("$first", literal)
        message = assert_graphql_error(emulator.post(query), 400, "GRAPHQL_VALIDATION_FAILED")
        assert "Ask for smaller pages" in message
    # The same document with the sizes given as variables: the values decide.
    big = emulator.post(NESTED_PAGES, {"first": 100})
    assert_graphql_error(big, 400, "GRAPHQL_VALIDATION_FAILED")
    unknown = emulator.post(NESTED_PAGES, {})  # a variable not given: the largest page
    assert_graphql_error(unknown, 400, "GRAPHQL_VALIDATION_FAILED")
    small = emulator.post(NESTED_PAGES, {"first": 3})
    assert small.status_code == 200 and "errors" not in small.json()


def test_pages_are_capped_at_100(emulator: Emulator) -> None:
    hc = emulator.help_center_id
    for first in (101, 10_000, 2**31 - 1):
        query = (
            f'{{ helpCenter(id: "{hc}") {{ articles(first: {first}) {{ edges {{ cursor }} }} }} }}'
        )
        errors = emulator.post(query).json()["errors"]
        assert "must not be greater than 100" in errors[0]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "{ " + "__typename " * (MAX_TOKENS + 1) + "}",
        "{ helpCenters { " + "edges { " * 4000 + "cursor" + " }" * 4001 + " }",
        "{ " + "a: __typename, " * 5000 + "}",
    ],
    ids=["many-tokens", "deep-braces", "many-aliases"],
)
def test_documents_too_large_to_parse_are_refused_early(emulator: Emulator, query: str) -> None:
    started = time.monotonic()
    response = emulator.post(query)
    assert time.monotonic() - started < 5
    assert_graphql_error(response, 400, "GRAPHQL_PARSE_FAILED")


@pytest.mark.parametrize(
    "argument", ["[" * 3000 + "]" * 3000, "{a: " * 3000 + "1" + "}" * 3000], ids=["list", "object"]
)
def test_deeply_nested_argument_values_are_parse_errors(emulator: Emulator, argument: str) -> None:
    response = emulator.post(f"{{ helpCenter(id: {argument}) {{ id }} }}")
    assert_graphql_error(response, 400, "GRAPHQL_PARSE_FAILED")


def test_a_heavy_query_does_not_hold_up_other_requests(emulator: Emulator) -> None:
    """Queries run in worker threads: while several heavy ones (each within the limits) run,
    the web view and small queries still answer."""
    for i in range(100):
        emulator.upsert_article(title=f"Article {i}", status="PUBLISHED")
    hc = emulator.help_center_id
    heavy = (
        f'{{ helpCenter(id: "{hc}") {{ articles(first: 100) {{ edges {{ node {{ '
        "helpCenter { articles(first: 100) { edges { node { id title } } } } "
        "} } } } }"
    )
    started = time.monotonic()
    assert emulator.post(heavy).status_code == 200
    alone = time.monotonic() - started

    results: list[int] = []

    def run_heavy() -> None:
        with httpx.Client(timeout=120) as client:
            response = client.post(
                emulator.url,
                json={"query": heavy},
                headers={"Authorization": f"Bearer {emulator.api_key}"},
            )
            results.append(response.status_code)

    threads = [threading.Thread(target=run_heavy) for _ in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(alone / 4)  # the heavy queries are running
    waits = []
    with httpx.Client(timeout=120) as client:
        while any(thread.is_alive() for thread in threads):
            asked = time.monotonic()
            assert client.get(emulator.base_url + "/").status_code == 200
            waits.append(time.monotonic() - asked)
            time.sleep(0.02)
    for thread in threads:
        thread.join()
    assert results == [200] * 6
    assert waits, "the heavy queries ended before the web view was asked"
    # Served on the event loop, each page would wait for the running queries, each of which
    # takes `alone` seconds; in threads it waits only for its share of the processor.
    assert max(waits) < max(alone, 0.2), (alone, sorted(waits)[-5:])


# --- (c) Malformed JSON: a JSON 400, never a plain-text 500 ---------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"a":' * 100_000,
        b'{"query": "{ __typename }", "variables": {"x": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}}",
        b'{"query": "{ __typename }", "variables": ' + b'{"x":' * 50_000 + b"1" + b"}" * 50_001,
        b'{"query": "{ __typename }", "variables": {"n": ' + b"9" * 5000 + b"}}",
        b"\xff\xfe{}",
        b"",
        b'{"query": "{ __typename }"',
        b'"just a string"',
        b"null",
    ],
    ids=[
        "nested-lists",
        "nested-objects",
        "nested-variables",
        "nested-variable-objects",
        "huge-number",
        "not-utf8",
        "empty",
        "truncated",
        "string",
        "null",
    ],
)
def test_malformed_json_is_a_json_400(emulator: Emulator, body: bytes) -> None:
    response = post_raw(emulator, body, **{"Content-Type": "application/json"})
    assert_graphql_error(response, 400, "BAD_REQUEST")


def test_nested_variables_within_the_parser_limit_are_bad_user_input(emulator: Emulator) -> None:
    nested: Any = "x"
    for _ in range(200):
        nested = [nested]
    response = emulator.post("query($id: ID!) { helpCenter(id: $id) { id } }", {"id": nested})
    assert_graphql_error(response, 400, "BAD_USER_INPUT")


def test_the_emulator_log_stays_clean(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False)
    for body in (b"[" * 100_000, b"{" * 50_000):
        assert post_raw(emulator, body).status_code == 400
    emulator.post("{ helpCenters { " + "edges { " * 4000 + "cursor" + " }" * 4001 + " }")
    assert "Traceback" not in emulator.log()


# --- (d) Uploads: nothing is read before the request is known to be acceptable --------------

CREATE_UPLOAD = """
mutation($input: CreateWorkspaceFileUploadUrlInput!) {
  createWorkspaceFileUploadUrl(input: $input) {
    workspaceFileUploadUrl { uploadFormUrl uploadFormData { key value } workspaceFile { id } }
    error { message }
  }
}
"""


def create_upload(emulator: Emulator, name: str, size: int) -> dict[str, Any]:
    variables = {"input": {"fileName": name, "fileSizeBytes": size, "visibility": "PUBLIC"}}
    created = emulator.gql(CREATE_UPLOAD, variables)["createWorkspaceFileUploadUrl"]
    upload: dict[str, Any] = created["workspaceFileUploadUrl"]
    return upload


def send_headers_only(
    emulator: Emulator, path: str, headers: dict[str, str], method: str = "POST"
) -> tuple[int, float]:
    """Send a request's head promising a body, and none of the body: the status the server
    answers with anyway, and how long that took."""
    host, port = emulator.base_url.removeprefix("http://").rsplit(":", 1)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        sock.sendall(b"--x\r\n")  # a first few bytes of a body that never comes
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    waited = time.monotonic() - started
    return int(answer.split(b" ", 2)[1]), waited


FORM = "multipart/form-data; boundary=x"


def test_uploads_to_unknown_files_are_refused_unread(emulator: Emulator) -> None:
    for file_id in ("wf_01NOPE", "..", "%2e%2e", "x" * 300, "%27%20OR%201%3D1%20--"):
        status, waited = send_headers_only(
            emulator, f"/uploads/{file_id}", {"Content-Type": FORM, "Content-Length": "40000000"}
        )
        assert status == 404 and waited < 5, file_id


def test_uploads_of_more_than_declared_are_refused_unread(emulator: Emulator) -> None:
    upload = create_upload(emulator, "small.png", 10)
    path = httpx.URL(upload["uploadFormUrl"]).path
    status, waited = send_headers_only(
        emulator, path, {"Content-Type": FORM, "Content-Length": str(40_000_000)}
    )
    assert status == 413 and waited < 5
    status, _ = send_headers_only(
        emulator, path, {"Content-Type": "text/plain", "Content-Length": "99"}
    )
    assert status == 400


def test_uploads_whose_url_expired_are_refused_unread(emulator: Emulator) -> None:
    upload = create_upload(emulator, "late.png", 10)
    file_id = upload["workspaceFile"]["id"]
    assert emulator.db_path is not None
    with sqlite3.connect(emulator.db_path) as db:  # two hours later, as far as it knows
        db.execute("UPDATE workspace_files SET upload_expires_at = 1 WHERE id = ?", (file_id,))
    path = httpx.URL(upload["uploadFormUrl"]).path
    status, waited = send_headers_only(
        emulator, path, {"Content-Type": FORM, "Content-Length": "5000"}
    )
    assert status == 403 and waited < 5
    fields = {pair["key"]: pair["value"] for pair in upload["uploadFormData"]}
    whole = httpx.post(
        upload["uploadFormUrl"],
        data=fields,
        files={"file": ("late.png", b"0123456789")},
        timeout=10,
    )
    assert whole.status_code == 403 and "expired" in whole.text


def nested_form(depth: int) -> bytes:
    """A multipart body whose one part is a multipart, whose one part is... `depth` deep."""
    part = b'Content-Disposition: form-data; name="file"\r\n\r\nxx'
    for i in range(depth, 0, -1):
        head = f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode()
        part = head + part + f"\r\n--b{i}--".encode()
    return b"--b0\r\n" + part + b"\r\n--b0--\r\n"


@pytest.mark.parametrize("depth", [1, 3000])
def test_a_form_nested_in_itself_is_a_400(emulator: Emulator, depth: int) -> None:
    body = nested_form(depth)
    upload = create_upload(emulator, "nested.png", len(body))
    response = httpx.post(
        upload["uploadFormUrl"],
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b0"},
        timeout=10,
    )
    if depth == 1:  # read, and refused for what it lacks: a `file` field at the top
        assert response.status_code == 400 and "no `file` field" in response.text
    else:  # never a 500
        assert response.status_code == 400 and "nests parts too deeply" in response.text


def test_an_uploaded_file_keeps_its_bytes(emulator: Emulator) -> None:
    upload = create_upload(emulator, "kept.png", 10)
    fields = {pair["key"]: pair["value"] for pair in upload["uploadFormData"]}

    def send(content: bytes) -> httpx.Response:
        return httpx.post(
            upload["uploadFormUrl"], data=fields, files={"file": ("kept.png", content)}, timeout=10
        )

    assert send(b"0123456789").status_code == 204
    assert send(b"0123456789").status_code == 204  # a retry of the same upload
    other = send(b"9876543210")
    assert other.status_code == 409 and "createWorkspaceFileUploadUrl" in other.text
    url = emulator.gql(
        "mutation($id: ID!) { createWorkspaceFileDownloadUrl(input: {workspaceFileId: $id}) "
        "{ workspaceFileDownloadUrl { downloadUrl } } }",
        {"id": upload["workspaceFile"]["id"]},
    )["createWorkspaceFileDownloadUrl"]["workspaceFileDownloadUrl"]["downloadUrl"]
    got = httpx.get(url, timeout=10)
    assert got.content == b"0123456789"
    # Served from the emulator's origin: a script in an uploaded file must not run there.
    assert "sandbox" in got.headers["content-security-policy"]
    assert got.headers["x-content-type-options"] == "nosniff"


# --- (e) Slugs: what Plain's public URL /article/<slug> can carry ----------------------------

REFUSED_SLUGS = [
    ".",
    "..",
    "../etc",
    "a/b",
    "/",
    "%2e",
    "%2e%2e",
    "a%2fb",
    "-",
    "---",
    "",
    " ",
    " spaced",
    "spaced ",
    "tab\there",
    "new\nline",
    "a.b",
    "a_b",
    "café",
    "<b>",
    "a?b",
    "a#b",
    "a\\b",
    "\u200bzero-width",
]
ACCEPTED_SLUGS = {"a": "a", "1": "1", "Mixed-Case": "mixed-case", "a--b": "a--b", "-a-": "-a-"}

ARTICLE = """
mutation($input: UpsertHelpCenterArticleInput!) {
  upsertHelpCenterArticle(input: $input) {
    helpCenterArticle { slug }
    error { code fields { field type } }
  }
}
"""
GROUP = """
mutation($input: CreateHelpCenterArticleGroupInput!) {
  createHelpCenterArticleGroup(input: $input) {
    helpCenterArticleGroup { slug }
    error { code fields { field type } }
  }
}
"""


def _slug_results(emulator: Emulator, slug: str) -> list[dict[str, Any]]:
    hc = emulator.help_center_id
    article = emulator.gql(
        ARTICLE,
        {"input": {"helpCenterId": hc, "title": "T", "contentHtml": "<p>x</p>", "slug": slug}},
    )["upsertHelpCenterArticle"]
    group = emulator.gql(GROUP, {"input": {"helpCenterId": hc, "name": "G", "slug": slug}})[
        "createHelpCenterArticleGroup"
    ]
    return [article, group]


def test_slugs_a_url_cannot_carry_are_validation_errors(emulator: Emulator) -> None:
    for slug in REFUSED_SLUGS:
        for result in _slug_results(emulator, slug):
            assert result["error"] == {
                "code": "input_validation",
                "fields": [{"field": "slug", "type": "VALIDATION"}],
            }, slug
    # Nothing was stored under any of them.
    assert emulator.index()["navIndex"] == []
    found = emulator.gql(
        'query($hc: ID!) { helpCenterArticleBySlug(helpCenterId: $hc, slug: "..") { id } }',
        {"hc": emulator.help_center_id},
    )
    assert found == {"helpCenterArticleBySlug": None}


def test_slugs_of_letters_digits_and_dashes_are_kept_lowercased(emulator: Emulator) -> None:
    for slug, stored in ACCEPTED_SLUGS.items():
        article, group = _slug_results(emulator, slug)
        assert article["error"] is None and article["helpCenterArticle"]["slug"] == stored
        assert group["error"] is None and group["helpCenterArticleGroup"]["slug"] == stored


# --- (a) The web view: stored HTML is cleaned, and no page may run a script -----------------

PAYLOADS = [
    "<script>window.pwned = 1</script>",
    '<img src=x onerror="window.pwned = 2">',
    '<a href="javascript:window.pwned = 3">a</a>',
    '<a href="&#106;avascript:window.pwned = 4">entity</a>',
    '<a href="JaVaScRiPt:window.pwned = 5">case</a>',
    "<svg><script>window.pwned = 6</script></svg>",
    '<svg onload="window.pwned = 7"></svg>',
    '<iframe src="javascript:parent.pwned = 8"></iframe>',
    '<iframe srcdoc="<script>parent.pwned = 9</script>"></iframe>',
    '<object data="javascript:window.pwned = 10"></object>',
    '<embed src="javascript:window.pwned = 11">',
    '<form action="javascript:window.pwned = 12"><button id="b">go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.pwned = 13">',
    '<base href="javascript:window.pwned = 14//">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<style>body { display: none }</style>",
    '<div style="background-image: url(javascript:window.pwned = 15)">bg</div>',
    '<p style="position: fixed; top: 0; left: 0; width: 100%; height: 100%">overlay</p>',
    '<details open ontoggle="window.pwned = 16">d</details>',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.pwned = 17">',
    '<input type="text" name="password" placeholder="Your password">',
    "<!-- <script>window.pwned = 18</script> -->",
    '<noscript><p title="</noscript><img src=x onerror=window.pwned=19>"></noscript>',
]


def _published_payloads(emulator: Emulator) -> str:
    emulator.upsert_article(
        title="Payloads",
        slug="payloads",
        status="PUBLISHED",
        contentHtml="<p>Before</p>" + "".join(PAYLOADS) + "<p>After</p>",
    )
    return f"{emulator.base_url}/help-centers/{emulator.help_center_id}/article/payloads"


class _Tags(HTMLParser):
    """Every start tag with its attributes, and every comment, of an HTML text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


FORBIDDEN_TAGS = {
    "script", "iframe", "object", "embed", "form", "button", "meta", "base", "link",
    "style", "svg", "math", "noscript", "template",
}  # fmt: skip


def test_the_web_view_shows_stored_html_cleaned(emulator: Emulator) -> None:
    response = httpx.get(_published_payloads(emulator), timeout=10)
    assert response.status_code == 200
    served = response.text.split('<div class="content">', 1)[1].split("</article>", 1)[0]
    assert "<p>Before</p>" in served and "<details>d</details>" in served
    parsed = _Tags()
    parsed.feed(served)
    assert parsed.comments == []
    for tag, attributes in parsed.tags:
        assert tag not in FORBIDDEN_TAGS, (tag, attributes)
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name)
            assert "javascript" not in value.lower().replace(" ", ""), (tag, name, value)
            assert "position" not in value and "url(" not in value, (tag, name, value)
        if tag == "input":
            assert attributes.get("type") == "checkbox"
    # The API still serves the HTML as it was published.
    stored = emulator.gql(
        'query($hc: ID!) { helpCenterArticleBySlug(helpCenterId: $hc, slug: "payloads") '
        "{ contentHtml } }",
        {"hc": emulator.help_center_id},
    )["helpCenterArticleBySlug"]["contentHtml"]
    assert "<script>window.pwned = 1</script>" in stored


def test_every_web_view_page_forbids_scripts(emulator: Emulator) -> None:
    page = _published_payloads(emulator)
    hc = emulator.help_center_id
    for url in (
        emulator.base_url + "/",
        f"{emulator.base_url}/help-centers/{hc}",
        page,
        f"{emulator.base_url}/help-centers/{hc}/article/missing",
        f"{emulator.base_url}/help-centers/hc_01NOPE",
    ):
        response = httpx.get(url, timeout=10)
        policy = response.headers["content-security-policy"]
        directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
        assert directives["default-src"] == ["'none'"], url
        assert directives["script-src"] == ["'none'"], url
        assert directives["base-uri"] == ["'none'"] and directives["form-action"] == ["'none'"]
        assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.browser
def test_no_payload_runs_or_covers_the_header_in_a_browser(emulator: Emulator) -> None:
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    emulator.upsert_article(
        title="Redress",
        slug="redress",
        status="PUBLISHED",
        contentHtml=(
            '<p style="margin: -400px 0 0 -400px; padding: 600px; background-color: white;'
            ' font-size: 40px; line-height: 3"><a href="https://evil.example/">Sign in again</a></p>'
        ),
    )
    page_url = _published_payloads(emulator)
    redress_url = page_url.replace("/payloads", "/redress")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda dialog: dialogs.append(dialog.message))
            page.goto(page_url)
            page.wait_for_timeout(300)
            pwned = page.evaluate("() => window.pwned ?? null")
            page.goto(redress_url)
            # What is drawn where the emulator's header link is: the header, not the article.
            on_top = page.evaluate(
                """() => {
                  const link = document.querySelector('body > header a');
                  const box = link.getBoundingClientRect();
                  const hit = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
                  return hit === link || link.contains(hit);
                }"""
            )
        finally:
            browser.close()
    assert pwned is None and dialogs == []
    assert on_top


def test_json_errors_name_what_to_fix(emulator: Emulator) -> None:
    body = json.dumps({"query": "{ __typename }", "variables": [1]}).encode()
    message = assert_graphql_error(post_raw(emulator, body), 400, "BAD_REQUEST")
    assert "variables" in message
