"""The preview's navigation: the sidebar's tree in publish order, and the bounded part of it
that each page carries.

A page does not embed the whole tree (with ten thousand articles that would make every page
as large as the help center, and the site as large as its square). It carries its *trail*:
at each level from the top down to the page, a window of at most ``2 * WINDOW + 1`` entries
around the way to the page, with "N more" links to the group pages that list the rest. That
works without JavaScript. With JavaScript, `nav.js` swaps in the whole tree, from one
navigation document shared by every page (`NAV_PAGE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from publisher.content.model import Group, Heading, HelpCenterContent, Node
from publisher.site.compiler import article_url

#: Entries shown on each side of the way to the current page, at each level of its trail.
WINDOW = 5
#: Cards on one page of a group (or of the home page); more make more pages.
CARDS_PER_PAGE = 100
#: The whole tree as one HTML fragment, and the script that shows it, in every built site.
NAV_PAGE = "_publisher/nav.html"
NAV_SCRIPT = "_publisher/nav.js"

EntryKind = Literal["article", "group", "heading"]
# What a page shows of an entry (in a sidebar or as a card): kind, key, title, URL,
# description, draft, article count. Pages are rendered again when it changes.
Face = tuple[str, str, str, str | None, str | None, bool, int]


def group_url(slug: str) -> str:
    return f"/group/{slug}/"


def listing_url(parent: Entry | None, position: int = 0) -> str:
    """The page of `parent`'s listing (the home page's for the top level) that shows the
    entry at `position` among its children."""
    base = parent.url if parent is not None and parent.url else "/"
    number = position // CARDS_PER_PAGE + 1
    return base if number == 1 else f"{base}page/{number}/"


def listing_pages(count: int) -> int:
    """How many pages list `count` entries (one at least, even empty)."""
    return max(1, -(-count // CARDS_PER_PAGE))


def node_key(node: Node) -> str:
    if isinstance(node, Heading):
        return f"heading:{node.entity_id}"
    if isinstance(node, Group):
        return f"group:{node.slug}"
    return f"article:{node.slug}"


@dataclass(eq=False)
class Entry:
    """One node of the sidebar, as pages show it."""

    kind: EntryKind
    key: str
    title: str
    url: str | None = None  # None for a heading: a label, not a page
    description: str | None = None
    draft: bool = False
    count: int = 0  # a group's articles, nested groups' included
    children: list[Entry] = field(default_factory=list)
    parent: Entry | None = field(default=None, repr=False)

    @property
    def face(self) -> Face:
        return (
            self.kind,
            self.key,
            self.title,
            self.url,
            self.description,
            self.draft,
            self.count,
        )


def entry_for(node: Node) -> Entry:
    """A node's entry without its children (see `Navigation`)."""
    if isinstance(node, Heading):
        return Entry("heading", node_key(node), node.title)
    if isinstance(node, Group):
        return Entry("group", node_key(node), node.name, group_url(node.slug))
    return Entry(
        "article",
        node_key(node),
        node.title,
        article_url(node.slug),
        node.description,
        node.status == "draft",
    )


@dataclass
class Item:
    """An entry as one page's sidebar shows it: open (with its own window) on the way to the
    page, closed elsewhere."""

    entry: Entry
    children: Level | None = None
    open: bool = False


@dataclass
class Level:
    """A window onto one list of entries: `before` and `after` entries are left out, and
    `before_url` and `after_url` are the listing pages that show the nearest of them."""

    items: list[Item]
    before: int = 0
    after: int = 0
    before_url: str | None = None
    after_url: str | None = None


def _bounds(length: int, center: int | None) -> tuple[int, int]:
    """The slice of a list of `length` entries a trail shows around `center` (from the start
    when None): 2 * WINDOW + 1 entries when there are that many, shifted at either end."""
    size = 2 * WINDOW + 1
    if center is None or length <= size:
        return 0, min(length, size)
    low = min(max(0, center - WINDOW), length - size)
    return low, low + size


