"""Article HTML back to Markdown that our renderer turns into the same HTML again.

The conversion is the inverse of `publisher.render.markdown`: every construct that renderer
writes (headings, lists, task lists, tables with alignment, fenced code with its language,
footnotes, definition lists, admonitions, links between articles) comes back as the Markdown
that produces it. What Markdown cannot say in a way that renders to the same tags and
attributes (a table without a header row, `<b>` rather than `<strong>`, an image outside a
paragraph, ...) is kept as raw HTML, which the renderer passes through its sanitiser.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Collection, Mapping

from bs4.element import NavigableString, PageElement, Tag
from markdownify import ATX, BACKSLASH, MarkdownConverter

from publisher.render.markdown import markdown_parser
from publisher.render.sanitize import sanitize

# Markers between the converter's steps; the sanitised input never holds control characters.
_TITLE = "\x00"  # starts an admonition title, until the end of its line
_CELL_OPEN, _CELL_CLOSE = "\x02", "\x03"
_ROW_OPEN, _ROW_CLOSE = "\x04", "\x05"
_CELL_RE = re.compile(f"{_CELL_OPEN}(.*?){_CELL_CLOSE}", re.S)
_ROW_RE = re.compile(f"{_ROW_OPEN}(.*?){_ROW_CLOSE}", re.S)

_ARTICLE_URL_RE = re.compile(r"^/article/([a-z0-9][a-z0-9-]*)/?(?:#(.*))?$")
# HTML's whitespace: a no-break space is text (it shows, and joins words), not whitespace.
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_HTML_SPACE = " \t\n\r\f"
_ENTITY_LIKE = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]*;)")
_HTML_LIKE = re.compile(r"<(?=[A-Za-z/!?])")
_TILDES = re.compile(r"~(?=~)|(?<=~)~|^~|~$")
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_LINE_START = re.compile(
    r"^(?:(?P<hash>#{1,6}(?=\s|$))|(?P<quote>>)|(?P<bullet>[-+=](?=[\s\-+=]|$))"
    r"|(?P<number>[0-9]{1,9})(?P<delim>[.)])(?=\s|$)|(?P<colon>:(?=\s|$))|(?P<bang>!!!))"
)
_BLANK_LINE = re.compile(r"\n([ \t]*)(?=\n)")
_BACKTICKS = re.compile(r"`+")
_LONE_TAG = re.compile(r"^</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>[ \t]*(?:\n|$)")
_TEXT_ALIGN = re.compile(r"text-align:\s*(left|center|right)")
_FOOTNOTE_ID = re.compile(r"^#?fn(\d+)$")

BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "details", "dialog", "dd",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "caption",
        "colgroup", "col", "[document]",
    }
)  # fmt: skip
_VOID_TAGS = frozenset({"br", "hr", "img", "input", "col", "wbr", "area", "source"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LISTS = frozenset({"ul", "ol"})
_TABLE_PARTS = frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"})
# Inline tags whose Markdown spelling renders to the same tag; any other inline tag is kept
# as raw HTML around its converted content.
_MARKDOWN_INLINE = frozenset({"strong", "em", "s", "code", "a", "img", "br", "input", "sup"})

ConvertFn = Callable[[Tag, str, set[str]], str]


def _classes(el: Tag) -> list[str]:
    value = el.get("class")
    if value is None:
        return []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


def _attr(el: Tag, name: str) -> str | None:
    value = el.get(name)
    if value is None:
        return None
    return value if isinstance(value, str) else " ".join(str(v) for v in value)


def _open_tag(el: Tag) -> str:
    parts = [el.name]
    for name in el.attrs:
        value = _attr(el, name)
        parts.append(name if value is None else f'{name}="{html.escape(value, quote=True)}"')
    return "<" + " ".join(parts) + ">"


def _is_tag(node: PageElement | None, *names: str) -> bool:
    return isinstance(node, Tag) and (not names or node.name in names)


def _content_children(el: Tag) -> list[PageElement]:
    """Children that carry content: tags and text that is not only whitespace."""
    return [
        child
        for child in el.children
        if isinstance(child, Tag) or (isinstance(child, NavigableString) and child.strip())
    ]


def _has_inline_content(el: Tag) -> bool:
    """Text or inline tags directly inside a block: Markdown would wrap them in <p>."""
    return any(
        not (isinstance(child, Tag) and child.name in BLOCK_TAGS) for child in _content_children(el)
    )


def _previous_block_sibling(el: Tag) -> Tag | None:
    node = el.previous_sibling
    while node is not None:
        if isinstance(node, Tag):
            return node
        if isinstance(node, NavigableString) and node.strip():
            return None
        node = node.previous_sibling
    return None


def _is_loose_list(el: Tag) -> bool:
    """markdown-it wraps every item of a loose list in <p>; a tight one in none."""
    return any(
        _is_tag(child, "p")
        for item in el.find_all("li", recursive=False)
        for child in item.children
    )


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line.strip() else "" for line in text.split("\n"))


def _escape_text(text: str, *, in_table: bool) -> str:
    text = text.replace("\\", "\\\\")
    text = re.sub(r"([`*\[\]])", r"\\\1", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = _HTML_LIKE.sub(r"\\<", text)
    text = _ENTITY_LIKE.sub(r"\\&", text)
    text = _TILDES.sub(r"\\~", text)
    if in_table:
        text = text.replace("|", "\\|")
    return text


def _escape_line_start(text: str) -> str:
    """Escape what would start a block if it began a line (`# `, `- `, `1. `, `> `, ...)."""
    match = _LINE_START.match(text)
    if match is None:
        return text
    if match.group("number") is not None:
        end = match.end("number")
        return text[:end] + "\\" + text[end:]
    return "\\" + text


def _escape_url(url: str) -> str:
    url = _ENTITY_LIKE.sub(r"\\&", url.replace("\\", "\\\\"))
    if re.search(r"[\s<>]", url) or url.count("(") != url.count(")"):
        if re.search(r"[<>\n]", url):
            return re.sub(r"([()<> ])", lambda m: f"%{ord(m.group(1)):02X}", url)
        return f"<{url}>"
    return url


def _quote_title(title: str) -> str:
    return ' "' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fence_for(code: str) -> str:
    longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
    return "`" * max(3, longest + 1)


def _table_row(cells: list[str]) -> str:
    return "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"


def _raw_block(el: Tag) -> str:
    """The element as an HTML block: no blank line inside, or Markdown would end it there."""
    markup = el.decode(formatter="html5").strip("\n")
    previous = None
    while previous != markup:
        previous = markup
        markup = _BLANK_LINE.sub(lambda m: "\n" + m.group(1) + "&#10;", markup)
    return "\n\n" + markup + "\n\n"


class PlainHtmlConverter(MarkdownConverter):
    """Writes the Markdown our renderer reads back into the same HTML."""

    def __init__(
        self,
        *,
        link_for: Callable[[str, str | None], str | None] | None = None,
        anchor_known: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(heading_style=ATX, newline_style=BACKSLASH, bullets="-")
        self._link_for = link_for
        self._anchor_known = anchor_known
        self._parser = markdown_parser()
        self._own: dict[str, ConvertFn] = {
            "[document]": self._convert_document,
            "p": self._convert_p,
            "br": self._convert_br,
            "hr": self._convert_hr,
            "strong": self._emphasis("**"),
            "em": self._emphasis("*"),
            "s": self._emphasis("~~"),
            "code": self._convert_code,
            "a": self._convert_a,
            "img": self._convert_img,
            "input": self._convert_input,
            "sup": self._convert_sup,
            "pre": self._convert_pre,
            "blockquote": self._convert_blockquote,
            "ul": self._convert_list,
            "ol": self._convert_list,
            "li": self._convert_li,
            "dl": self._convert_dl,
            "dt": self._convert_dt,
            "dd": self._convert_dd,
            "div": self._convert_div,
            "section": self._convert_section,
            "table": self._convert_table,
            "thead": self._convert_passthrough,
            "tbody": self._convert_passthrough,
            "tr": self._convert_tr,
            "td": self._convert_cell,
            "th": self._convert_cell,
            **{name: self._convert_heading for name in _HEADINGS},
        }

    # --- The walk: markdownify calls these -----------------------------------------------

    def get_conv_fn(self, tag_name: str) -> ConvertFn:
        own = self._own.get(tag_name)
        if own is not None:
            return own
        return self._raw_block_fn if tag_name in BLOCK_TAGS else self._raw_inline

    def process_text(self, el: NavigableString, parent_tags: set[str] | None = None) -> str:
        tags = parent_tags or set()
        text = str(el)
        if "pre" in tags:
            return text
        text = _WHITESPACE.sub(" ", text)
        parent = el.parent
        previous, following = el.previous_sibling, el.next_sibling
        at_block_start = previous is None and parent is not None and parent.name in BLOCK_TAGS
        after_block = isinstance(previous, Tag) and (
            previous.name in BLOCK_TAGS or previous.name == "br"
        )
        if at_block_start or after_block:
            text = text.lstrip(_HTML_SPACE)
        at_block_end = following is None and parent is not None and parent.name in BLOCK_TAGS
        if at_block_end or (isinstance(following, Tag) and following.name in BLOCK_TAGS):
            text = text.rstrip(_HTML_SPACE)
        if "code" in tags:
            return text
        text = _escape_text(text, in_table=bool(tags & {"td", "th"}))
        if at_block_start or after_block:
            text = _escape_line_start(text)
        # Written as an entity: a bare U+00A0 in Markdown is easily lost in an editor.
        return text.replace("\u00a0", "&nbsp;")

    # --- Blocks --------------------------------------------------------------------------

    def _convert_document(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return text.strip("\n")

    def _convert_passthrough(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return text

    def _raw_block_fn(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return _raw_block(el)

    def _convert_p(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        text = text.strip(" \n")
        if "admonition-title" in _classes(el):
            return f"\n\n{_TITLE}{text}\n\n"
        if parent_tags & {"td", "th", "_inline"}:
            return text
        if _LONE_TAG.match(text):
            # A line of only a tag would start an HTML block, not a paragraph.
            return _raw_block(el)
        return f"\n\n{text}\n\n" if text else ""

    def _convert_heading(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        level = int(el.name[1])
        text = _WHITESPACE.sub(" ", text).strip()
        if re.search(r"(^|\s)#+$", text):  # a closing sequence would be dropped
            text = text[:-1] + "\\#"
        return f"\n\n{'#' * level} {text}".rstrip() + "\n\n"

    def _convert_hr(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "footnotes-sep" in _classes(el):
            return ""
        if el.attrs:
            return _raw_block(el)
        return "\n\n---\n\n"

    def _convert_pre(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        code_el = el.find("code")
        language = ""
        if isinstance(code_el, Tag):
            for name in _classes(code_el):
                if name.startswith("language-"):
                    language = name.removeprefix("language-")
        code = el.get_text()
        # Our renderer ends the code with a newline that is not part of the fenced text.
        code = code.removesuffix("\n")
        fence = _fence_for(code)
        return f"\n\n{fence}{language}\n{code}\n{fence}\n\n"

    def _convert_blockquote(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if _has_inline_content(el) or el.attrs:
            return _raw_block(el)
        text = text.strip("\n")
        quoted = "\n".join("> " + line if line else ">" for line in text.split("\n"))
        return f"\n\n{quoted}\n\n"

    def _convert_div(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        classes = _classes(el)
        if "admonition" not in classes:
            return _raw_block(el)
        kinds = [c for c in classes if c != "admonition"]
        kind = kinds[0] if kinds else "note"
        if _has_inline_content(el):
            return _raw_block(el)
        title: str | None = None
        body_lines: list[str] = []
        for line in text.strip("\n").split("\n"):
            if title is None and line.startswith(_TITLE):
                title = line[len(_TITLE) :]
            else:
                body_lines.append(line)
        body = "\n".join(body_lines).strip("\n")
        if title is None:
            head = f'!!! {kind} ""'
        elif title == kind.title():
            head = f"!!! {kind}"
        else:
            head = f'!!! {kind} "{title}"'
        return f"\n\n{head}\n{_indent(body, '    ')}\n\n"

    def _convert_section(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "footnotes" in _classes(el):
            return f"\n\n{text.strip()}\n\n"
        return _raw_block(el)

    # --- Lists ---------------------------------------------------------------------------

    def _convert_list(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "footnotes-list" in _classes(el):
            return text
        if "li" in parent_tags:
            return "\n" + text.rstrip("\n") + "\n"
        return f"\n\n{text.rstrip()}\n\n"

    def _bullet(self, item: Tag, parent: Tag) -> str:
        # Two lists in a row would read as one: alternate the marker between them.
        alternate = False
        previous = _previous_block_sibling(parent)
        while previous is not None and previous.name == parent.name:
            alternate = not alternate
            previous = _previous_block_sibling(previous)
        if parent.name == "ol":
            start_attr = _attr(parent, "start")
            start = int(start_attr) if start_attr and start_attr.isdigit() else 1
            number = start + len(item.find_previous_siblings("li"))
            return f"{number}{')' if alternate else '.'} "
        return "* " if alternate else "- "

    def _convert_li(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        text = text.strip("\n").strip()
        if "footnote-item" in _classes(el):
            match = _FOOTNOTE_ID.match(_attr(el, "id") or "")
            label = match.group(1) if match else "0"
            first, _, rest = text.partition("\n")
            return f"[^{label}]: {first}\n{_indent(rest, '    ')}".rstrip() + "\n\n"
        parent = el.parent
        if not _is_tag(parent, "ul", "ol"):
            return text
        assert parent is not None
        bullet = self._bullet(el, parent)
        loose = _is_loose_list(parent)
        if not text:
            return bullet.rstrip() + ("\n\n" if loose else "\n")
        body = _indent(text, " " * len(bullet))
        return bullet + body[len(bullet) :] + ("\n\n" if loose else "\n")

    def _convert_input(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if (_attr(el, "type") or "").lower() == "checkbox" and "task-list-item-checkbox" in (
            _classes(el)
        ):
            box = "[x]" if el.has_attr("checked") else "[ ]"
            following = el.next_sibling
            spaced = isinstance(following, NavigableString) and following[:1].isspace()
            return box if spaced else box + " "
        return self._raw_inline(el, text, parent_tags)

    def _convert_dl(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        children = [c for c in _content_children(el)]
        names = [c.name if isinstance(c, Tag) else "" for c in children]
        shape = re.fullmatch(r"(dt(dd)+)+", "".join(names))
        single_dts = all(names[i + 1] == "dd" for i, name in enumerate(names[:-1]) if name == "dt")
        if shape is None or not single_dts:
            return _raw_block(el)
        return f"\n\n{text.strip()}\n\n"

    def _convert_dt(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if not _is_tag(el.parent, "dl"):
            return _raw_block(el)
        return "\n\n" + _WHITESPACE.sub(" ", text).strip() + "\n"

    def _convert_dd(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        dl = el.parent
        if not isinstance(dl, Tag) or dl.name != "dl":
            return _raw_block(el)
        loose = any(_is_tag(c, "p") for dd in dl.find_all("dd", recursive=False) for c in dd)
        body = _indent(text.strip("\n").strip(), "    ")
        first_gap = "\n" if loose and _is_tag(_previous_block_sibling(el), "dt") else ""
        return f"{first_gap}\n: {body[4:]}\n" + ("\n" if loose else "")

    # --- Tables --------------------------------------------------------------------------

    def _convert_cell(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        cell = _WHITESPACE.sub(" ", text.replace("\n", " ")).strip()
        return f"{_CELL_OPEN}{cell}{_CELL_CLOSE}"

    def _convert_tr(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return f"{_ROW_OPEN}{text}{_ROW_CLOSE}"

    def _table_alignments(self, el: Tag) -> list[str | None] | None:
        """Column alignments, or None when Markdown cannot write this table as it is."""
        parts = [c for c in _content_children(el) if isinstance(c, Tag) and not c.attrs]
        if len(parts) != len(_content_children(el)) or [p.name for p in parts] not in (
            ["thead"],
            ["thead", "tbody"],
        ):
            return None
        head_rows = parts[0].find_all("tr", recursive=False)
        body_rows = parts[1].find_all("tr", recursive=False) if len(parts) > 1 else []
        if len(head_rows) != 1 or (len(parts) > 1 and not body_rows):
            return None
        columns: list[str | None] | None = None
        for row_index, row in enumerate([*head_rows, *body_rows]):
            cells = [c for c in _content_children(row)]
            want = "th" if row_index == 0 else "td"
            if row.attrs or any(not _is_tag(c, want) for c in cells):
                return None
            aligns: list[str | None] = []
            for cell in cells:
                assert isinstance(cell, Tag)
                if set(cell.attrs) - {"style"}:
                    return None
                if cell.find(BLOCK_TAGS - {"[document]"}) is not None:
                    return None
                style = _attr(cell, "style")
                match = _TEXT_ALIGN.fullmatch(style.strip().rstrip(";")) if style else None
                if style and match is None:
                    return None
                aligns.append(match.group(1) if match else None)
            if columns is None:
                columns = aligns
            elif aligns != columns:
                return None
        return columns

    def _convert_table(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        aligns = self._table_alignments(el)
        if aligns is None or not aligns:
            return _raw_block(el)
        rows = [_CELL_RE.findall(row) for row in _ROW_RE.findall(text)]
        markers = {None: "---", "left": ":--", "center": ":-:", "right": "--:"}
        lines = [_table_row(rows[0]), _table_row([markers[a] for a in aligns])]
        lines += [_table_row(row) for row in rows[1:]]
        return "\n\n" + "\n".join(lines) + "\n\n"

    # --- Inline --------------------------------------------------------------------------

    def _raw_inline(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if el.name in _VOID_TAGS:
            return _open_tag(el)
        return f"{_open_tag(el)}{text}</{el.name}>"

    def _emphasis(self, marker: str) -> ConvertFn:
        def convert(el: Tag, text: str, parent_tags: set[str]) -> str:
            if el.attrs or "code" in parent_tags or not text.strip():
                return self._raw_inline(el, text, parent_tags)
            inner = text.strip()
            lead = " " if text[:1].isspace() else ""
            trail = " " if text[-1:].isspace() else ""
            if not self._flanks(el, inner):
                return self._raw_inline(el, text, parent_tags)
            symbol = marker
            # `***x***` reads as <em><strong>: an <em> right inside <strong> uses `_`.
            if marker == "*" and _is_tag(el.parent, "strong"):
                symbol = "_"
            return f"{lead}{symbol}{inner}{symbol}{trail}"

        return convert

    @staticmethod
    def _flanks(el: Tag, inner: str) -> bool:
        """Whether delimiters around `inner` open and close here (CommonMark flanking)."""

        def neighbour(node: PageElement | None, last: bool) -> str:
            if node is None:
                return " "
            value = node.get_text() if isinstance(node, Tag) else str(node)
            if not value:
                return " "
            return value[-1] if last else value[0]

        before = neighbour(el.previous_sibling, last=True)
        after = neighbour(el.next_sibling, last=False)

        def punct(char: str) -> bool:
            return not char.isalnum() and not char.isspace()

        if punct(inner[0]) and not (before.isspace() or punct(before)):
            return False
        return not (punct(inner[-1]) and not (after.isspace() or punct(after)))

    def _convert_br(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if parent_tags & {"td", "th", "_inline"} or el.attrs:
            return _open_tag(el)
        return "\\\n"

    def _convert_code(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if el.attrs or "pre" in parent_tags:
            return self._raw_inline(el, text, parent_tags) if el.attrs else text
        code = el.get_text()
        code = _WHITESPACE.sub(" ", code)
        if not code:
            return "<code></code>"
        if parent_tags & {"td", "th"}:
            code = code.replace("|", "\\|")
        fence = "`" * (max((len(r) for r in _BACKTICKS.findall(code)), default=0) + 1)
        pad = " " if code.startswith(("`", " ")) or code.endswith(("`", " ")) else ""
        if code.strip() == "":
            pad = ""
        return f"{fence}{pad}{code}{pad}{fence}"

    def _convert_sup(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if "footnote-ref" in _classes(el):
            link = el.find("a")
            match = _FOOTNOTE_ID.match(_attr(link, "href") or "") if isinstance(link, Tag) else None
            if match:
                return f"[^{match.group(1)}]"
        return self._raw_inline(el, text, parent_tags)

    def _target(self, href: str) -> str | None:
        """The Markdown link target for `href`, or None to keep the link as raw HTML."""
        match = _ARTICLE_URL_RE.match(href)
        if match and self._link_for is not None:
            relative = self._link_for(match.group(1), match.group(2) or None)
            if relative is not None:
                return relative
        if href.startswith("#") and self._anchor_known and not self._anchor_known(href[1:]):
            return None
        if self._parser.normalizeLink(href) != href:
            return None
        return href

    def _convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        classes = _classes(el)
        if "footnote-backref" in classes:
            return ""
        href = _attr(el, "href")
        title = _attr(el, "title")
        if href is None or set(el.attrs) - {"href", "title"} or "code" in parent_tags:
            return self._raw_inline(el, text, parent_tags)
        target = self._target(href)
        if target is None:
            return self._raw_inline(el, text, parent_tags)
        inner = text.strip()
        lead = " " if text[:1].isspace() else ""
        trail = " " if text[-1:].isspace() else ""
        if (
            target == href
            and not title
            and re.fullmatch(r"https?://[^\s<>]+", href)
            and el.get_text() == href
            and self._parser.normalizeLinkText(href) == href
        ):
            return f"{lead}<{href}>{trail}"
        title_part = _quote_title(title) if title else ""
        return f"{lead}[{inner}]({_escape_url(target)}{title_part}){trail}"

    def _convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        src = _attr(el, "src")
        alt = _attr(el, "alt")
        title = _attr(el, "title")
        parent = el.parent
        standalone = parent is not None and parent.name in ("[document]", "blockquote", "div")
        if (
            src is None
            or alt is None
            or set(el.attrs) - {"src", "alt", "title"}
            or self._parser.normalizeLink(src) != src
            or (title is not None and not title)
        ):
            raw = _open_tag(el)
            return f"\n\n{raw}\n\n" if standalone else raw
        if standalone:
            return f"\n\n{_open_tag(el)}\n\n"
        alt_text = _escape_text(
            _WHITESPACE.sub(" ", alt), in_table=bool(parent_tags & {"td", "th"})
        )
        title_part = _quote_title(title) if title else ""
        return f"![{alt_text}]({_escape_url(src)}{title_part})"


def html_to_markdown(
    html_text: str,
    *,
    article_paths: Mapping[str, str] | None = None,
    source_path: str = "",
    anchors: Mapping[str, Collection[str]] | None = None,
) -> str:
    """Markdown for an article's HTML ("" when it has no content).

    `article_paths` maps article slugs to their .md files (POSIX paths relative to the
    content folder); links to `/article/<slug>[#anchor]` of those become relative links
    from `source_path`, the file being written. Other slugs keep their absolute URL.
    With `anchors` (slug -> heading anchors), a link to an anchor not among them keeps
    its absolute URL too, so `publisher check` has no missing heading to report.
    """
    paths = dict(article_paths or {})
    own_slug = next((slug for slug, path in paths.items() if path == source_path), None)
    base = posixpath.dirname(source_path)

    def link_for(slug: str, anchor: str | None) -> str | None:
        path = paths.get(slug)
        if path is None:
            return None
        if anchor and anchors is not None and anchor not in anchors.get(slug, ()):
            return None
        relative = posixpath.relpath(path, base or ".")
        return relative + (f"#{anchor}" if anchor else "")

    def anchor_known(anchor: str) -> bool:
        if anchors is None or own_slug is None:
            return True
        return anchor in anchors.get(own_slug, ())

    converter = PlainHtmlConverter(link_for=link_for, anchor_known=anchor_known)
    markdown: str = converter.convert(sanitize(html_text))
    markdown = markdown.strip("\n")
    return markdown + "\n" if markdown.strip() else ""
