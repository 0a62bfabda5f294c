"""Markdown to sanitised HTML, with local links and images left as numbered placeholders.

Rendering is split in two so the expensive part can be cached and run in worker processes:

1. `render_body` depends only on one article's Markdown and its path. It tokenises,
   highlights and sanitises, and records every local link and image with its line,
   writing placeholders (`/__publisher__/link/3`) where their URLs will go. Whatever the
   sanitiser removes from the article's raw HTML is found element by element and
   reported on its source line (html_review.py).
2. `resolve_references` fills the placeholders in, given how to spell an article URL
   and an image URL. Preview passes local image paths; publish passes uploaded URLs.
   The same renderer serves both.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from publisher.content.loader import relative_target
from publisher.render.highlight import highlight_code
from publisher.render.html_review import RawSpan, review_html
from publisher.render.sanitize import RESERVED_IDS, URL_SCHEMES

# Bump when anything changes the HTML for the same Markdown: it is part of the cache key.
RENDERER_VERSION = "5"

# markdown-it stops parsing blocks this deep and silently drops the rest of the document,
# so reaching it is an error. 100 (markdown-it's own default) is about 50 nested lists.
MAX_NESTING = 100
PLACEHOLDER_RE = re.compile(r'(href|src)="/__publisher__/(link|image)/(\d+)"')
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# Footnotes are `fn1` and their references `fnref1` (`fnref1:2` for a second reference).
_FOOTNOTE_ID = re.compile(r"fn(?:ref)?\d+")
#: The anchor of a heading with nothing to make one from (`## !!!`, `## 🎉`).
EMPTY_HEADING_ANCHOR = "section"
_ADMONITION_COLORS = {
    "note": "#0969da",
    "info": "#0969da",
    "tip": "#1a7f37",
    "important": "#8250df",
    "warning": "#9a6700",
    "caution": "#9a6700",
    "danger": "#cf222e",
}


@dataclass(frozen=True)
class LinkRef:
    """A link to an article in this help center: `target` is a root-relative .md path,
    or "" for an anchor in the same article."""

    target: str
    anchor: str | None
    line: int
    raw: str


@dataclass(frozen=True)
class ImageRef:
    target: str  # root-relative path of the image file
    line: int
    raw: str


@dataclass(frozen=True)
class BodyIssue:
    line: int
    message: str


@dataclass
class RenderedBody:
    """The cacheable half of rendering: sanitised HTML with placeholders, and what it refers to."""

    html: str
    anchors: list[str] = field(default_factory=list)
    links: list[LinkRef] = field(default_factory=list)
    images: list[ImageRef] = field(default_factory=list)
    issues: list[BodyIssue] = field(default_factory=list)


def heading_slug(text: str) -> str:
    """GitHub-style anchor: lowercase, spaces to dashes, punctuation dropped."""
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return re.sub(r" ", "-", text)


def _unsafe_anchor(anchor: str) -> bool:
    """An id a heading must not have: a footnote's, or one page scripts may read (DOM
    clobbering, see sanitize.RESERVED_IDS)."""
    return anchor in RESERVED_IDS or _FOOTNOTE_ID.fullmatch(anchor) is not None


def _heading_ids(state: StateCore) -> None:
    """GitHub-style unique anchors: `same`, `same-1`, `same-2`, … in O(1) per heading.

    Each base remembers the next suffix to try, so n equal headings cost n steps, not n²;
    a suffix already taken (a heading written as `## Same 1`) is skipped. Headings whose
    anchor would be empty, a footnote's id or a reserved name get theirs last, from
    `section` or with a suffix (`config-1`), so no other heading's anchor moves for them.
    """
    used: set[str] = set()
    next_suffix: dict[str, int] = {}

    def unique(base: str) -> str:
        anchor = base
        if anchor in used or _unsafe_anchor(anchor):
            number = next_suffix.get(base, 1)
            while (anchor := f"{base}-{number}") in used or _unsafe_anchor(anchor):
                number += 1
            next_suffix[base] = number + 1
        used.add(anchor)
        return anchor

    tokens = state.tokens
    pending: list[tuple[Token, str]] = []
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        inline = tokens[index + 1]
        title = "".join(
            child.content
            for child in inline.children or []
            if child.type in ("text", "code_inline")
        )
        base = heading_slug(title)
        if base and not _unsafe_anchor(base):
            token.attrSet("id", unique(base))
        else:
            pending.append((token, base or EMPTY_HEADING_ANCHOR))
    for token, base in pending:
        token.attrSet("id", unique(base))


def _render_admonition_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    kind = str(token.meta.get("tag", "note")).lower()
    color = _ADMONITION_COLORS.get(kind, _ADMONITION_COLORS["note"])
    # Inline style, because Plain shows our HTML without our stylesheet.
    style = f"border-left:4px solid {color};padding:8px 16px;margin:16px 0;border-radius:4px"
    return f'<div class="admonition {html.escape(kind)}" style="{style}">\n'


def _render_admonition_title_open(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return '<p class="admonition-title" style="font-weight:bold;margin:0 0 8px">'


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """One configured parser per process: building it is far costlier than reusing it."""
    md = MarkdownIt(
        "commonmark", {"html": True, "highlight": highlight_code, "maxNesting": MAX_NESTING}
    )
    # Let every URL through the parser so that the collector can name a bad one; the
    # sanitiser still removes any scheme outside URL_SCHEMES.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin)
    md.use(tasklists_plugin)
    md.use(deflist_plugin)
    md.use(admon_plugin)
    md.core.ruler.push("heading_ids", _heading_ids)
    md.add_render_rule("admonition_open", _render_admonition_open)
    md.add_render_rule("admonition_title_open", _render_admonition_title_open)
    return md


def _scheme(url: str) -> str | None:
    match = _SCHEME_RE.match(url)
    return match.group(0)[:-1].lower() if match else None


def _shorten(url: str, limit: int = 60) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"


def _split_url(url: str) -> tuple[str, str | None]:
    path, _, anchor = url.partition("#")
    path = path.partition("?")[0]
    return unquote(path), (unquote(anchor) if anchor else None)


def _newlines(token: Token) -> int:
    """Source line breaks inside an inline token (alt text included)."""
    if token.type in ("softbreak", "hardbreak"):
        return 1
    if token.type in ("html_inline", "text"):
        return token.content.count("\n")
    if token.type == "image" and token.children:
        return sum(_newlines(child) for child in token.children)
    return 0


def _lines(tokens: Sequence[Token], line: int, first_line: int) -> list[int]:
    """The source line of each token: block tokens have theirs; inline tokens (which have
    none) count the line breaks before them in their paragraph, heading or cell."""
    lines = []
    for token in tokens:
        if token.map:
            line = first_line + token.map[0]
        lines.append(line)
        line += _newlines(token)
    return lines


class _Collector:
    def __init__(self, rel_path: str, first_line: int) -> None:
        self.rel_path = rel_path
        self.first_line = first_line
        self.body = RenderedBody(html="")

    def issue(self, line: int, message: str) -> None:
        self.body.issues.append(BodyIssue(line, message))

    def link(self, token: Token, line: int) -> None:
        href = str(token.attrGet("href") or "")
        scheme = _scheme(href)
        if scheme is not None and scheme not in URL_SCHEMES:
            token.attrs.pop("href", None)
            allowed = ", ".join(sorted(URL_SCHEMES))
            self.issue(
                line,
                f"link '{_shorten(href)}': {scheme}: URLs are not allowed; use one of {allowed}",
            )
            return
        if not href or href.startswith(("/", "//")) or scheme is not None:
            return
        path, anchor = _split_url(href)
        if not path:
            self.body.links.append(LinkRef("", anchor, line, href))
            return
        target = relative_target(self.rel_path, path)
        if target is None:
            self.issue(line, f"link '{_shorten(href)}' points outside the content root")
            return
        if not target.lower().endswith(".md"):
            self.issue(
                line,
                f"link '{_shorten(href)}' is not an article: link to a .md file here, or use "
                "a full URL",
            )
            return
        token.attrSet("href", f"/__publisher__/link/{len(self.body.links)}")
        self.body.links.append(LinkRef(target, anchor, line, href))

    def image(self, token: Token, line: int) -> None:
        src = str(token.attrGet("src") or "")
        scheme = _scheme(src)
        if scheme == "data":
            token.attrs.pop("src", None)
            self.issue(
                line,
                f"image '{_shorten(src)}' is embedded as a data: URL; save it as a file in "
                "the content and use its path",
            )
            return
        if scheme is not None and scheme not in ("http", "https"):
            token.attrs.pop("src", None)
            self.issue(line, f"image '{_shorten(src)}': use an https URL or a path to a file")
            return
        if not src or src.startswith("//") or scheme is not None:
            return
        if src.startswith("/"):
            self.issue(line, f"image '{_shorten(src)}' must be a path relative to this file")
            return
        path, _ = _split_url(src)
        target = relative_target(self.rel_path, path)
        if target is None:
            self.issue(line, f"image '{_shorten(src)}' points outside the content root")
            return
        token.attrSet("src", f"/__publisher__/image/{len(self.body.images)}")
        self.body.images.append(ImageRef(target, line, src))

    def nesting(self, tokens: list[Token]) -> None:
        for token in tokens:
            if token.level >= MAX_NESTING - 1:
                self.issue(
                    self.first_line + token.map[0] if token.map else self.first_line,
                    "lists or quotes are nested too deeply here; everything from this line "
                    "on would be lost: flatten the nesting",
                )
                return

    def walk(self, tokens: Sequence[Token], line: int) -> None:
        for token, token_line in zip(tokens, _lines(tokens, line, self.first_line), strict=True):
            if token.type == "heading_open":
                anchor = token.attrGet("id")
                if anchor:
                    self.body.anchors.append(str(anchor))
            elif token.type == "link_open":
                self.link(token, token_line)
            elif token.type == "image":
                self.image(token, token_line)
            if token.children:
                self.walk(token.children, token_line)


def _render(
    md: MarkdownIt, tokens: Sequence[Token], env: EnvType, first_line: int
) -> tuple[str, list[RawSpan]]:
    """`md.renderer.render`, also telling where in the HTML the article's raw HTML went
    and on which source line it was written."""
    renderer = md.renderer
    assert isinstance(renderer, RendererHTML)
    rules = renderer.rules
    out: list[str] = []
    spans: list[RawSpan] = []
    length = 0

    def emit(siblings: Sequence[Token], index: int, line: int) -> None:
        nonlocal length
        token = siblings[index]
        if token.type in rules:
            text = rules[token.type](siblings, index, md.options, env)
        else:
            text = renderer.renderToken(siblings, index, md.options, env)
        if token.type in ("html_block", "html_inline") and text:
            spans.append(RawSpan(length, length + len(text), line))
        out.append(text)
        length += len(text)

    for index, (token, line) in enumerate(
        zip(tokens, _lines(tokens, first_line, first_line), strict=True)
    ):
        if token.type != "inline":
            emit(tokens, index, line)
        elif token.children:
            children = token.children
            for child_index, child_line in enumerate(_lines(children, line, first_line)):
                emit(children, child_index, child_line)
    return "".join(out), spans


def render_body(markdown: str, rel_path: str, first_line: int = 1) -> RenderedBody:
    """Render one article body (see the module docstring for what is left to resolve)."""
    md = markdown_parser()
    env: dict[str, Any] = {}
    tokens = md.parse(markdown, env)
    collector = _Collector(rel_path, first_line)
    collector.nesting(tokens)
    collector.walk(tokens, first_line)
    reviewed = review_html(*_render(md, tokens, env, first_line))
    collector.body.issues += [BodyIssue(f.line, f.message) for f in reviewed.findings]
    collector.body.html = reviewed.html
    return collector.body


def _escape_attribute(value: str) -> str:
    # Escaped as the sanitiser's serialiser writes attributes (`'` left alone), so that
    # sanitising a resolved page again changes nothing.
    return html.escape(value, quote=False).replace('"', "&quot;")


def resolve_references(
    body: RenderedBody,
    *,
    link_url: Callable[[LinkRef], str],
    image_url: Callable[[ImageRef], str],
) -> str:
    """Fill in the placeholders. The URLs given are escaped here; the result stays sanitised."""

    def replace(match: re.Match[str]) -> str:
        attr, kind, index = match.group(1), match.group(2), int(match.group(3))
        refs: Sequence[LinkRef | ImageRef] = body.links if kind == "link" else body.images
        if index >= len(refs):  # a placeholder typed into raw HTML by hand: not ours
            return match.group(0)
        url = link_url(body.links[index]) if kind == "link" else image_url(body.images[index])
        return f'{attr}="{_escape_attribute(url)}"'

    return PLACEHOLDER_RE.sub(replace, body.html)
