"""Serving an ASGI app (the emulator, the preview) with uvicorn on a socket bound before
start-up is announced."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp


def bind(host: str, port: int) -> socket.socket:
    """Bind first, so that port 0 becomes a real port we can print before serving.

    Connections made between the print and uvicorn's start wait in the listen backlog.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def serve(app: ASGIApp, sock: socket.socket, announce: Callable[[], None]) -> None:
    """Serve until SIGINT or SIGTERM, both a graceful shutdown.

    uvicorn re-raises the signal once it has shut down: SIGTERM then ends the process as
    the signal's default does, and SIGINT arrives here as KeyboardInterrupt.
    """
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        # h11's request cycle exposes the transport that the disconnect fault closes.
        http="h11",
        lifespan="on",
        timeout_graceful_shutdown=2,
    )
    announce()
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])
