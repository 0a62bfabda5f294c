"""The preview's HTTP side: pages from memory, images from the content folder, and a
Server-Sent Events stream that tells open pages when to reload or show an error."""

from __future__ import annotations

import asyncio
import html
import json
import mimetypes
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response, StreamingResponse
from starlette.routing import Route

from publisher.content.model import Problem
from publisher.preview.files import open_inside
from publisher.preview.live import LiveSite, Update
from publisher.site.compiler import MAX_IMAGE_BYTES
from publisher.site.navigation import NAV_PAGE, NAV_SCRIPT

EVENTS_PATH = "/__publisher__/events"
SCRIPT_PATH = "/__publisher__/live.js"
HEARTBEAT_SECONDS = 15.0

# What a page may load: its own reload script and event stream, images (the article's own,
# and the http(s) images published articles may show), inline styles (the template's and
# Pygments' style attributes). No inline script, no plug-ins, no frames, no forms, no <base>.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' http: https:; "
    "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# An image opened on its own (an SVG is a document that may hold scripts): nothing runs.
ASSET_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
NOSNIFF = {"X-Content-Type-Options": "nosniff"}
# Drafts' URLs stay on this machine, even when a page shows an image from elsewhere.
PAGE_HEADERS = {
    **NOSNIFF,
    "Content-Security-Policy": PAGE_CSP,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
ASSET_HEADERS = {**NOSNIFF, "Content-Security-Policy": ASSET_CSP, "Cache-Control": "no-cache"}

# Relative URLs only, so the page works behind a proxy or on another host name.
LIVE_SCRIPT = """
(() => {
  const me = document.currentScript;
  const server = me.dataset.server, generation = Number(me.dataset.generation);
  const here = location.pathname.replace(/index\\.html$/, "").replace(/\\/?$/, "/");
  const navigation = "/" + me.dataset.navigation;
  let overlay = null;
  function showErrors(errors) {
    if (!errors.length) { if (overlay) { overlay.remove(); overlay = null; } return; }
    if (!overlay) {
      overlay = document.createElement("div");
      overlay.id = "publisher-error-overlay";
      overlay.setAttribute("role", "alert");
      overlay.style.cssText = "position:fixed;inset:auto 16px 16px 16px;max-height:60vh;" +
        "overflow:auto;background:#fff5f5;color:#82071e;border:2px solid #cf222e;" +
        "border-radius:8px;padding:12px 16px;font:14px/1.5 ui-monospace,monospace;" +
        "box-shadow:0 8px 24px rgba(0,0,0,.2);z-index:2147483647;white-space:pre-wrap";
      document.body.appendChild(overlay);
    }
    overlay.textContent = "Not published as is: fix these and save\\n\\n" + errors.join("\\n");
  }
  const source = new EventSource("/__publisher__/events");
  source.addEventListener("hello", (event) => {
    const state = JSON.parse(event.data);
    if (state.server !== server || state.generation > generation && state.errors.length === 0) {
      location.reload();  // restarted, or rebuilt while we were away
      return;
    }
    showErrors(state.errors);
  });
  source.addEventListener("update", (event) => {
    const update = JSON.parse(event.data);
    showErrors(update.errors);
    if (update.changed.includes(here)) location.reload();
    else if (update.changed.includes(navigation)) {
      window.dispatchEvent(new Event("publisher:navigation"));  // nav.js shows it again
    }
  });
})();
"""


class Broadcaster:
    """Fans updates out to every connected page; safe to call from the watcher thread."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queues: set[asyncio.Queue[str]] = set()

    def publish(self, message: str) -> None:
        if self.loop is None:
            return
        for queue in list(self.queues):
            self.loop.call_soon_threadsafe(queue.put_nowait, message)


def _format_problems(problems: list[Problem], root: Path) -> list[str]:
    return [p.format(relative_to=root) for p in problems if p.severity == "error"]


def update_message(update: Update, root: Path) -> str:
    data = {
        "generation": update.generation,
        "changed": update.changed,
        "errors": _format_problems(update.problems, root),
    }
    return f"event: update\ndata: {json.dumps(data)}\n\n"


def page_key(path: str) -> str | None:
    """The page a URL path names, or None; never anything outside the site's own pages."""
    decoded = unquote(path)
    if "\\" in decoded or "\0" in decoded:
        return None
    parts = PurePosixPath(decoded).parts
    if any(part in ("..", ".") for part in parts):
        return None
    clean = "/".join(part for part in parts if part != "/")
    if clean == "" or clean == "index.html":
        return "index.html"
    if clean.endswith("/index.html"):
        return clean
    return f"{clean}/index.html"


def read_inside(root: Path, source: Path) -> bytes | None:
    """The bytes of `source` if it is (still) a regular file inside `root`, else None; None
    too for a file grown past what `check` accepts since it was checked."""
    fd = open_inside(root, source)
    if fd is None:
        return None
    with os.fdopen(fd, "rb") as file:
        data = file.read(MAX_IMAGE_BYTES + 1)
    return data if len(data) <= MAX_IMAGE_BYTES else None


def create_app(live: LiveSite, broadcaster: Broadcaster) -> Starlette:
    server_id = secrets.token_hex(8)
    root = live.settings.project_dir
    content = live.settings.content_dir.resolve()

    def with_live_script(page: str) -> str:
        tag = (
            f'<script src="{SCRIPT_PATH}" data-server="{server_id}" '
            f'data-generation="{live.generation}" data-navigation="{NAV_PAGE}"></script>'
        )
        head, marker, tail = page.rpartition("</body>")
        return head + tag + marker + tail if marker else page + tag

    def not_found(path: str) -> HTMLResponse:
        body = (
            "<!doctype html><meta charset=utf-8><title>Not found</title>"
            f"<h1>Not found</h1><p>{html.escape(path)} is not a page of this help center.</p>"
            '<p><a href="/">Home</a></p>'
        )
        return HTMLResponse(with_live_script(body), status_code=404, headers=PAGE_HEADERS)

    async def asset(path: str) -> Response:
        rel = unquote(path.removeprefix("/assets/"))
        # Only images the content uses (compile checked them), and only while they are
        # still regular files inside the content root: checked again at every request.
        source = live.copies.get(f"assets/{rel}")
        if source is None:
            return not_found(path)
        data = await run_in_threadpool(read_inside, content, source)
        if data is None:
            return not_found(path)
        media_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        return Response(data, media_type=media_type, headers=ASSET_HEADERS)

    async def page(request: Request) -> Response:
        path = request.url.path
        if path.startswith("/assets/"):
            return await asset(path)
        if path == f"/{NAV_PAGE}":  # a fragment that pages fetch: no live script in it
            text = await run_in_threadpool(live.page, NAV_PAGE)
            if text is None:
                return not_found(path)
            return HTMLResponse(text, headers=PAGE_HEADERS)
        if path == f"/{NAV_SCRIPT}":
            text = await run_in_threadpool(live.page, NAV_SCRIPT)
            if text is None:
                return not_found(path)
            return Response(text, media_type="text/javascript", headers=NOSNIFF)
        key = page_key(path)
        text = await run_in_threadpool(live.page, key) if key else None
        if text is None:
            return not_found(path)
        return HTMLResponse(with_live_script(text), headers=PAGE_HEADERS)

    async def script(request: Request) -> Response:
        return Response(LIVE_SCRIPT, media_type="text/javascript", headers=NOSNIFF)

    async def events(request: Request) -> Response:
        broadcaster.loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str] = asyncio.Queue()
        broadcaster.queues.add(queue)
        hello = {
            "server": server_id,
            "generation": live.generation,
            "errors": _format_problems(live.last.problems, root),
        }

        async def stream() -> AsyncIterator[str]:
            try:
                yield "retry: 500\n"
                yield f"event: hello\ndata: {json.dumps(hello)}\n\n"
                while True:
                    try:
                        yield await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
                    except TimeoutError:
                        yield ": keep-alive\n\n"
            finally:
                broadcaster.queues.discard(queue)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={**NOSNIFF, "Cache-Control": "no-cache"},
        )

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["GET"]),
            Route(SCRIPT_PATH, script, methods=["GET", "HEAD"]),
            Route("/{path:path}", page, methods=["GET", "HEAD"]),
        ]
    )
