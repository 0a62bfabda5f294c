"""PlainClient against httpx.MockTransport: requests sent, results parsed, errors mapped."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from publisher import __version__
from publisher.plain import (
    ArticleWrite,
    AuthenticationError,
    ForbiddenError,
    GraphQLResponseError,
    HelpCenter,
    HTTPError,
    IndexEntry,
    InvalidResponseError,
    MutationError,
    NetworkError,
    NotFoundError,
    PlainClient,
    RateLimitedError,
    RemoteArticle,
    RemoteGroup,
    RetryPolicy,
    ServerError,
    UploadedFile,
)

API_URL = "https://plain.test/graphql/v1"
API_KEY = "plainApiKey_TESTSECRET_0123456789"
HC = "hc_1"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that records requests and answers from a routing function."""

    def __init__(self, route: Handler) -> None:
        self.route = route
        self.requests: list[httpx.Request] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
        return self.route(request)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.url == API_URL]


def gql(data: Any = None, *, errors: Any = None, status: int = 200) -> httpx.Response:
    body: dict[str, Any] = {"data": data}
    if errors is not None:
        body["errors"] = errors
    return httpx.Response(status, json=body)


def make_client(route: Handler, **kwargs: Any) -> tuple[PlainClient, Recorder]:
    recorder = Recorder(route)
    kwargs.setdefault("sleep", lambda _s: None)
    client = PlainClient(API_URL, API_KEY, transport=httpx.MockTransport(recorder), **kwargs)
    return client, recorder


def article_node(n: int = 1, **overrides: Any) -> dict[str, Any]:
    node = {
        "id": f"art_{n}",
        "slug": f"article-{n}",
        "title": f"Article {n}",
        "description": None,
        "icon": None,
        "contentHtml": f"<p>{n}</p>",
        "status": "PUBLISHED",
        "articleGroup": None,
        "updatedAt": {"iso8601": "2024-05-01T10:00:00.000Z"},
    }
    node.update(overrides)
    return node


def group_node(n: int = 1, parent: str | None = None) -> dict[str, Any]:
    return {
        "id": f"grp_{n}",
        "slug": f"group-{n}",
        "name": f"Group {n}",
        "parentArticleGroup": {"id": parent} if parent else None,
        "updatedAt": {"iso8601": "2024-05-01T10:00:00.000Z"},
    }


def index_node(hash_: str = "h1") -> dict[str, Any]:
    return {
        "helpCenterId": HC,
        "hash": hash_,
        "navIndex": [
            {"type": "ARTICLE_GROUP", "id": "grp_1", "parentId": None, "title": "G", "slug": "g"},
            {"type": "ARTICLE", "id": "art_1", "parentId": "grp_1", "title": "A", "slug": "a"},
            {"type": "ARTICLE", "id": "art_2", "parentId": None, "title": "B", "slug": "b"},
        ],
    }


def mutation_error(code: str = "input_validation", type_: str = "VALIDATION", **kw: Any) -> Any:
    return {
        "message": kw.get("message", "Input validation failed"),
        "type": type_,
        "code": code,
        "fields": kw.get("fields", []),
    }


# -- transport basics -----------------------------------------------------------------------


def test_request_shape_headers_and_body() -> None:
    client, rec = make_client(lambda r: gql({"helpCenterArticle": article_node()}))
    with client:
        client.get_article("art_1")
    request = rec.requests[0]
    assert request.method == "POST"
    assert str(request.url) == API_URL
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["User-Agent"] == f"publisher/{__version__}"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert body["operationName"] == "HelpCenterArticle"
    assert body["variables"] == {"id": "art_1"}
    assert "query HelpCenterArticle(" in body["query"]
    # Only the operation and its fragments are sent, not the whole operations file.
    assert "mutation" not in body["query"]
    assert "fragment ArticleFields" in body["query"]


