"""Reads a content root into a HelpCenterContent, collecting every problem on the way."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from publisher.content.model import Article, Group, Heading, HelpCenterContent, Node, Problem

ARTICLE_KEYS = ("title", "slug", "description", "icon", "status", "order", "id", "aliases")
GROUP_KEYS = ("name", "slug", "order", "id")
HEADING_KEYS = ("title", "order", "id")
GROUP_FILE = "_group.yml"
HEADING_SUFFIX = ".heading.yml"
#: Plain documents no limit on a heading's text; a sidebar label longer than this is a mistake.
MAX_HEADING_CHARS = 255
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ORDER_PREFIX_RE = re.compile(r"^(\d+)[-_.](.+)$")
ATX_H1_RE = re.compile(r"^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
DEFAULT_MAX_ARTICLE_BYTES = 1_000_000

_YAML = YAMLHandler()


def is_ignored_name(name: str) -> bool:
    """Hidden files and the temporary files editors write next to the real one."""
    return (
        name.startswith((".", "#"))
        or name.endswith(("~", ".swp", ".swx", ".tmp", "___jb_tmp___", "___jb_old___"))
        or name == "4913"
    )


def slug_from_name(name: str) -> tuple[str, int | None]:
    """`01-Install Guide` -> (`install-guide`, 1): the prefix orders, the rest names."""
    order: int | None = None
    match = ORDER_PREFIX_RE.match(name)
    if match:
        order, name = int(match.group(1)), match.group(2)
    slug = re.sub(r"[\s_]+", "-", name.strip().lower())
    return slug, order


def humanize(slug: str) -> str:
    words = slug.replace("-", " ").strip()
    return words[:1].upper() + words[1:]


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
    lines: dict[str, int] = {}
    for number, line in enumerate(fm_text.split("\n"), start=1):
        match = re.match(r"^([^\s#:][^:]*?)\s*:", line)
        if match and match.group(1) not in lines:
            lines[match.group(1).strip("'\"")] = number
    return lines


def _yaml_error(path: Path, exc: yaml.YAMLError, first_line: int) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = first_line + mark.line if mark is not None else first_line
    what = getattr(exc, "problem", None) or str(exc)
    return Problem(path, line, f"invalid YAML: {what}")


def _read_markdown(path: Path, text: str, problems: list[Problem]) -> _Source | None:
    if not _YAML.detect(text):
        return _Source({}, {}, text, 1)
    try:
        fm_text, body = _YAML.split(text)
    except ValueError:
        problems.append(Problem(path, 1, "front-matter is not closed: add a line `---` after it"))
        return None
    body_line = text[: len(text) - len(body)].count("\n") + 1
    try:
        meta = _YAML.load(fm_text)
    except yaml.YAMLError as exc:
        # fm_text starts on the opening `---` line (line 1), so YAML's 0-based line maps 1:1.
        problems.append(_yaml_error(path, exc, 1))
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
        hint = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        suggestion = f"did you mean '{hint[0]}'?" if hint else f"known keys: {', '.join(known)}"
        problems.append(
            Problem(path, lines.get(str(key), 1), f"unknown key '{key}' ({suggestion})")
        )
    return problems


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

    def text(self, key: str) -> str | None:
        value = self.meta.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.error(key, f"'{key}' must be text, got {_describe(value)}")
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
        value = self.text(key)
        if value is not None and not SLUG_RE.match(value):
            self.error(key, _bad_slug_message(value, f"'{key}'"))
            return None
        return value


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value: quote it if you meant text)"
    if isinstance(value, str):
        return repr(value)
    return f"{type(value).__name__} {value!r}"


def _bad_slug_message(slug: str, origin: str) -> str:
    return (
        f"invalid slug {slug!r} from {origin}: use lowercase letters a-z, digits and single "
        "dashes, e.g. 'refund-policy'"
    )


def _title_from_h1(body: str) -> tuple[str | None, str]:
    """The first ATX `# H1` outside code fences, and the body with that line blanked."""
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
            match = ATX_H1_RE.match(line)
            if match:
                # Blank the line rather than delete it so body line numbers stay true.
                lines[index] = ""
                return match.group(1).strip(), "\n".join(lines)
    return None, body


def read_article(
    path: Path,
    rel_path: str,
    *,
    max_bytes: int = DEFAULT_MAX_ARTICLE_BYTES,
) -> tuple[Article | None, list[Problem]]:
    """Parse one Markdown file into an Article (None when it cannot be used)."""
    problems: list[Problem] = []
    size = path.stat().st_size  # before reading, so a huge file is never loaded
    if size > max_bytes:
        size_mb = size / 1_000_000
        limit = max_bytes / 1_000_000
        return None, [
            Problem(path, 1, f"article is {size_mb:.1f} MB, over the {limit:g} MB limit; split it")
        ]
    text = _decode(path, path.read_bytes(), problems)
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
        if SLUG_RE.match(derived_slug):
            slug = derived_slug
        else:
            problems.append(
                Problem(
                    path, 1, _bad_slug_message(derived_slug, "the file name") + " or set `slug:`"
                )
            )

    body = source.body
    title = fields.text("title")
    if title is not None and not title.strip():
        fields.error("title", "'title' is empty")
        title = None
    elif title is None and "title" not in source.meta:
        title, body = _title_from_h1(body)
        if title is None:
            problems.append(
                Problem(
                    path, 1, "article has no title: add `title:` or start the body with `# Title`"
                )
            )
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
            if isinstance(alias, str) and SLUG_RE.match(alias):
                aliases.append(alias)
            else:
                fields.error("aliases", _bad_slug_message(str(alias), "'aliases'"))

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
            title=(title or humanize(slug)).strip(),
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
    text = _decode(path, path.read_bytes(), problems)
    if text is None:
        return None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problems.append(_yaml_error(path, exc, 1))
        return None
    if loaded is not None and not isinstance(loaded, dict):
        problems.append(Problem(path, 1, f"{path.name} must be a mapping of `key: value`"))
        return None
    meta = loaded or {}
    source = _Source(meta, _key_lines(text), "", 1)
    problems += _check_keys(path, meta, source.key_lines, keys)
    return source


def read_group(folder: Path, rel_path: str) -> tuple[Group | None, list[Problem]]:
    """A folder's group settings: `_group.yml` when present, else from the folder name."""
    problems: list[Problem] = []
    derived_slug, prefix_order = slug_from_name(folder.name)
    config = folder / GROUP_FILE
    source = _Source({}, {}, "", 1)
    if config.is_file():
        read = _read_settings(config, GROUP_KEYS, problems)
        if read is None:
            return None, problems
        source = read
    meta = source.meta
    fields = _Fields(config, source, problems)
    slug = fields.slug()
    if slug is None and "slug" not in meta:
        if SLUG_RE.match(derived_slug):
            slug = derived_slug
        else:
            problems.append(
                Problem(
                    config,
                    1,
                    _bad_slug_message(derived_slug, "the folder name")
                    + f" or set `slug:` in {GROUP_FILE}",
                )
            )
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
            name=(name or humanize(derived_slug)).strip(),
            order=order if order is not None else prefix_order,
            id=pinned_id,
        ),
        problems,
    )


