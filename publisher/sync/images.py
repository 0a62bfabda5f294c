"""Images become PUBLIC workspace files named after their content, so an image already uploaded
is recognised in what is published (or in a local cache) and never sent twice.

Plain promises a permanent download URL for a PUBLIC file, not one that shows the file name,
so the published `src` carries the image's digest itself: in the file name when the URL shows
it, else in the URL's fragment (`#publisher-image=<digest>`), which browsers never send and
which survives any URL shape. A fresh machine reads the digests back from the articles."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from publisher.content.loader import slug_from_name

# `screen-0123456789abcdef.png`: 64 bits of SHA-256 of the bytes; a collision would need
# 2^32 images in one help center before it became likely.
_HASHED_NAME_RE = re.compile(r"-([0-9a-f]{16})\.[a-z0-9]+$")
_IMG_SRC_RE = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)"')
FRAGMENT_KEY = "publisher-image"
_FRAGMENT_RE = re.compile(rf"(?:^|&){FRAGMENT_KEY}=([0-9a-f]{{16}})(?:&|$)")


@dataclass(frozen=True)
class LocalImage:
    rel_path: str
    path: Path
    digest: str  # 16 hex digits of SHA-256
    file_name: str  # the content-addressed name it is uploaded as
    size: int


def local_image(rel_path: str, path: Path) -> LocalImage:
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()[:16]
    stem, _ = slug_from_name(path.stem)
    stem = re.sub(r"[^a-z0-9-]+", "-", stem).strip("-") or "image"
    return LocalImage(rel_path, path, digest, f"{stem}-{digest}{path.suffix.lower()}", len(data))


def digest_of_url(url: str) -> str | None:
    """The image digest a published `src` carries (fragment first, then file name)."""
    parts = urlsplit(url)
    marked = _FRAGMENT_RE.search(parts.fragment)
    if marked:
        return marked.group(1)
    name = unquote(parts.path.rsplit("/", 1)[-1])
    match = _HASHED_NAME_RE.search(name)
    return match.group(1) if match else None


def image_src(url: str, digest: str) -> str:
    """The `src` to publish for the file at `url`: marked with its digest unless the URL
    already shows it, so the next run knows it without asking Plain."""
    base = url.split("#", 1)[0]
    if digest_of_url(base) == digest:
        return base
    return f"{base}#{FRAGMENT_KEY}={digest}"


def uploaded_in(html_pages: Iterable[str]) -> dict[str, str]:
    """Digest -> download URL of every image these published articles show that this tool
    uploaded (its `src` carries the digest). Only web URLs count: a relative or `data:` src
    is nothing Plain serves."""
    found: dict[str, str] = {}
    for html in html_pages:
        for src in _IMG_SRC_RE.findall(html):
            url = src.replace("&amp;", "&")
            if urlsplit(url).scheme not in ("http", "https"):
                continue
            digest = digest_of_url(url)
            if digest:
                found.setdefault(digest, url.split("#", 1)[0])
    return found


class UploadCache:
    """Digest -> URL of images this machine uploaded, per help center, for APIs whose
    download URLs do not show the file name."""

    def __init__(self, path: Path, scope: str) -> None:
        self.path = path
        self.scope = scope

    def _read_all(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def load(self) -> dict[str, str]:
        scoped = self._read_all().get(self.scope, {})
        return {k: v for k, v in scoped.items() if isinstance(k, str) and isinstance(v, str)}

    def save(self, uploads: dict[str, str]) -> None:
        if not uploads:
            return
        data = self._read_all()
        data.setdefault(self.scope, {}).update(uploads)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            pass  # only costs a re-upload next time
