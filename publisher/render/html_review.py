"""What the sanitiser removes from the raw HTML an article holds, element by element.

`check` must name everything that publishing would change, so it compares what goes into
the sanitiser with what comes out, structurally rather than by matching text:

1. Every start tag of the article's raw HTML is found with the standard library's HTML
   tokenizer (entities in attribute values decoded, names lowercased, `<script>` and the
   other raw-text elements read as text) and gets an attribute MARKER with its number.
2. The marked HTML goes through the very sanitiser every article goes through, which keeps
   the marker on every element it keeps (sanitize.sanitize_marked).
3. Each element written is compared with the element that survived under its number: a
   missing element, a missing attribute, a dropped class, a style declaration dropped or
   clamped each give a finding at the source line of the tag.

The published HTML is that same output with the markers taken out again (so the
sanitiser runs once, not twice): the marker adds an attribute and changes nothing else the
sanitiser decides. If a marker is left over anywhere (written into an attribute value where
this tokenizer read a tag that the HTML5 parser did not), the unmarked HTML is sanitised
instead. Where the tokenizer reads malformed HTML differently from the sanitiser's HTML5
parser, at worst a finding is missed or misplaced; what is published is the sanitiser's.

The HTML5 tree builder takes time quadratic in how deeply elements are nested (50,000
nested `<div>`s take the sanitiser 12 s): raw HTML nested deeper than MAX_HTML_DEPTH is an
error, and the article is rendered with that HTML shown as text.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from publisher.render.sanitize import (
    CONTENT_REMOVED,
    MARKER,
    STYLED_TAGS,
    URL_SCHEMES,
    is_reserved_id,
    sanitize,
    sanitize_marked,
)
from publisher.render.styles import clean_style

#: Removed elements that could run script, load or submit things, or change the page.
UNSAFE_ELEMENTS = frozenset(
    {
        "script",
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "param",
        "form",
        "input",
        "button",
        "textarea",
        "select",
        "meta",
        "base",
        "link",
        "svg",
        "math",
        "template",
        "noscript",
        "portal",
        "fencedframe",
        "xmp",
        "plaintext",
        "noembed",
        "noframes",
        "isindex",
        "keygen",
        "html",
        "head",
        "body",
        "title",
    }
)
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "srcset",
        "action",
        "formaction",
        "xlink:href",
        "cite",
        "data",
        "poster",
        "background",
        "ping",
        "longdesc",
        "usemap",
        "manifest",
        "codebase",
        "lowsrc",
        "dynsrc",
        "icon",
        "profile",
        "archive",
        "classid",
    }
)
_UNSAFE = "unsafe HTML: "
_NOT_ALLOWED = "HTML not allowed: "
_TAG_NAME = re.compile(r"<([^\t\n\r\f />\x00]+)")
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_URL_NOISE = re.compile(r"[\t\n\r]")
# HTML5 reads these as text up to their end tag; the standard tokenizer only `script` and
# `style`. Inside <svg> and <math>, `style` and `title` hold markup again.
_RAW_TEXT = {"textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"}
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))
_FOREIGN = ("svg", "math")
#: Findings listed per article; the rest are counted (50,000 stray attributes are one problem).
MAX_FINDINGS = 50
#: How deeply raw HTML elements may nest (Markdown itself stops at 100 levels).
MAX_HTML_DEPTH = 256
# Elements that never nest (void) or that the HTML5 parser closes by itself when the next
# one starts: they do not deepen the tree however many are left open.
_FLAT = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param"}
_FLAT |= {"source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option"}
_FLAT |= {"optgroup", "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp"}
_FLAT |= {"image", "keygen", "frame", "basefont", "bgsound"}
_OUT_TAG = re.compile(r'<([a-zA-Z][^\s/>]*)((?:\s+[^\s/>="]+(?:="[^"]*")?)*)\s*/?>')
_OUT_ATTRIBUTE = re.compile(r'([^\s/>="]+)(?:="([^"]*)")?')
_MAX_SHOWN = 60


def _shown(text: str) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


@dataclass(frozen=True)
class RawSpan:
    """A stretch of the rendered HTML copied from the article's raw HTML."""

    start: int  # offset in the rendered HTML
    end: int
    line: int  # source line of its first character


