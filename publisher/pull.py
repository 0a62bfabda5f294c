"""`pull`: write a Plain help center out as content, the inverse of `publish`.

Each group becomes a folder with a `_group.yml`, each article a Markdown file with its
front-matter, and the sidebar order of the index becomes numeric prefixes. Ids are pinned,
so the content publishes back onto the same articles and groups, and publishing it at once
finds nothing to change.
"""

from __future__ import annotations

import posixpath
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from publisher import safe_write
from publisher.content.loader import (
    GROUP_FILE,
    HEADING_SUFFIX,
    MAX_SLUG_CHARS,
    SLUG_RE,
    slug_from_name,
)
from publisher.errors import RefusedError, UsageError
from publisher.html_to_markdown import html_to_markdown
from publisher.plain import HEADING, IndexEntry, PlainClient, RemoteArticle, RemoteGroup
from publisher.render.markdown import render_body
from publisher.sync.state import RemoteState, read_remote

# An article whose HTML is empty still needs a body that `check` accepts; a comment is one,
# and the sanitiser removes it, so publishing sends the same empty HTML back.
EMPTY_BODY = "<!-- This article is empty in Plain: write its content here. -->\n"
#: The longest file or folder name `pull` makes from a slug (before its numeric prefix and
#: suffix): file systems take 255 bytes a name, and a slug may be longer. The front-matter
#: (or `_group.yml`) keeps the whole slug.
MAX_STEM_CHARS = 100


class PullError(UsageError):
    """The help center cannot be written to the destination."""


class PullConflictError(RefusedError):
    """A file the pull would write exists already (and `force` was not given)."""

    def __init__(self, path: Path, count: int) -> None:
        others = f" (and {count - 1} more)" if count > 1 else ""
        super().__init__(
            f"{path} exists already{others}; nothing was written. Pull into an empty folder, "
            "or force it to overwrite the files the help center has (others are left alone)"
        )
        self.path = path
        self.count = count


@dataclass
class PullResult:
    dest: Path
    articles: int = 0
    groups: int = 0
    written: list[Path] = field(default_factory=list)  # every file written, in order
    overwritten: list[Path] = field(default_factory=list)  # those that existed before
    empty: list[str] = field(default_factory=list)  # slugs given the placeholder body
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Node:
    kind: str  # "group", "article" or "heading"
    id: str
    slug: str
    title: str  # for ordering what the index does not name


@dataclass
class Layout:
    """Where every group and article goes: POSIX paths relative to the content folder."""

    group_dirs: dict[str, str] = field(default_factory=dict)  # group id -> folder
    article_files: dict[str, str] = field(default_factory=dict)  # article id -> .md file
    heading_files: dict[str, str] = field(default_factory=dict)  # entry id -> .heading.yml
    warnings: list[str] = field(default_factory=list)


