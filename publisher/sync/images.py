"""Images become PUBLIC workspace files named after their content, so an image already uploaded
is recognised in what is published (or in a local cache) and never sent twice.

Plain promises a permanent download URL for a PUBLIC file, not one that shows the file name,
so the published `src` carries the image's digest itself: in the file name when the URL shows
it, else in the URL's fragment (`#publisher-image=<digest>`), which browsers never send and
which survives any URL shape. A fresh machine reads the digests back from the articles."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from publisher.content.loader import slug_from_name
from publisher.sync.records import ScopedRecord

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


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _origin(url: str) -> tuple[str, int] | None:
    """(host, port) of a URL an image may be trusted at, or None when it may not be: http or
    https with a host, no user name or password (`https://cdn.plain.com@evil.example/` is
    evil.example), a valid port, and https unless the host is this machine (the emulator)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number or out of range
        return None
    if parts.scheme not in ("http", "https") or "@" in parts.netloc:
        return None
    host = (parts.hostname or "").rstrip(".")
    if not host or any(c.isspace() for c in host):
        return None
    if parts.scheme == "http" and not _is_loopback(host):
        return None
    return host, port or (443 if parts.scheme == "https" else 80)


def trusted_image_url(url: str, known_urls: Iterable[str] = ()) -> bool:
    """Whether an image URL found in a published article may stand for an upload of ours:
    it is on the same host (and port) as a download URL this machine got from Plain, or,
    when none is known, any https URL (http only on this machine), never with a user name."""
    return _trusted(url, _origins(known_urls))


def _origins(urls: Iterable[str]) -> set[tuple[str, int]]:
    return {origin for origin in map(_origin, urls) if origin is not None}


def _trusted(url: str, known: set[tuple[str, int]]) -> bool:
    origin = _origin(url)
    return origin is not None and (origin in known if known else True)


def uploaded_in(html_pages: Iterable[str], known_urls: Iterable[str] = ()) -> dict[str, str]:
    """Digest -> download URL of every image these published articles show that this tool
    uploaded (its `src` carries the digest). Only URLs that :func:`trusted_image_url` trusts
    count (`known_urls`: download URLs this machine got from Plain, the upload cache's): a
    relative or `data:` src is nothing Plain serves, and an image on another host is not
    one of ours, whatever its name says."""
    known = _origins(known_urls)
    found: dict[str, str] = {}
    for html in html_pages:
        for src in _IMG_SRC_RE.findall(html):
            url = src.replace("&amp;", "&")
            if not _trusted(url, known):
                continue
            digest = digest_of_url(url)
            if digest:
                found.setdefault(digest, url.split("#", 1)[0])
    return found


class UploadCache(ScopedRecord):
    """Digest -> URL of images this machine uploaded, per help center, for APIs whose
    download URLs do not show the file name. Failing to write it only costs a re-upload."""

    def load(self) -> dict[str, str]:
        """The cached uploads whose URLs could be Plain's (see :func:`trusted_image_url`):
        the cache folder is restored in CI, so an entry pointing anywhere else is dropped."""
        return {k: v for k, v in super().load().items() if _origin(v) is not None}