def test_empty_key_is_refused_without_echo() -> None:
    with pytest.raises(ValueError, match="PLAIN_API_KEY"):
        PlainClient(API_URL, "  ")


def test_timeout_is_configurable() -> None:
    client = PlainClient(API_URL, API_KEY, timeout=httpx.Timeout(5.0, connect=2.0))
    assert client._http.timeout.connect == 2.0
    assert client._http.timeout.read == 5.0
    client.close()
    assert client._http.is_closed


def test_context_manager_closes_pool() -> None:
    client, _ = make_client(lambda r: gql({}))
    with client as entered:
        assert entered is client
    assert client._http.is_closed


# -- queries --------------------------------------------------------------------------------


def test_get_article_parses_all_fields() -> None:
    node = article_node(
        7,
        description="Short",
        icon="book",
        status="DRAFT",
        articleGroup={"id": "grp_3"},
    )
    client, _ = make_client(lambda r: gql({"helpCenterArticle": node}))
    article = client.get_article("art_7")
    assert article == RemoteArticle(
        id="art_7",
        slug="article-7",
        title="Article 7",
        description="Short",
        icon="book",
        content_html="<p>7</p>",
        status="DRAFT",
        group_id="grp_3",
        updated_at="2024-05-01T10:00:00.000Z",
    )


@pytest.mark.parametrize(
    ("method", "field"),
    [
        ("get_article", "helpCenterArticle"),
        ("get_group", "helpCenterArticleGroup"),
    ],
)
def test_missing_entities_are_none(method: str, field: str) -> None:
    client, _ = make_client(lambda r: gql({field: None}))
    assert getattr(client, method)("nope") is None


def test_lookups_by_slug() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert body["variables"] == {"helpCenterId": HC, "slug": "s"}
        if body["operationName"] == "HelpCenterArticleBySlug":
            return gql({"helpCenterArticleBySlug": article_node(1)})
        return gql({"helpCenterArticleGroupBySlug": group_node(2, parent="grp_1")})

    client, _ = make_client(route)
    article = client.get_article_by_slug(HC, "s")
    assert article is not None
    assert article.id == "art_1"
    assert client.get_group_by_slug(HC, "s") == RemoteGroup(
        id="grp_2",
        slug="group-2",
        name="Group 2",
        parent_id="grp_1",
        updated_at="2024-05-01T10:00:00.000Z",
    )


def test_get_index_is_flat_in_sidebar_order() -> None:
    client, rec = make_client(lambda r: gql({"helpCenterIndex": index_node("abc")}))
    index = client.get_index(HC)
    assert rec.bodies()[0]["variables"] == {"helpCenterId": HC}
    assert index.hash == "abc"
    assert index.help_center_id == HC
    assert index.entries == (
        IndexEntry("ARTICLE_GROUP", "grp_1"),
        IndexEntry("ARTICLE", "art_1", "grp_1"),
        IndexEntry("ARTICLE", "art_2"),
    )
    # Title and slug are informational: they do not take part in equality.
    assert index.entries[1].title == "A"
    assert IndexEntry("ARTICLE", "art_1", "grp_1", title="other") == index.entries[1]


def test_get_index_missing_is_not_found() -> None:
    client, _ = make_client(lambda r: gql({"helpCenterIndex": None}))
    with pytest.raises(NotFoundError) as info:
        client.get_index(HC)
    assert info.value.operation == "HelpCenterIndex"


def test_list_help_centers() -> None:
    node = {
        "id": HC,
        "publicName": "Docs",
        "internalName": "docs",
        "domainSettings": {"domainName": "docs.example.com", "customDomainName": None},
    }
    page = {"edges": [{"node": node}], "pageInfo": {"hasNextPage": False, "endCursor": "c"}}
    client, _ = make_client(lambda r: gql({"helpCenters": page}))
    assert client.list_help_centers() == [
        HelpCenter(HC, "Docs", "docs", domain_name="docs.example.com")
    ]


