"""The emulator's ASGI application: GraphQL API, file upload and download, web view."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from publisher.emulator import connection
from publisher.emulator.faults import FaultConfig, FaultInjector
from publisher.emulator.file_routes import FileRoutes
from publisher.emulator.files import DownloadUrls, WorkspaceFiles
from publisher.emulator.graphql_endpoint import GRAPHQL_PATH, GraphQLEndpoint, load_schema
from publisher.emulator.helpcenter import HelpCenterService
from publisher.emulator.store import Store
from publisher.emulator.webview import WebView

DEFAULT_API_KEY = "plainApiKey_local_emulator"
DEFAULT_HELP_CENTER = "Help Center"


@dataclass
class EmulatorState:
    """What a caller of ``create_app`` may need: the seeded keys and help centers."""

    store: Store
    service: HelpCenterService
    files: WorkspaceFiles
    faults: FaultInjector
    api_keys: list[str]
    help_center_ids: dict[str, str] = field(default_factory=dict)
    key_permissions: dict[str, frozenset[str]] = field(default_factory=dict)


class EmulatorApp(Starlette):
    emulator: EmulatorState

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Only here, outside Starlette's middleware, is ``send`` still the server's own.
        if scope["type"] == "http":
            scope[connection.SCOPE_KEY] = connection.ClientConnection(send)
        await super().__call__(scope, receive, send)


def create_app(
    db_path: str | None = None,
    *,
    api_keys: Sequence[str] = (DEFAULT_API_KEY,),
    help_centers: Sequence[str] = (),
    faults: FaultConfig | None = None,
    key_permissions: Mapping[str, frozenset[str]] | None = None,
    download_urls: DownloadUrls = DownloadUrls.OPAQUE,
    extra_index_types: Sequence[str] = (),
    extra_article_statuses: Sequence[str] = (),
    person_keys: Mapping[str, str] | None = None,
) -> EmulatorApp:
    """Build the emulator over a SQLite file (``None``: in memory).

    Seeds the given API keys and help centers (kept if already in the database); with no
    help center named and none stored, creates one called "Help Center". The seeded ids
    are on ``app.emulator.help_center_ids``. ``key_permissions`` gives keys their own
    permission sets (a key named there is accepted even if not in ``api_keys``); every other
    key has ``permissions.DEFAULT_PERMISSIONS``. Permissions are configuration, set anew at
    each start, not stored. ``person_keys`` (key -> full name) are keys that act as a person
    editing in Plain's app: their changes are made by a ``UserActor``.
    """
    schema = load_schema(extra_index_types, extra_article_statuses)  # first: may refuse names
    store = Store(db_path)
    service = HelpCenterService(
        store,
        extra_index_types=extra_index_types,
        extra_article_statuses=extra_article_statuses,
    )
    files = WorkspaceFiles(store, download_urls=download_urls)
    injector = FaultInjector(faults or FaultConfig())
    permissions = dict(key_permissions or {})
    keys = list(dict.fromkeys([*api_keys, *permissions]))
    for key in keys:
        service.ensure_api_key(key)
    for key, name in (person_keys or {}).items():
        service.ensure_person_key(key, name)
    names = list(help_centers)
    if not names and not store.help_centers():
        names = [DEFAULT_HELP_CENTER]
    seeded = {name: service.ensure_help_center(name).id for name in names}

    graphql = GraphQLEndpoint(schema, service, files, injector, permissions)
    file_routes = FileRoutes(files)
    web = WebView(service)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        store.close()

    app = EmulatorApp(
        routes=[
            Route(GRAPHQL_PATH, graphql, methods=["POST"]),
            Route("/uploads/{file_id}", file_routes.upload, methods=["POST"]),
            Route("/files/{file_id}/{file_name:path}", file_routes.download, methods=["GET"]),
            Route("/cdn/{cdn_token}", file_routes.cdn_download, methods=["GET"]),
            Route("/", web.home, methods=["GET"]),
            Route("/help-centers/{help_center_id}", web.help_center, methods=["GET"]),
            Route("/help-centers/{help_center_id}/article/{slug}", web.article, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.emulator = EmulatorState(
        store=store,
        service=service,
        files=files,
        faults=injector,
        api_keys=keys,
        help_center_ids=seeded,
        key_permissions=permissions,
    )
    return app
