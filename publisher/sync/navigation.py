"""The navigation index: the content's tree merged with the entries the content does not manage."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from publisher.errors import RemoteError
from publisher.plain import IndexEntry, PlainClient, PlainError


def merge_index(
    desired: Sequence[IndexEntry],
    current: Sequence[IndexEntry],
    *,
    drop: Iterable[str] = (),
) -> list[IndexEntry]:
    """The index to write: `desired` in its order, then every entry of `current` that the
    content does not manage (made by hand in Plain, say: an article, a heading, or an entry
    of a type this tool does not know), after the managed entries of its old parent and in
    its old order, or at the top level when that parent is gone.

    `drop` names entity ids to leave out (what a prune deletes, and headings the content
    declared once and no longer does).
    """
    dropped = set(drop)
    managed = {entry.entity_id for entry in desired}
    unmanaged = [
        entry
        for entry in current
        if entry.entity_id not in managed and entry.entity_id not in dropped
    ]
    groups = {e.entity_id for e in (*desired, *unmanaged) if e.is_container}

    children: dict[str | None, list[IndexEntry]] = {}
    for entry in desired:
        children.setdefault(entry.parent_id, []).append(entry)
    for entry in unmanaged:
        parent = entry.parent_id if entry.parent_id in groups else None
        children.setdefault(parent, []).append(replace(entry, parent_id=parent))

    return flatten(children)


def tree_order(entries: Sequence[IndexEntry]) -> list[IndexEntry]:
    """The same tree, listed depth first: Plain may list a new entry at the very end, after
    other groups' contents, which is the same sidebar."""
    children: dict[str | None, list[IndexEntry]] = {}
    for entry in entries:
        children.setdefault(entry.parent_id, []).append(entry)
    return flatten(children)


def flatten(children: dict[str | None, list[IndexEntry]]) -> list[IndexEntry]:
    """A tree given as parent id -> children, as the index's flat list: each group followed
    by its contents, depth first, from the top level (None)."""
    flat: list[IndexEntry] = []
    seen: set[str] = set()

    def visit(parent: str | None) -> None:
        for entry in children.get(parent, []):
            if entry.entity_id in seen:  # a malformed index naming an entity twice
                continue
            seen.add(entry.entity_id)
            flat.append(entry)
            if entry.is_container:
                visit(entry.entity_id)

    visit(None)
    return flat


class IndexConflictError(RemoteError):
    """The index kept changing under us (another writer) beyond the retry bound."""


@dataclass
class IndexWrite:
    written: bool
    attempts: int


def write_index(
    client: PlainClient,
    help_center_id: str,
    change: Callable[[list[IndexEntry]], list[IndexEntry]],
    *,
    attempts: int = 5,
) -> IndexWrite:
    """Read the index, apply `change` to it and write it with the hash just read, unless it
    comes out the same. When the write fails and a fresh read shows another hash, someone
    re-indexed in between: read, change and try again, up to `attempts` times. A failure
    with the hash unchanged is Plain refusing the index itself, and is raised."""
    for attempt in range(1, attempts + 1):
        current = client.get_index(help_center_id)
        entries = change(list(current.entries))
        if entries == tree_order(current.entries):
            return IndexWrite(False, attempt)
        try:
            client.update_index(help_center_id, hash=current.hash, entries=entries)
        except PlainError:
            if client.get_index(help_center_id).hash == current.hash:
                raise
            continue
        return IndexWrite(True, attempt)
    raise IndexConflictError(
        f"the navigation index changed {attempts} times while writing it (another publish "
        "or an edit in Plain); everything else is written: run again"
    )