def _file_stem(slug: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", slug.lower()).strip("-")
    return stem[:MAX_STEM_CHARS].rstrip("-") or "untitled"


def _group_parents(remote: RemoteState) -> dict[str, str | None]:
    """Each group's parent, with missing parents and cycles cut to the top level."""
    parents: dict[str, str | None] = {}
    for group in remote.groups:
        parent = group.parent_id if group.parent_id in remote.group_by_id else None
        parents[group.id] = parent
    for group_id in list(parents):
        seen = {group_id}
        current = parents[group_id]
        while current is not None:
            if current in seen:
                parents[group_id] = None
                break
            seen.add(current)
            current = parents[current]
    return parents


def plan_layout(remote: RemoteState) -> Layout:
    """Folders and files for the help center, siblings numbered in index order.

    An item sits under its own group (an article's group, a group's parent); the index
    decides the order among siblings, and what it does not name comes after, by title.
    """
    layout = Layout()
    parents = _group_parents(remote)
    position = {entry.entity_id: i for i, entry in enumerate(remote.index.entries)}
    children: dict[str | None, list[_Node]] = {}
    for group in remote.groups:
        node = _Node("group", group.id, group.slug, group.name)
        children.setdefault(parents[group.id], []).append(node)
    for article in remote.articles:
        group_id = article.group_id if article.group_id in remote.group_by_id else None
        if article.group_id is not None and group_id is None:
            layout.warnings.append(
                f"article '{article.slug}' is in group {article.group_id}, which does not "
                "exist; it is written at the top level"
            )
        node = _Node("article", article.id, article.slug, article.title)
        children.setdefault(group_id, []).append(node)

    headings = _headings(remote)
    for entry in headings.values():
        parent = entry.parent_id if entry.parent_id in remote.group_by_id else None
        title = entry.label or ""
        children.setdefault(parent, []).append(
            _Node("heading", entry.entity_id, _file_stem(title), title)
        )
    for kind in sorted({e.type for e in remote.index.entries if not e.known}):
        layout.warnings.append(
            f"the navigation has entries of type {kind}, which this version cannot write as "
            "files; they stay in Plain where they are"
        )

    unplaced = len(remote.index.entries) + 1

    def order(node: _Node) -> tuple[int, str, str]:
        return (position.get(node.id, unplaced), node.title.lower(), node.slug)

    def place(parent: str | None, folder: str) -> None:
        siblings = sorted(children.get(parent, []), key=order)
        width = max(2, len(str(len(siblings))))
        for number, node in enumerate(siblings, start=1):
            name = f"{number:0{width}d}-{_file_stem(node.slug)}"
            path = posixpath.join(folder, name) if folder else name
            if node.kind == "group":
                layout.group_dirs[node.id] = path
                place(node.id, path)
            elif node.kind == "heading":
                layout.heading_files[node.id] = path + HEADING_SUFFIX
            else:
                layout.article_files[node.id] = path + ".md"

    place(None, "")
    return layout


def _headings(remote: RemoteState) -> dict[str, IndexEntry]:
    """The index's HEADING entries by id (a heading without text cannot be written back)."""
    return {
        e.entity_id: e
        for e in remote.index.entries
        if e.type == HEADING and (e.label or "").strip()
    }


def _yaml(data: dict[str, Any]) -> str:
    text: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=10_000)
    return text


def _group_file(group: RemoteGroup) -> str:
    return _yaml({"name": group.name, "slug": group.slug, "id": group.id})


def _front_matter(article: RemoteArticle, path: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"title": article.title}
    derived, _ = slug_from_name(posixpath.basename(path).removesuffix(".md"))
    if derived != article.slug:
        meta["slug"] = article.slug
    if article.description:
        meta["description"] = article.description
    if article.icon:
        meta["icon"] = article.icon
    if article.status == "DRAFT":
        meta["status"] = "draft"
    meta["id"] = article.id
    return meta


def _convert_all(remote: RemoteState, layout: Layout) -> tuple[dict[str, str], list[str]]:
    """Article id -> Markdown body, and the slugs whose HTML was empty."""
    paths = {
        remote.article_by_id[article_id].slug: path
        for article_id, path in layout.article_files.items()
    }
    # Two passes: the first finds each article's heading anchors as our renderer names
    # them, so links to anchors that do not exist stay as they are rather than failing
    # `check`; the second writes the links.
    anchors: dict[str, list[str]] = {}
    for article in remote.articles:
        first = html_to_markdown(article.content_html)
        anchors[article.slug] = render_body(first, paths.get(article.slug, "")).anchors
    bodies: dict[str, str] = {}
    empty: list[str] = []
    for article in remote.articles:
        source = layout.article_files[article.id]
        body = html_to_markdown(
            article.content_html, article_paths=paths, source_path=source, anchors=anchors
        )
        if not body.strip():
            body = EMPTY_BODY
            empty.append(article.slug)
        bodies[article.id] = body
    return bodies, empty


