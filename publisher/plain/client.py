"""Synchronous client for Plain's GraphQL API (help-center content and workspace files)."""

from __future__ import annotations

import json
import logging
import mimetypes
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from publisher import __version__
from publisher.plain import operations
from publisher.plain.errors import (
    RATE_LIMIT_ERROR_CODES,
    AuthenticationError,
    ForbiddenError,
    GraphQLResponseError,
    HTTPError,
    InvalidResponseError,
    MutationError,
    NetworkError,
    NotFoundError,
    PlainError,
    RateLimitedError,
    ServerError,
    error_code,
)
from publisher.plain.models import (
    ArticleStatus,
    FileVisibility,
    HelpCenter,
    IndexEntry,
    RemoteArticle,
    RemoteGroup,
    RemoteIndex,
    UploadedFile,
    UploadTarget,
)
from publisher.plain.pagination import PAGE_SIZE, Page, paginate, walk_both_ends
from publisher.plain.redact import redact
from publisher.plain.retry import (
    RetryPolicy,
    call_with_retries,
    parse_rate_limit_reset,
    parse_retry_after,
)

T = TypeVar("T")

DEFAULT_API_URL = "https://core-api.uk.plain.com/graphql/v1"
#: Connecting should be quick; a read may wait for Plain to render a large page of articles.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

REDACTED = "[redacted]"
UPLOAD_OPERATION = operations.UPLOAD_OPERATION
#: Requests in flight at once while reading a help center (``concurrency``), by default.
DEFAULT_CONCURRENCY = 8
#: Waits at least this long are announced through ``notice``: silence that long looks hung.
NOTICE_WAIT_SECONDS = 5.0
USER_AGENT = f"publisher/{__version__}"

logger = logging.getLogger("publisher.plain")

# Transport failures worth another try: the request may simply not have arrived, or its
# answer was lost. Others (bad URL scheme, proxy misconfiguration) will fail the same way again.
_TRANSIENT_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


class _Secret:
    """Holds the API key so that no repr, vars() dump or debugger view shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return REDACTED

    __str__ = __repr__


class ClientStats:
    """Request counters for summaries and benchmarks; safe to update from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._retries = 0
        self._by_operation: Counter[str] = Counter()

    @property
    def requests(self) -> int:
        """HTTP requests sent, retries and file uploads included."""
        with self._lock:
            return self._requests

    @property
    def writes(self) -> int:
        """Requests that may have changed something in Plain (mutations and file uploads)."""
        with self._lock:
            return sum(n for op, n in self._by_operation.items() if operations.is_write(op))

    @property
    def retries(self) -> int:
        """Requests that were repeats of a failed one (already counted in ``requests``)."""
        with self._lock:
            return self._retries

    def by_operation(self) -> dict[str, int]:
        """Requests sent per operation name."""
        with self._lock:
            return dict(self._by_operation)

    def _record_request(self, operation: str) -> None:
        with self._lock:
            self._requests += 1
            self._by_operation[operation] += 1

    def _record_retry(self) -> None:
        with self._lock:
            self._retries += 1

    def __repr__(self) -> str:
        return f"ClientStats(requests={self.requests}, retries={self.retries})"


