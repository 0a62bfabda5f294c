"""The ``/graphql/v1`` endpoint: bearer auth, request parsing, faults, execution."""

from __future__ import annotations

import asyncio
import json
import re
import sys
import threading
import traceback
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    build_schema,
    execute_sync,
    extend_schema,
    get_operation_ast,
    parse,
    validate,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from publisher.emulator import connection
from publisher.emulator.bodies import BadContentLength, BodyTooLarge, read_bounded
from publisher.emulator.faults import FaultInjector, FaultKind
from publisher.emulator.files import WorkspaceFiles
from publisher.emulator.helpcenter import HelpCenterService
from publisher.emulator.limits import MAX_BODY_BYTES, MAX_TOKENS, check_limits
from publisher.emulator.models import Actor
from publisher.emulator.permissions import DEFAULT_PERMISSIONS
from publisher.emulator.resolvers import RequestContext, bind, default_field_resolver

GRAPHQL_PATH = "/graphql/v1"


_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def load_schema(
    extra_index_types: Sequence[str] = (), extra_article_statuses: Sequence[str] = ()
) -> GraphQLSchema:
    """The served schema: ``schema.graphql``, plus any extra enum values a test asked for
    (``--extra-index-type``, ``--extra-article-status``) to try a client against values Plain
    may add later. The extras are not Plain's: the contract test checks the file alone."""
    sdl = resources.files("publisher.emulator").joinpath("schema.graphql").read_text("utf-8")
    schema = build_schema(sdl)
    extensions = [
        f"extend enum {enum_name} {{ {' '.join(values)} }}"
        for enum_name, values in (
            ("HelpCenterIndexItemType", extra_index_types),
            ("HelpCenterArticleStatus", extra_article_statuses),
        )
        if values
    ]
    for name in (*extra_index_types, *extra_article_statuses):
        if not _NAME.fullmatch(name) or name in ("true", "false", "null"):
            raise ValueError(f"{name!r} is not a GraphQL enum value name")
    if extensions:
        try:
            schema = extend_schema(schema, parse("\n".join(extensions)))
        except (GraphQLError, TypeError) as error:
            raise ValueError(f"cannot add the extra enum values: {error}") from None
    return bind(schema)


def _errors(
    status: int,
    message: str,
    code: str,
    headers: dict[str, str] | None = None,
    *,
    with_data: bool = False,
) -> Response:
    body: dict[str, Any] = {"errors": [{"message": message, "extensions": {"code": code}}]}
    if with_data:
        body = {"data": None, **body}
    return JSONResponse(body, status_code=status, headers=headers)


def _rate_limited(status: int, retry_after: int, *, with_data: bool = False) -> Response:
    """An injected rate limit: Plain's RATE_LIMITED code with a Retry-After."""
    return _errors(
        status,
        "Too many requests (injected by the emulator)",
        "RATE_LIMITED",
        {"Retry-After": str(retry_after)},
        with_data=with_data,
    )


class _BadRequest(Exception):
    """A request refused before it runs: HTTP 400 (or ``status``) with GraphQL ``errors``,
    each with ``extensions.code``."""

    def __init__(self, errors: list[dict[str, Any]], status: int = 400) -> None:
        super().__init__(errors[0]["message"])
        self.errors = errors
        self.status = status


def _bad_request(message: str, code: str = "BAD_REQUEST", status: int = 400) -> _BadRequest:
    return _BadRequest([{"message": message, "extensions": {"code": code}}], status)


_DOCUMENT_CACHE_SIZE = 256


def _graphql_errors(errors: list[GraphQLError], code: str) -> _BadRequest:
    formatted = []
    for error in errors:
        item: dict[str, Any] = dict(error.formatted)
        item["extensions"] = {"code": code, **(error.extensions or {})}
        formatted.append(item)
    return _BadRequest(formatted)