@dataclass(frozen=True)
class Finding:
    line: int
    message: str


@dataclass(frozen=True)
class _Tag:
    offset: int
    name_end: int
    tag: str
    attrs: tuple[tuple[str, str | None], ...]


class _Scanner(HTMLParser):
    """Start tags (with their offsets) and comments of a document, in order."""

    def __init__(self, html: str, start: int = 0) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.start = start
        self.line_starts = [start] + [start + m.end() for m in re.finditer("\n", html[start:])]
        self.tags: list[_Tag] = []
        self.comments: list[tuple[int, str]] = []
        self.depth = 0
        self.too_deep: int | None = None  # offset of the first tag past MAX_HTML_DEPTH
        self._foreign = 0

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def set_cdata_mode(self, elem: str, **kwargs: Any) -> None:
        if not self._foreign:
            super().set_cdata_mode(elem, **kwargs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._record(tag, attrs)
        if tag in _FOREIGN:
            self._foreign += 1
        elif tag in _RAW_TEXT:
            self.set_cdata_mode(tag)
        if tag not in _FLAT:
            self.depth += 1
            if self.depth > MAX_HTML_DEPTH and self.too_deep is None:
                self.too_deep = self._offset()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._record(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _FOREIGN and self._foreign:
            self._foreign -= 1
        if tag not in _FLAT and self.depth:
            self.depth -= 1

    def handle_comment(self, data: str) -> None:
        self.comments.append((self._offset(), data))

    def _record(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        offset = self._offset()
        match = _TAG_NAME.match(self.get_starttag_text() or "")
        if match is None or self.html[offset] != "<":
            return
        self.tags.append(_Tag(offset, offset + match.end(), tag, tuple(attrs)))

    def scan(self) -> _Scanner:
        # No close(): a construct left open (`<a href="…`, `</…`, `<!--`) runs to the end
        # of the document in HTML5, so no tag follows it; close() would read the rest as
        # text, one `<` at a time, which takes quadratic time.
        with contextlib.suppress(Exception):  # malformed past the tokenizer: keep what it found
            self.feed(self.html[self.start :])
        return self


@dataclass
class _Survivors:
    """The sanitised, marked HTML: each marked element's attributes, and every id.

    The sanitiser's serialiser writes every attribute as `name="value"` (quotes and `&`
    escaped), text with `<` escaped and no comments, so its start tags are read exactly
    by a pattern."""

    kept: dict[int, dict[str, str]]
    ids: list[tuple[str, int | None]]

    @classmethod
    def read(cls, cleaned: str) -> _Survivors:
        survivors = cls({}, [])
        for match in _OUT_TAG.finditer(cleaned):
            values: dict[str, str] = {}
            for name, value in _OUT_ATTRIBUTE.findall(match.group(2)):
                values.setdefault(name.lower(), html_lib.unescape(value))
            mark = values.pop(MARKER, None)
            number = int(mark) if mark is not None and mark.isdigit() else None
            if number is not None:
                survivors.kept.setdefault(number, values)
            if values.get("id"):
                survivors.ids.append((values["id"], number))
        return survivors


def _scheme(url: str) -> str | None:
    """The scheme a browser reads: C0 controls and spaces around it ignored, tabs and
    newlines anywhere inside it."""
    match = _SCHEME.match(_URL_NOISE.sub("", url.strip(_C0_AND_SPACE)))
    return match.group(1).lower() if match else None


def _bad_scheme(name: str, value: str) -> str | None:
    urls = (
        [part.strip().split(" ")[0] for part in value.split(",")] if name == "srcset" else [value]
    )
    for url in urls:
        scheme = _scheme(url)
        if scheme is not None and scheme not in URL_SCHEMES:
            return scheme
    return None


def _removed_element(tag: str) -> str:
    shown = _shown(tag)
    if tag in CONTENT_REMOVED:
        return f"{_UNSAFE}<{shown}> is removed on publish, with everything inside it; remove it"
    if tag == "input":
        return (
            f"{_UNSAFE}<input> is removed on publish (only task-list checkboxes are kept); "
            "remove it"
        )
    if tag in UNSAFE_ELEMENTS:
        return f"{_UNSAFE}<{shown}> is removed on publish; remove it"
    return (
        f"{_NOT_ALLOWED}<{shown}> is removed on publish (what it holds stays); remove the "
        "tag or use Markdown"
    )


def _removed_attribute(tag: str, name: str, value: str | None) -> list[str]:
    where = f"{_shown(name)}= on <{_shown(tag)}>"
    if name.startswith("on"):
        return [
            f"{_UNSAFE}event handler attributes (on...=) are removed; remove {where}",
        ]
    if name in URL_ATTRIBUTES and value is not None:
        scheme = _bad_scheme(name, value)
        if scheme is not None:
            allowed = ", ".join(sorted(URL_SCHEMES))
            return [
                f"{_UNSAFE}{_shown(scheme)}: URLs are removed on publish ({where}); "
                f"use {allowed} or a relative link"
            ]
    if name == "style" and tag in STYLED_TAGS and value is not None:
        return _style_findings(tag, value)
    if name == "style":
        return [
            f"{_NOT_ALLOWED}style= on <{_shown(tag)}> is removed on publish: styles are "
            f"kept only on {', '.join(STYLED_TAGS)}"
        ]
    if name == "id" and value is not None and is_reserved_id(value):
        return [
            f'{_NOT_ALLOWED}id="{_shown(value)}" on <{_shown(tag)}> is removed on publish: '
            f"scripts on the page could take the element for their own '{_shown(value)}'; "
            "choose another id"
        ]
    return [f"{_NOT_ALLOWED}{where} is removed on publish; remove it"]


def _style_findings(tag: str, value: str) -> list[str]:
    messages = []
    for finding in clean_style(value).findings:
        if finding.clamped_to is not None:
            messages.append(
                f"style '{finding.declaration}' on <{_shown(tag)}> becomes "
                f"'{finding.clamped_to}' on publish: {finding.reason}"
            )
        else:
            messages.append(
                f"style '{finding.declaration}' on <{_shown(tag)}> is removed on publish: "
                f"{finding.reason}"
            )
    return messages


def _changed(tag: _Tag, kept: dict[str, str]) -> list[str]:
    messages: list[str] = []
    seen: set[str] = set()
    for name, value in tag.attrs:
        if name in seen or name == MARKER:
            continue
        seen.add(name)
        if name not in kept:
            messages += _removed_attribute(tag.tag, name, value)
        elif name == "style" and value is not None:
            messages += _style_findings(tag.tag, value)
        elif name == "class" and value:
            left = set((kept[name] or "").split())
            for dropped in dict.fromkeys(c for c in value.split() if c not in left):
                messages.append(
                    f'{_NOT_ALLOWED}class "{_shown(dropped)}" on <{_shown(tag.tag)}> is '
                    "removed on publish; remove it"
                )
    return messages


class _Lines:
    def __init__(self, html: str, spans: list[RawSpan]) -> None:
        self.newlines = [m.start() for m in re.finditer("\n", html)]
        self.spans = spans
        self.starts = [span.start for span in spans]

    def span_of(self, offset: int) -> RawSpan | None:
        index = bisect_right(self.starts, offset) - 1
        if index >= 0 and offset < self.spans[index].end:
            return self.spans[index]
        return None

    def line_of(self, span: RawSpan, offset: int) -> int:
        return (
            span.line + bisect_left(self.newlines, offset) - bisect_left(self.newlines, span.start)
        )


@dataclass(frozen=True)
class Reviewed:
    html: str  # the sanitised HTML to publish
    findings: list[Finding]


def _too_deep(html: str, spans: list[RawSpan], lines: _Lines, offset: int) -> Reviewed:
    """Raw HTML nested too deeply: every raw span is shown as text instead."""
    pieces: list[str] = []
    last = 0
    for span in spans:
        pieces += [html[last : span.start], html_lib.escape(html[span.start : span.end])]
        last = span.end
    pieces.append(html[last:])
    deepest = lines.span_of(offset)
    line = lines.line_of(deepest, offset) if deepest else spans[0].line
    message = (
        f"HTML elements are nested more than {MAX_HTML_DEPTH} deep here (tags left open?); "
        "the article's HTML is shown as text until the nesting is fixed: close the tags or "
        "flatten it"
    )
    return Reviewed(sanitize("".join(pieces)), [Finding(line, message)])


def review_html(html: str, spans: list[RawSpan], *, in_comment: bool = False) -> Reviewed:
    """The sanitised HTML, and everything the sanitiser removed or changed in the raw
    HTML spans of `html` (the renderer's own HTML is trusted)."""
    if not spans:
        return Reviewed(sanitize(html), [])
    scanner = _Scanner(html, spans[0].start).scan()
    lines = _Lines(html, spans)
    if scanner.too_deep is not None:
        return _too_deep(html, spans, lines, scanner.too_deep)
    pieces: list[str] = []
    last = 0
    marked: dict[int, tuple[_Tag, int]] = {}  # marker number: the tag and its source line
    for tag in scanner.tags:
        span = lines.span_of(tag.offset)
        if span is None:
            continue  # made by the renderer
        marked[len(marked)] = (tag, lines.line_of(span, tag.offset))
        pieces += [html[last : tag.name_end], f' {MARKER}="{len(marked) - 1}"']
        last = tag.name_end
    pieces.append(html[last:])
    cleaned = sanitize_marked("".join(pieces))
    survivors = _Survivors.read(cleaned)
    published = re.sub(f' {MARKER}="\\d+"', "", cleaned)
    if MARKER in published:
        published = sanitize(html)

    findings: list[Finding] = []
    for number, (tag, line) in marked.items():
        kept = survivors.kept.get(number)
        messages = [_removed_element(tag.tag)] if kept is None else _changed(tag, kept)
        findings += [Finding(line, message) for message in messages]

    for offset, data in scanner.comments:
        span = lines.span_of(offset)
        if span is None or in_comment:
            continue
        inner = review_html(
            data, [RawSpan(0, len(data), lines.line_of(span, offset))], in_comment=True
        )
        findings += [
            Finding(f.line, f.message + " (inside an HTML comment)")
            for f in inner.findings
            if f.message.startswith(_UNSAFE)
        ]

    owners: dict[str, list[int | None]] = {}
    for element_id, owner in survivors.ids:
        owners.setdefault(element_id, []).append(owner)
    for element_id, numbers in owners.items():
        if len(numbers) < 2:
            continue
        for raw in dict.fromkeys(n for n in numbers if n is not None):
            findings.append(
                Finding(
                    marked[raw][1],
                    f'HTML id "{_shown(element_id)}" is used more than once in this article '
                    f"(by a heading, a footnote or other HTML too): links to "
                    f"#{_shown(element_id)} go to the first one; choose another id",
                )
            )
    findings = list(dict.fromkeys(findings))
    if len(findings) > MAX_FINDINGS:
        rest = len(findings) - MAX_FINDINGS
        findings[MAX_FINDINGS:] = [
            Finding(
                findings[MAX_FINDINGS].line,
                f"and {rest} more changes the sanitiser would make to this article's HTML "
                "from here on",
            )
        ]
    return Reviewed(published, findings)
