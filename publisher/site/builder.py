"""Turns a CompiledSite into the static preview site: pages in memory, then one atomic write."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

import publisher
from publisher import safe_write
from publisher.content.loader import BUILD_MARKER
from publisher.content.model import Article, Group, Heading, Node
from publisher.errors import UsageError
from publisher.site.compiler import CompiledSite, article_url, local_image_url

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


def group_url(slug: str) -> str:
    return f"/group/{slug}/"


def page_path(node: Article | Group) -> str:
    """Where a node's page lives in the output, so that its URL serves it."""
    if isinstance(node, Group):
        return f"group/{node.slug}/index.html"
    return f"article/{node.slug}/index.html"


def _count_articles(group: Group) -> int:
    return sum(
        1 if isinstance(c, Article) else _count_articles(c)
        for c in group.children
        if not isinstance(c, Heading)
    )


def _nav_entry(node: Node) -> dict[str, Any]:
    if isinstance(node, Heading):
        # A label between its siblings: no page, no link.
        return {"kind": "heading", "key": f"heading:{node.entity_id}", "title": node.title}
    if isinstance(node, Group):
        return {
            "kind": "group",
            "key": f"group:{node.slug}",
            "title": node.name,
            "url": group_url(node.slug),
            "children": [_nav_entry(child) for child in node.children],
            "count": _count_articles(node),
            "draft": False,
        }
    return {
        "kind": "article",
        "key": f"article:{node.slug}",
        "title": node.title,
        "url": article_url(node.slug),
        "description": node.description,
        "draft": node.status == "draft",
    }


def _breadcrumbs(group: Group | None) -> list[dict[str, str]]:
    crumbs: list[dict[str, str]] = []
    while group is not None:
        crumbs.insert(0, {"title": group.name, "url": group_url(group.slug)})
        group = group.parent
    return crumbs


@dataclass
class SiteFiles:
    """Everything a build writes: generated pages, and files copied as they are."""

    pages: dict[str, str]  # output path -> HTML
    copies: dict[str, Path]  # output path -> source file


def _open_keys(group: Group | None) -> frozenset[str]:
    keys = set()
    while group is not None:
        keys.add(f"group:{group.slug}")
        group = group.parent
    return frozenset(keys)


class PageMemo:
    """Pages from the previous rendering, with what each was rendered from, so a rebuild
    renders again only the pages whose inputs changed (the preview's rebuilds)."""

    def __init__(self) -> None:
        self.nav_signature: str | None = None
        self.nav_generation = 0  # goes up whenever the navigation (titles, order, ...) changes
        self.sidebars: dict[frozenset[str], Markup] = {}
        self.pages: dict[str, tuple[object, tuple[Any, ...], str]] = {}

    def get(self, path: str, body: object, inputs: tuple[Any, ...]) -> str | None:
        entry = self.pages.get(path)
        # A body is compared by identity: the render cache hands back the same object for
        # unchanged Markdown, and the memo keeps it alive so the identity stays unique.
        if entry is not None and entry[0] is body and entry[1] == inputs:
            return entry[2]
        return None

    def use_navigation(self, nav: list[dict[str, Any]]) -> None:
        signature = repr(nav)
        if signature != self.nav_signature:
            self.nav_signature = signature
            self.nav_generation += 1
            self.sidebars = {}


