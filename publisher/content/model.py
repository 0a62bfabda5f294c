"""The typed model of a help center as the content repository describes it."""

from __future__ import annotations

import contextlib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Status = Literal["published", "draft"]

#: The longest value `shown` puts into a message before cutting it with an ellipsis.
SHOWN_CHARS = 80
#: The longest message `Problem.format` prints: a last bound, whatever a message quotes.
MAX_MESSAGE_CHARS = 1000

# Invisible characters with no use in a title or a name (zero-width space, word joiner,
# invisible operators, zero-width no-break space). The zero-width joiner and non-joiner
# (U+200D, U+200C) are not among them: emoji sequences and Persian or Indic text need them.
_INVISIBLE = frozenset("\u200b\u2060\u2061\u2062\u2063\u2064\ufeff")
# Bidirectional embeddings, overrides and isolates: they make text show in another order
# than it is stored ("Trojan Source"). The marks U+200E, U+200F and U+061C stay allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def unsafe_character(text: str) -> tuple[int, str] | None:
    """(index, what it is) of the first character in `text` that must not be in a title, a
    name or anything else printed on one line: line breaks, tabs, control characters (NUL,
    ESC), bidirectional overrides, invisible characters, and lone surrogates (a file name
    that is not UTF-8, or a `\\ud800` escape in YAML); None when there is none."""
    if text.isprintable():  # the usual case, answered in C
        return None
    for index, char in enumerate(text):
        if char.isprintable() or char == " ":
            continue
        kind = _kind(char)
        if kind is not None:
            return index, kind
    return None


def _kind(char: str) -> str | None:
    code = f"U+{ord(char):04X}"
    if char in _LINE_BREAKS:
        return f"a line break ({code})"
    if char == "\t":
        return "a tab"
    category = unicodedata.category(char)
    if category == "Cc":
        return f"a control character ({code})"
    if category == "Cs":
        return f"a character that is not valid Unicode ({code})"
    if char in _BIDI_CONTROLS:
        return (
            f"a bidirectional override ({code}), which makes text show in another order "
            "than it is written"
        )
    if char in _INVISIBLE:
        return f"an invisible character ({code})"
    return None


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if char in "\n\r\t":
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def escaped(text: str) -> str:
    """`text` safe to print on one line: every character `unsafe_character` names is
    written as an escape (`\\n`, `\\x1b`, `\\u202e`; a byte of a name that is not UTF-8
    as `\\xe9`), so nothing printed can break a line, colour a terminal, reorder text or
    fail to encode."""
    if unsafe_character(text) is None:
        return text
    return "".join(_escape(char) if _kind(char) else char for char in text)


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """A value from the content as a message quotes it: escaped, and cut to `limit`
    characters with an ellipsis, so a 1 MB title is never echoed whole."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        return escaped(text[:limit]) + "…"
    return escaped(text)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the content, reported as `path:line: message`."""

    path: Path
    line: int
    message: str
    severity: Literal["error", "warning"] = "error"

    def format(self, relative_to: Path | None = None) -> str:
        where = self.path
        if relative_to is not None:
            with contextlib.suppress(ValueError):
                where = self.path.relative_to(relative_to)
        prefix = "" if self.severity == "error" else "warning: "
        message = escaped(self.message)
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[:MAX_MESSAGE_CHARS] + "…"
        return f"{escaped(str(where))}:{self.line}: {prefix}{message}"


@dataclass
class Article:
    """One Markdown file: its front-matter settled to final values, and its body."""

    path: Path  # absolute path of the .md file
    rel_path: str  # POSIX path relative to the content root, e.g. "billing/refunds.md"
    slug: str
    title: str
    body: str  # Markdown without front-matter (and without the H1 when it gave the title)
    body_line: int  # 1-based line of the file where `body` starts
    status: Status = "published"
    description: str | None = None
    icon: str | None = None
    order: int | None = None
    id: str | None = None
    aliases: tuple[str, ...] = ()
    group: Group | None = field(default=None, repr=False)

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return _sort_key(self.order, self.title, self.slug)


@dataclass
class Group:
    """A folder of articles; folders inside it are nested groups."""

    path: Path  # absolute path of the folder
    rel_path: str  # POSIX path of the folder relative to the content root
    slug: str
    name: str
    order: int | None = None
    id: str | None = None
    parent: Group | None = field(default=None, repr=False)
    children: list[Node] = field(default_factory=list, repr=False)

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return _sort_key(self.order, self.name, self.slug)

    @property
    def config_path(self) -> Path:
        return self.path / "_group.yml"


@dataclass
class Heading:
    """A sidebar heading: a text label between its siblings, declared by a `*.heading.yml`
    file. It holds no content; Plain keeps it only in the navigation index."""

    path: Path  # absolute path of the .heading.yml file
    rel_path: str
    slug: str  # from the file name, numeric prefix dropped
    title: str
    order: int | None = None
    id: str | None = None  # the index entry id in Plain, pinned (as `pull` writes it)
    group: Group | None = field(default=None, repr=False)

    @property
    def sort_key(self) -> tuple[int, int, str, str]:
        return _sort_key(self.order, self.title, self.slug)

    @property
    def entity_id(self) -> str:
        """The id of its index entry: the pinned one, or one made from where it sits, which
        stays the same when its title or order changes."""
        if self.id:
            return self.id
        return HEADING_ID_PREFIX + "_".join([*(g.slug for g in _ancestors(self.group)), self.slug])


#: Index entry ids this tool makes for headings declared in the content. An entry with such
#: an id that the content no longer declares was this tool's, and leaves the sidebar.
HEADING_ID_PREFIX = "heading_"


def _ancestors(group: Group | None) -> list[Group]:
    chain: list[Group] = []
    while group is not None:
        chain.append(group)
        group = group.parent
    return chain[::-1]


Node = Article | Group | Heading


def _sort_key(order: int | None, title: str, slug: str) -> tuple[int, int, str, str]:
    # Ordered items first by their order; the rest after them by title; slug breaks ties
    # so the navigation never depends on file-system listing order.
    if order is None:
        return (1, 0, title.casefold(), slug)
    return (0, order, title.casefold(), slug)


@dataclass
class HelpCenterContent:
    """Everything under one content root, in navigation order."""

    root: Path
    top: list[Node] = field(default_factory=list)  # top-level groups and articles, sorted
    articles: dict[str, Article] = field(default_factory=dict)  # by slug
    groups: dict[str, Group] = field(default_factory=dict)  # by slug
    by_path: dict[str, Article] = field(default_factory=dict)  # by rel_path
    images: dict[str, Path] = field(default_factory=dict)  # rel_path -> file, those referenced
    headings: dict[str, Heading] = field(default_factory=dict)  # by entity id

    def walk(self) -> list[Node]:
        """Every node, depth first, in navigation order."""
        out: list[Node] = []
        # A stack rather than recursion: how deep groups nest never meets Python's limit.
        stack = list(reversed(self.top))
        while stack:
            node = stack.pop()
            out.append(node)
            if isinstance(node, Group):
                stack.extend(reversed(node.children))
        return out
