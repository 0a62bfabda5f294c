"""Opening an image the preview serves, at request time, without ever leaving the content.

The preview keeps a map of the images articles use, checked when the site was last built.
Between that check and a request the files can change under it (a `git checkout` of an
untrusted branch while the preview runs): an image can become a symlink to `/etc/passwd`, a
folder a symlink to elsewhere, a file can vanish. So every request checks again, and opens the
file in a way that cannot follow a link out even if one appears between the check and the
open.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# Without these (Windows), the resolved path is opened as is: only the check guards it.
_WALK = hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and os.open in os.supports_dir_fd


def open_inside(root: Path, path: Path) -> int | None:
    """A read-only descriptor of `path`, or None if it is not a regular file inside `root`.

    `root` must be resolved (no symlinks). Symlinks that stay inside the root are followed,
    as the content loader follows them; anything else is refused: a link out of the root,
    a broken link, a link loop, a folder, a device or a pipe, a missing file. The resolved
    path is then opened one name at a time from the root with O_NOFOLLOW, so a link swapped
    in after the check makes the open fail instead of leading out.
    """
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # missing, broken link, loop (RuntimeError before 3.13)
        return None
    if not real.is_relative_to(root) or real == root:
        return None
    try:
        fd = open_beneath(root, real.relative_to(root).parts) if _WALK else _open_plain(real)
    except OSError:
        return None
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
    except OSError:
        pass
    os.close(fd)
    return None


def _open_plain(path: Path) -> int:
    return os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | _CLOEXEC)


def open_beneath(root: Path, parts: tuple[str, ...]) -> int:
    """Open root/parts[0]/.../parts[-1] following no symlink on the way (ELOOP or ENOTDIR
    if one is there). O_NONBLOCK: a pipe put in the file's place must not block the open."""
    folder = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    try:
        for name in parts[:-1]:
            inner = os.open(
                name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC, dir_fd=folder
            )
            os.close(folder)
            folder = inner
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
        return os.open(parts[-1], flags, dir_fd=folder)
    finally:
        os.close(folder)
