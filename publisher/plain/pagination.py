"""Walking Relay connections: forward (``first``/``after``) to the end, or from both ends at
once (``first``/``after`` and ``last``/``before``) until the two walks meet."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
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
    #: Read for pages walked backward (``last``/``before``); a forward page may leave them out.
    has_previous_page: bool = False
    start_cursor: str | None = None

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
            has_previous_page=bool(page_info.get("hasPreviousPage")),
            start_cursor=page_info.get("startCursor"),
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
        after = _next_cursor(page.end_cursor, seen, operation)


def _next_cursor(cursor: str | None, seen: set[str], operation: str | None) -> str:
    if not cursor or cursor in seen:
        raise InvalidResponseError(
            "pagination did not advance (more pages announced without a new cursor)",
            operation=operation,
        )
    seen.add(cursor)
    return cursor


#: Runs the page requests of one round at the same time; results in the order given.
RunRound = Callable[[Sequence[Callable[[], Page[T]]]], list[Page[T]]]


def _one_after_another(thunks: Sequence[Callable[[], Page[T]]]) -> list[Page[T]]:
    return [thunk() for thunk in thunks]


def walk_both_ends(
    fetch_forward: Callable[[str | None], Page[T]],
    fetch_backward: Callable[[str | None], Page[T]],
    key: Callable[[T], str],
    *,
    run_round: RunRound[T] | None = None,
    expected: int | None = None,
    page_size: int = PAGE_SIZE,
    operation: str | None = None,
) -> list[T]:
    """Every item of a connection, in the connection's order, read from both ends at once.

    Each round asks for the next page after the front (``fetch_forward(after)``) and the
    next page before the back (``fetch_backward(before)``) together, so a connection of N
    items takes about N / (2 × page size) rounds instead of N / page size. The walks have met
    when a page holds an item the other walk has seen, or says nothing lies beyond it; the
    order of items is the server's, so what lies between is then read.

    ``expected`` is how many items the caller expects (the content's count, say). When less
    than a page of it is left, a round asks only forward: a connection that small costs one
    request, and two walks that happen to end side by side (nothing overlaps) are confirmed
    with one request, not two. A wrong guess costs at most that one round; it is never
    trusted to end the walk. Requests: at most ⌊N / page size⌋ + 2 whatever the guess, and
    ⌈N / page size⌉ + 1 in ⌈N / (2 × page size)⌉ + 1 rounds when it is right.

    A server that answers ``last`` with the first page (its ``hasNextPage`` true without a
    ``before``) is read forward only, from where the front got to.
    """
    run = run_round or _one_after_another
    front: list[T] = []
    back_pages: list[tuple[T, ...]] = []
    front_keys: set[str] = set()
    back_keys: set[str] = set()
    all_keys: set[str] = set()
    after: str | None = None
    before: str | None = None
    after_seen: set[str] = set()
    before_seen: set[str] = set()
    backward_works = True
    forward_only_spent = False
    while True:
        both = backward_works
        # Less than a page left, or a page and nothing read from the end yet (the forward
        # page then says whether it reached the end).
        left = None if expected is None else expected - len(all_keys)
        if (
            both
            and left is not None
            and not forward_only_spent
            and (left < page_size or (left == page_size and not back_keys))
        ):
            both = False
            forward_only_spent = True
        current_before = before
        thunks: list[Callable[[], Page[T]]] = [functools.partial(fetch_forward, after)]
        if both:
            thunks.append(functools.partial(fetch_backward, before))
        pages = run(thunks)
        forward = pages[0]
        forward_keys = [key(item) for item in forward.items]
        met = not forward.has_next_page or any(k in back_keys for k in forward_keys)
        front.extend(forward.items)
        front_keys.update(forward_keys)
        all_keys.update(forward_keys)
        if both:
            backward = pages[1]
            if current_before is None and backward.has_next_page:
                backward_works = False  # the server ignored `last`: a first page came back
            else:
                backward_keys = [key(item) for item in backward.items]
                met = (
                    met
                    or not backward.has_previous_page
                    or any(k in front_keys for k in backward_keys)
                )
                back_pages.append(backward.items)
                back_keys.update(backward_keys)
                all_keys.update(backward_keys)
                if not met:
                    before = _next_cursor(backward.start_cursor, before_seen, operation)
        if met:
            break
        after = _next_cursor(forward.end_cursor, after_seen, operation)
    items: list[T] = []
    kept: set[str] = set()
    for page in [tuple(front), *reversed(back_pages)]:
        for item in page:
            item_key = key(item)
            if item_key not in kept:
                kept.add(item_key)
                items.append(item)
    return items
