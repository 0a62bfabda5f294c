"""A read-only view of what is published, so a person can see the result of a publish."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nh3
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from publisher.emulator.helpcenter import ARTICLE, ARTICLE_GROUP, HelpCenterService
from publisher.emulator.links import rewrite_article_links
from publisher.emulator.models import Actor, HelpCenter, NavItem

# What the web view lets through of an article's stored HTML. Plain stores `contentHtml` as
# sent and the API serves it so; the web view is a page in a browser, so it shows the HTML
# cleaned: the tags and attributes articles use (headings with ids, tables, code, images,
# task-list checkboxes, footnotes, admonitions), styles limited to harmless properties, and
# no script, event handler, form, frame, comment or URL other than http(s), mailto, tel and
# relative ones. The page's Content-Security-Policy forbids scripts besides.
_TAGS = set(nh3.ALLOWED_TAGS) | {"section", "input"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attributes) for tag, attributes in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"id", "class", "style", "title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "input": {"checked", "disabled"},
}
_STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font-weight",
    "font-style",
    "font-size",
    "text-decoration",
    "text-align",
    "border",
    "border-left",
    "border-radius",
    "padding",
    "margin",
    "line-height",
    "overflow-x",
}
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRIBUTES,
    tag_attribute_values={"input": {"type": {"checkbox"}}},
    url_schemes={"http", "https", "mailto", "tel"},
    link_rel=None,
    strip_comments=True,
    filter_style_properties=_STYLE_PROPERTIES,
)

#: Sent with every web view page: no script of any origin, no plugin, frame or form, no
#: <base>; styles only inline (the page's own and articles' style attributes); images from
#: anywhere on the web, as published articles link them.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; object-src 'none'; style-src 'unsafe-inline'; "
    "img-src 'self' http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


# Task lists need checkboxes; any other <input> (a text field asking for a password...) goes.
# nh3 has already written every attribute as `name="value"`, so this pattern is reliable.
_NON_CHECKBOX_INPUT = re.compile(r'<input(?![^>]*\btype="checkbox")[^>]*>')


def clean_html(html: str) -> str:
    """An article's stored HTML as the web view may show it (see ``_CLEANER``)."""
    return _NON_CHECKBOX_INPUT.sub("", _CLEANER.clean(html))


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
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

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
        content_html = rewrite_article_links(
            clean_html(article.content_html), f"/help-centers/{hc.id}/article"
        )
        return self._page(
            "article.html",
            help_center=hc,
            tree=self._tree(hc),
            article=article,
            content_html=content_html,
            current_slug=article.slug,
            edited_by=self._who(article.updated_by),
            edited_at=article.updated_at.iso8601,
        )

    def _who(self, actor: Actor) -> str:
        """A person's name, a machine user's name (an API key), or "Plain"."""
        store = self.service.store
        if actor.type_name == "UserActor":
            return store.person_name(actor.id) or "a person"
        if actor.type_name == "MachineUserActor":
            user = store.machine_user(actor.id)
            return f"{user.full_name if user else 'a machine user'} (API key)"
        return "Plain"

    def _tree(self, hc: HelpCenter) -> list[NavNode]:
        index = self.service.index(hc.id)
        return [] if index is None else published_tree(index.nav_index)
