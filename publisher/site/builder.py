"""Turns a CompiledSite into the static preview site: pages in memory, then one atomic write."""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any, ClassVar

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

import publisher
from publisher import safe_write
from publisher.content.loader import BUILD_MARKER
from publisher.content.model import Article, Group
from publisher.errors import UsageError
from publisher.site.compiler import CompiledSite, local_image_url
from publisher.site.navigation import (
    CARDS_PER_PAGE,
    NAV_PAGE,
    NAV_SCRIPT,
    Entry,
    Level,
    Navigation,
    listing_pages,
    listing_url,
    node_key,
)

# Written into every built site so a rebuild never replaces a folder it did not create.
MARKER = BUILD_MARKER


class OutputError(UsageError):
    """The output folder cannot be used (not ours, not writable)."""


def default_templates_dir() -> Path:
    """The theme shipped with the package (installed wheel), or the checkout's `templates/`."""
    packaged = Path(str(files(publisher) / "templates"))
    if packaged.is_dir():
        return packaged
    return Path(publisher.__file__).resolve().parent.parent / "templates"


def template_environment(override: Path | None = None) -> Environment:
    loaders = [FileSystemLoader(str(default_templates_dir()))]
    if override is not None and override.is_dir():
        loaders.insert(0, FileSystemLoader(str(override)))
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def page_path(node: Article | Group) -> str:
    """Where a node's page lives in the output, so that its URL serves it."""
    if isinstance(node, Group):
        return f"group/{node.slug}/index.html"
    return f"article/{node.slug}/index.html"


HOME_PAGE = "index.html"


@dataclass
class SiteFiles:
    """Everything a build writes: generated pages, and files copied as they are."""

    pages: dict[str, str]  # output path -> HTML
    copies: dict[str, Path]  # output path -> source file


def _crumbs(entry: Entry | None) -> tuple[tuple[str, str | None], ...]:
    """(title, URL) of the groups above `entry`, from the top."""
    chain: list[tuple[str, str | None]] = []
    while entry is not None:
        chain.append((entry.title, entry.url))
        entry = entry.parent
    return tuple(chain[::-1])


def _listing_path(group_slug: str | None, number: int) -> str:
    base = f"group/{group_slug}/" if group_slug is not None else ""
    return f"{base}index.html" if number == 1 else f"{base}page/{number}/index.html"


def listing_path(group: Group | None, number: int = 1) -> str:
    """Where page `number` of a group's cards (or the home page's) lives in the output."""
    return _listing_path(group.slug if group is not None else None, number)


def _page_of_cards(entries: list[Entry], number: int) -> list[Entry]:
    return entries[(number - 1) * CARDS_PER_PAGE : number * CARDS_PER_PAGE]


def _pager(entry: Entry | None, number: int, count: int) -> dict[str, object]:
    """Page `number` of a listing of `count` entries: its neighbours' URLs."""
    pages = listing_pages(count)
    first = (number - 1) * CARDS_PER_PAGE
    return {
        "number": number,
        "count": pages,
        "first": first + 1,
        "last": min(count, first + CARDS_PER_PAGE),
        "total": count,
        "previous": listing_url(entry, first - CARDS_PER_PAGE) if number > 1 else None,
        "next": listing_url(entry, first + CARDS_PER_PAGE) if number < pages else None,
    }


