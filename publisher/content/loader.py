"""Reads a content root into a HelpCenterContent, collecting every problem on the way."""

from __future__ import annotations

import difflib
import os
import re
import reprlib
import stat
import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler
from slugify import slugify
from yaml.constructor import SafeConstructor
from yaml.cyaml import CParser  # type: ignore[attr-defined]  # libyaml, in PyYAML wheels
from yaml.resolver import Resolver

from publisher.content.model import (
    Article,
    Group,
    Heading,
    HelpCenterContent,
    Node,
    Problem,
    shown,
    unsafe_character,
)
from publisher.content.parsed_yaml import ParsedYaml

ARTICLE_KEYS = ("title", "slug", "description", "icon", "status", "order", "id", "aliases")
GROUP_KEYS = ("name", "slug", "order", "id")
HEADING_KEYS = ("title", "order", "id")
GROUP_FILE = "_group.yml"
HEADING_SUFFIX = ".heading.yml"
#: The file `build` leaves in the folder it writes, so that folder is never read as content.
BUILD_MARKER = ".publisher-site"
#: Plain documents no limit on a heading's text; a sidebar label longer than this is a mistake.
MAX_HEADING_CHARS = 255
#: Plain documents no limit on titles, names, descriptions, icons or ids either; a value
#: longer than this is a paste gone wrong, not a title.
MAX_TEXT_CHARS = 1000
#: Nor on slugs: one longer than this makes URLs (and the files `pull` names after them)
#: longer than browsers, proxies and file systems reliably take.
MAX_SLUG_CHARS = 200
#: Front-matter, `_group.yml` and `*.heading.yml` hold a few `key: value` lines; a settings
#: file's size is checked before it is read, front-matter's before it is parsed.
MAX_SETTINGS_BYTES = 64_000
#: Groups inside groups, counted from the content folder: deeper folders are not read.
MAX_FOLDER_DEPTH = 20
#: Values inside values in front-matter and settings files (the file's mapping is level 1).
MAX_YAML_DEPTH = 10
#: Digits of a whole number in YAML: more is a mistake, and Python refuses to read (or
#: print) numbers of more than 4300 digits.
MAX_NUMBER_CHARS = 100
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ORDER_PREFIX_RE = re.compile(r"^(\d+)[-_.](.+)$")
# Only the opening of an ATX heading: the rest of the line is taken apart by hand, since a
# regular expression for the closing `#`s backtracks quadratically over a long run of spaces.
ATX_H1_START_RE = re.compile(r"^ {0,3}#[ \t]+")
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
DEFAULT_MAX_ARTICLE_BYTES = 1_000_000
_APOSTROPHES_RE = re.compile("['`\u2018\u2019\u02bc]")

_YAML = YAMLHandler()


def is_ignored_name(name: str) -> bool:
    """Hidden files and the temporary files editors write next to the real one."""
    return (
        name.startswith((".", "#"))
        or name.endswith(("~", ".swp", ".swx", ".tmp", "___jb_tmp___", "___jb_old___"))
        or name == "4913"
    )


def _split_prefix(name: str) -> tuple[int | None, str]:
    """`01-Install Guide` -> (1, `Install Guide`): a numeric prefix orders, the rest names."""
    match = ORDER_PREFIX_RE.match(name)
    if match:
        return int(match.group(1)), match.group(2)
    return None, name


def slug_from_name(name: str) -> tuple[str, int | None]:
    """`01-Set up SSO (SAML)` -> (`set-up-sso-saml`, 1): the default slug of a file or folder.

    The numeric prefix orders and is dropped; the rest is made into a slug for the writer:
    transliterated to ASCII (`Café menü` -> `cafe-menu`, `日本語` -> `ri-ben-yu`), lowercased,
    apostrophes dropped (`What's new` -> `whats-new`), every other run of punctuation and
    spaces a single dash, no dash at either end. The slug is empty when the name has no
    letter or digit to keep (only punctuation or emoji).
    """
    order, rest = _split_prefix(name)
    return _slugify(rest), order


def _slugify(text: str) -> str:
    # The transliteration backend is pinned: a slug is an article's URL, so the same name
    # must give the same slug whatever else is installed (Unidecode would be preferred).
    return slugify(
        _APOSTROPHES_RE.sub("", text),
        entities=False,
        decimal=False,
        hexadecimal=False,
        backend="text-unidecode",
    )


def title_from_name(name: str) -> str:
    """The name a group or heading takes from its folder or file name when none is set.

    It is the writer's own text without the numeric prefix (`02-Billing & Plans` ->
    `Billing & Plans`). A name written like a slug, without spaces, reads as words
    (`getting-started`, `getting_started` -> `Getting started`); an all-lowercase name gets
    a capital first letter, and any other capitals are kept as written (`iOS-setup` -> `iOS
    setup`).
    """
    _, rest = _split_prefix(name)
    # NFC: macOS spells `é` in file names as `e` and a combining accent.
    words = " ".join(unicodedata.normalize("NFC", rest).split())
    if " " not in words:
        words = " ".join(re.sub(r"[-_]+", " ", words).split())
    if words == words.lower():
        words = words[:1].upper() + words[1:]
    return words


@dataclass
class _Source:
    """A text file read and split into front-matter and body."""

    meta: dict[str, Any]
    key_lines: dict[str, int]
    body: str
    body_line: int