def read_heading(path: Path, rel_path: str) -> tuple[Heading | None, list[Problem]]:
    """A sidebar heading from `NN-name.heading.yml`: `title` (default: the file name),
    `order` (default: the numeric prefix) and the pinned `id` of its index entry."""
    problems: list[Problem] = []
    slug, prefix_order = slug_from_name(path.name[: -len(HEADING_SUFFIX)])
    if not SLUG_RE.match(slug):
        problems.append(
            Problem(
                path,
                1,
                f"invalid heading file name {path.name!r}: name it like '02-advanced"
                f"{HEADING_SUFFIX}' (lowercase letters a-z, digits and single dashes)",
            )
        )
    source = _read_settings(path, HEADING_KEYS, problems)
    if source is None:
        return None, problems
    fields = _Fields(path, source, problems)
    title = fields.text("title")
    if title is not None:
        if not title.strip():
            fields.error("title", "'title' is empty")
        elif not title.isprintable():  # line breaks and control characters
            fields.error("title", "'title' must be one line of text, without control characters")
        elif len(title) > MAX_HEADING_CHARS:
            fields.error(
                "title", f"'title' is {len(title)} characters; keep it under {MAX_HEADING_CHARS}"
            )
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
            title=(title or humanize(slug)).strip(),
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
        path = Path(entry.path)
        try:
            target = path.resolve(strict=True)
        except (OSError, RuntimeError):
            self.problems.append(Problem(path, 1, "symlink is broken or loops; remove it"))
            return False
        if not target.is_relative_to(self.root):
            self.problems.append(
                Problem(path, 1, f"symlink points outside the content root (to {target})")
            )
            return False
        return True

    def folder(self, folder: Path, rel: str, parent: Group | None) -> list[Node]:
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
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        for entry in entries:
            if is_ignored_name(entry.name) or not self.inside_root(entry):
                continue
            entry_rel = f"{rel}/{entry.name}" if rel else entry.name
            path = folder / entry.name
            if entry.is_dir():
                group = self.group(path, entry_rel, parent)
                if group is not None:
                    nodes.append(group)
            elif entry.name.lower().endswith(".md") and entry.is_file():
                if self.memo is not None:
                    article, problems = self.memo.read(path, entry_rel, self.max_bytes, entry)
                else:
                    article, problems = read_article(path, entry_rel, max_bytes=self.max_bytes)
                self.problems += problems
                if article is not None:
                    article.group = parent
                    nodes.append(article)
            elif entry.name.lower().endswith(HEADING_SUFFIX) and entry.is_file():
                heading, problems = read_heading(path, entry_rel)
                self.problems += problems
                if heading is not None:
                    heading.group = parent
                    nodes.append(heading)
        nodes.sort(key=lambda node: node.sort_key)
        return nodes

    def group(self, folder: Path, rel: str, parent: Group | None) -> Group | None:
        group, problems = read_group(folder, rel)
        self.problems += problems
        probe = group or Group(path=folder, rel_path=rel, slug="", name="")
        probe.parent = parent
        children = self.folder(folder, rel, probe)
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
) -> tuple[HelpCenterContent, list[Problem]]:
    """Load every group and article under `root`; problems come back sorted by file and line."""
    walker = _Walker(root, max_article_bytes, memo)
    if not root.is_dir():
        return walker.content, [Problem(root, 1, "content folder does not exist")]
    walker.content.top = walker.folder(walker.root, "", None)
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
