"""A render cache on disk, keyed by a hash of everything the rendered HTML depends on."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

from publisher.render.markdown import (
    RENDERER_VERSION,
    BodyIssue,
    ImageRef,
    LinkRef,
    RenderedBody,
)

_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "Pygments", "nh3")


@lru_cache(maxsize=1)
def _salt() -> str:
    # A library upgrade can change the HTML for the same Markdown, so it changes every key.
    versions = ",".join(f"{name}={version(name)}" for name in _LIBRARIES)
    return f"renderer={RENDERER_VERSION};{versions}"


def cache_key(markdown: str, rel_path: str, first_line: int) -> str:
    digest = hashlib.sha256()
    for part in (_salt(), rel_path, str(first_line), markdown):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _to_json(body: RenderedBody) -> str:
    return json.dumps(asdict(body), ensure_ascii=False, separators=(",", ":"))


def _from_json(text: str) -> RenderedBody:
    data = json.loads(text)
    return RenderedBody(
        html=data["html"],
        anchors=list(data["anchors"]),
        links=[LinkRef(**item) for item in data["links"]],
        images=[ImageRef(**item) for item in data["images"]],
        issues=[BodyIssue(**item) for item in data["issues"]],
    )


class RenderCache:
    """Rendered bodies in memory, and on disk as one small JSON file each when a folder is
    given; safe for several processes at once because every write renames a whole file."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.hits = 0
        self.misses = 0
        self._memory: dict[str, RenderedBody] = {}
        self._keys: dict[tuple[str, int], tuple[str, str]] = {}  # (path, line) -> (markdown, key)

    def _path(self, directory: Path, key: str) -> Path:
        return directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> RenderedBody | None:
        body = self._memory.get(key)
        if body is None and self.directory is not None:
            try:
                body = _from_json(self._path(self.directory, key).read_text(encoding="utf-8"))
            except (OSError, ValueError, KeyError, TypeError):
                body = None
        if body is None:
            self.misses += 1
            return None
        self._memory[key] = body
        self.hits += 1
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

    def put(self, key: str, body: RenderedBody) -> None:
        self._memory[key] = body
        if self.directory is None:
            return
        path = self._path(self.directory, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(_to_json(body))
            os.replace(tmp, path)
        except OSError:
            # A cache that cannot be written only costs time; never fail a build over it.
            pass
