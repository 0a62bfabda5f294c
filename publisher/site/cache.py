"""A render cache on disk, keyed by a hash of everything the rendered HTML depends on.

The cache folder is not trusted: CI restores it from caches that other branches (a fork's
pull request, say) may have written. An entry this machine wrote carries an HMAC made with a
key kept outside the project (`~/.cache/publisher/render-cache.key`), so no cache restored
from elsewhere holds it: such an entry is used as it is. Any other entry (restored in CI,
written by an older version, by another machine) is used only if it has exactly the shape of
a rendered body, every field of its type, and HTML that the sanitiser leaves as it is (what
the renderer writes always is), and is then signed for next time. A symlink, a file too
large, or anything else is a miss: rendered again and written over.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import stat
import types
from collections.abc import Callable, Iterator
from dataclasses import asdict
from functools import cache, lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any, BinaryIO, Union, get_args, get_origin, get_type_hints

from publisher.render.markdown import (
    RENDERER_VERSION,
    BodyIssue,
    ImageRef,
    LinkRef,
    RenderedBody,
)
from publisher.render.sanitize import sanitize
from publisher.safe_write import UnsafePath, write_file
from publisher.signing import mac, machine_secret

_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "Pygments", "nh3")
#: How entries are laid out on disk (see RenderCache); part of every key.
LAYOUT = 2


@lru_cache(maxsize=1)
def _salt() -> str:
    # A library upgrade can change the HTML for the same Markdown, so it changes every key.
    versions = ",".join(f"{name}={version(name)}" for name in _LIBRARIES)
    return f"renderer={RENDERER_VERSION};layout={LAYOUT};{versions}"


def cache_key(markdown: str, rel_path: str, first_line: int) -> str:
    digest = hashlib.sha256()
    for part in (_salt(), rel_path, str(first_line), markdown):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _to_json(body: RenderedBody) -> str:
    return json.dumps(asdict(body), ensure_ascii=False, separators=(",", ":"))


#: The largest cache entry read: far more than any article renders to.
MAX_ENTRY_BYTES = 64 * 1024 * 1024


class _NotAnEntry(ValueError):
    """A cache file that is not a rendered body as this version writes it."""


def _typed(value: Any, hint: Any) -> Any:
    """`value` (decoded JSON) as `hint` says it must be: str, int, bool, `X | None`,
    `list[X]` or a dataclass (an object with exactly its fields); else _NotAnEntry."""
    origin = get_origin(hint)
    if hint in (str, int, bool):
        if type(value) is not hint:  # exactly: True is no line number
            raise _NotAnEntry(f"{value!r:.40} is not {hint.__name__}")
        return value
    if origin in (Union, types.UnionType):
        for option in get_args(hint):
            if option is type(None):
                if value is None:
                    return None
                continue
            try:
                return _typed(value, option)
            except _NotAnEntry:
                continue
        raise _NotAnEntry(f"{value!r:.40} is none of {hint}")
    if origin is list:
        if not isinstance(value, list):
            raise _NotAnEntry("not a list")
        (item,) = get_args(hint)
        return [_typed(element, item) for element in value]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = _field_types(hint)
        if not isinstance(value, dict) or set(value) != set(hints):
            raise _NotAnEntry(f"not a {hint.__name__}")
        return hint(**{name: _typed(value[name], kind) for name, kind in hints.items()})
    raise _NotAnEntry(f"cannot check a field of type {hint}")


@cache
def _field_types(cls: type) -> dict[str, Any]:
    hints = get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


class StoredBody(RenderedBody):
    """A body whose HTML stays in its cache entry until it is asked for, and is read again
    each time (never kept): a build or preview of ten thousand articles holds what it checks
    (headings, links, images), not every article's HTML. The HTML read must have the digest
    the signed part of the entry vouched for; if it does not (the file changed or went), the
    Markdown is rendered again by `render_again`."""

    def __init__(
        self,
        meta: dict[str, Any],
        path: Path,
        render_again: Callable[[], RenderedBody] | None = None,
    ) -> None:
        super().__init__(
            html="",
            anchors=meta["anchors"],
            links=[LinkRef(**link) for link in meta["links"]],
            images=[ImageRef(**image) for image in meta["images"]],
            issues=[BodyIssue(**issue) for issue in meta["issues"]],
        )
        self._digest: str = meta["html_sha256"]
        if not isinstance(self._digest, str):
            raise TypeError("html_sha256 is not text")
        self._path = path
        self.render_again = render_again

    @property
    def html(self) -> str:
        try:
            _, _, html = _read_entry(self._path).split("\n", 2)
        except (OSError, ValueError):
            html = None
        if html is not None and _digest(html) == self._digest:
            return html
        if self.render_again is None:
            raise CacheEntryGone(self._path)
        return self.render_again().html

    @html.setter
    def html(self, value: str) -> None:
        # The dataclass' __init__ sets it; the HTML lives in the entry.
        pass

    def __eq__(self, other: object) -> bool:
        # Equal to any body with the same fields, held in memory or not.
        if not isinstance(other, RenderedBody):
            return NotImplemented
        return asdict(self) == asdict(other)

    __hash__ = None  # type: ignore[assignment]


class CacheEntryGone(OSError):
    """A cache entry's HTML was asked for, and the entry no longer holds it."""