def _decode(path: Path, data: bytes, problems: list[Problem]) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.append(Problem(path, 1, "file is UTF-16; save it as UTF-8"))
        return None
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        problems.append(Problem(path, line, "file is binary, not Markdown text"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(path, line, f"file is not valid UTF-8 (byte {exc.start}); save it as UTF-8")
        )
        return None
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _key_lines(fm_text: str) -> dict[str, int]:
    """The line of each top-level key. By hand rather than with a regular expression, which
    would backtrack quadratically over a long line of spaces."""
    lines: dict[str, int] = {}
    for number, line in enumerate(fm_text.split("\n"), start=1):
        head, colon, _ = line.partition(":")
        if not colon or not head or head[0].isspace() or head[0] in "#:":
            continue
        key = head.rstrip().strip("'\"")
        lines.setdefault(key, number)
    return lines


class _DuplicateKeyError(yaml.MarkedYAMLError):
    """A key set twice in one mapping, which PyYAML would take silently (the last wins)."""

    def __init__(self, key: str, first: yaml.Mark, second: yaml.Mark) -> None:
        super().__init__("while constructing a mapping", first, f"duplicate key {key!r}", second)
        self.key = key


class _RefusedYAMLError(yaml.MarkedYAMLError):
    """YAML that is valid but builds more than a settings file may: anchors and references
    (`&a`, `*a`: a few hundred bytes of them make gigabytes, the "billion laughs"), merge
    keys, type tags, values nested too deep, numbers too long, dates that do not exist.
    `advice` is the message for the writer; `start` the character it is about, if any."""

    def __init__(self, mark: yaml.Mark | None, advice: str, start: str = "") -> None:
        super().__init__(None, None, advice, mark)
        self.advice = advice
        self.start = start


_INT_TAG = "tag:yaml.org,2002:int"


def _refusal(event: Any, depth: int) -> _RefusedYAMLError | None:
    """Why the node that `event` starts, at `depth` collections deep, is refused: a
    reference, an anchor, a type tag, or too deep; None when it is fine."""
    mark = event.start_mark
    if isinstance(event, yaml.AliasEvent):
        return _RefusedYAMLError(
            mark,
            f"`*{shown(event.anchor, 40)}` refers to an anchor, and YAML anchors and "
            "references are not allowed here: write the value out in full",
            "*",
        )
    if getattr(event, "anchor", None) is not None:
        return _RefusedYAMLError(
            mark,
            f"`&{shown(event.anchor, 40)}` makes a YAML anchor, and anchors and "
            "references are not allowed here: remove it",
            "&",
        )
    if getattr(event, "tag", None) is not None:
        return _RefusedYAMLError(
            mark,
            f"`{shown(event.tag, 40)}` is a YAML type tag, and tags are not allowed here: "
            "remove it",
            "!",
        )
    if depth >= MAX_YAML_DEPTH:
        return _RefusedYAMLError(
            mark,
            f"values nested more than {MAX_YAML_DEPTH} levels deep: settings hold only "
            "text, numbers and lists of them",
        )
    return None


_NODE_EVENTS = (yaml.AliasEvent, yaml.ScalarEvent, yaml.CollectionStartEvent)


class _StrictConstruction(SafeConstructor):
    """PyYAML's safe construction, bounded: a key set twice in one mapping, merge keys
    (`<<`), numbers longer than MAX_NUMBER_CHARS and dates that do not exist are errors."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.tag == _INT_TAG and len(str(node.value)) > MAX_NUMBER_CHARS:
            raise _RefusedYAMLError(
                node.start_mark,
                f"a number over {MAX_NUMBER_CHARS} characters long: put it in quotes if it is text",
            )
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as error:  # a date that does not exist, say
            raise _RefusedYAMLError(
                node.start_mark,
                f"YAML reads '{shown(node.value, 40)}' as a date or number, but cannot make "
                f"one of it ({shown(error, 60)}): put it in quotes if it is text",
            ) from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[tuple[str, str], yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            if key_node.tag.endswith(":merge"):
                raise _RefusedYAMLError(
                    key_node.start_mark,
                    "`<<` merges another mapping into this one, which is not allowed here: "
                    "write the keys out",
                )
            first = seen.setdefault((key_node.tag, key_node.value), key_node)
            if first is not key_node:
                raise _DuplicateKeyError(key_node.value, first.start_mark, key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


class _StrictComposition:
    """Composing that refuses the nodes `_refusal` names, as it meets them."""

    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        refused = _refusal(self.peek_event(), self._depth)  # type: ignore[attr-defined]
        if refused is not None:
            raise refused
        self._depth += 1
        try:
            node: yaml.Node | None = super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1
        return node


class _StrictLoader(_StrictComposition, _StrictConstruction, yaml.SafeLoader):
    """PyYAML's safe loader, bounded to what a writer's settings need (see `_refusal` and
    `_StrictConstruction`), so that what it builds is never larger than the text it reads.
    PyYAML's own reader: its error messages are the ones explained below."""


class _FastStrictLoader(CParser, _StrictConstruction, Resolver):
    """The same rules over libyaml, which scans, parses and composes in C (several times
    faster on the front-matter of thousands of articles): the nodes are checked on the
    event stream first (`refuse_events`), then built by the same construction."""

    def __init__(self, stream: str) -> None:
        refuse_events(stream)
        CParser.__init__(self, stream)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def refuse_events(text: str) -> None:
    """Raise what `_StrictLoader` would refuse in `text`, reading libyaml's events."""
    parser = CParser(text)
    depth = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, _NODE_EVENTS):
                refused = _refusal(event, depth)
                if refused is not None:
                    raise refused
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    finally:
        parser.dispose()


def read_yaml_with(loader_class: type[SafeConstructor], text: str) -> Any:
    """What `yaml.load` does, for a loader class outside PyYAML's list of loaders."""
    reader = loader_class(text)  # type: ignore[call-arg]
    try:
        return reader.get_single_data()
    finally:
        reader.dispose()  # type: ignore[attr-defined]


