"""Relay connections over an id-ordered list, with Plain's limits."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from graphql import GraphQLError

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
_CURSOR_PREFIX = "cursor:"


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode((_CURSOR_PREFIX + key).encode()).decode()


def _decode_cursor(cursor: str, argument: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith(_CURSOR_PREFIX):
        raise _bad_input(f"`{argument}` is not a valid cursor")
    return text[len(_CURSOR_PREFIX) :]


def _bad_input(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "input_validation"})


def _check_size(value: int | None, argument: str) -> None:
    if value is None:
        return
    if value < 0:
        raise _bad_input(f"`{argument}` must not be negative")
    if value > MAX_PAGE_SIZE:
        raise _bad_input(f"`{argument}` must not be greater than {MAX_PAGE_SIZE}")


def connection(
    nodes: Sequence[T],
    key: Callable[[T], str],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> dict[str, Any]:
    """Slice ``nodes`` (sorted by ``key``) as a Relay connection.

    Cursors name the key of an item rather than its position, so a page boundary stays put
    when items before it are added or removed between requests.
    """
    if first is not None and last is not None:
        raise _bad_input("Use either `first` or `last`, not both")
    if first is not None and before is not None:
        raise _bad_input("`first` cannot be combined with `before`; use `last`")
    if last is not None and after is not None:
        raise _bad_input("`last` cannot be combined with `after`; use `first`")
    if after is not None and before is not None:
        raise _bad_input("Use either `after` or `before`, not both")
    _check_size(first, "first")
    _check_size(last, "last")
    if first is None and last is None:
        if before is None:
            first = DEFAULT_PAGE_SIZE
        else:
            last = DEFAULT_PAGE_SIZE

    keys = [key(node) for node in nodes]
    start, end = 0, len(nodes)
    if after is not None:
        after_key = _decode_cursor(after, "after")
        start = next((i for i, k in enumerate(keys) if k > after_key), len(nodes))
    if before is not None:
        before_key = _decode_cursor(before, "before")
        end = next((i for i, k in enumerate(keys) if k >= before_key), len(nodes))
    if first is not None:
        end = min(end, start + first)
    elif last is not None:
        start = max(start, end - last)

    edges = [
        {"cursor": encode_cursor(keys[i]), "node": nodes[i]} for i in range(start, max(start, end))
    ]
    return {
        "edges": edges,
        "pageInfo": {
            "hasPreviousPage": start > 0,
            "hasNextPage": end < len(nodes),
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
