"""The typed model of a help center as the content repository describes it."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Status = Literal["published", "draft"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, reported as `path:line: message`."""

    path: Path
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def format(self, relative_to: Path | None = None) -> str:
        shown = self.path
        if relative_to is not None:
            with contextlib.suppress(ValueError):
                shown = self.path.relative_to(relative_to)
        prefix = "" if self.severity == "error" else "warning: "
        return f"{shown}:{self.line}: {prefix}{self.message}"


@dataclass
class Article:
    """One Markdown file: its front-matter settled to final values, and its body."""

    path: Path  # absolute path of the .md file
    rel_path: str  # POSIX path relative to the content root, e.g. "billing/refunds.md"
    slug: str
    title: str
    body: str  # Markdown without front-matter (and without the H1 when it gave the title)
    body_line: int  # 1-based line of the file where `body` starts
    status: Status = "published"
    description: str | None = None
    icon: str | None = None
    order: int | None = None
    id: str | None = None
    aliases: tuple[str, ...] = ()
    group: Group | None = field(default=None, repr=False)

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return _sort_key(self.order, self.title, self.slug)


@dataclass
class Group:
    """A folder of articles; folders inside it are nested groups."""

    path: Path  # absolute path of the folder
    rel_path: str  # POSIX path of the folder relative to the content root
    slug: str
    name: str
    order: int | None = None
    id: str | None = None
    parent: Group | None = field(default=None, repr=False)
    children: list[Node] = field(default_factory=list, repr=False)

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return _sort_key(self.order, self.name, self.slug)

    @property
    def config_path(self) -> Path:
        return self.path / "_group.yml"


@dataclass
class Heading:
    """A sidebar heading: a text label between its siblings, declared by a `*.heading.yml`
    file. It holds no content; Plain keeps it only in the navigation index."""

    path: Path  # absolute path of the .heading.yml file
    rel_path: str
    slug: str  # from the file name, numeric prefix dropped
    title: str
    order: int | None = None
    id: str | None = None  # the index entry id in Plain, pinned (as `pull` writes it)
    group: Group | None = field(default=None, repr=False)

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return _sort_key(self.order, self.title, self.slug)

    @property
    def entity_id(self) -> str:
        """The id of its index entry: the pinned one, or one made from where it sits, which
        stays the same when its title or order changes."""
        if self.id:
            return self.id
        return HEADING_ID_PREFIX + "_".join([*(g.slug for g in _ancestors(self.group)), self.slug])


#: Index entry ids this tool makes for headings declared in the content. An entry with such
#: an id that the content no longer declares was this tool's, and leaves the sidebar.
HEADING_ID_PREFIX = "heading_"


def _ancestors(group: Group | None) -> list[Group]:
    chain: list[Group] = []
    while group is not None:
        chain.append(group)
        group = group.parent
    return chain[::-1]


Node = Article | Group | Heading


def _sort_key(order: int | None, title: str, slug: str) -> tuple[int, int, str, str]:
    # Ordered items first by their order; the rest after them by title; slug breaks ties
    # so the navigation never depends on file-system listing order.
    if order is None:
        return (1, 0, title.casefold(), slug)
    return (0, order, title.casefold(), slug)


@dataclass
class HelpCenterContent:
    """Everything under one content root, in navigation order."""

    root: Path
    top: list[Node] = field(default_factory=list)  # top-level groups and articles, sorted
    articles: dict[str, Article] = field(default_factory=dict)  # by slug
    groups: dict[str, Group] = field(default_factory=dict)  # by slug
    by_path: dict[str, Article] = field(default_factory=dict)  # by rel_path
    images: dict[str, Path] = field(default_factory=dict)  # rel_path -> file, those referenced
    headings: dict[str, Heading] = field(default_factory=dict)  # by entity id

    def walk(self) -> list[Node]:
        """Every node, depth first, in navigation order."""
        out: list[Node] = []

        def visit(nodes: list[Node]) -> None:
            for node in nodes:
                out.append(node)
                if isinstance(node, Group):
                    visit(node.children)

        visit(self.top)
        return out