def pull_files(remote: RemoteState) -> tuple[dict[str, str], Layout, list[str]]:
    """Every file of the content (relative POSIX path -> text), the layout, and the slugs
    of articles that were empty. Nothing is written."""
    layout = plan_layout(remote)
    bodies, empty = _convert_all(remote, layout)
    files: dict[str, str] = {}
    for group_id, folder in layout.group_dirs.items():
        files[posixpath.join(folder, GROUP_FILE)] = _group_file(remote.group_by_id[group_id])
    for article_id, path in layout.article_files.items():
        article = remote.article_by_id[article_id]
        meta = _front_matter(article, path)
        if not SLUG_RE.match(article.slug) or len(article.slug) > MAX_SLUG_CHARS:
            layout.warnings.append(
                f"{path}: Plain's slug '{article.slug}' is not one `publisher check` accepts; "
                "change it before publishing"
            )
        files[path] = f"---\n{_yaml(meta)}---\n\n{bodies[article_id]}"
    headings = _headings(remote)
    for entry_id, path in layout.heading_files.items():
        files[path] = _yaml({"title": headings[entry_id].label, "id": entry_id})
    return files, layout, empty


def write_files(
    dest: Path,
    files: dict[str, str],
    *,
    force: bool = False,
    on_write: Callable[[Path], None] | None = None,
) -> tuple[list[Path], list[Path]]:
    """Write `files` under `dest`: (written, overwritten). Without `force`, raises
    PullConflictError before writing anything if any of them exists.

    Nothing is written through a link under `dest` (`dest` itself, the folder the user
    chose, may be one): a folder on the way that is a link, wherever it points, or a file,
    pipe or device where a folder or file must go, is a PullError before anything is
    written, forced or not. A file that is itself a link counts as existing; `force`
    replaces the link with the file, never writing through it."""
    if dest.exists() and not dest.is_dir():
        raise PullError(f"{dest} is a file, not a folder")
    targets = [(rel, dest / rel, text) for rel, text in sorted(files.items())]
    existing: list[Path] = []
    for rel, path, _ in targets:
        try:
            safe_write.check_parents(dest, rel)
        except safe_write.UnsafePath as unsafe:
            raise _unsafe_destination(dest, unsafe) from None
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(mode):
            raise PullError(f"{path} is a folder where the pull needs a file")
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            raise _unsafe_destination(dest, safe_write.UnsafePath(path, safe_write.NOT_A_FILE))
        existing.append(path)
    if existing and not force:
        raise PullConflictError(existing[0], len(existing))
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for rel, path, text in targets:
        try:
            safe_write.write_file(dest, rel, text.encode("utf-8"))
        except safe_write.UnsafePath as unsafe:  # appeared since the check
            raise _unsafe_destination(dest, unsafe) from None
        written.append(path)
        if on_write is not None:
            on_write(path)
    return written, existing


def _unsafe_destination(dest: Path, unsafe: safe_write.UnsafePath) -> PullError:
    if unsafe.reason == safe_write.NOT_A_FOLDER:
        return PullError(f"{unsafe.path} is a file where the pull needs a folder")
    return PullError(
        f"{unsafe.path}: {unsafe.reason}. `pull` writes only real files and folders inside "
        f"{dest}: remove it, or pull into another folder"
    )


def pull_help_center(
    client: PlainClient, help_center_id: str, dest: Path, *, force: bool = False
) -> PullResult:
    """Read the help center and write it as content under `dest` (the content folder).

    Raises PullConflictError, naming the first file, when files it would write exist
    already and `force` is not given; nothing is written then. With `force` those files
    are overwritten and every other file under `dest` is left alone.
    """
    remote = read_remote(client, help_center_id)
    return write_remote(remote, dest, force=force)


def write_remote(remote: RemoteState, dest: Path, *, force: bool = False) -> PullResult:
    """The writing half of `pull_help_center`, for a help center already read."""
    files, layout, empty = pull_files(remote)
    written, overwritten = write_files(dest, files, force=force)
    return PullResult(
        dest=dest,
        articles=len(layout.article_files),
        groups=len(layout.group_dirs),
        written=written,
        overwritten=overwritten,
        empty=empty,
        warnings=layout.warnings,
    )


__all__ = [
    "EMPTY_BODY",
    "Layout",
    "PullConflictError",
    "PullError",
    "PullResult",
    "plan_layout",
    "pull_files",
    "pull_help_center",
    "write_files",
    "write_remote",
]
