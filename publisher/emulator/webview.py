"""A read-only view of what is published, so a person can see the result of a publish."""

from __future__ import annotations

from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from publisher.emulator.helpcenter import ARTICLE, ARTICLE_GROUP, HelpCenterService
from publisher.emulator.links import rewrite_article_links
from publisher.emulator.models import HelpCenter, NavItem


@dataclass
class NavNode:
    item: NavItem
    children: list[NavNode] = field(default_factory=list)


def is_label(item: NavItem) -> bool:
    """A HEADING (or a test's extra label type): a section label, not a page or a folder."""
    return item.type not in (ARTICLE, ARTICLE_GROUP)


def published_tree(nav: list[NavItem]) -> list[NavNode]:
    """The sidebar: index order and nesting, published articles and headings only, no
    groups without a published article somewhere inside."""
    nodes = {item.id: NavNode(item) for item in nav}
    roots: list[NavNode] = []
    for item in nav:
        if item.type == ARTICLE and item.status != "PUBLISHED":
            continue
        parent = nodes.get(item.parent_id) if item.parent_id else None
        (parent.children if parent else roots).append(nodes[item.id])
    return _prune(roots)


def _prune(nodes: list[NavNode]) -> list[NavNode]:
    kept = []
    for node in nodes:
        node.children = _prune(node.children)
        if node.item.type != ARTICLE_GROUP or _has_pages(node.children):
            kept.append(node)
    return kept


def _has_pages(nodes: list[NavNode]) -> bool:
    return any(not is_label(node.item) for node in nodes)


class WebView:
    def __init__(self, service: HelpCenterService) -> None:
        self.service = service
        self.templates = Environment(
            loader=PackageLoader("publisher.emulator", "templates"),
            autoescape=select_autoescape(default=True),
        )

    def _page(self, template: str, status: int = 200, **values: object) -> Response:
        html = self.templates.get_template(template).render(**values)
        return HTMLResponse(html, status_code=status)

    def _not_found(self, what: str) -> Response:
        return self._page("not_found.html", status=404, what=what)

    async def home(self, _: Request) -> Response:
        return self._page("home.html", help_centers=self.service.store.help_centers())

    async def help_center(self, request: Request) -> Response:
        hc = self.service.store.help_center(request.path_params["help_center_id"])
        if hc is None:
            return self._not_found("help center")
        return self._page(
            "help_center.html", help_center=hc, tree=self._tree(hc), current_slug=None
        )

    async def article(self, request: Request) -> Response:
        hc = self.service.store.help_center(request.path_params["help_center_id"])
        if hc is None:
            return self._not_found("help center")
        article = self.service.store.article_by_slug(hc.id, request.path_params["slug"])
        if article is None or article.status != "PUBLISHED":
            return self._not_found("article")
        # Links to /article/<slug> are for Plain's help-center site; here they lead to the
        # web view's page for that slug (a 404 page if nothing is published there).
        content_html = rewrite_article_links(article.content_html, f"/help-centers/{hc.id}/article")
        return self._page(
            "article.html",
            help_center=hc,
            tree=self._tree(hc),
            article=article,
            content_html=content_html,
            current_slug=article.slug,
        )

    def _tree(self, hc: HelpCenter) -> list[NavNode]:
        index = self.service.index(hc.id)
        return [] if index is None else published_tree(index.nav_index)