def _digest(html: str) -> str:
    return hashlib.sha256(html.encode("utf-8", "surrogatepass")).hexdigest()


def _from_json(text: str, *, check_html: bool = True) -> RenderedBody:
    head, newline, rest = text.partition("\n")
    if newline:  # this layout: the meta line, then the HTML (checked in full below)
        meta = json.loads(head)
        if not isinstance(meta, dict) or "html" in meta:
            raise _NotAnEntry("not a meta line")
        digest = meta.pop("html_sha256", None)
        if digest != _digest(rest):
            raise _NotAnEntry("HTML that is not the one the meta line names")
        text = json.dumps({**meta, "html": rest})
    body: RenderedBody = _typed(json.loads(text), RenderedBody)
    # What the renderer wrote passed the sanitiser, and sanitising again changes nothing;
    # HTML that it would change was not written by the renderer.
    if check_html and sanitize(body.html) != body.html:
        raise _NotAnEntry("HTML the sanitiser would change")
    return body


_SIGNED = "mac:"  # a signed entry's first line: `mac:<64 hex digits>`


@contextlib.contextmanager
def _open_entry(path: Path) -> Iterator[BinaryIO]:
    """A cache file opened for reading, never through a symlink (the file or its folder) and
    never when it is not a regular file of at most MAX_ENTRY_BYTES (_NotAnEntry)."""
    if stat.S_ISLNK(os.lstat(path.parent).st_mode):
        raise _NotAnEntry("its folder is a symlink")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            raise _NotAnEntry("not a regular file of a sensible size")
        yield handle


def _read_entry(path: Path) -> str:
    """The text of a cache file (see _open_entry); OSError or _NotAnEntry otherwise."""
    with _open_entry(path) as handle:
        data = handle.read(MAX_ENTRY_BYTES + 1)
    if len(data) > MAX_ENTRY_BYTES:
        raise _NotAnEntry("too large")
    return data.decode("utf-8")


def _read_signed_lines(path: Path) -> tuple[str, str] | None:
    """The signature and the meta line of an entry in this layout (`mac:<hex>`, the meta
    line, then the HTML), read without the HTML; None for any other entry."""
    with _open_entry(path) as handle:
        first = handle.readline(len(_SIGNED) + 66)
        if not first.startswith(_SIGNED.encode()) or not first.endswith(b"\n"):
            return None
        meta = handle.readline(MAX_ENTRY_BYTES)
    if not meta.endswith(b"\n"):
        return None
    return first[len(_SIGNED) : -1].decode("ascii"), meta[:-1].decode("utf-8")