def _paged(items: list[dict[str, Any]], field: str, page_size: int) -> Handler:
    """A help center connection served in pages, with opaque cursors."""

    def route(request: httpx.Request) -> httpx.Response:
        variables = json.loads(request.content)["variables"]
        assert variables["helpCenterId"] == HC
        first = variables["first"]
        assert first == page_size
        start = 0 if variables["after"] is None else int(variables["after"].removeprefix("c"))
        chunk = items[start : start + first]
        end = start + len(chunk)
        connection = {
            "edges": [{"cursor": f"c{start + i + 1}", "node": n} for i, n in enumerate(chunk)],
            "pageInfo": {"hasNextPage": end < len(items), "endCursor": f"c{end}"},
        }
        return gql({"helpCenter": {"id": HC, field: connection}})

    return route


def test_list_articles_walks_every_page_with_first_100() -> None:
    items = [article_node(n) for n in range(250)]
    client, rec = make_client(_paged(items, "articles", 100))
    articles = client.list_articles(HC)
    assert [a.id for a in articles] == [f"art_{n}" for n in range(250)]
    assert [b["variables"]["after"] for b in rec.bodies()] == [None, "c100", "c200"]
    assert client.stats.requests == 3


def test_list_groups_paginates_with_custom_page_size() -> None:
    items = [group_node(n) for n in range(5)]
    client, rec = make_client(_paged(items, "articleGroups", 2), page_size=2)
    groups = client.list_groups(HC)
    assert [g.id for g in groups] == [f"grp_{n}" for n in range(5)]
    assert len(rec.requests) == 3


def test_list_articles_unknown_help_center() -> None:
    client, _ = make_client(lambda r: gql({"helpCenter": None}))
    with pytest.raises(NotFoundError, match="hc_1") as info:
        client.list_articles(HC)
    assert info.value.operation == "HelpCenterArticles"


def test_pagination_that_does_not_advance_is_an_error() -> None:
    connection = {
        "edges": [{"cursor": "x", "node": article_node()}],
        "pageInfo": {"hasNextPage": True, "endCursor": "x"},
    }
    client, rec = make_client(lambda r: gql({"helpCenter": {"id": HC, "articles": connection}}))
    with pytest.raises(InvalidResponseError, match="did not advance"):
        client.list_articles(HC)
    assert len(rec.requests) == 2


def test_unexpected_shape_is_invalid_response() -> None:
    client, _ = make_client(lambda r: gql({"helpCenterArticle": {"id": "a"}}))
    with pytest.raises(InvalidResponseError) as info:
        client.get_article("a")
    assert info.value.operation == "HelpCenterArticle"


# -- mutations ------------------------------------------------------------------------------


def test_upsert_article_create_and_update_inputs() -> None:
    client, rec = make_client(
        lambda r: gql(
            {"upsertHelpCenterArticle": {"helpCenterArticle": article_node(1), "error": None}}
        )
    )
    created = client.upsert_article(
        HC, title="T", content_html="<p>x</p>", slug="t", status="PUBLISHED"
    )
    client.upsert_article(
        HC,
        article_id="art_1",
        group_id="grp_1",
        title="T",
        description="d",
        icon="i",
        content_html="<p>x</p>",
        slug="t",
        status="PUBLISHED",
    )
    assert created.id == "art_1"
    create_input, update_input = (b["variables"]["input"] for b in rec.bodies())
    assert "helpCenterArticleId" not in create_input
    assert create_input == {
        "helpCenterId": HC,
        "helpCenterArticleGroupId": None,
        "title": "T",
        "description": None,
        "icon": None,
        "contentHtml": "<p>x</p>",
        "slug": "t",
        "status": "PUBLISHED",
    }
    assert update_input["helpCenterArticleId"] == "art_1"
    assert update_input["helpCenterArticleGroupId"] == "grp_1"
    assert update_input["description"] == "d"
    assert update_input["icon"] == "i"


