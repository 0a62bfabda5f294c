"""This machine's key for vouching for files the tool reads back from folders it does not
trust (the render cache, the parsed front-matter): caches that CI restores from other runs
(another branch, a fork's pull request) may hold anything. The key lives in the user's cache
folder, outside every project, so no restored cache holds it."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import cache
from pathlib import Path


def secret_file() -> Path:
    """Where this machine's key lives: the user's cache folder, outside every project (so
    outside every folder a CI cache restores)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "publisher" / "render-cache.key"


def load_secret(path: Path) -> bytes | None:
    """The key in `path`, made on first use; None when it can be neither read nor made
    (then nothing is vouched for, which is only slower)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(2):
        try:
            with os.fdopen(os.open(path, flags), "rb") as handle:
                secret = bytes.fromhex(handle.read(65).decode("ascii").strip())
            return secret if len(secret) == 32 else None
        except FileNotFoundError:
            pass
        except (OSError, ValueError):
            return None
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            create = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            with os.fdopen(os.open(path, create, 0o600), "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32))
        except FileExistsError:
            continue  # another process made it first: read that one
        except OSError:
            return None
    return None


@cache
def _machine_secret(path: Path) -> bytes | None:
    return load_secret(path)


def machine_secret() -> bytes | None:
    """This machine's key (read once per process and key file)."""
    return _machine_secret(secret_file())


def mac(secret: bytes, *parts: str) -> str:
    """An HMAC of `parts` (each bound to its place, so no part can move into another)."""
    digest = hmac.new(secret, digestmod=hashlib.sha256)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()