class RenderCache:
    """Rendered bodies in memory, and on disk as one small JSON file each when a folder is
    given; safe for several processes at once because every write renames a whole file."""

    def __init__(
        self, directory: Path | None, *, secret: bytes | None = None, signed: bool = True
    ) -> None:
        """`secret` signs and vouches for entries; by default this machine's (see
        `publisher.signing.machine_secret`). With `signed` false no entry is signed or
        vouched for."""
        self.directory = directory
        self.hits = 0
        self.misses = 0
        #: Entries on disk not signed by this machine, whose HTML was checked (sanitised
        #: again) before it was used.
        self.checked = 0
        #: Files on disk that were not entries as this version writes them (garbage, a
        #: symlink, HTML the sanitiser would change): each one a miss, and rendered again.
        self.rejected = 0
        self._secret = secret if signed else None
        self._secret_known = secret is not None or not signed
        self._memory: dict[str, RenderedBody] = {}
        self._keys: dict[tuple[str, int], tuple[str, str]] = {}  # (path, line) -> (markdown, key)

    def _path(self, directory: Path, key: str) -> Path:
        return directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> RenderedBody | None:
        body = self._memory.get(key)
        if body is None and self.directory is not None:
            try:
                body = self._load(key, self._path(self.directory, key))
            except FileNotFoundError:
                body = None
            except (OSError, ValueError, TypeError, KeyError, RecursionError):
                self.rejected += 1  # garbage, a symlink, poison
                body = None
        if body is None:
            self.misses += 1
            return None
        self._memory[key] = body
        self.hits += 1
        return body

    def _secret_key(self) -> bytes | None:
        if not self._secret_known:
            self._secret = machine_secret()
            self._secret_known = True
        return self._secret

    def _load(self, key: str, path: Path) -> RenderedBody:
        """The body in an entry: when this machine signed it, its signed lines only (the
        HTML is read when asked for, see StoredBody); else the whole entry, used only after
        its HTML passes the sanitiser unchanged (and then signed for next time)."""
        secret = self._secret_key()
        signed = _read_signed_lines(path)
        if signed is not None and secret is not None:
            signature, meta = signed
            # Bound to the entry's key: a signed entry moved to another key is checked in full.
            if hmac.compare_digest(signature, mac(secret, key, meta)):
                return StoredBody(json.loads(meta), path)
        text = _read_entry(path)
        if text.startswith(_SIGNED):
            text = text.partition("\n")[2]
        body = _from_json(text)
        self.checked += 1
        if secret is not None:
            body = self._write(key, body)
        return body

    def key_for(self, markdown: str, rel_path: str, first_line: int) -> str:
        """`cache_key`, remembered per file: comparing the Markdown with the last version
        is far cheaper than hashing it again, and most files did not change."""
        known = self._keys.get((rel_path, first_line))
        if known is not None and known[0] == markdown:
            return known[1]
        key = cache_key(markdown, rel_path, first_line)
        self._keys[(rel_path, first_line)] = (markdown, key)
        return key

    def retain(self, keys: set[str]) -> None:
        """Forget the in-memory bodies not in `keys` (a long preview edits many versions)."""
        self._memory = {key: body for key, body in self._memory.items() if key in keys}
        self._keys = {where: known for where, known in self._keys.items() if known[1] in keys}

    def for_workers(self) -> tuple[Path | None, bytes | None, bool]:
        """What a worker process needs to write entries as this cache does."""
        secret = self._secret_key()
        return self.directory, secret, secret is not None

    def remember(self, key: str, body: RenderedBody) -> RenderedBody:
        """Hold `body`, which a worker rendered and wrote to this cache's folder."""
        self._memory[key] = body
        return body

    def put(self, key: str, body: RenderedBody) -> RenderedBody:
        """Keep `body`; what comes back is the one to hold (its HTML left in the entry, when
        the entry was written and signed)."""
        body = self._write(key, body)
        self._memory[key] = body
        return body

    def _write(self, key: str, body: RenderedBody) -> RenderedBody:
        if self.directory is None:
            return body
        path = self._path(self.directory, key)
        secret = self._secret_key()
        html = body.html
        if secret:
            fields = asdict(body)
            del fields["html"]
            fields["html_sha256"] = _digest(html)
            meta = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
            text = f"{_SIGNED}{mac(secret, key, meta)}\n{meta}\n{html}"
        else:
            text = _to_json(body)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Never through a link planted in the cache (write_file follows none below it).
            rel = path.relative_to(self.directory).as_posix()
            write_file(self.directory, rel, text.encode("utf-8"))
        except (OSError, UnsafePath):
            # A cache that cannot be written only costs time; never fail a build over it.
            return body
        return StoredBody(json.loads(meta), path) if secret else body