#: What YAML texts parsed to in earlier runs, while `load_content` runs with one.
_PARSED: ContextVar[ParsedYaml | None] = ContextVar("parsed_yaml", default=None)


def _load_yaml(text: str) -> Any:
    parsed = _PARSED.get()
    if parsed is not None:
        found, value = parsed.get(text)
        if found:
            return value
    value = _parse_yaml(text)
    if parsed is not None:
        parsed.put(text, value)
    return value


def _parse_yaml(text: str) -> Any:
    # Safe loaders only: no arbitrary objects. PyYAML's reader is the reference: libyaml
    # takes a few things it refuses (tabs as separators, some characters), so such text goes
    # to PyYAML, as does text libyaml cannot read, whose messages and marks are the ones the
    # explanations below expect.
    if "\t" in text or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return yaml.load(text, Loader=_StrictLoader)
    try:
        return read_yaml_with(_FastStrictLoader, text)
    except (_RefusedYAMLError, _DuplicateKeyError):
        raise
    except yaml.YAMLError:
        return yaml.load(text, Loader=_StrictLoader)


# Characters that make YAML read a value as something other than text, and what it reads.
_SPECIAL_STARTS = {
    "[": "YAML reads as the start of a list",
    "{": "YAML reads as the start of a mapping",
    "]": "YAML reads as the end of a list",
    "}": "YAML reads as the end of a mapping",
    "*": "YAML reads as a reference to an anchor",
    "&": "YAML reads as an anchor",
    "!": "YAML reads as a type tag",
    "|": "YAML reads as the start of a block of lines",
    ">": "YAML reads as the start of a block of folded lines",
    "?": "YAML reads as a complex key",
    "%": "YAML reads as a directive",
    "@": "YAML reserves",
    "`": "YAML reserves",
}


def _quoted(value: str) -> str:
    """`value` as a YAML quoted string a writer can paste."""
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _in_quotes(key: str, value: str, whole: bool = False) -> str:
    """Advice to quote `value`, with the line to paste when it is short enough to show."""
    what = f"the whole {key}" if whole else f"the {key}"
    if len(value) > 60 or len(key) > 20 or unsafe_character(key + value) is not None:
        return f"put {what} in quotes"
    return f"put {what} in quotes: {key}: {_quoted(value)}"


def _key_value(line: str) -> tuple[str, str, int] | None:
    """(key, value as written, column of the key's colon) of a `key: value` line: a key
    that starts like text, then `:` followed by a space, a tab or the end of the line. By
    hand, as `_key_lines`."""
    body = line.lstrip(" \t")
    if not body or body[0].isspace() or body[0] in ":#-[]{}\"'":
        return None
    colon = body.find(":")
    if colon < 0 or body[colon + 1 : colon + 2] not in ("", " ", "\t"):
        return None
    key = body[:colon].rstrip(" \t").strip()
    value = body[colon + 1 :].strip()
    return key, value, len(line) - len(body) + colon


def _unclosed_quote(lines: list[str], last: int) -> tuple[int, str] | None:
    """(line, quote) of a quote opened before line `last` and not closed before it. YAML reads
    a quoted value on across lines, so such a quote shows up as an error at a later line (the
    next quote it meets closes it), far from the real mistake."""
    try:
        # Parsing only: nothing is built, so no anchor or nesting can cost anything here.
        for _ in yaml.parse("\n".join(lines[:last]), Loader=yaml.SafeLoader):
            pass
    except yaml.MarkedYAMLError as exc:
        mark = exc.context_mark
        if "quoted scalar" in str(exc.context or "") and mark is not None:
            return mark.line, lines[mark.line][mark.column : mark.column + 1] or '"'
    except yaml.YAMLError:
        pass
    return None


def _special_start(lines: list[str], index: int) -> str | None:
    """Advice for a value on line `index` that starts with a character YAML reads as syntax."""
    parsed = _key_value(lines[index]) if 0 <= index < len(lines) else None
    if parsed is None:
        return None
    key, value, _ = parsed
    if not value:
        return None
    if value[0] in "\"'":
        return (
            f"the value of '{shown(key, 40)}' starts with a quote that ends before the value "
            f"does: {_in_quotes(key, value, whole=True)}"
        )
    if value[0] in _SPECIAL_STARTS:
        start = "a backtick" if value[0] == "`" else f"`{value[0]}`"
        return (
            f"the value of '{shown(key, 40)}' starts with {start}, which "
            f"{_SPECIAL_STARTS[value[0]]}: {_in_quotes(key, value)}"
        )
    return None


