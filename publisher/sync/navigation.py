"""The navigation index: the content's tree merged with the entries the content does not manage."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from publisher.plain import IndexEntry


def merge_index(
    desired: Sequence[IndexEntry],
    current: Sequence[IndexEntry],
    *,
    drop: Iterable[str] = (),
) -> list[IndexEntry]:
    """The index to write: `desired` in its order, then every entry of `current` that the
    content does not manage (made by hand in Plain, say), after the managed entries of its
    old parent and in its old order, or at the top level when that parent is gone.

    `drop` names entity ids to leave out (what a prune deletes).
    """
    dropped = set(drop)
    managed = {entry.entity_id for entry in desired}
    unmanaged = [
        entry
        for entry in current
        if entry.entity_id not in managed and entry.entity_id not in dropped
    ]
    groups = {e.entity_id for e in (*desired, *unmanaged) if e.type == "ARTICLE_GROUP"}

    children: dict[str | None, list[IndexEntry]] = {}
    for entry in desired:
        children.setdefault(entry.parent_id, []).append(entry)
    for entry in unmanaged:
        parent = entry.parent_id if entry.parent_id in groups else None
        children.setdefault(parent, []).append(
            IndexEntry(entry.type, entry.entity_id, parent, entry.title, entry.slug)
        )

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
            if entry.type == "ARTICLE_GROUP":
                visit(entry.entity_id)

    visit(None)
    return flat
