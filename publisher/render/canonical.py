"""A canonical form of article HTML, for deciding whether two versions say the same thing.

Plain (or a person in Plain's editor) may store HTML that differs from ours only in layout:
newlines between tags, attribute order, character references, heading ids our renderer adds.
Comparing canonical forms keeps such differences from being published again and again,
while any change to text, structure, links or formatting still counts.

Whitespace is compared the way a browser shows it. A run of spaces, tabs and newlines is one
space; at the start or end of a block (a paragraph, a list item, a cell, around a line break)
it shows as nothing, so it is dropped there. Between words and inline elements it shows, so
it is kept: `<strong>Save</strong>now` and `<strong>Save</strong> now` differ. A space at an
inline element's edge shows the same inside or outside it (`a <em>b</em>` is `a<em> b</em>`),
so it is moved to the text after it. A no-break space is text, not whitespace. Code keeps
its spaces (inline code turns line breaks into spaces, as Markdown does); code blocks keep
everything.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

#: HTML's whitespace (not Python's `\s`, which would take a no-break space for one).
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_LINE_BREAK = re.compile(r"\r\n|[\r\n]")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"br", "hr", "img", "input", "col", "wbr", "area"}
#: Elements that start and end a line of their own: whitespace next to them never shows.
_BLOCKS = {
    *_HEADINGS,
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
#: Inline elements that show something themselves, like a word does.
_INLINE_CONTENT = {"img", "input"}


class _Canonicalizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre_depth = 0
        self.code_depth = 0  # inline <code> (outside <pre>)
        self.after_text = False  # the last part is text inside <pre>
        self.space = False  # whitespace seen since the last thing shown
        self.shown = False  # something was shown since the start of the block

    def _block_edge(self) -> None:
        self.space = False
        self.shown = False

    def _show(self, part: str) -> None:
        """Something visible (text, an image) at the current place, after any space."""
        if self.space and self.shown:
            self.parts.append(" ")
        self.space = False
        self.shown = True
        self.parts.append(part)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.pre_depth and tag == "span":
            return  # highlighting follows from the code and its language, both compared
        kept = sorted(
            (name, value or "")
            for name, value in attrs
            # Anchors and the code box's look are ours to derive, not content.
            if not (name == "id" and tag in _HEADINGS) and not (name == "style" and tag == "pre")
        )
        text = f"<{tag}{''.join(f' {n}={v!r}' for n, v in kept)}>"
        if self.pre_depth:
            self.parts.append(text)
        elif tag in _BLOCKS:
            self._block_edge()
            self.parts.append(text)
        elif tag in _INLINE_CONTENT:
            self._show(text)
        else:
            self.parts.append(text)
        self.after_text = False
        if tag == "pre":
            self.pre_depth += 1
        elif tag == "code" and not self.pre_depth:
            self.code_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or (self.pre_depth and tag == "span"):
            return
        if self.pre_depth and tag in ("code", "pre") and self.after_text:
            self.parts[-1] = self.parts[-1].removesuffix("\n")  # a fence ends with a newline
        if tag in _BLOCKS:
            self._block_edge()
        self.parts.append(f"</{tag}>")
        self.after_text = False
        if tag == "pre" and self.pre_depth:
            self.pre_depth -= 1
            self._block_edge()
        elif tag == "code" and not self.pre_depth and self.code_depth:
            self.code_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.pre_depth:
            if self.after_text:  # text split by the spans left out above
                self.parts[-1] += data
            else:
                self.parts.append(data)
            self.after_text = True
            return
        if self.code_depth:
            self._show(_LINE_BREAK.sub(" ", data))
            return
        text = _WHITESPACE.sub(" ", data)
        words = text.strip(" ")
        if text.startswith(" "):
            self.space = True
        if words:
            self._show(words)
            self.space = text.endswith(" ")


def canonical_html(html: str) -> str:
    parser = _Canonicalizer()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def same_content(a: str, b: str) -> bool:
    return a == b or canonical_html(a) == canonical_html(b)