def _explain_yaml(exc: yaml.YAMLError, lines: list[str]) -> tuple[int, str]:
    """(0-based line, what is wrong there and what to do) for a PyYAML error."""
    problem = str(getattr(exc, "problem", None) or exc)
    context = str(getattr(exc, "context", None) or "")
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    at, column = (problem_mark.line, problem_mark.column) if problem_mark else (0, 0)
    opened, opened_column = (context_mark.line, context_mark.column) if context_mark else (at, 0)

    def line_of(index: int) -> str:
        return lines[index] if 0 <= index < len(lines) else ""

    if isinstance(exc, _RefusedYAMLError):
        # `title: *new* pricing` or `title: &Co`: text that YAML read as syntax.
        parsed = _key_value(line_of(at))
        if exc.start and parsed is not None and parsed[1][:1] in (exc.start, "!"):
            advice = _special_start(lines, at)
            if advice is not None:
                return at, advice + " (YAML anchors, references and tags are not allowed here)"
        return at, exc.advice
    if isinstance(exc, _DuplicateKeyError):
        return at, (
            f"'{shown(exc.key, 40)}' is set twice, on line {opened + 1} and line {at + 1}: "
            "keep one of them"
        )
    if "'\\t'" in problem:
        text = line_of(at)
        if "\t" in text[: len(text) - len(text.lstrip())] or column == 0:
            return at, "this line is indented with a tab: YAML allows only spaces; use spaces"
        return at, "a tab where YAML allows only spaces: replace the tab with a space"
    if "quoted scalar" in context:
        quote = line_of(opened)[opened_column : opened_column + 1] or '"'
        if "escape" in problem:
            parsed = _key_value(line_of(opened))
            showable = (
                parsed
                and len(parsed[0] + parsed[1]) <= 80
                and not unsafe_character(parsed[0] + parsed[1])
            )
            example = f": {parsed[0]}: '{parsed[1].strip(quote)}'" if parsed and showable else ""
            return opened, (
                "a backslash inside double quotes starts an escape like \\n: write \\\\ "
                f"for a backslash, or use single quotes{example}"
            )
        return (
            opened,
            f"the quote {quote} opened on this line is never closed: end the value with {quote}",
        )
    unclosed = _unclosed_quote(lines, at)
    if unclosed is not None:
        index, quote = unclosed
        return (
            index,
            f"the quote {quote} opened on this line is never closed: end the value with {quote}",
        )
    if "flow sequence" in context or "flow mapping" in context:
        opener, closer = ("[", "]") if "sequence" in context else ("{", "}")
        parsed = _key_value(line_of(opened))
        text_hint = ""
        if parsed is not None:
            advice = _in_quotes(parsed[0], parsed[1])
            if_text = f" if the `{opener}` is part of the text"
            put, colon, example = advice.partition(": ")
            text_hint = f", or {put}{if_text}{colon}{example}"
        return (
            opened,
            f"the `{opener}` on this line is never closed: end the list with `{closer}`{text_hint}",
        )
    if "mapping values are not allowed" in problem:
        text = line_of(at)
        parsed = _key_value(text)
        if parsed is not None and column > parsed[2]:
            key, value, _ = parsed
            return at, (
                f"the value of '{shown(key, 40)}' contains ': ', which YAML reads as another "
                f"key: {_in_quotes(key, value)}"
            )
        if text[:1] in (" ", "\t"):
            return at, (
                "this line is indented as if it continued the line above: start it at the "
                "beginning of the line"
            )
        previous = next((i for i in range(at - 1, -1, -1) if line_of(i).strip()), at)
        return previous, "this line is not a `key: value` line: add `:` after the key"
    if "could not find expected ':'" in problem:
        return opened, "this line is not a `key: value` line: add `:` after the key"
    if "found '-'" in problem or ("block collection" in context and "found '?'" in problem):
        index = at if "found '-'" in problem else opened
        return index, (
            "a list item (`- …`) where a `key: value` line belongs: a list goes under a key, "
            "indented, e.g. `aliases:` and then `  - old-slug`"
        )
    advice = _special_start(lines, at)
    if advice is not None:
        return at, advice
    return at, f"{shown(problem)}: check the quotes, colons and indentation of this line"


def _yaml_problem(path: Path, exc: yaml.YAMLError, text: str) -> Problem:
    """PyYAML's error in a writer's words, at the line where the mistake is. `text` is the
    YAML as parsed; its first line is line 1 of the file (front-matter text begins with the
    rest of the opening `---` line)."""
    index, message = _explain_yaml(exc, text.split("\n"))
    return Problem(path, index + 1, f"invalid YAML: {message}")


def _read_markdown(path: Path, text: str, problems: list[Problem]) -> _Source | None:
    if not _YAML.detect(text):
        return _Source({}, {}, text, 1)
    try:
        fm_text, body = _YAML.split(text)
    except ValueError:
        problems.append(Problem(path, 1, "front-matter is not closed: add a line `---` after it"))
        return None
    body_line = text[: len(text) - len(body)].count("\n") + 1
    size = len(fm_text.encode("utf-8"))
    if size > MAX_SETTINGS_BYTES:
        # Bounds what YAML parses (in pure Python, a second for every few hundred KB).
        problems.append(
            Problem(
                path,
                1,
                f"front-matter is {_size(size)}, over the {MAX_SETTINGS_BYTES // 1000} KB limit: "
                "it holds a few `key: value` lines; move long text into the article",
            )
        )
        return None
    try:
        meta = _load_yaml(fm_text)
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(path, exc, fm_text))
        return None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        problems.append(Problem(path, 2, "front-matter must be a mapping of `key: value` lines"))
        return None
    return _Source(meta, _key_lines(fm_text), body, body_line)


def _check_keys(
    path: Path, meta: dict[str, Any], lines: dict[str, int], known: tuple[str, ...]
) -> list[Problem]:
    problems = []
    for key in meta:
        if key in known:
            continue
        name = str(key)
        hint = difflib.get_close_matches(name, known, n=1, cutoff=0.6) if len(name) < 40 else []
        suggestion = f"did you mean '{hint[0]}'?" if hint else f"known keys: {', '.join(known)}"
        problems.append(
            Problem(path, lines.get(name, 1), f"unknown key '{shown(name, 40)}' ({suggestion})")
        )
    return problems


def _text_problem(value: str, limit: int) -> str | None:
    """What is wrong with `value` as one line of text shown to readers (a title, a name, a
    description), said after the key's name; None when nothing is."""
    found = unsafe_character(value)
    if found is not None:
        kind = found[1]
        if kind.startswith("a line break"):
            return f"must be one line of text, but contains {kind}: write it on one line"
        if kind == "a tab":
            return "must be one line of text, but contains a tab: use a space instead"
        return f"contains {kind}: remove it"
    if len(value) > limit:
        return f"is {len(value)} characters; keep it under {limit}"
    return None