def test_slug_conflict_is_recognisable() -> None:
    error = mutation_error(
        fields=[{"field": "slug", "message": "already in use", "type": "VALIDATION"}]
    )
    client, rec = make_client(
        lambda r: gql({"upsertHelpCenterArticle": {"helpCenterArticle": None, "error": error}})
    )
    with pytest.raises(MutationError) as info:
        client.upsert_article(HC, title="T", content_html="", slug="dup", status="DRAFT")
    exc = info.value
    assert str(exc) == "slug: already in use (input_validation)"
    assert exc.is_slug_conflict
    assert not exc.transient
    assert exc.operation == "UpsertHelpCenterArticle"
    assert exc.type == "VALIDATION"
    assert exc.code == "input_validation"
    assert exc.plain_message == "Input validation failed"
    assert [f.field for f in exc.fields] == ["slug"]
    assert exc.field_errors("slug")[0].message == "already in use"
    assert len(rec.requests) == 1  # validation errors are never retried


def test_mutation_error_keeps_every_field_error() -> None:
    exc = MutationError.from_payload(
        mutation_error(
            fields=[
                {"field": "title", "message": "is required", "type": "REQUIRED"},
                {"field": "slug", "message": "must be lowercase", "type": "VALIDATION"},
            ]
        ),
        operation="UpsertHelpCenterArticle",
    )
    assert str(exc) == "title: is required; slug: must be lowercase (input_validation)"
    assert len(exc.fields) == 2
    required_only = MutationError.from_payload(
        mutation_error(fields=[{"field": "slug", "message": "x", "type": "REQUIRED"}]),
        operation="x",
    )
    assert not required_only.is_slug_conflict
    no_fields = MutationError.from_payload(
        mutation_error("forbidden", "FORBIDDEN", message="missing helpCenter:edit"), operation="x"
    )
    assert str(no_fields) == "missing helpCenter:edit (forbidden)"
    assert "FORBIDDEN" in repr(no_fields)


def test_delete_article_and_missing_ok() -> None:
    outcomes = iter([None, mutation_error("not_found", message="not found"), None])

    def route(request: httpx.Request) -> httpx.Response:
        return gql({"deleteHelpCenterArticle": {"error": next(outcomes)}})

    client, rec = make_client(route)
    assert client.delete_article("art_1") is True
    assert client.delete_article("art_1", missing_ok=True) is False
    assert rec.bodies()[0]["variables"] == {"input": {"helpCenterArticleId": "art_1"}}
    outcomes = iter([mutation_error("not_found", message="not found")])
    with pytest.raises(MutationError) as info:
        client.delete_article("art_1")
    assert info.value.is_not_found


def test_group_mutations() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        op = body["operationName"]
        if op == "CreateHelpCenterArticleGroup":
            parent = body["variables"]["input"].get("parentHelpCenterArticleGroupId")
            return gql(
                {
                    "createHelpCenterArticleGroup": {
                        "helpCenterArticleGroup": group_node(2, parent=parent),
                        "error": None,
                    }
                }
            )
        if op == "UpdateHelpCenterArticleGroup":
            node = group_node(2) | {"name": body["variables"]["input"]["name"]}
            return gql(
                {"updateHelpCenterArticleGroup": {"helpCenterArticleGroup": node, "error": None}}
            )
        return gql({"deleteHelpCenterArticleGroup": {"error": None}})

    client, rec = make_client(route)
    top = client.create_group(HC, name="Group 2", slug="group-2")
    child = client.create_group(HC, name="Group 2", slug="group-2", parent_id="grp_1")
    renamed = client.update_group("grp_2", name="Renamed")
    assert client.delete_group("grp_2")
    assert top.parent_id is None
    assert child.parent_id == "grp_1"
    assert renamed.name == "Renamed"
    inputs = [b["variables"]["input"] for b in rec.bodies()]
    assert inputs[0] == {"helpCenterId": HC, "name": "Group 2", "slug": "group-2"}
    assert inputs[1]["parentHelpCenterArticleGroupId"] == "grp_1"
    assert inputs[2] == {"helpCenterArticleGroupId": "grp_2", "name": "Renamed"}
    assert inputs[3] == {"helpCenterArticleGroupId": "grp_2"}