def render_site(
    site: CompiledSite, env: Environment, site_name: str, memo: PageMemo | None = None
) -> SiteFiles:
    content = site.content
    nav = [_nav_entry(node) for node in content.top]
    memo = memo or PageMemo()
    memo.use_navigation(nav)
    sidebar_template = env.get_template("sidebar.html")
    rendered: dict[str, tuple[object, tuple[Any, ...], str]] = {}

    def sidebar(keys: frozenset[str]) -> Markup:
        # One rendering per open path, shared by every page on that path.
        if keys not in memo.sidebars:
            memo.sidebars[keys] = Markup(sidebar_template.render(nav=nav, open_keys=keys))
        return memo.sidebars[keys]

    def page(path: str, body: object, inputs: tuple[Any, ...], render: Any) -> str:
        html = memo.get(path, body, (memo.nav_generation, *inputs))
        if html is None:
            html = render()
        rendered[path] = (body, (memo.nav_generation, *inputs), html)
        return html

    common = {"site": {"name": site_name}}
    index_template = env.get_template("index.html")
    pages = {
        "index.html": page(
            "index.html",
            None,
            (),
            lambda: index_template.render(cards=nav, sidebar=sidebar(frozenset()), **common),
        )
    }
    article_template = env.get_template("article.html")
    group_template = env.get_template("group.html")
    for node in content.walk():
        if isinstance(node, Heading):
            continue  # shown in the sidebar and on its group's page only
        path = page_path(node)
        entry = _nav_entry(node)
        if isinstance(node, Group):
            keys = _open_keys(node)
            breadcrumbs = _breadcrumbs(node.parent)
            pages[path] = page(
                path,
                None,
                (keys,),
                lambda entry=entry, keys=keys, breadcrumbs=breadcrumbs: group_template.render(
                    group=entry,
                    cards=entry["children"],
                    breadcrumbs=breadcrumbs,
                    active_key=entry["key"],
                    sidebar=sidebar(keys),
                    **common,
                ),
            )
            continue
        keys = _open_keys(node.group)
        breadcrumbs = _breadcrumbs(node.group)
        inputs = (
            tuple(entry.items()),
            tuple(tuple(c.items()) for c in breadcrumbs),
            keys,
            site.link_urls(node),
        )

        def render_article(
            node: Article = node,
            entry: dict[str, Any] = entry,
            keys: frozenset[str] = keys,
            breadcrumbs: list[dict[str, str]] = breadcrumbs,
        ) -> str:
            article = {**entry, "html": Markup(site.article_html(node, local_image_url))}
            return article_template.render(
                article=article,
                breadcrumbs=breadcrumbs,
                active_key=entry["key"],
                sidebar=sidebar(keys),
                **common,
            )

        pages[path] = page(path, site.bodies[node.slug], inputs, render_article)
    memo.pages = rendered
    copies = {f"assets/{rel}": path for rel, path in sorted(content.images.items())}
    return SiteFiles(pages, copies)


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


def _sync_into(files_: SiteFiles, out_dir: Path) -> int:
    """Bring a site this tool built up to date in place: write only files whose bytes
    differ (each by an atomic rename, so no page is ever half-written) and remove the
    ones no longer built. Returns the number of files written.

    Nothing is written or removed through a link: a link, pipe or device anywhere in the
    folder (which a build never makes) is refused before anything is written, and every
    write opens the folders on its way without following one."""
    for unsafe in safe_write.find_unsafe(out_dir):
        raise _unsafe_output(out_dir, unsafe)
    wanted: dict[str, bytes | Path] = {
        rel: text.encode("utf-8") for rel, text in files_.pages.items()
    }
    wanted.update(files_.copies)
    written = 0
    for rel, source in wanted.items():
        data = source.read_bytes() if isinstance(source, Path) else source
        if safe_write.read_file(out_dir, rel) == data:
            continue
        _atomic_write(out_dir, rel, data)
        written += 1
    for path in sorted(out_dir.rglob("*"), reverse=True):
        rel = path.relative_to(out_dir).as_posix()
        try:
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    safe_write.remove(out_dir, rel)
            elif rel not in wanted and rel != MARKER:
                safe_write.remove(out_dir, rel)
        except safe_write.UnsafePath as unsafe:
            raise _unsafe_output(out_dir, unsafe) from None
    return written


def write_site(files_: SiteFiles, out_dir: Path) -> int:
    """Write the site. A new folder is written beside `out_dir` and renamed into place, so a
    failed build leaves nothing; a folder this tool built before is updated in place, file
    by file. Returns the number of files written.

    `out_dir` itself may be a link (it is resolved: the user named it); inside it nothing is
    written through a link (OutputError naming it)."""
    out_dir = out_dir.resolve()
    _check_output(out_dir)
    if (out_dir / MARKER).is_file():
        return _sync_into(files_, out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        written = _sync_into(files_, staging)
        (staging / MARKER).write_text("built by publisher\n", encoding="utf-8")
        staging.chmod(0o755)
        if out_dir.exists():  # an empty folder
            out_dir.rmdir()
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return written
