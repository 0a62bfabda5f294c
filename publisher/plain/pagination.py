"""Walking Relay connections forward (``first``/``after``) to the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from publisher.plain.errors import InvalidResponseError

T = TypeVar("T")

#: Plain's maximum page size; the largest page means the fewest requests.
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    has_next_page: bool
    end_cursor: str | None

    @classmethod
    def from_connection(
        cls, connection: Mapping[str, Any], parse_node: Callable[[Mapping[str, Any]], T]
    ) -> Page[T]:
        """Parse a connection object (``edges { node }`` and ``pageInfo``)."""
        page_info = connection["pageInfo"]
        return cls(
            items=tuple(parse_node(edge["node"]) for edge in connection["edges"]),
            has_next_page=bool(page_info["hasNextPage"]),
            end_cursor=page_info.get("endCursor"),
        )


def paginate(
    fetch_page: Callable[[str | None], Page[T]], *, operation: str | None = None
) -> Iterator[T]:
    """Yield every item of a connection, calling ``fetch_page(after)`` until the last page.

    A server that claims more pages without moving its cursor would loop forever, so that is
    reported as an invalid response instead.
    """
    after: str | None = None
    seen: set[str] = set()
    while True:
        page = fetch_page(after)
        yield from page.items
        if not page.has_next_page:
            return
        cursor = page.end_cursor
        if not cursor or cursor in seen:
            raise InvalidResponseError(
                "pagination did not advance (hasNextPage without a new endCursor)",
                operation=operation,
            )
        seen.add(cursor)
        after = cursor
