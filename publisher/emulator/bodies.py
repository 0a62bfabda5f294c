"""Reading a request body with a bound, for routes that anyone on the network can reach."""

from __future__ import annotations

from starlette.requests import Request


class BodyTooLarge(Exception):
    """The body is, or says it is, larger than the route accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit


class BadContentLength(Exception):
    """The Content-Length header is not a number."""


def declared_length(request: Request) -> int | None:
    """The body's Content-Length, None when not given (chunked); BadContentLength if it is
    not a number."""
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    if not declared.isascii() or not declared.isdigit():
        raise BadContentLength(declared)
    return int(declared)


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request body, refused (BodyTooLarge) as soon as it is known to exceed ``limit``
    bytes: by its Content-Length before reading anything, else while it streams in."""
    declared = declared_length(request)
    if declared is not None and declared > limit:
        raise BodyTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