def _templates_digest(env: Environment) -> str:
    loader = env.loader
    assert loader is not None
    digest = hashlib.sha256()
    for name in sorted(loader.list_templates()):
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(loader.get_source(env, name)[0].encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


class SitePages:
    """Every page of the preview site, each rendered only when asked for, so that neither a
    build nor the preview holds the finished site: a page's `signature` says everything it
    shows, and pages are compared by it before they are rendered.

    Pages: the home page and one per group, each in pages of CARDS_PER_PAGE cards, one per
    article, the navigation document (`NAV_PAGE`, the whole tree, which `NAV_SCRIPT` shows
    in every page's sidebar)."""

    def __init__(self, site: CompiledSite, env: Environment, site_name: str) -> None:
        self.site = site
        self.env = env
        self.site_name = site_name
        self.navigation = Navigation(site.content)
        # page -> (its node, or None for the home page; which page of a listing it is)
        self.nodes: dict[str, tuple[Article | Group | None, int]] = {}
        self._add_listing(None, len(self.navigation.top))
        for node in site.content.walk():
            if isinstance(node, Group):
                self._add_listing(node, len(node.children))
            elif isinstance(node, Article):  # a heading has no page of its own
                self.nodes[page_path(node)] = (node, 1)
        self._navigation_html: str | None = None
        self._style = (
            publisher.__version__,
            sys.version,
            site_name,
            _templates_digest(env),
        )

    @property
    def copies(self) -> dict[str, Path]:
        """The images articles use, copied as they are (known once the articles are
        checked: a site made while they render gets them at the end)."""
        return {f"assets/{rel}": path for rel, path in sorted(self.site.content.images.items())}

    def navigation_changed(self) -> None:
        """Entries of `navigation` were changed in place (a title, say): forget the
        navigation document made from them."""
        self._navigation_html = None

    def _add_listing(self, group: Group | None, count: int) -> None:
        """The pages of a group (or the home page): CARDS_PER_PAGE cards each."""
        for number in range(1, listing_pages(count) + 1):
            self.nodes[listing_path(group, number)] = (group, number)

    def paths(self) -> list[str]:
        return [*self.nodes, NAV_PAGE, NAV_SCRIPT]

    def __contains__(self, path: str) -> bool:
        return path in self.nodes or path in (NAV_PAGE, NAV_SCRIPT)

    def paths_of(self, key: str) -> list[str]:
        """The pages of the entry `key` ("" for the home page): all of a listing's pages."""
        if key == "":
            return self._listing(None)
        entry = self.navigation.entries.get(key)
        if entry is None or entry.kind == "heading":
            return []
        if entry.kind == "article":
            return [f"article/{key.partition(':')[2]}/index.html"]
        return self._listing(entry)

    def _listing(self, entry: Entry | None) -> list[str]:
        count = len(entry.children if entry is not None else self.navigation.top)
        base = entry.key.partition(":")[2] if entry is not None else None
        return [_listing_path(base, number) for number in range(1, listing_pages(count) + 1)]

    def pages_showing(self, key: str) -> set[str]:
        """The pages whose sidebar, cards or trail may show the entry `key` (a superset)."""
        return {path for shown in self.navigation.showing(key) for path in self.paths_of(shown)}

    def signature(self, path: str) -> tuple[object, ...]:
        """What the page at `path` shows, as values: equal signatures, equal pages (with the
        same templates and site name)."""
        if path == NAV_PAGE:
            return (path, tuple(self.navigation.faces()))
        if path == NAV_SCRIPT:
            return (path,)
        node, number = self.nodes[path]
        if node is None:
            top = self.navigation.top
            cards = tuple(entry.face for entry in _page_of_cards(top, number))
            return (path, cards, len(top), self.navigation.sidebar_signature(None))
        key = node_key(node)
        entry = self.navigation.entries[key]
        shown = (
            path,
            entry.face,
            _crumbs(entry.parent),
            self.navigation.sidebar_signature(key),
        )
        if isinstance(node, Group):
            cards = tuple(child.face for child in _page_of_cards(entry.children, number))
            return (*shown, cards, len(entry.children))
        return (*shown, self.site.keys.get(node.slug), self.site.link_urls(node))

    def digest(self, path: str) -> str:
        """The page's signature as a short digest, with everything else it is rendered from
        (the templates' text, the site name, this version)."""
        # marshal: exact for the strings, numbers and tuples a signature holds, and far
        # faster than repr (its format may change with Python's version, which is in
        # `_style`: then every page is rendered once again).
        signed: Any = (self._style, self.signature(path))  # strings, numbers, tuples
        data = marshal.dumps(signed)
        return hashlib.sha256(data).hexdigest()[:32]

    def render(self, path: str) -> str:
        if path == NAV_PAGE:
            # Every page view fetches it, and it holds every title: made once per change.
            if self._navigation_html is None:
                self._navigation_html = self._sidebar(None, self.navigation.whole())
            return self._navigation_html
        if path == NAV_SCRIPT:
            loader = self.env.loader
            assert loader is not None
            return loader.get_source(self.env, "nav.js")[0]
        node, number = self.nodes[path]
        common = {"site": {"name": self.site_name}}
        if node is None:
            top = self.navigation.top
            return self.env.get_template("index.html").render(
                cards=_page_of_cards(top, number),
                pager=_pager(None, number, len(top)),
                sidebar=self._sidebar(None),
                **common,
            )
        key = node_key(node)
        entry = self.navigation.entries[key]
        breadcrumbs = [{"title": title, "url": url} for title, url in _crumbs(entry.parent)]
        if isinstance(node, Group):
            return self.env.get_template("group.html").render(
                group=entry,
                cards=_page_of_cards(entry.children, number),
                pager=_pager(entry, number, len(entry.children)),
                breadcrumbs=breadcrumbs,
                active_key=key,
                sidebar=self._sidebar(key),
                **common,
            )
        article = {
            "key": key,
            "title": entry.title,
            "url": entry.url,
            "description": entry.description,
            "draft": entry.draft,
            "html": Markup(self.site.article_html(node, local_image_url)),
        }
        return self.env.get_template("article.html").render(
            article=article,
            breadcrumbs=breadcrumbs,
            active_key=key,
            sidebar=self._sidebar(key),
            **common,
        )

    def _sidebar(self, key: str | None, tree: Level | None = None) -> Markup:
        trail = self.navigation.trail_of(key)
        return Markup(
            self.env.get_template("sidebar.html").render(
                tree=tree or self.navigation.sidebar(key),
                open_keys=" ".join(entry.key for entry in trail if entry.kind == "group"),
                current=key or "",
                whole=tree is not None,
                nav_url="/" + NAV_PAGE,
            )
        )

    def files(self) -> SiteFiles:
        """The whole site in memory (small sites and tests)."""
        return SiteFiles({path: self.render(path) for path in self.paths()}, dict(self.copies))


def _check_output(out_dir: Path) -> None:
    if out_dir.exists():
        if not out_dir.is_dir():
            raise OutputError(f"{out_dir}: exists and is not a folder")
        marker = out_dir / MARKER
        if marker.is_symlink():
            raise _unsafe_output(out_dir, safe_write.UnsafePath(marker, safe_write.LINK))
        if any(out_dir.iterdir()) and not marker.is_file():
            raise OutputError(
                f"{out_dir}: folder is not empty and was not made by `publisher build`; "
                "choose another --out or empty it"
            )


def _atomic_write(out_dir: Path, rel: str, data: bytes) -> None:
    """Write one file of the site, following no link under `out_dir`."""
    try:
        safe_write.write_file(out_dir, rel, data, mode=0o644)
    except safe_write.UnsafePath as unsafe:
        raise _unsafe_output(out_dir, unsafe) from None


def _unsafe_output(out_dir: Path, unsafe: safe_write.UnsafePath) -> OutputError:
    return OutputError(
        f"{unsafe.path}: {unsafe.reason}. `publisher build` writes only real files and "
        f"folders inside {out_dir}: remove it (the next build makes what it needs), or "
        "choose another --out"
    )


@dataclass(frozen=True)
class PageStamp:
    """What a page was built from (its signature's digest), and the file it was written
    to as the file system saw it then."""

    digest: str
    size: int
    mtime_ns: int


@dataclass
class PageManifest:
    """The pages of the last build into `out_dir`: a page whose signature and file are both
    as recorded is not rendered again (`.publisher/cache/site-pages.json`)."""

    out_dir: str
    pages: dict[str, PageStamp]

    VERSION: ClassVar[int] = 1

    @classmethod
    def read(cls, path: Path, out_dir: Path) -> PageManifest | None:
        """The manifest for `out_dir`, or None when there is none (or it is for another
        folder, another version, or not a manifest at all: then every page is rendered)."""
        try:
            raw = json.loads(path.read_bytes())
            if raw["version"] != cls.VERSION or raw["out_dir"] != str(out_dir):
                return None
            pages = {}
            for rel, (digest, size, mtime_ns) in raw["pages"].items():
                if not (
                    isinstance(rel, str)
                    and isinstance(digest, str)
                    and type(size) is int
                    and type(mtime_ns) is int
                ):
                    return None
                pages[rel] = PageStamp(digest, size, mtime_ns)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return cls(str(out_dir), pages)

    def write(self, path: Path) -> None:
        data = {
            "version": self.VERSION,
            "out_dir": self.out_dir,
            "pages": {
                rel: [stamp.digest, stamp.size, stamp.mtime_ns]
                for rel, stamp in sorted(self.pages.items())
            },
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            safe_write.write_file(path.parent, path.name, json.dumps(data).encode("utf-8"))
        except (OSError, safe_write.UnsafePath):
            pass  # only costs time: the next build renders every page


def _stamp_of(out_dir: Path, rel: str, digest: str) -> PageStamp | None:
    try:
        info = os.stat(out_dir / rel, follow_symlinks=False)
    except OSError:
        return None
    return PageStamp(digest, info.st_size, info.st_mtime_ns)


def _write_new(folder: Path, rel: str, data: bytes) -> None:
    """Write a file into a folder this build just made for itself (private until it is
    renamed into place): nothing there to compare with, nothing that could be a link."""
    path = folder / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    with os.fdopen(os.open(path, flags, 0o644), "wb") as handle:
        handle.write(data)


def _sync_into(
    pages: SitePages, out_dir: Path, known: PageManifest | None = None
) -> tuple[int, dict[str, PageStamp]]:
    """Bring a site this tool built up to date in place: render the pages whose signature
    changed since `known` (or whose file did), one at a time, write only files whose bytes
    differ (each by an atomic rename, so no page is ever half-written) and remove the
    ones no longer built. Returns the number of files written and the pages' stamps.

    Nothing is written or removed through a link: a link, pipe or device anywhere in the
    folder (which a build never makes) is refused before anything is written, and every
    write opens the folders on its way without following one."""
    try:
        present, folders = safe_write.list_tree(out_dir)
    except safe_write.UnsafePath as unsafe:
        raise _unsafe_output(out_dir, unsafe) from None
    written = 0
    stamps: dict[str, PageStamp] = {}
    for rel in pages.paths():
        digest = pages.digest(rel)
        before = known.pages.get(rel) if known is not None else None
        if (
            before is not None
            and before.digest == digest
            and before == _stamp_of(out_dir, rel, digest)
        ):
            stamps[rel] = before
            continue
        data = pages.render(rel).encode("utf-8")
        if safe_write.read_file(out_dir, rel) != data:
            _atomic_write(out_dir, rel, data)
            written += 1
        stamp = _stamp_of(out_dir, rel, digest)
        if stamp is not None:
            stamps[rel] = stamp
    for rel, source in pages.copies.items():
        data = source.read_bytes()
        if safe_write.read_file(out_dir, rel) != data:
            _atomic_write(out_dir, rel, data)
            written += 1
    wanted = {*pages.paths(), *pages.copies}
    kept: set[str] = set()  # the folders on the way to a wanted file
    for rel in wanted:
        folder = rel.rpartition("/")[0]
        while folder and folder not in kept:
            kept.add(folder)
            folder = folder.rpartition("/")[0]
    try:
        for rel in sorted(set(present) - wanted - {MARKER}):
            safe_write.remove(out_dir, rel)
        for rel in sorted(set(folders) - kept, reverse=True):  # inner folders first
            safe_write.remove(out_dir, rel)
    except safe_write.UnsafePath as unsafe:
        raise _unsafe_output(out_dir, unsafe) from None
    return written, stamps


class NewSite:
    """A site written into a folder of its own beside `out_dir` (private, made for it) and
    renamed into place when complete, so that a failed build leaves nothing. Pages can be
    written as soon as they can be rendered: a cold build writes each article's page while
    the others are still rendering."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir.resolve()
        _check_output(self.out_dir)
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self.folder = Path(
            tempfile.mkdtemp(prefix=f".{self.out_dir.name}.", dir=self.out_dir.parent)
        )
        self.stamps: dict[str, PageStamp] = {}

    @staticmethod
    def takes(out_dir: Path) -> bool:
        """Whether a build into `out_dir` makes a new site (no folder yet, or an empty one)."""
        out_dir = out_dir.resolve()
        if not out_dir.exists():
            return True
        return out_dir.is_dir() and not out_dir.is_symlink() and not any(out_dir.iterdir())

    def write(self, pages: SitePages, rel: str) -> None:
        _write_new(self.folder, rel, pages.render(rel).encode("utf-8"))
        stamp = _stamp_of(self.folder, rel, pages.digest(rel))
        if stamp is not None:
            self.stamps[rel] = stamp

    def finish(self, pages: SitePages, manifest_file: Path | None = None) -> int:
        """Write what is not written yet, then put the site in place. Returns the number of
        files written."""
        try:
            for rel in pages.paths():
                if rel not in self.stamps:
                    self.write(pages, rel)
            for rel, source in pages.copies.items():
                _write_new(self.folder, rel, source.read_bytes())
            (self.folder / MARKER).write_text("built by publisher\n", encoding="utf-8")
            self.folder.chmod(0o755)
            if self.out_dir.exists():  # an empty folder
                self.out_dir.rmdir()
            self.folder.rename(self.out_dir)
        except BaseException:
            self.discard()
            raise
        if manifest_file is not None:
            # A rename keeps each file's size and modification time: the stamps still hold.
            PageManifest(str(self.out_dir), self.stamps).write(manifest_file)
        return len(self.stamps) + len(pages.copies)

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def write_site(pages: SitePages, out_dir: Path, manifest_file: Path | None = None) -> int:
    """Write the site. A new folder is written beside `out_dir` and renamed into place (see
    NewSite); a folder this tool built before is updated in place, file by file, rendering
    only the pages whose signature changed since the build recorded in `manifest_file`
    (when given). Returns the number of files written.

    `out_dir` itself may be a link (it is resolved: the user named it); inside it nothing is
    written through a link (OutputError naming it)."""
    out_dir = out_dir.resolve()
    _check_output(out_dir)
    if not (out_dir / MARKER).is_file():
        return NewSite(out_dir).finish(pages, manifest_file)
    known = PageManifest.read(manifest_file, out_dir) if manifest_file else None
    written, stamps = _sync_into(pages, out_dir, known)
    if manifest_file is not None:
        PageManifest(str(out_dir), stamps).write(manifest_file)
    return written
