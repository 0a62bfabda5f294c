"""Relay connections in key order, with Plain's limits.

The arguments become a ``Window``: at most ``limit`` items after a key (forward) or before
one (backward). The store reads just that window from SQL (keyset pagination, ``LIMIT
limit + 1``), so what a page costs depends on its size, not on how many rows there are.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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


@dataclass(frozen=True)
class Window:
    """One page asked for, in ascending key order.

    Forward: the first ``limit`` items with a key greater than ``after`` (or from the start).
    Backward: the last ``limit`` items with a key less than ``before`` (or up to the end).
    Cursors name the key of an item rather than its position, so a page boundary stays put
    when items before it are added or removed between requests, and a cursor whose item is
    gone still marks its place.
    """

    forward: bool
    limit: int
    after: str | None = None
    before: str | None = None


@dataclass(frozen=True)
class Slice(Generic[T]):
    """What the store read for a window: the items in ascending key order, and whether any
    item lies before the first or after the last of them (outside the window's bounds too,
    as the list-slicing emulator always answered: a forward page after a cursor has a
    previous page if any item sits at or before the cursor)."""

    items: Sequence[T]
    has_previous: bool
    has_next: bool


def window(
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Window:
    """The window Relay's arguments ask for; a GraphQL ``input_validation`` error if they
    mix directions, exceed the limits or name a cursor this emulator did not give."""
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
    after_key = None if after is None else _decode_cursor(after, "after")
    before_key = None if before is None else _decode_cursor(before, "before")
    if last is not None:
        return Window(forward=False, limit=last, before=before_key)
    if first is None and before is not None:
        return Window(forward=False, limit=DEFAULT_PAGE_SIZE, before=before_key)
    return Window(
        forward=True,
        limit=DEFAULT_PAGE_SIZE if first is None else first,
        after=after_key,
    )


def connection(
    fetch: Callable[[Window], Slice[T]],
    key: Callable[[T], str],
    **page: Any,
) -> dict[str, Any]:
    """Answer a connection field: read the window the arguments ask for with ``fetch`` and
    shape it as Relay's edges and ``pageInfo``."""
    found = fetch(window(**page))
    edges = [{"cursor": encode_cursor(key(node)), "node": node} for node in found.items]
    return {
        "edges": edges,
        "pageInfo": {
            "hasPreviousPage": found.has_previous,
            "hasNextPage": found.has_next,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