def api_url_problem(url: str) -> str | None:
    """Why `url` cannot be a GraphQL endpoint to send the key to, or None when it can."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        return f"the Plain API URL {url!r} is not an http or https URL"
    return None


def upload_url_problem(url: str) -> str | None:
    """Why `url` cannot be where a file is uploaded to, or None when it can: it must be an
    absolute http or https URL with a host that httpx can send to."""
    if not url.strip():
        return "is empty"
    if url != url.strip() or any(c.isspace() or not c.isprintable() for c in url):
        return "has spaces or control characters"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return "is not a valid URL"
    if parsed.scheme not in ("http", "https"):
        return "is not an http or https URL"
    if not parsed.host:
        return "has no host"
    if parsed.port is not None and not 0 < parsed.port < 65536:
        return "has a port out of range"
    try:
        httpx.Request("POST", parsed)
    except (httpx.InvalidURL, ValueError, TypeError):
        return "is not a valid URL"
    return None


@dataclass(frozen=True)
class ArticleWrite:
    """What one upsertHelpCenterArticle sends: a new article without ``article_id``."""

    title: str
    content_html: str
    slug: str
    status: ArticleStatus
    article_id: str | None = None
    group_id: str | None = None
    description: str | None = None
    icon: str | None = None

    def input(self, help_center_id: str) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "helpCenterId": help_center_id,
            "helpCenterArticleGroupId": self.group_id,
            "title": self.title,
            "description": self.description,
            "icon": self.icon,
            "contentHtml": self.content_html,
            "slug": self.slug,
            # Always sent: Plain makes an article without one a DRAFT.
            "status": self.status,
        }
        if self.article_id is not None:
            payload["helpCenterArticleId"] = self.article_id
        return payload

    def written(self, output: Mapping[str, Any]) -> RemoteArticle:
        """The article as Plain answered, with the HTML sent (not asked back)."""
        return RemoteArticle.from_graphql(
            {"contentHtml": self.content_html, **_required(output, "helpCenterArticle")}
        )

    def pair(
        self, help_center_id: str
    ) -> tuple[dict[str, Any], Callable[[Mapping[str, Any]], RemoteArticle]]:
        return self.input(help_center_id), self.written


class PlainClient:
    """One connection pool to Plain, shared by every thread that uses this object.

    Failures raise :class:`~publisher.plain.errors.PlainError` subclasses; transient ones
    are retried first according to ``retry``. ``sleep``, ``clock`` and ``rng`` exist so tests
    can run the retry logic without waiting.
    """

    def __init__(
        self,
        api_url: str,
        api_key: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        page_size: int = PAGE_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> None:
        if not api_key or not api_key.strip():
            raise ValueError("the Plain API key is empty (set PLAIN_API_KEY)")
        if any(not " " <= char <= "~" for char in api_key.strip()):
            # httpx would refuse the header and quote it, key and all, in its error.
            raise ValueError(
                "the Plain API key has a line break, a control character or a non-ASCII "
                "character; copy it again"
            )
        if not 1 <= page_size <= PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {PAGE_SIZE}")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.api_url = api_url
        self._api_key = _Secret(api_key.strip())
        self._retry = retry if retry is not None else RetryPolicy()
        self._page_size = page_size
        #: The most requests :meth:`read_help_center` has in flight at once.
        self.concurrency = concurrency
        self._sleep = sleep
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        self.stats = ClientStats()
        #: Told about the first retry of the client's life and every long wait, which a
        #: person would otherwise take for a hang.
        self._notice = notice
        self._retry_announced = False
        # Set from a 429's Retry-After so that every worker thread holds back, not only the
        # one that was told to.
        self._pause_lock = threading.Lock()
        self._not_before = 0.0
        # The Authorization header is added per GraphQL request, not here, so that uploads to
        # the file store (another host) never carry the key.
        self._http = httpx.Client(
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"PlainClient(api_url={self.api_url!r}, api_key={REDACTED})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- queries ---------------------------------------------------------------------------

    def list_help_centers(self) -> list[HelpCenter]:
        """Every help center of the workspace."""
        return self._paginate(
            "HelpCenters", {}, lambda data: data["helpCenters"], HelpCenter.from_graphql
        )

    def my_permissions(self) -> frozenset[str]:
        """The permissions of the key this client sends (``helpCenter:edit``, ...)."""
        return self._run(
            "MyPermissions",
            {},
            lambda data: frozenset(str(p) for p in data["myPermissions"]["permissions"]),
        )

    def my_machine_user_id(self) -> str | None:
        """The machine user behind this key (None for a person's session)."""
        return self._run(
            "MyMachineUser",
            {},
            lambda data: _optional(data["myMachineUser"], lambda node: _str_field(node, "id")),
        )

    def get_help_center(self, help_center_id: str) -> HelpCenter:
        """One help center, with its domain settings (where its public pages live)."""
        return self._run(
            "HelpCenter",
            {"id": help_center_id},
            lambda data: HelpCenter.from_graphql(self._help_center(data, help_center_id)),
        )

    def list_articles(self, help_center_id: str) -> list[RemoteArticle]:
        """Every article of the help center, HTML included, 100 per request."""
        return self._paginate(
            "HelpCenterArticles",
            {"helpCenterId": help_center_id},
            lambda data: self._help_center(data, help_center_id)["articles"],
            RemoteArticle.from_graphql,
        )

    def list_groups(self, help_center_id: str) -> list[RemoteGroup]:
        """Every article group of the help center, nested ones included."""
        return self._paginate(
            "HelpCenterArticleGroups",
            {"helpCenterId": help_center_id},
            lambda data: self._help_center(data, help_center_id)["articleGroups"],
            RemoteGroup.from_graphql,
        )

    def read_help_center(
        self,
        help_center_id: str,
        *,
        expected_articles: int | None = None,
        expected_groups: int | None = None,
    ) -> tuple[list[RemoteArticle], list[RemoteGroup], RemoteIndex]:
        """Every article (HTML included) and group of the help center, and its index, read
        at once: the index, the groups and the articles side by side, and each connection
        from both ends (see :func:`~publisher.plain.pagination.walk_both_ends`), with at most
        ``concurrency`` requests in flight. N articles take about N / 200 sequential rounds
        and at most ⌊N / 100⌋ + 2 requests; ``expected_*`` (how many the content has) spare
        a small help center the requests from the end.

        Articles and groups come in the connections' order, as :meth:`list_articles` and
        :meth:`list_groups` give them. A failure stops the other walks at their next round
        and is raised as it is (after its retries).
        """
        stop = threading.Event()
        with (
            ThreadPoolExecutor(self.concurrency, thread_name_prefix="plain-read") as pool,
            ThreadPoolExecutor(1, thread_name_prefix="plain-read-groups") as groups_walker,
        ):

            def run_round(thunks: Sequence[Callable[[], Page[str]]]) -> list[Page[str]]:
                if stop.is_set():
                    raise _ReadStopped
                futures = [pool.submit(thunk) for thunk in thunks]
                wait_for(futures)
                return [future.result() for future in futures]

            def defer(work: Callable[[], list[T]]) -> Future[list[T]]:
                return pool.submit(work)

            def stop_on_failure(future: Future[Any]) -> None:
                if future.exception() is not None:
                    stop.set()

            index_future = pool.submit(self.get_index, help_center_id)
            index_future.add_done_callback(stop_on_failure)
            groups_future = groups_walker.submit(
                self._walk_both_ends,
                help_center_id,
                ("HelpCenterArticleGroups", "HelpCenterArticleGroupsFromEnd", "articleGroups"),
                RemoteGroup.from_graphql,
                run_round,
                defer,
                expected_groups,
            )
            groups_future.add_done_callback(stop_on_failure)
            try:
                articles = self._walk_both_ends(
                    help_center_id,
                    ("HelpCenterArticles", "HelpCenterArticlesFromEnd", "articles"),
                    RemoteArticle.from_graphql,
                    run_round,
                    defer,
                    expected_articles,
                )
            except BaseException:
                stop.set()
                others: list[Future[Any]] = [index_future, groups_future]
                wait_for(others)
                # What stopped this walk, if another one failed first.
                for other in others:
                    error = other.exception()
                    if error is not None and not isinstance(error, _ReadStopped):
                        raise error from None
                raise
        return articles, groups_future.result(), index_future.result()

    def _walk_both_ends(
        self,
        help_center_id: str,
        names: tuple[str, str, str],
        parse_node: Callable[[Mapping[str, Any]], T],
        run_round: Callable[[Sequence[Callable[[], Page[str]]]], list[Page[str]]],
        defer: Callable[[Callable[[], list[T]]], Future[list[T]]],
        expected: int | None,
    ) -> list[T]:
        """One connection from both ends. A page's nodes are scrubbed and parsed by another
        worker (``defer``) while the walk asks for the next pages, which need only the ids
        and cursors: the walk waits for the network, not for the parsing."""
        forward_operation, backward_operation, field = names
        parsed: list[tuple[tuple[str, ...], Future[list[T]]]] = []
        parsed_lock = threading.Lock()

        def fetch(operation: str, variables: Mapping[str, Any]) -> Page[str]:
            nodes = self._run(
                operation,
                {"helpCenterId": help_center_id, **variables},
                lambda data: Page.from_connection(
                    self._help_center(data, help_center_id)[field], _with_id
                ),
                scrubbed=False,
            )
            ids = tuple(node_id for node_id, _ in nodes.items)
            page = Page(
                ids,
                nodes.has_next_page,
                nodes.end_cursor,
                nodes.has_previous_page,
                nodes.start_cursor,
            )
            items = [node for _, node in nodes.items]
            future = defer(lambda: self._parse_nodes(operation, items, parse_node))
            with parsed_lock:
                parsed.append((ids, future))
            return page

        order = walk_both_ends(
            lambda after: fetch(forward_operation, {"first": self._page_size, "after": after}),
            lambda before: fetch(backward_operation, {"last": self._page_size, "before": before}),
            lambda node_id: node_id,
            run_round=run_round,
            expected=expected,
            page_size=self._page_size,
            operation=forward_operation,
        )
        by_id: dict[str, T] = {}
        for ids, future in parsed:
            by_id.update(zip(ids, future.result(), strict=True))
        return [by_id[node_id] for node_id in order]

    def _parse_nodes(
        self,
        operation: str,
        nodes: Sequence[Mapping[str, Any]],
        parse_node: Callable[[Mapping[str, Any]], T],
    ) -> list[T]:
        """Nodes read with ``scrubbed=False``, scrubbed and parsed."""
        try:
            clean = self._scrub_json(list(nodes))
            return [parse_node(node) for node in clean]
        except PlainError as error:
            error.operation = error.operation or operation
            raise
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise InvalidResponseError(
                f"unexpected response shape ({type(exc).__name__}: {self._scrub(str(exc))})",
                operation=operation,
            ) from None

    def get_index(self, help_center_id: str) -> RemoteIndex:
        """The navigation index, with the hash ``update_index`` needs."""

        def extract(data: Mapping[str, Any]) -> RemoteIndex:
            node = data["helpCenterIndex"]
            if node is None:
                raise NotFoundError(
                    f"help center {help_center_id} has no index (does it exist?)",
                    operation="HelpCenterIndex",
                )
            return RemoteIndex.from_graphql(node)

        return self._run("HelpCenterIndex", {"helpCenterId": help_center_id}, extract)

    def get_article(self, article_id: str) -> RemoteArticle | None:
        return self._run(
            "HelpCenterArticle",
            {"id": article_id},
            lambda data: _optional(data["helpCenterArticle"], RemoteArticle.from_graphql),
        )

    def get_article_by_slug(self, help_center_id: str, slug: str) -> RemoteArticle | None:
        return self._run(
            "HelpCenterArticleBySlug",
            {"helpCenterId": help_center_id, "slug": slug},
            lambda data: _optional(data["helpCenterArticleBySlug"], RemoteArticle.from_graphql),
        )

    def get_group(self, group_id: str) -> RemoteGroup | None:
        return self._run(
            "HelpCenterArticleGroup",
            {"id": group_id},
            lambda data: _optional(data["helpCenterArticleGroup"], RemoteGroup.from_graphql),
        )

    def get_group_by_slug(self, help_center_id: str, slug: str) -> RemoteGroup | None:
        return self._run(
            "HelpCenterArticleGroupBySlug",
            {"helpCenterId": help_center_id, "slug": slug},
            lambda data: _optional(data["helpCenterArticleGroupBySlug"], RemoteGroup.from_graphql),
        )

    # -- mutations -------------------------------------------------------------------------

    def upsert_article(
        self,
        help_center_id: str,
        *,
        article_id: str | None = None,
        group_id: str | None = None,
        title: str,
        description: str | None = None,
        icon: str | None = None,
        content_html: str,
        slug: str,
        status: ArticleStatus,
    ) -> RemoteArticle:
        """Create an article (no ``article_id``) or replace the fields of an existing one.

        ``group_id``, ``description`` and ``icon`` are sent even when ``None`` so that an
        update clears them: the content is the source of truth. The HTML is not asked back
        (Plain stores it as sent): the article returned holds the HTML given. A create
        retried after a lost response can fail with a slug conflict
        (:attr:`MutationError.is_slug_conflict`).
        """
        write = ArticleWrite(
            title=title,
            content_html=content_html,
            slug=slug,
            status=status,
            article_id=article_id,
            group_id=group_id,
            description=description,
            icon=icon,
        )
        return self.write_article(help_center_id, write)

    def write_article(self, help_center_id: str, write: ArticleWrite) -> RemoteArticle:
        """``upsert_article`` of an ArticleWrite."""
        return self._mutate(
            "UpsertHelpCenterArticle",
            "upsertHelpCenterArticle",
            write.input(help_center_id),
            write.written,
        )

    def upsert_articles(
        self, help_center_id: str, writes: Sequence[ArticleWrite]
    ) -> list[RemoteArticle | MutationError]:
        """Several ``upsert_article`` in one request (see `operations.batched`), retried as a
        whole when the request fails transiently; each write's own answer comes back in
        order: the article, or the MutationError Plain gave it (a create retried after a
        lost response gives a slug conflict, as alone)."""
        operation = "UpsertHelpCenterArticle"
        if len(writes) == 1:
            try:
                return [
                    self._mutate(
                        operation, "upsertHelpCenterArticle", *writes[0].pair(help_center_id)
                    )
                ]
            except MutationError as error:
                return [error]
        variables = {f"input{n}": write.input(help_center_id) for n, write in enumerate(writes)}

        def extract(data: Mapping[str, Any]) -> list[RemoteArticle | MutationError]:
            answers: list[RemoteArticle | MutationError] = []
            for n, write in enumerate(writes):
                output = data[f"m{n}"]
                error = output.get("error")
                if error:
                    answers.append(MutationError.from_payload(error, operation=operation))
                else:
                    answers.append(write.written(output))
            return answers

        return self._run(
            operation + operations.BATCH_SUFFIX,
            variables,
            extract,
            document=operations.batched(operation, len(writes)),
        )

    def delete_article(self, article_id: str, *, missing_ok: bool = False) -> bool:
        """Delete an article. With ``missing_ok``, an absent one returns False instead of
        raising, which makes a delete retried after a lost response harmless."""
        return self._delete(
            "DeleteHelpCenterArticle",
            "deleteHelpCenterArticle",
            {"helpCenterArticleId": article_id},
            missing_ok,
        )

    def create_group(
        self, help_center_id: str, *, name: str, slug: str, parent_id: str | None = None
    ) -> RemoteGroup:
        """Create an article group; its slug and parent cannot be changed later."""
        payload: dict[str, Any] = {"helpCenterId": help_center_id, "name": name, "slug": slug}
        if parent_id is not None:
            payload["parentHelpCenterArticleGroupId"] = parent_id
        return self._mutate(
            "CreateHelpCenterArticleGroup",
            "createHelpCenterArticleGroup",
            payload,
            lambda out: RemoteGroup.from_graphql(_required(out, "helpCenterArticleGroup")),
        )

    def update_group(self, group_id: str, *, name: str) -> RemoteGroup:
        """Rename a group (the only change Plain allows)."""
        return self._mutate(
            "UpdateHelpCenterArticleGroup",
            "updateHelpCenterArticleGroup",
            {"helpCenterArticleGroupId": group_id, "name": name},
            lambda out: RemoteGroup.from_graphql(_required(out, "helpCenterArticleGroup")),
        )

    def delete_group(self, group_id: str, *, missing_ok: bool = False) -> bool:
        """Delete a group; Plain keeps its articles, un-grouped."""
        return self._delete(
            "DeleteHelpCenterArticleGroup",
            "deleteHelpCenterArticleGroup",
            {"helpCenterArticleGroupId": group_id},
            missing_ok,
        )

    def update_index(
        self, help_center_id: str, *, hash: str, entries: Iterable[IndexEntry]
    ) -> RemoteIndex:
        """Replace the navigation index. ``hash`` must come from the latest ``get_index``;
        a stale one fails with a :class:`MutationError` whose code Plain does not document."""
        payload = {
            "helpCenterId": help_center_id,
            "hash": hash,
            "helpCenterIndex": [entry.to_input() for entry in entries],
        }
        index = self._mutate(
            "UpdateHelpCenterIndex",
            "updateHelpCenterIndex",
            payload,
            lambda out: _optional(out.get("helpCenterIndex"), RemoteIndex.from_graphql),
        )
        # The output's index is nullable; read it back rather than guess the new hash.
        return index if index is not None else self.get_index(help_center_id)

    def create_upload_url(
        self, file_name: str, size: int, visibility: FileVisibility = "PUBLIC"
    ) -> UploadTarget:
        """Reserve a workspace file and get the form to upload it with (valid 2 hours)."""
        return self._mutate(
            "CreateWorkspaceFileUploadUrl",
            "createWorkspaceFileUploadUrl",
            {"fileName": file_name, "fileSizeBytes": size, "visibility": visibility},
            lambda out: UploadTarget.from_graphql(_required(out, "workspaceFileUploadUrl")),
        )

    def create_download_url(self, file_id: str) -> str:
        """The download URL of an uploaded workspace file."""
        return self._mutate(
            "CreateWorkspaceFileDownloadUrl",
            "createWorkspaceFileDownloadUrl",
            {"workspaceFileId": file_id},
            lambda out: str(_required(out, "workspaceFileDownloadUrl")["downloadUrl"]),
        )

    def upload_file(
        self,
        file_name: str,
        data: bytes,
        *,
        visibility: FileVisibility = "PUBLIC",
        content_type: str | None = None,
    ) -> UploadedFile:
        """Upload ``data`` as a workspace file and return where it can be downloaded."""
        target = self.create_upload_url(file_name, len(data), visibility)
        self._post_upload_form(target, file_name, data, content_type)
        download_url = self.create_download_url(target.file_id)
        return UploadedFile(id=target.file_id, file_name=file_name, download_url=download_url)

    # -- plumbing --------------------------------------------------------------------------

    def _post_upload_form(
        self, target: UploadTarget, file_name: str, data: bytes, content_type: str | None
    ) -> None:
        operation = UPLOAD_OPERATION
        mime = content_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        problem = upload_url_problem(target.upload_form_url)
        if problem:
            # Nothing is sent to it. The URL is shown without its query (which may carry a
            # signature) and cut short: it is the server's text, not ours.
            raise InvalidResponseError(
                f"CreateWorkspaceFileUploadUrl gave an upload URL that {problem}: "
                f"{self._shown_url(target.upload_form_url)}",
                operation="CreateWorkspaceFileUploadUrl",
            )

        def attempt() -> None:
            # httpx writes the plain fields before the file, as S3-style forms require.
            response = self._send(
                operation,
                target.upload_form_url,
                data=dict(target.upload_form_data),
                files={"file": (file_name, data, mime)},
            )
            if not response.is_success:
                raise self._status_error(operation, response, what="file upload")

        self._with_retries(operation, attempt)

    def _paginate(
        self,
        operation: str,
        variables: Mapping[str, Any],
        connection_of: Callable[[Mapping[str, Any]], Mapping[str, Any]],
        parse_node: Callable[[Mapping[str, Any]], T],
    ) -> list[T]:
        def fetch(after: str | None) -> Page[T]:
            page_vars = {**variables, "first": self._page_size, "after": after}
            return self._run(
                operation,
                page_vars,
                lambda data: Page.from_connection(connection_of(data), parse_node),
            )

        return list(paginate(fetch, operation=operation))

    def _help_center(self, data: Mapping[str, Any], help_center_id: str) -> Mapping[str, Any]:
        node = data["helpCenter"]
        if node is None:
            raise NotFoundError(f"help center {help_center_id} not found")
        result: Mapping[str, Any] = node
        return result

    def _mutate(
        self,
        operation: str,
        field: str,
        payload: Mapping[str, Any],
        extract: Callable[[Mapping[str, Any]], T],
    ) -> T:
        def from_output(data: Mapping[str, Any]) -> T:
            output = data[field]
            error = output.get("error")
            if error:
                raise MutationError.from_payload(error, operation=operation)
            return extract(output)

        return self._run(operation, {"input": dict(payload)}, from_output)

    def _delete(
        self, operation: str, field: str, payload: Mapping[str, Any], missing_ok: bool
    ) -> bool:
        try:
            self._mutate(operation, field, payload, lambda out: None)
        except MutationError as error:
            if missing_ok and error.is_not_found:
                return False
            raise
        return True

    def _run(
        self,
        operation: str,
        variables: Mapping[str, Any],
        extract: Callable[[Mapping[str, Any]], T],
        *,
        scrubbed: bool = True,
        document: str | None = None,
    ) -> T:
        """One GraphQL operation, retried as a whole when it fails transiently. With
        ``scrubbed=False``, ``extract`` gets the data as decoded, the key not yet removed
        from it (errors are scrubbed all the same): it must scrub what it keeps."""

        def attempt() -> T:
            data = self._graphql(operation, variables, scrubbed=scrubbed, document=document)
            try:
                return extract(data)
            except PlainError as error:
                error.operation = error.operation or operation
                raise
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise InvalidResponseError(
                    f"unexpected response shape ({type(exc).__name__}: {self._scrub(str(exc))})",
                    operation=operation,
                ) from None

        return self._with_retries(operation, attempt)

    def _with_retries(self, operation: str, attempt: Callable[[], T]) -> T:
        def on_retry(retry_number: int, error: PlainError, delay: float) -> None:
            self.stats._record_retry()
            logger.info(
                "%s failed (%s: %s); retry %d of %d in %.1f s",
                operation,
                type(error).__name__,
                error,
                retry_number,
                self._retry.max_attempts - 1,
                delay,
            )
            # The first retry of a run is announced (a silent pause looks like a hang, and
            # says nothing of what failed), and after it every long wait.
            if self._notice is not None and (
                not self._retry_announced or delay >= NOTICE_WAIT_SECONDS
            ):
                self._retry_announced = True
                why = " (Plain asked for this wait)" if error.retry_after is not None else ""
                self._notice(
                    f"{operation}: {error}; waiting {delay:.0f} s{why}, then retry "
                    f"{retry_number} of {self._retry.max_attempts - 1}"
                )

        return call_with_retries(
            attempt,
            self._retry,
            sleep=self._sleep,
            clock=self._clock,
            rng=self._rng,
            on_retry=on_retry,
        )

    def _graphql(
        self,
        operation: str,
        variables: Mapping[str, Any],
        *,
        scrubbed: bool = True,
        document: str | None = None,
    ) -> Mapping[str, Any]:
        """Send one operation once (from operations.graphql, unless `document` is given);
        return its ``data`` (see ``_run`` for ``scrubbed``) or raise."""
        body = {
            "query": document or operations.document(operation),
            "variables": dict(variables),
            "operationName": operation,
        }
        response = self._send(
            operation,
            self.api_url,
            json=body,
            headers={"Authorization": f"Bearer {self._api_key.reveal()}"},
        )
        # GraphQL servers answer malformed documents with 400 and an `errors` list, which says
        # more than the status; statuses with their own meaning are mapped first.
        if not response.is_success and (
            response.status_code in (401, 403, 408, 429) or response.status_code >= 500
        ):
            raise self._status_error(operation, response)
        document = self._json(operation, response, scrubbed=False)
        answered = isinstance(document, dict) and not document.get("errors")
        if scrubbed or not answered or not response.is_success:
            document = self._scrubbed(document)
        if document is None or not isinstance(document, dict):
            if not response.is_success:
                raise self._status_error(operation, response)
            raise InvalidResponseError("response is not a JSON object", operation=operation)
        errors = document.get("errors")
        if errors:
            raise self._graphql_error(operation, response, errors)
        if not response.is_success:
            raise self._status_error(operation, response)
        data = document.get("data")
        if not isinstance(data, dict):
            raise InvalidResponseError("response has no data", operation=operation)
        return data

    def _send(self, operation: str, url: str, **kwargs: Any) -> httpx.Response:
        self._hold_back()
        self.stats._record_request(operation)
        started = time.perf_counter()
        try:
            response = self._http.post(url, **kwargs)
        except (httpx.HTTPError, httpx.InvalidURL, httpx.CookieConflict, httpx.StreamError) as exc:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug("%s: %s after %.0f ms", operation, type(exc).__name__, elapsed_ms)
            # `from None`: the httpx exception holds the request, headers included.
            raise NetworkError(
                f"cannot reach {self._shown_url(url)} ({type(exc).__name__}: "
                f"{self._scrub(str(exc))[:300] or 'no details'})",
                operation=operation,
                transient=isinstance(exc, _TRANSIENT_TRANSPORT_ERRORS),
            ) from None
        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug("%s: HTTP %d in %.0f ms", operation, response.status_code, elapsed_ms)
        return response

    def _hold_back(self) -> None:
        with self._pause_lock:
            wait = self._not_before - self._clock()
        if wait > 0:
            self._sleep(wait)

    def _status_error(self, operation: str, response: httpx.Response, what: str = "") -> PlainError:
        status = response.status_code
        detail = self._server_message(response)
        suffix = f": {detail}" if detail else ""
        prefix = f"{what} " if what else ""
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 401:
            return AuthenticationError(
                f"{prefix}authentication failed (HTTP 401): check PLAIN_API_KEY{suffix}",
                operation=operation,
                status_code=status,
            )
        if status == 403:
            return ForbiddenError(
                f"{prefix}forbidden (HTTP 403){suffix}", operation=operation, status_code=status
            )
        if status == 429:
            return self._rate_limited(
                operation, f"{prefix}rate limited (HTTP 429){suffix}", response, status
            )
        if status >= 500:
            return ServerError(
                f"{prefix}server error (HTTP {status}){suffix}",
                operation=operation,
                status_code=status,
                retry_after=retry_after,
            )
        if status == 404:
            return HTTPError(
                f"{prefix}HTTP 404 from {self._shown_url(str(response.request.url))}: nothing "
                f"answers there; is it Plain's GraphQL endpoint?{suffix}",
                operation=operation,
                status_code=status,
            )
        return HTTPError(
            f"{prefix}unexpected HTTP {status} from {self._shown_url(str(response.request.url))}"
            f"{suffix}",
            operation=operation,
            status_code=status,
        )

    def _rate_limited(
        self, operation: str, message: str, response: httpx.Response, status: int
    ) -> RateLimitedError:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if retry_after is None:
            retry_after = parse_rate_limit_reset(response.headers.get("x-ratelimit-reset"))
        if retry_after is not None:
            # Every worker thread holds back, not only the one that was told to.
            with self._pause_lock:
                self._not_before = max(self._not_before, self._clock() + retry_after)
        return RateLimitedError(
            message, operation=operation, status_code=status, retry_after=retry_after
        )

    def _graphql_error(self, operation: str, response: httpx.Response, errors: Any) -> PlainError:
        status = response.status_code
        entries = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        messages = [str(e.get("message", "")) for e in entries] or ["unknown GraphQL error"]
        message = "; ".join(m for m in messages if m) or "unknown GraphQL error"
        codes = {error_code(e) for e in entries}
        # Some gateways report auth problems as GraphQL errors with HTTP 200.
        if "UNAUTHENTICATED" in codes:
            return AuthenticationError(
                f"authentication failed: {message}", operation=operation, status_code=status
            )
        if "FORBIDDEN" in codes:
            return ForbiddenError(f"forbidden: {message}", operation=operation, status_code=status)
        if codes & RATE_LIMIT_ERROR_CODES:
            return self._rate_limited(
                operation,
                f"rate limited (HTTP {status}, RATE_LIMITED): {message}",
                response,
                status,
            )
        error = GraphQLResponseError(
            message, operation=operation, status_code=status, errors=entries
        )
        error.retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return error

    def _json(self, operation: str, response: httpx.Response, *, scrubbed: bool = True) -> Any:
        try:
            document = json.loads(response.text)
        except (ValueError, RecursionError):  # not JSON, or nested too deeply to be a reply
            return None
        # Scrubbed after decoding too: JSON may spell the key with escapes (`\u0070...`).
        return self._scrubbed(document) if scrubbed else document

    def _scrubbed(self, document: Any) -> Any:
        try:
            return self._scrub_json(document)
        except RecursionError:  # nested too deeply to be a reply
            return None

    def _scrub_json(self, value: Any) -> Any:
        """`value` with the key removed from every string in it, keys of objects included.

        Every string is looked at once, joined to the others by NULs: a page of articles
        has nothing to remove, and redacting its thousands of strings one by one cost more
        than decoding it. No spelling of the key holds a NUL (the key and each encoding of it
        are printable ASCII), so a spelling in the joined text lies within one string, and
        each string's spellings are found in the joined text.
        """
        joined = "\x00".join(_strings_in(value))
        if self._scrub(joined) == joined:
            return value
        return self._scrub_each(value)

    def _scrub_each(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._scrub(value)
        if isinstance(value, list):
            return [self._scrub_each(item) for item in value]
        if isinstance(value, dict):
            return {self._scrub(k): self._scrub_each(v) for k, v in value.items()}
        return value

    def _server_message(self, response: httpx.Response) -> str:
        """A short, single-line reason from an error response, if it has a readable one."""
        try:
            document = json.loads(response.text)
        except (ValueError, RecursionError):
            document = None
        if isinstance(document, list) and document:  # a list of errors, or of messages
            document = document[0]
        text = ""
        if isinstance(document, dict):
            errors = document.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                text = str(errors[0].get("message", ""))
            elif isinstance(document.get("message"), str):
                text = document["message"]
        elif isinstance(document, str):  # a JSON string: its decoded text
            text = document
        elif document is None and "html" not in response.headers.get("Content-Type", ""):
            text = response.text
        # Scrubbed before it is cut short (a cut could split the key) and after (no cut
        # can join one).
        text = " ".join(self._scrub(text).split())
        return self._scrub(text[:200]) + ("…" if len(text) > 200 else "")

    def _scrub(self, text: str) -> str:
        """`text` without the API key, in any spelling a server may echo it in (any case,
        JSON escapes, percent-encoding, base64 of it or of `Bearer <key>`): defence in depth,
        so that a server (or proxy) that echoes the key cannot put it in an error or a log."""
        return redact(text, self._api_key.reveal(), REDACTED)

    def _shown_url(self, url: str) -> str:
        """A URL for a message: without its query and fragment (they may carry a signature)
        or user name, scrubbed, at most 120 characters, and quoted when it has spaces or
        control characters."""
        base = url.split("#", 1)[0].split("?", 1)[0]
        scheme, sep, rest = base.partition("://")
        if sep:
            host, slash, path = rest.partition("/")
            base = f"{scheme}://{host.rpartition('@')[2]}{slash}{path}"
        shown = self._scrub(base)
        if len(shown) > 120:
            shown = shown[:119] + "…"
        if not shown or any(c.isspace() or not c.isprintable() for c in shown):
            return repr(shown)
        return shown


def _strings_in(value: Any) -> list[str]:
    """Every string in decoded JSON, the keys of objects included."""
    found: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, dict):
            found.extend(item)
            pending.extend(item.values())
    return found


def _with_id(node: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """A node, not yet scrubbed, with its id as sent: what tells the walks' pages apart."""
    value = node["id"]
    if not isinstance(value, str):
        raise InvalidResponseError("a node's id is not a string")
    return value, node


class _ReadStopped(Exception):
    """A walk stopped because another part of the same read failed."""


def _optional(node: Mapping[str, Any] | None, parse: Callable[[Mapping[str, Any]], T]) -> T | None:
    return None if node is None else parse(node)


def _str_field(node: Mapping[str, Any], key: str) -> str:
    value = node[key]
    if not isinstance(value, str):
        raise InvalidResponseError(f"{key} is not a string")
    return value


def _required(output: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    node = output.get(key)
    if not isinstance(node, dict):
        raise InvalidResponseError(f"mutation returned no {key} and no error")
    return node