class GraphQLEndpoint:
    """An ASGI endpoint rather than a request handler, because one fault sends no response.

    Parsing, validating and executing run in a worker thread, so a heavy request never
    holds up the event loop (the web view, uploads, other requests); the store serialises
    what must not interleave. Every request is bounded first (see ``limits``).
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        service: HelpCenterService,
        files: WorkspaceFiles,
        faults: FaultInjector,
        key_permissions: Mapping[str, frozenset[str]] | None = None,
    ) -> None:
        self.schema = schema
        self.service = service
        self.files = files
        self.faults = faults
        #: Keys whose permissions were named; every other key has DEFAULT_PERMISSIONS.
        self.key_permissions = dict(key_permissions or {})
        self._documents: dict[str, DocumentNode] = {}
        self._documents_lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self._respond(request)
        except ClientDisconnect:  # gone while its body was read: no one to answer
            return
        except Exception:  # a bug in the emulator: say so in GraphQL's shape, log it
            traceback.print_exc(file=sys.stderr)
            response = _errors(
                500, "Internal server error (a bug in the emulator: see its log)", "INTERNAL"
            )
        if response is not None:
            await response(scope, receive, send)

    async def _respond(self, request: Request) -> Response | None:
        config = self.faults.config
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        authenticated = self._authenticate(request)
        if authenticated is None:
            return _errors(
                401, "Unauthenticated: send 'Authorization: Bearer <API key>'", "UNAUTHENTICATED"
            )
        actor, permissions = authenticated
        try:
            body = await self._body(request)
            document, variables, operation_name, is_mutation = await run_in_threadpool(
                self._prepare, body
            )
        except _BadRequest as bad:
            return JSONResponse({"errors": bad.errors}, status_code=bad.status)

        fault = self.faults.draw(is_mutation)
        if fault is FaultKind.RATE_LIMIT:
            return _rate_limited(429, config.retry_after_seconds)
        if fault is FaultKind.DISCONNECT:
            if await self._drop(request):
                return None
            fault = FaultKind.SERVER_ERROR  # no socket to close when served in-process
        if fault is FaultKind.SERVER_ERROR:
            return _errors(500, "Internal server error (injected by the emulator)", "INTERNAL")
        if fault is FaultKind.GRAPHQL_INTERNAL:
            return _errors(200, "Internal server error", "INTERNAL_SERVER_ERROR", with_data=True)
        if fault is FaultKind.GRAPHQL_RATE_LIMIT:
            return _rate_limited(200, config.retry_after_seconds, with_data=True)
        if fault is FaultKind.LONG_RETRY_AFTER:
            return _rate_limited(429, config.long_retry_after_seconds)

        context = RequestContext(
            service=self.service,
            files=self.files,
            actor=actor,
            base_url=str(request.base_url).rstrip("/"),
            permissions=permissions,
        )
        response = await run_in_threadpool(
            self._execute, document, variables, operation_name, context
        )
        if fault is FaultKind.LOST_RESPONSE:
            # The mutation has committed; the client must not learn that it did.
            if self.faults.lose_by_disconnect() and await self._drop(request):
                return None
            return _errors(500, "Internal server error (injected by the emulator)", "INTERNAL")
        return response

    def _execute(
        self,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: RequestContext,
    ) -> Response:
        """Run the operation and encode the answer (both can be heavy: in a worker thread)."""
        result = execute_sync(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=context,
            field_resolver=default_field_resolver,
        )
        if result.data is None and result.errors and all(e.path is None for e in result.errors):
            # Nothing ran (bad variables): a request error, as for validation failures.
            # Errors from resolvers carry a path and stay in a 200 answer.
            request_error = _graphql_errors(result.errors, "BAD_USER_INPUT")
            return JSONResponse({"errors": request_error.errors}, status_code=400)
        return JSONResponse(result.formatted)

    @staticmethod
    async def _body(request: Request) -> bytes:
        try:
            return await read_bounded(request, MAX_BODY_BYTES)
        except BodyTooLarge:
            raise _bad_request(
                f"The request body is larger than {MAX_BODY_BYTES} bytes", status=413
            ) from None
        except BadContentLength:
            raise _bad_request("Invalid Content-Length") from None

    @staticmethod
    async def _drop(request: Request) -> bool:
        client = connection.of_scope(request.scope)
        return client is not None and await client.drop()

    def _authenticate(self, request: Request) -> tuple[Actor, frozenset[str]] | None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return None
        person = self.service.store.person_for_key(key)
        if person is not None:  # a person in the app may do everything the emulator serves
            return Actor(person), DEFAULT_PERMISSIONS
        user_id = self.service.store.machine_user_for_key(key)
        if user_id is None:
            return None
        return Actor(user_id), self.key_permissions.get(key, DEFAULT_PERMISSIONS)

    def _checked_document(self, query: str) -> DocumentNode:
        """Parsed and validated once per query text: clients send the same few operations
        over and over, and validation costs more than running them. The limits are checked
        between the two, so validation never sees an unbounded document."""
        with self._documents_lock:
            cached = self._documents.get(query)
        if cached is not None:
            return cached
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            raise _graphql_errors([error], "GRAPHQL_PARSE_FAILED") from None
        except RecursionError:
            raise _bad_request(
                "The query nests too deeply to be parsed", "GRAPHQL_PARSE_FAILED"
            ) from None
        problems = check_limits(self.schema, document, None, cost=False)
        if not problems:
            problems = validate(self.schema, document)
        if problems:
            raise _graphql_errors(problems, "GRAPHQL_VALIDATION_FAILED")
        with self._documents_lock:
            if len(self._documents) >= _DOCUMENT_CACHE_SIZE:
                self._documents.pop(next(iter(self._documents)))
            self._documents[query] = document
        return document

    def _prepare(self, body: bytes) -> tuple[Any, dict[str, Any] | None, str | None, bool]:
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):  # JSONDecodeError, or a 5,000-digit number
            raise _bad_request("The request body is not JSON") from None
        except RecursionError:
            raise _bad_request("The request body nests JSON too deeply") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise _bad_request("The request body must have a string `query`")
        variables = payload.get("variables")
        operation_name = payload.get("operationName")
        if variables is not None and not isinstance(variables, dict):
            raise _bad_request("`variables` must be an object")
        if operation_name is not None and not isinstance(operation_name, str):
            raise _bad_request("`operationName` must be a string")
        document = self._checked_document(payload["query"])
        # The page sizes the variables give decide the cost; the rest was checked above.
        problems = check_limits(self.schema, document, variables)
        if problems:
            raise _graphql_errors(problems, "GRAPHQL_VALIDATION_FAILED")
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = "Unknown operation name" if operation_name else "Name the operation to run"
            raise _bad_request(message, "GRAPHQL_VALIDATION_FAILED")
        return document, variables, operation_name, operation.operation == OperationType.MUTATION