class Navigation:
    """The tree of entries in publish order, with each entry's place in it."""

    def __init__(self, content: HelpCenterContent) -> None:
        self.top: list[Entry] = []
        self.entries: dict[str, Entry] = {}
        self.index: dict[str, int] = {}  # key -> position among its siblings
        # A stack rather than recursion: how deep groups nest never meets Python's limit.
        stack: list[tuple[list[Node], Entry | None]] = [(content.top, None)]
        groups: list[Entry] = []
        while stack:
            nodes, parent = stack.pop()
            siblings = self.top if parent is None else parent.children
            for position, node in enumerate(nodes):
                entry = entry_for(node)
                entry.parent = parent
                siblings.append(entry)
                self.entries[entry.key] = entry
                self.index[entry.key] = position
                if isinstance(node, Group):
                    groups.append(entry)
                    stack.append((node.children, entry))
        for group in reversed(groups):  # children before their parents
            group.count = sum(
                1 if child.kind == "article" else child.count
                for child in group.children
                if child.kind != "heading"
            )

    def siblings(self, entry: Entry) -> list[Entry]:
        return self.top if entry.parent is None else entry.parent.children

    def trail_of(self, key: str | None) -> list[Entry]:
        """The entries from the top level down to `key` (none for the home page)."""
        chain: list[Entry] = []
        entry = self.entries.get(key) if key else None
        while entry is not None:
            chain.append(entry)
            entry = entry.parent
        return chain[::-1]

    def sidebar(self, key: str | None) -> Level:
        """What the page of `key` shows of the tree: its trail, windowed. A group's own page
        shows the group open, from its first entries."""
        trail = self.trail_of(key)
        return self._level(self.top, trail, None)

    def _level(self, entries: list[Entry], trail: list[Entry], parent: Entry | None) -> Level:
        on_way = trail[0] if trail else None
        center = self.index[on_way.key] if on_way is not None else None
        low, high = _bounds(len(entries), center)
        items = []
        for entry in entries[low:high]:
            if entry is on_way and entry.kind == "group":
                assert entry.url is not None
                items.append(Item(entry, self._level(entry.children, trail[1:], entry), open=True))
            else:
                items.append(Item(entry))
        return Level(
            items,
            low,
            len(entries) - high,
            listing_url(parent, low - 1) if low else None,
            listing_url(parent, high) if high < len(entries) else None,
        )

    def sidebar_signature(self, key: str | None) -> tuple[object, ...]:
        """Everything `sidebar(key)` shows, without building it: what a page is compared by."""
        parts: list[object] = []
        entries = self.top
        for entry in [*self.trail_of(key), None]:
            center = self.index[entry.key] if entry is not None else None
            low, high = _bounds(len(entries), center)
            parts.append((low, len(entries), *(e.face for e in entries[low:high])))
            if entry is None or entry.kind != "group":
                break
            entries = entry.children
        return tuple(parts)

    def whole(self) -> Level:
        """The whole tree, every group with its entries (the navigation document)."""

        def level(entries: list[Entry]) -> Level:
            return Level(
                [
                    Item(entry, level(entry.children) if entry.kind == "group" else None)
                    for entry in entries
                ]
            )

        return level(self.top)

    def faces(self) -> list[Face]:
        """Every entry's face, depth first: what the navigation document is compared by."""
        out: list[Face] = []
        stack = list(reversed(self.top))
        while stack:
            entry = stack.pop()
            out.append(entry.face)
            stack.extend(reversed(entry.children))
        return out

    def showing(self, key: str) -> set[str]:
        """The keys of the pages whose trail shows the entry `key`, besides its own page:
        the pages at and under each of its neighbours within a window, and the pages of the
        group it is in ("" for the home page at the top). A superset is fine: pages are
        compared before they count as changed."""
        entry = self.entries[key]
        siblings = self.siblings(entry)
        position = self.index[key]
        size = 2 * WINDOW + 1
        keys: set[str] = {entry.parent.key if entry.parent else ""}
        for neighbour in siblings[max(0, position - size) : position + size + 1]:
            stack = [neighbour]
            while stack:
                node = stack.pop()
                keys.add(node.key)
                stack.extend(node.children)
        return keys


__all__ = [
    "CARDS_PER_PAGE",
    "NAV_PAGE",
    "NAV_SCRIPT",
    "WINDOW",
    "Entry",
    "Face",
    "Item",
    "Level",
    "Navigation",
    "entry_for",
    "group_url",
    "listing_pages",
    "listing_url",
    "node_key",
]
