"""Serving an ASGI app (the emulator, the preview) with uvicorn on a socket bound before
start-up is announced, answering only requests addressed to a host name it serves."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

#: The names of this machine's loopback interface that a Host header may carry. Always
#: accepted: a browser sends them only for pages it loaded from this machine.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class BoundSocket(socket.socket):
    """A listening socket that remembers the host it was asked to bind, for `serve`."""

    requested_host: str = ""


def bind(host: str, port: int) -> BoundSocket:
    """Bind first, so that port 0 becomes a real port we can print before serving.

    Connections made between the print and uvicorn's start wait in the listen backlog.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = BoundSocket(family, kind, proto)
    sock.requested_host = host
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


@dataclass(frozen=True)
class AllowedHosts:
    """The host names a server answers to: a defence against DNS rebinding, where a web page
    re-points its own domain name at 127.0.0.1 to read what a local server serves.

    Names compare without case and without the port; a trailing dot (`localhost.`) is a
    different name, refused. `any_address` also accepts every IP literal (a page whose
    address is an IP literal was loaded from that address: no rebinding is possible).
    """

    names: frozenset[str]
    any_address: bool = False

    def allows(self, header: str | None) -> bool:
        name = host_of(header)
        if name is None:
            return False
        return name in self.names or (self.any_address and _is_ip(name))

    def describe(self) -> str:
        shown = [f"[{name}]" if ":" in name else name for name in sorted(self.names)]
        return ", ".join(shown) + (" or any IP address" if self.any_address else "")


def host_of(header: str | None) -> str | None:
    """The host name of a Host header, lower-case and without port or IPv6 brackets; None
    when the header is missing, empty or malformed."""
    if not header or any(c in header for c in "@/\\?#") or header != header.strip():
        return None
    try:
        parts = urlsplit(f"//{header}")
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return None
    return parts.hostname or None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def allowed_hosts(bind_host: str) -> AllowedHosts:
    """What a server bound to `bind_host` (its `--host`) answers to: the loopback names,
    and the bound host itself. Bound to every address (`0.0.0.0`, `::`), it also answers to
    any IP address and to this machine's name (`socket.gethostname()`)."""
    bound = bind_host.strip().strip("[]").lower()
    names = set(LOOPBACK_HOSTS)
    wildcard = bound == "" or (_is_ip(bound) and ipaddress.ip_address(bound).is_unspecified)
    if wildcard:
        names.add(socket.gethostname().lower())
    else:
        names.add(bound)
    return AllowedHosts(frozenset(names), any_address=wildcard)


class HostCheck:
    """ASGI middleware: requests whose Host header names no allowed host get 421 Misdirected
    Request and a one-line explanation; everything else goes through untouched (the same
    `send`, which the emulator's disconnect fault relies on)."""

    def __init__(self, app: ASGIApp, allowed: AllowedHosts) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            hosts = [v for k, v in scope.get("headers") or [] if k.lower() == b"host"]
            header = hosts[0].decode("latin-1") if len(hosts) == 1 else None
            if not self.allowed.allows(header):
                await self._refuse(scope, send)
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = (
            f"421 Misdirected Request: this server answers only for {self.allowed.describe()};"
            " to use another name, start it with --host NAME\n"
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 421,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def serve(
    app: ASGIApp,
    sock: socket.socket,
    announce: Callable[[], None],
    *,
    allowed: AllowedHosts | None = None,
) -> None:
    """Serve until SIGINT or SIGTERM, both a graceful shutdown.

    Only requests for `allowed` hosts reach `app`; by default those of the host the socket
    was bound to (see `allowed_hosts`).

    uvicorn re-raises the signal once it has shut down: SIGTERM then ends the process as
    the signal's default does, and SIGINT arrives here as KeyboardInterrupt.
    """
    if allowed is None:
        allowed = allowed_hosts(getattr(sock, "requested_host", "") or sock.getsockname()[0])
    config = uvicorn.Config(
        HostCheck(app, allowed),
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