def test_update_index_sends_entries_in_order() -> None:
    client, rec = make_client(
        lambda r: gql(
            {"updateHelpCenterIndex": {"helpCenterIndex": index_node("h2"), "error": None}}
        )
    )
    entries = [
        IndexEntry("ARTICLE_GROUP", "grp_1"),
        IndexEntry("ARTICLE", "art_1", "grp_1", title="ignored"),
    ]
    index = client.update_index(HC, hash="h1", entries=entries)
    assert index.hash == "h2"
    assert rec.bodies()[0]["variables"]["input"] == {
        "helpCenterId": HC,
        "hash": "h1",
        "helpCenterIndex": [
            {"type": "ARTICLE_GROUP", "entityId": "grp_1", "parentId": None},
            {"type": "ARTICLE", "entityId": "art_1", "parentId": "grp_1"},
        ],
    }


def test_update_index_reads_back_when_output_has_no_index() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        if json.loads(request.content)["operationName"] == "UpdateHelpCenterIndex":
            return gql({"updateHelpCenterIndex": {"helpCenterIndex": None, "error": None}})
        return gql({"helpCenterIndex": index_node("h3")})

    client, rec = make_client(route)
    assert client.update_index(HC, hash="h1", entries=[]).hash == "h3"
    assert len(rec.requests) == 2


def test_stale_index_hash_is_a_mutation_error() -> None:
    error = mutation_error(message="hash mismatch")
    client, rec = make_client(
        lambda r: gql({"updateHelpCenterIndex": {"helpCenterIndex": None, "error": error}})
    )
    with pytest.raises(MutationError, match="hash mismatch"):
        client.update_index(HC, hash="old", entries=[])
    assert len(rec.requests) == 1


def _upload_route(storage_status: list[int]) -> Handler:
    statuses = iter(storage_status)

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.host == "files.test":
            return httpx.Response(next(statuses))
        body = json.loads(request.content)
        if body["operationName"] == "CreateWorkspaceFileUploadUrl":
            return gql(
                {
                    "createWorkspaceFileUploadUrl": {
                        "error": None,
                        "workspaceFileUploadUrl": {
                            "workspaceFile": {"id": "wf_1"},
                            "uploadFormUrl": "https://files.test/upload",
                            "uploadFormData": [
                                {"key": "key", "value": "ws/wf_1/screen.png"},
                                {"key": "policy", "value": "abc"},
                            ],
                            "expiresAt": {"iso8601": "2024-05-01T12:00:00.000Z"},
                        },
                    }
                }
            )
        assert body["variables"] == {"input": {"workspaceFileId": "wf_1"}}
        return gql(
            {
                "createWorkspaceFileDownloadUrl": {
                    "error": None,
                    "workspaceFileDownloadUrl": {"downloadUrl": "https://cdn.test/wf_1/screen.png"},
                }
            }
        )

    return route