class _Fields:
    """Typed access to front-matter values that reports wrong types as problems."""

    def __init__(self, path: Path, source: _Source, problems: list[Problem]) -> None:
        self.path, self.meta, self.lines, self.problems = (
            path,
            source.meta,
            source.key_lines,
            problems,
        )

    def line(self, key: str) -> int:
        return self.lines.get(key, 1)

    def error(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.line(key), message))

    def text(self, key: str, limit: int = MAX_TEXT_CHARS) -> str | None:
        """The value as one line of text, without spaces or line breaks at either end (the
        one a YAML block `>` leaves); None (with the problem recorded) when it is not text,
        holds a line break, a control character or an invisible one, or is over `limit`."""
        value = self.meta.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(key, f"'{key}' must be text, got {_describe(value)}")
            return None
        value = value.strip()
        problem = _text_problem(value, limit)
        if problem is not None:
            self.error(key, f"'{key}' {problem}")
            return None
        return value

    def integer(self, key: str) -> int | None:
        value = self.meta.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"'{key}' must be a whole number, got {_describe(value)}")
            return None
        return value

    def slug(self, key: str = "slug") -> str | None:
        if key in self.meta and self.meta[key] is None:  # `slug:` with nothing after it
            self.error(key, f"'{key}' is empty: write one, or remove the line to use the name")
            return None
        value = self.meta.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(key, f"'{key}' must be text, got {_describe(value)}")
            return None
        problem = _slug_problem(value, f"'{key}'")
        if problem is not None:
            self.error(key, problem)
            return None
        return value


# Lists and mappings in messages: a few items of a few levels, each short.
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 5, 5, 40, 40


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value: quote it if you meant text)"
    if isinstance(value, str):
        return f"'{shown(value)}'"
    return f"{type(value).__name__} {shown(_REPR.repr(value))}"


def _bad_slug_message(slug: str, origin: str) -> str:
    return (
        f"invalid slug '{shown(slug)}' from {origin}: use lowercase letters a-z, digits and "
        "single dashes, e.g. 'refund-policy'"
    )


def _slug_problem(slug: str, origin: str) -> str | None:
    """What is wrong with a slug written in `origin`; None when it is a valid one."""
    if not SLUG_RE.match(slug):
        return _bad_slug_message(slug, origin)
    if len(slug) > MAX_SLUG_CHARS:
        return (
            f"slug '{shown(slug, 40)}' from {origin} is {len(slug)} characters; keep it under "
            f"{MAX_SLUG_CHARS}, as it is part of the URL"
        )
    return None


def _no_slug_message(name: str, where: str) -> str:
    return (
        f"{name} has no letter or digit to make a slug from: set `slug:` {where}, "
        "e.g. slug: refund-policy"
    )


def _default_slug_problem(derived: str, name: str, where: str) -> str | None:
    """What is wrong with the slug made from a file or folder name; None if nothing is."""
    if not SLUG_RE.match(derived):
        return _no_slug_message(name, where)
    if len(derived) > MAX_SLUG_CHARS:
        return (
            f"{name} makes a slug of {len(derived)} characters, over the {MAX_SLUG_CHARS} a URL "
            f"should have: set a shorter `slug:` {where}"
        )
    return None


def _h1_text(line: str) -> str | None:
    """The text of an ATX `# H1` line (closing `#`s dropped), None for any other line."""
    start = ATX_H1_START_RE.match(line)
    if start is None:
        return None
    text = line[start.end() :].rstrip(" \t")
    unclosed = text.rstrip("#")
    if unclosed != text and unclosed[-1:] in (" ", "\t") and unclosed.strip(" \t"):
        text = unclosed.rstrip(" \t")
    return text or None


def _title_from_h1(body: str) -> tuple[str | None, str, int]:
    """The first ATX `# H1` outside code fences, the body with that line blanked, and the
    0-based line of the body it was on."""
    lines = body.split("\n")
    fence: str | None = None
    for index, line in enumerate(lines):
        fence_match = FENCE_RE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
            continue
        if fence is None:
            text = _h1_text(line)
            if text is not None:
                # Blank the line rather than delete it so body line numbers stay true.
                lines[index] = ""
                return text.strip(), "\n".join(lines), index
    return None, body, 0


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.0f} KB"


_NOT_REGULAR = "this is not a regular file (a named pipe or a device): remove it"


