"""Links between articles, as the web view serves them.

Published HTML links to another article as ``/article/<slug>`` (with an optional ``?query``
or ``#anchor``): a path on Plain's own help-center site. The web view serves a help center
under ``/help-centers/<id>/``, so its copy of an article points those links there instead.
Only the ``href`` of ``<a>`` start tags changes, and everything else is left byte for byte:
text, comments, other attributes and tags, and the stored HTML, which the API still serves
as published.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# `/article/<slug>`, then nothing, a query or an anchor (a further `/` is some other page).
_ARTICLE_PATH = re.compile(r"/article/(?P<slug>[^/?#\s]+)(?P<rest>[?#].*)?", re.DOTALL)
# One attribute of a start tag, as HTMLParser reads them: name, then `=` and a value,
# double-quoted, single-quoted or bare.
_ATTRIBUTE = re.compile(
    r"""(?P<name>[^\s/>"'=][^\s/>=]*)"""
    r"""(?:(?P<eq>\s*=\s*)(?P<value>"[^"]*"|'[^']*'|(?!['"])[^>\s]*))?""",
)
_TAG_NAME = re.compile(r"<[a-zA-Z][^\t\n\r\f />\x00]*")


def web_view_href(href: str, prefix: str) -> str | None:
    """Where ``href`` leads in the web view (``prefix`` is ``/help-centers/<id>/article``), or
    None if it is not a link to an article of the same help center."""
    match = _ARTICLE_PATH.fullmatch(href)
    if match is None:
        return None
    return f"{prefix}/{match['slug']}{match['rest'] or ''}"


def rewrite_article_links(content: str, prefix: str) -> str:
    """``content`` with every ``<a href="/article/<slug>...">`` pointing under ``prefix``."""
    if "article" not in content:  # (a fast path; "/" may be written as a reference)
        return content
    finder = _AnchorTags()
    finder.feed(content)
    finder.close()
    starts = _line_starts(content)
    pieces: list[str] = []
    done = 0
    for (line, column), raw in finder.tags:
        begin = starts[line - 1] + column
        if content.startswith(raw, begin):  # always, but never splice on a guess
            replaced = _rewrite_tag(raw, prefix)
            if replaced != raw:
                pieces += [content[done:begin], replaced]
                done = begin + len(raw)
    pieces.append(content[done:])
    return "".join(pieces)


class _AnchorTags(HTMLParser):
    """Finds each `<a>` start tag, as written, and where it starts (line, column); the
    parser knows what is a tag and what is text, a comment or script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[tuple[int, int], str]] = []

    def _found(self, tag: str) -> None:
        raw = self.get_starttag_text()
        if tag == "a" and raw is not None:
            self.tags.append((self.getpos(), raw))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._found(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._found(tag)


def _line_starts(text: str) -> list[int]:
    # HTMLParser counts lines by "\n" alone, and so does this.
    starts = [0]
    starts += [match.end() for match in re.finditer("\n", text)]
    return starts


def _rewrite_tag(raw: str, prefix: str) -> str:
    name = _TAG_NAME.match(raw)
    if name is None:
        return raw
    position = name.end()
    while True:
        attribute = _ATTRIBUTE.search(raw, position)
        if attribute is None:
            return raw
        position = attribute.end()
        value = attribute["value"]
        if attribute["name"].lower() != "href" or value is None:
            continue
        quote = value[0] if value[:1] in ("'", '"') else ""
        href = html.unescape(value[1:-1] if quote else value)
        target = web_view_href(href.strip(), prefix)
        if target is None:
            return raw  # only the first href counts, as in a browser
        quote = quote or '"'
        written = quote + html.escape(target, quote=True) + quote
        start, end = attribute.span("value")
        return raw[:start] + written + raw[end:]