def test_upload_file_flow_without_key_on_storage_host() -> None:
    client, rec = make_client(_upload_route([503, 204]))
    uploaded = client.upload_file("screen.png", b"\x89PNG data")
    assert uploaded == UploadedFile("wf_1", "screen.png", "https://cdn.test/wf_1/screen.png")
    create, upload_1, upload_2, download = rec.requests
    assert json.loads(create.content)["variables"]["input"] == {
        "fileName": "screen.png",
        "fileSizeBytes": 9,
        "visibility": "PUBLIC",
    }
    for upload in (upload_1, upload_2):
        assert upload.url == "https://files.test/upload"
        assert "Authorization" not in upload.headers
        assert upload.headers["Content-Type"].startswith("multipart/form-data")
        content = upload.content
        assert b'name="key"\r\n\r\nws/wf_1/screen.png' in content
        assert b'name="policy"\r\n\r\nabc' in content
        assert b'name="file"; filename="screen.png"' in content
        assert b"Content-Type: image/png" in content
        # S3-style forms ignore fields after the file.
        assert content.index(b'name="policy"') < content.index(b'name="file"')
    assert client.stats.retries == 1
    assert client.stats.by_operation()["UploadWorkspaceFile"] == 2
    assert "Authorization" in download.headers


def test_upload_rejected_by_storage_is_not_retried() -> None:
    client, rec = make_client(_upload_route([403]))
    with pytest.raises(ForbiddenError, match="file upload") as info:
        client.upload_file("a.png", b"x")
    assert info.value.operation == "UploadWorkspaceFile"
    assert len(rec.requests) == 2


# -- error mapping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (401, AuthenticationError),
        (403, ForbiddenError),
        (404, HTTPError),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
def test_http_status_mapping(status: int, error_type: type[Exception]) -> None:
    client, _ = make_client(
        lambda r: httpx.Response(status, json={"message": "nope"}),
        retry=RetryPolicy.disabled(),
    )
    with pytest.raises(error_type) as info:
        client.get_article("a")
    exc = info.value
    assert isinstance(exc, HTTPError)
    assert exc.status_code == status
    assert exc.operation == "HelpCenterArticle"
    assert f"HTTP {status}" in str(exc)
    assert "nope" in str(exc)


def test_rate_limit_carries_retry_after() -> None:
    client, _ = make_client(
        lambda r: httpx.Response(429, headers={"Retry-After": "7"}),
        retry=RetryPolicy.disabled(),
    )
    with pytest.raises(RateLimitedError) as info:
        client.get_article("a")
    assert info.value.retry_after == 7.0
    assert info.value.transient


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (httpx.ConnectError("connection refused"), True),
        (httpx.ConnectTimeout("connect timed out"), True),
        (httpx.ReadTimeout("read timed out"), True),
        (httpx.ReadError("connection reset"), True),
        (httpx.RemoteProtocolError("peer closed connection"), True),
        (httpx.UnsupportedProtocol("bad scheme"), False),
    ],
)
def test_transport_errors_become_network_errors(exc: Exception, transient: bool) -> None:
    def route(request: httpx.Request) -> httpx.Response:
        raise exc

    client, _ = make_client(route, retry=RetryPolicy.disabled())
    with pytest.raises(NetworkError) as info:
        client.get_article("a")
    assert info.value.transient is transient
    assert type(exc).__name__ in str(info.value)
    assert info.value.__cause__ is None  # the httpx error holds the request headers


def test_graphql_errors_in_200() -> None:
    errors = [{"message": "Cannot query field", "extensions": {"code": "GRAPHQL_VALIDATION"}}]
    client, rec = make_client(lambda r: gql(None, errors=errors))
    with pytest.raises(GraphQLResponseError, match="Cannot query field") as info:
        client.get_article("a")
    assert info.value.errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION"
    assert not info.value.transient
    assert len(rec.requests) == 1


def test_graphql_errors_in_400() -> None:
    client, _ = make_client(lambda r: gql(None, errors=[{"message": "Syntax"}], status=400))
    with pytest.raises(GraphQLResponseError) as info:
        client.get_article("a")
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    ("code", "error_type"),
    [("UNAUTHENTICATED", AuthenticationError), ("FORBIDDEN", ForbiddenError)],
)
def test_graphql_auth_codes(code: str, error_type: type[Exception]) -> None:
    errors = [{"message": "no", "extensions": {"code": code}}]
    client, rec = make_client(lambda r: gql(None, errors=errors))
    with pytest.raises(error_type):
        client.get_article("a")
    assert len(rec.requests) == 1


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text="<html>proxy</html>"),
        httpx.Response(200, json=[1, 2]),
        httpx.Response(200, json={"data": None}),
    ],
)
def test_malformed_responses(response: httpx.Response) -> None:
    client, _ = make_client(lambda r: response)
    with pytest.raises(InvalidResponseError):
        client.get_article("a")


