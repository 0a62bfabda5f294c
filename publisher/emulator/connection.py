"""Closing a client's TCP connection from inside the app, with no HTTP response.

ASGI has no message for "hang up", so the emulator reaches the server's transport through
the ``send`` callable the server handed the app: under uvicorn that is a bound method of
the request cycle, which holds the transport. Elsewhere (an in-process test transport)
there is no socket to close, and ``drop`` reports that it could not.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from starlette.types import Send

SCOPE_KEY = "publisher.emulator.connection"


class ClientConnection:
    def __init__(self, send: Send) -> None:
        self._cycle: Any = getattr(send, "__self__", None)

    async def drop(self) -> bool:
        transport = getattr(self._cycle, "transport", None)
        if not isinstance(transport, asyncio.BaseTransport):
            return False
        transport.close()
        # Let the server see the loss before the app returns; uvicorn would otherwise
        # log a missing response and try to send a 500 down the closed socket.
        for _ in range(100):
            if getattr(self._cycle, "disconnected", True):
                break
            await asyncio.sleep(0)
        return True


def of_scope(scope: MutableMapping[str, Any]) -> ClientConnection | None:
    found = scope.get(SCOPE_KEY)
    return found if isinstance(found, ClientConnection) else None
