"""A canonical form of article HTML, for deciding whether two versions say the same thing.

Plain (or a person in Plain's editor) may store HTML that differs from ours only in layout:
newlines between tags, attribute order, character references, heading ids our renderer adds.
Comparing canonical forms keeps such differences from being published again and again,
while any change to text, structure, links or formatting still counts.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_WHITESPACE = re.compile(r"\s+")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"br", "hr", "img", "input", "col", "wbr", "area"}


class _Canonicalizer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre_depth = 0
        self.after_text = False  # the last part is text inside <pre>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.pre_depth and tag == "span":
            return  # highlighting follows from the code and its language, both compared
        kept = sorted(
            (name, value or "")
            for name, value in attrs
            # Anchors and the code box's look are ours to derive, not content.
            if not (name == "id" and tag in _HEADINGS) and not (name == "style" and tag == "pre")
        )
        self.parts.append(f"<{tag}{''.join(f' {n}={v!r}' for n, v in kept)}>")
        self.after_text = False
        if tag == "pre":
            self.pre_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or (self.pre_depth and tag == "span"):
            return
        if self.pre_depth and tag in ("code", "pre") and self.after_text:
            self.parts[-1] = self.parts[-1].removesuffix("\n")  # a fence ends with a newline
        self.parts.append(f"</{tag}>")
        self.after_text = False
        if tag == "pre" and self.pre_depth:
            self.pre_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.pre_depth:
            if self.after_text:  # text split by the spans left out above
                self.parts[-1] += data
            else:
                self.parts.append(data)
            self.after_text = True
            return
        text = _WHITESPACE.sub(" ", data)
        if text.strip():
            self.parts.append(text.strip())


def canonical_html(html: str) -> str:
    parser = _Canonicalizer()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def same_content(a: str, b: str) -> bool:
    return a == b or canonical_html(a) == canonical_html(b)