def test_mutation_without_payload_or_error_is_invalid() -> None:
    client, _ = make_client(
        lambda r: gql(
            {"createHelpCenterArticleGroup": {"helpCenterArticleGroup": None, "error": None}}
        )
    )
    with pytest.raises(InvalidResponseError) as info:
        client.create_group(HC, name="n", slug="n")
    assert info.value.operation == "CreateHelpCenterArticleGroup"


# -- counters -------------------------------------------------------------------------------


def test_request_counter_is_thread_safe() -> None:
    client, _ = make_client(lambda r: gql({"helpCenterArticle": article_node()}))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(client.get_article, [f"a{n}" for n in range(64)]))
    assert client.stats.requests == 64
    assert client.stats.retries == 0
    assert client.stats.by_operation() == {"HelpCenterArticle": 64}
    assert repr(client.stats) == "ClientStats(requests=64, retries=0)"


def test_several_article_writes_go_in_one_request_each_with_its_answer() -> None:
    def route(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        answers: dict[str, Any] = {}
        for name, value in body["variables"].items():
            n = int(name.removeprefix("input"))
            if value["slug"] == "taken":
                error = {"message": "slug taken", "type": "VALIDATION", "code": "slug_conflict"}
                answers[f"m{n}"] = {"helpCenterArticle": None, "error": error}
            else:
                node = article_node(n, slug=value["slug"])
                del node["contentHtml"]  # not asked back
                answers[f"m{n}"] = {"helpCenterArticle": node, "error": None}
        return gql(answers)

    client, recorder = make_client(route)
    writes = [
        ArticleWrite(title="A", content_html="<p>a</p>", slug="a", status="PUBLISHED"),
        ArticleWrite(title="T", content_html="<p>t</p>", slug="taken", status="DRAFT"),
        ArticleWrite(
            title="B", content_html="<p>b</p>", slug="b", status="PUBLISHED", article_id="art_9"
        ),
    ]
    answers = client.upsert_articles(HC, writes)
    (body,) = recorder.bodies()
    assert body["operationName"] == "UpsertHelpCenterArticleBatch"
    assert [body["variables"][f"input{n}"]["slug"] for n in range(3)] == ["a", "taken", "b"]
    assert body["variables"]["input2"]["helpCenterArticleId"] == "art_9"
    assert "helpCenterArticleId" not in body["variables"]["input0"]
    assert isinstance(answers[0], RemoteArticle) and answers[0].slug == "a"
    assert answers[0].content_html == "<p>a</p>"  # the HTML sent, not asked back
    assert isinstance(answers[1], MutationError)
    assert isinstance(answers[2], RemoteArticle) and answers[2].slug == "b"
    assert client.stats.by_operation() == {"UpsertHelpCenterArticleBatch": 1}


def test_a_batch_is_retried_whole_when_its_request_fails() -> None:
    calls: list[int] = []

    def route(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(502)
        body = json.loads(request.content)
        return gql(
            {
                f"m{n}": {"helpCenterArticle": article_node(n), "error": None}
                for n in range(len(body["variables"]))
            }
        )

    client, _ = make_client(route)
    writes = [
        ArticleWrite(title=f"A{n}", content_html="<p/>", slug=f"a{n}", status="PUBLISHED")
        for n in range(4)
    ]
    answers = client.upsert_articles(HC, writes)
    assert len(calls) == 2 and all(isinstance(answer, RemoteArticle) for answer in answers)