def _read_bytes(path: Path, limit: int, too_big: str) -> bytes | Problem:
    """The bytes of the regular file at `path` when it holds at most `limit` of them; else
    the problem, found before anything is read. `too_big` is the message for a file over
    the limit, with `{size}` for its size. A named pipe is opened without waiting for a
    writer (it would block the command forever) and refused, as are devices and folders."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return Problem(path, 1, f"cannot read this file ({reason})")
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            return Problem(path, 1, "this is a folder, where a file belongs: rename it")
        if not stat.S_ISREG(info.st_mode):
            return Problem(path, 1, _NOT_REGULAR)
        if info.st_size > limit:
            return Problem(path, 1, too_big.format(size=_size(info.st_size)))
        chunks: list[bytes] = []
        left = limit + 1  # a file that grows while it is read is still cut off
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            return Problem(path, 1, too_big.format(size=_size(len(data))))
        return data
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return Problem(path, 1, f"cannot read this file ({reason})")
    finally:
        os.close(fd)


def _link_problem(path: Path, root: Path) -> Problem | None:
    """The problem with `path` when it is a symlink that is broken, loops or leads out of
    `root` (resolved); checked before anything behind the link is read."""
    if not path.is_symlink():
        return None
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return Problem(path, 1, "symlink is broken or loops; remove it")
    if not target.is_relative_to(root):
        return Problem(
            path, 1, f"symlink points outside the content root (to {shown(str(target), 120)})"
        )
    return None


def read_article(
    path: Path,
    rel_path: str,
    *,
    max_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
) -> tuple[Article | None, list[Problem]]:
    """Parse one Markdown file into an Article (None when it cannot be used)."""
    problems: list[Problem] = []
    # The size is checked before reading, so a huge file is never loaded.
    too_big = f"article is {{size}}, over the {max_bytes / 1_000_000:g} MB limit; split it"
    data = _read_bytes(path, max_bytes, too_big)
    if isinstance(data, Problem):
        return None, [data]
    text = _decode(path, data, problems)
    if text is None:
        return None, problems
    if not text.strip():
        return None, [Problem(path, 1, "file is empty: write the article, or delete the file")]
    source = _read_markdown(path, text, problems)
    if source is None:
        return None, problems
    problems += _check_keys(path, source.meta, source.key_lines, ARTICLE_KEYS)
    fields = _Fields(path, source, problems)

    stem = path.name.removesuffix(".md")
    derived_slug, prefix_order = slug_from_name(stem)
    slug = fields.slug()
    if slug is None and "slug" not in source.meta:
        name = f"file name '{shown(path.name)}'"
        slug_problem = _default_slug_problem(derived_slug, name, "in its front-matter")
        if slug_problem is None:
            slug = derived_slug
        else:
            problems.append(Problem(path, 1, slug_problem))

    body = source.body
    title = fields.text("title")
    # `title:` with nothing after it is YAML's null: as empty as `title: ""`.
    if (title is not None and not title.strip()) or (
        "title" in source.meta and source.meta["title"] is None
    ):
        fields.error("title", "'title' is empty")
        title = None
    elif title is None and "title" not in source.meta:
        title, body, h1_index = _title_from_h1(body)
        if title is None:
            problems.append(
                Problem(
                    path, 1, "article has no title: add `title:` or start the body with `# Title`"
                )
            )
        else:
            h1_problem = _text_problem(title, MAX_TEXT_CHARS)
            if h1_problem is not None:
                problems.append(Problem(path, source.body_line + h1_index, f"title {h1_problem}"))
                title = None
    if not body.strip() and title is not None:
        problems.append(Problem(path, 1, "article has no content: write its text below the title"))

    status = source.meta.get("status", "published")
    if status not in ("published", "draft"):
        fields.error("status", f"'status' must be 'published' or 'draft', got {_describe(status)}")

    aliases: list[str] = []
    raw_aliases = source.meta.get("aliases")
    if raw_aliases is not None:
        if not isinstance(raw_aliases, list):
            fields.error("aliases", "'aliases' must be a list of earlier slugs, e.g. [old-slug]")
        for alias in raw_aliases if isinstance(raw_aliases, list) else []:
            alias_problem = (
                _slug_problem(alias, "'aliases'")
                if isinstance(alias, str)
                else _bad_slug_message(_REPR.repr(alias), "'aliases'")
            )
            if alias_problem is None:
                aliases.append(alias)
            else:
                fields.error("aliases", alias_problem)

    order = fields.integer("order")
    description = fields.text("description")
    icon = fields.text("icon")
    pinned_id = fields.text("id")
    if slug is None:
        return None, problems
    # With other problems the article still joins the model (with defaults in place of the
    # bad values), so its links and images get checked too and every problem shows at once.
    return (
        Article(
            path=path,
            rel_path=rel_path,
            slug=slug,
            title=(title or title_from_name(stem)).strip(),
            body=body,
            body_line=source.body_line,
            status=status if status in ("published", "draft") else "published",
            description=description,
            icon=icon,
            order=order if order is not None else prefix_order,
            id=pinned_id,
            aliases=tuple(aliases),
        ),
        problems,
    )


def _read_settings(path: Path, keys: tuple[str, ...], problems: list[Problem]) -> _Source | None:
    """A small YAML settings file (`_group.yml`, `*.heading.yml`) as a `_Source` whose meta
    is a mapping; None (with the problem recorded) when it cannot be read as one."""
    data = _read_bytes(
        path,
        MAX_SETTINGS_BYTES,
        f"{shown(path.name)} is {{size}}, over the {MAX_SETTINGS_BYTES // 1000} KB limit for "
        "a settings file, which holds a few `key: value` lines",
    )
    if isinstance(data, Problem):
        problems.append(data)
        return None
    text = _decode(path, data, problems)
    if text is None:
        return None
    try:
        loaded = _load_yaml(text)
    except yaml.YAMLError as exc:
        problems.append(_yaml_problem(path, exc, text))
        return None
    if loaded is not None and not isinstance(loaded, dict):
        problems.append(Problem(path, 1, f"{shown(path.name)} must be a mapping of `key: value`"))
        return None
    meta = loaded or {}
    source = _Source(meta, _key_lines(text), "", 1)
    problems += _check_keys(path, meta, source.key_lines, keys)
    return source


def read_group(
    folder: Path, rel_path: str, root: Path | None = None
) -> tuple[Group | None, list[Problem]]:
    """A folder's group settings: `_group.yml` when present, else from the folder name.
    With `root` (resolved), a `_group.yml` that is a symlink is followed only when it stays
    inside it: nothing from outside the content is read, so none of it shows in an error."""
    problems: list[Problem] = []
    derived_slug, prefix_order = slug_from_name(folder.name)
    config = folder / GROUP_FILE
    source = _Source({}, {}, "", 1)
    if os.path.lexists(config):
        link_problem = _link_problem(config, root) if root is not None else None
        if link_problem is not None:
            return None, [link_problem]
        read = _read_settings(config, GROUP_KEYS, problems)
        if read is None:
            return None, problems
        source = read
    meta = source.meta
    fields = _Fields(config, source, problems)
    slug = fields.slug()
    if slug is None and "slug" not in meta:
        folder_name = f"folder name '{shown(folder.name)}'"
        slug_problem = _default_slug_problem(derived_slug, folder_name, f"in {GROUP_FILE}")
        if slug_problem is None:
            slug = derived_slug
        else:
            problems.append(Problem(config, 1, slug_problem))
    name = fields.text("name")
    if name is not None and not name.strip():
        fields.error("name", "'name' is empty")
    order = fields.integer("order")
    pinned_id = fields.text("id")
    if problems or slug is None:
        return None, problems
    return (
        Group(
            path=folder,
            rel_path=rel_path,
            slug=slug,
            name=(name or title_from_name(folder.name)).strip(),
            order=order if order is not None else prefix_order,
            id=pinned_id,
        ),
        problems,
    )


def read_heading(path: Path, rel_path: str) -> tuple[Heading | None, list[Problem]]:
    """A sidebar heading from `NN-name.heading.yml`: `title` (default: the file name),
    `order` (default: the numeric prefix) and the pinned `id` of its index entry."""
    problems: list[Problem] = []
    stem = path.name[: -len(HEADING_SUFFIX)]
    slug, prefix_order = slug_from_name(stem)
    if not SLUG_RE.match(slug):
        problems.append(
            Problem(
                path,
                1,
                f"invalid heading file name '{shown(path.name)}': it has no letter or digit to "
                f"name the heading by; rename it like '02-advanced{HEADING_SUFFIX}'",
            )
        )
    elif len(slug) > MAX_SLUG_CHARS:
        problems.append(
            Problem(
                path,
                1,
                f"heading file name '{shown(path.name)}' is too long to name the heading by "
                f"({len(slug)} characters as a slug, over {MAX_SLUG_CHARS}): shorten it",
            )
        )
    source = _read_settings(path, HEADING_KEYS, problems)
    if source is None:
        return None, problems
    fields = _Fields(path, source, problems)
    title = fields.text("title", limit=MAX_HEADING_CHARS)
    if title is not None and not title:
        fields.error("title", "'title' is empty")
    order = fields.integer("order")
    pinned_id = fields.text("id")
    if pinned_id is not None and not pinned_id.strip():
        fields.error("id", "'id' is empty: remove it to let the heading get one")
    if problems:
        return None, problems
    return (
        Heading(
            path=path,
            rel_path=rel_path,
            slug=slug,
            title=(title or title_from_name(stem)).strip(),
            order=order if order is not None else prefix_order,
            id=pinned_id,
        ),
        problems,
    )


class ArticleMemo:
    """Remembers parsed articles by file, size and modification time, so a process that
    loads the same tree again and again (the preview) parses only the files that changed."""

    def __init__(self) -> None:
        self._entries: dict[Path, tuple[tuple[int, int, int], Article | None, list[Problem]]] = {}

    def forget(self, path: Path) -> None:
        """Drop what is known of `path`: saves within one clock tick keep the same mtime."""
        self._entries.pop(path, None)

    def problems_of(self, path: Path) -> list[Problem]:
        """What reading `path` found, the last time it was read."""
        known = self._entries.get(path)
        return list(known[2]) if known is not None else []

    def read(
        self, path: Path, rel_path: str, max_bytes: int, entry: os.DirEntry[str] | None = None
    ) -> tuple[Article | None, list[Problem]]:
        stat = entry.stat() if entry is not None else path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size, max_bytes)
        cached = self._entries.get(path)
        if cached is None or cached[0] != stamp or (cached[1] and cached[1].rel_path != rel_path):
            article, problems = read_article(path, rel_path, max_bytes=max_bytes)
            cached = (stamp, article, problems)
            self._entries[path] = cached
        _, article, problems = cached
        # A copy: the loader attaches each article to its group, which may change.
        return (replace(article, group=None) if article else None), list(problems)


class _Walker:
    def __init__(self, root: Path, max_bytes: int, memo: ArticleMemo | None) -> None:
        self.root = root.resolve()
        self.max_bytes = max_bytes
        self.memo = memo
        self.problems: list[Problem] = []
        self.content = HelpCenterContent(root=self.root)
        self.visited: set[Path] = set()

    def inside_root(self, entry: os.DirEntry[str]) -> bool:
        """Follows a symlink and reports it when it leaves the root or loops."""
        if not entry.is_symlink():
            return True
        problem = _link_problem(Path(entry.path), self.root)
        if problem is not None:
            self.problems.append(problem)
            return False
        return True

    def named_safely(self, entry: os.DirEntry[str], path: Path) -> bool:
        """Reports a file or folder whose name cannot be shown or published: not UTF-8 (a
        Latin-1 `café.md` from an old archive), or holding a line break, a control
        character, a bidirectional override or an invisible character."""
        found = unsafe_character(entry.name)
        if found is None:
            return True
        kind = "folder" if entry.is_dir() else "file"
        if found[1].startswith("a character that is not valid Unicode"):
            message = (
                f"{kind} name is not valid UTF-8 (old archives often have Latin-1 names): rename it"
            )
        else:
            message = f"{kind} name contains {found[1]}: rename it"
        if kind == "folder":
            message += "; nothing in it was read"
        self.problems.append(Problem(path, 1, message))
        return False

    def folder(self, folder: Path, rel: str, parent: Group | None, depth: int = 0) -> list[Node]:
        real = folder.resolve()
        if real in self.visited:
            self.problems.append(
                Problem(folder, 1, "symlink loop: this folder is already included")
            )
            return []
        self.visited.add(real)
        nodes: list[Node] = []
        # scandir: the entries' types (and one stat each) come without extra system calls,
        # which matters when the preview loads a thousand files after every save.
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as error:
            reason = error.strerror or type(error).__name__
            self.problems.append(Problem(folder, 1, f"cannot read this folder ({reason})"))
            return []
        for entry in entries:
            path = folder / entry.name
            if (
                is_ignored_name(entry.name)
                or not self.named_safely(entry, path)
                or not self.inside_root(entry)
                or entry.name == GROUP_FILE  # read (and checked) by `read_group`
            ):
                continue
            is_dir = entry.is_dir()
            if is_dir and os.path.exists(os.path.join(entry.path, BUILD_MARKER)):
                continue  # a site `build` wrote (content without a project keeps it inside)
            entry_rel = f"{rel}/{entry.name}" if rel else entry.name
            lower = entry.name.lower()
            if lower.endswith(HEADING_SUFFIX) and is_dir:
                self.problems.append(
                    Problem(path, 1, "a folder named like a heading file: rename it")
                )
            elif is_dir:
                group = self.group(path, entry_rel, parent, depth + 1)
                if group is not None:
                    nodes.append(group)
            elif lower.endswith((".md", HEADING_SUFFIX)) and not entry.is_file():
                self.problems.append(Problem(path, 1, _NOT_REGULAR))
            elif lower.endswith(".md"):
                if self.memo is not None:
                    article, problems = self.memo.read(path, entry_rel, self.max_bytes, entry)
                else:
                    article, problems = read_article(path, entry_rel, max_bytes=self.max_bytes)
                self.problems += problems
                if article is not None:
                    article.group = parent
                    nodes.append(article)
            elif lower.endswith(HEADING_SUFFIX):
                heading, problems = read_heading(path, entry_rel)
                self.problems += problems
                if heading is not None:
                    heading.group = parent
                    nodes.append(heading)
        nodes.sort(key=lambda node: node.sort_key)
        return nodes

    def group(self, folder: Path, rel: str, parent: Group | None, depth: int) -> Group | None:
        if depth > MAX_FOLDER_DEPTH:
            # Also keeps the walk (and everything that walks the groups after it) far from
            # Python's recursion limit, whatever the folders hold.
            self.problems.append(
                Problem(
                    folder,
                    1,
                    f"folders nest {depth} deep here, and groups nest at most "
                    f"{MAX_FOLDER_DEPTH} deep: move this folder higher up (nothing in it was read)",
                )
            )
            return None
        group, problems = read_group(folder, rel, self.root)
        self.problems += problems
        probe = group or Group(path=folder, rel_path=rel, slug="", name="")
        probe.parent = parent
        children = self.folder(folder, rel, probe, depth)
        # A folder with no articles anywhere below it (e.g. `images/`) is not a group,
        # unless `_group.yml` says it is one.
        # Headings alone do not make a folder a group either: they label articles.
        if group is None or (
            not any(not isinstance(child, Heading) for child in children)
            and not (folder / GROUP_FILE).exists()
        ):
            return None
        group.parent = parent
        group.children = children
        for child in children:
            if isinstance(child, Group):
                child.parent = group
            else:
                child.group = group
        return group

    def index(self) -> None:
        article_owner: dict[str, Article] = {}
        for node in self.content.walk():
            if isinstance(node, Heading):
                twin_heading = self.content.headings.get(node.entity_id)
                if twin_heading is not None:
                    self.problems.append(
                        Problem(
                            node.path,
                            1,
                            f"duplicate heading id '{node.entity_id}': also used by "
                            f"{twin_heading.rel_path}",
                        )
                    )
                else:
                    self.content.headings[node.entity_id] = node
                continue
            if isinstance(node, Group):
                twin = self.content.groups.get(node.slug)
                if twin is not None:
                    self.problems.append(
                        Problem(
                            node.config_path if node.config_path.exists() else node.path,
                            1,
                            f"duplicate group slug '{node.slug}': also used by {twin.rel_path}/",
                        )
                    )
                else:
                    self.content.groups[node.slug] = node
                continue
            self.content.by_path[node.rel_path] = node
            for name in (node.slug, *node.aliases):
                other = article_owner.get(name)
                if other is not None and other is not node:
                    kind = "slug" if name == node.slug else "alias"
                    self.problems.append(
                        Problem(
                            node.path,
                            1,
                            f"duplicate {kind} '{name}': also used by {other.rel_path}; "
                            "each article needs its own slug",
                        )
                    )
                else:
                    article_owner[name] = node
            self.content.articles.setdefault(node.slug, node)


def load_content(
    root: Path,
    *,
    max_article_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
    memo: ArticleMemo | None = None,
    parsed_yaml: ParsedYaml | None = None,
) -> tuple[HelpCenterContent, list[Problem]]:
    """Load every group and article under `root`; problems come back sorted by file and line.
    `parsed_yaml` answers for YAML texts parsed in earlier runs."""
    walker = _Walker(root, max_article_bytes, memo)
    if not root.is_dir():
        return walker.content, [Problem(root, 1, "content folder does not exist")]
    token = _PARSED.set(parsed_yaml)
    try:
        walker.content.top = walker.folder(walker.root, "", None)
    finally:
        _PARSED.reset(token)
    walker.index()
    return walker.content, sorted(set(walker.problems))


def relative_target(base_rel: str, target: str) -> str | None:
    """Resolve `target` (a link in the file at `base_rel`) to a root-relative POSIX path.

    None when it climbs out of the content root.
    """
    parts = [p for p in base_rel.split("/")[:-1] if p]
    for part in target.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


__all__ = [
    "ARTICLE_KEYS",
    "GROUP_KEYS",
    "HEADING_KEYS",
    "HEADING_SUFFIX",
    "load_content",
    "read_article",
    "read_group",
    "read_heading",
    "relative_target",
]
