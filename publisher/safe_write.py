"""Writing files under a destination folder without ever following a link inside it.

`build` and `pull` write into folders that may hold anything: a checkout of an untrusted
branch can carry `_site/assets -> ~/.ssh` or `content/01-guides -> /etc`. A plain
`open(dest / rel, "w")` would follow such a link and write outside the destination. Here
every folder on the way is opened one name at a time from the destination with O_NOFOLLOW,
so a link there (to anywhere: outside, inside, or nowhere) makes the write fail, even one
put in place between a check and the write. A file is written to a temporary name in its
folder and renamed over the target, which replaces a link in the target's place rather than
writing through it.

The destination folder itself is followed: it is the one the user named.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path, PurePosixPath

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# Without these (Windows), only the lstat walks of `check_parents` and `list_tree` guard.
_FD_WALK = (
    hasattr(os, "O_NOFOLLOW")
    and hasattr(os, "O_DIRECTORY")
    and os.open in os.supports_dir_fd
    and os.mkdir in os.supports_dir_fd
    and os.rename in os.supports_dir_fd
    and os.unlink in os.supports_dir_fd
)


class UnsafePath(Exception):
    """A path under the destination that a write must not go through or into."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


LINK = "is a symbolic link; nothing is written through links"
NOT_A_FOLDER = "is not a folder"
NOT_A_FILE = "is not a regular file"


def _parts(rel: str) -> tuple[str, ...]:
    parts = PurePosixPath(rel).parts
    if not parts or parts[0] == "/" or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a plain relative path: {rel!r}")
    return parts


def _kind(mode: int) -> str | None:
    """Why an entry of this mode cannot be written over or through (None: a folder or a
    regular file, both fine)."""
    if stat.S_ISLNK(mode):
        return LINK
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return None
    return NOT_A_FILE


def check_parents(root: Path, rel: str) -> None:
    """UnsafePath if a folder on the way from `root` to `root/rel` is a link or not a folder.
    Missing folders are fine (a write makes them)."""
    folder = root
    for name in _parts(rel)[:-1]:
        folder = folder / name
        try:
            mode = folder.lstat().st_mode
        except FileNotFoundError:
            return
        if stat.S_ISLNK(mode):
            raise UnsafePath(folder, LINK)
        if not stat.S_ISDIR(mode):
            raise UnsafePath(folder, NOT_A_FOLDER)


def list_tree(root: Path) -> tuple[list[str], list[str]]:
    """(files, folders) under `root` as POSIX paths relative to it, in one pass that follows
    no link; UnsafePath for the first link, pipe, socket or device found."""
    files: list[str] = []
    folders: list[str] = []
    pending = [("", os.fspath(root))]
    while pending:
        rel, folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                mode = entry.stat(follow_symlinks=False).st_mode
                reason = _kind(mode)
                if reason is not None:
                    raise UnsafePath(Path(entry.path), reason)
                inner = f"{rel}/{entry.name}" if rel else entry.name
                if stat.S_ISDIR(mode):
                    folders.append(inner)
                    pending.append((inner, entry.path))
                else:
                    files.append(inner)
    return files, folders


def _open_folder(root: Path, parts: tuple[str, ...], *, create: bool) -> int:
    """A descriptor of root/parts..., opened one name at a time without following a link;
    missing folders are made when `create`."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    here = root
    try:
        for name in parts:
            here = here / name
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | _CLOEXEC
            try:
                inner = os.open(name, flags, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                with contextlib.suppress(FileExistsError):  # made meanwhile: checked below
                    os.mkdir(name, 0o777, dir_fd=fd)
                inner = _open_checked(name, flags, fd, here)
            except OSError as error:
                raise _explained(error, name, fd, here) from None
            os.close(fd)
            fd = inner
        return fd
    except BaseException:
        os.close(fd)
        raise


def _open_checked(name: str, flags: int, fd: int, here: Path) -> int:
    try:
        return os.open(name, flags, dir_fd=fd)
    except OSError as error:
        raise _explained(error, name, fd, here) from None


def _explained(error: OSError, name: str, fd: int, here: Path) -> OSError | UnsafePath:
    if error.errno not in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        return error
    try:
        mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
    except OSError:
        return error
    return UnsafePath(here, LINK if stat.S_ISLNK(mode) else NOT_A_FOLDER)


def write_file(root: Path, rel: str, data: bytes, *, mode: int | None = None) -> None:
    """Write `data` to root/rel, making missing folders, following no link under `root`
    (UnsafePath if one is on the way). The file is replaced whole by a rename, so it is
    never half-written and a link in its place is replaced, not written through. `mode`:
    the new file's permissions (default: as `open` makes them)."""
    parts = _parts(rel)
    target = root.joinpath(*parts)
    if not _FD_WALK:
        check_parents(root, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        check_parents(root, rel)
        _replace_plain(target, data, mode)
        return
    folder = _open_folder(root, parts[:-1], create=True)
    try:
        temporary = f".{parts[-1]}.{secrets.token_hex(6)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | _CLOEXEC
        fd = os.open(temporary, flags, 0o666 if mode is None else mode, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                if mode is not None:
                    os.fchmod(handle.fileno(), mode)
                handle.write(data)
            os.replace(temporary, parts[-1], src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
            raise
    finally:
        os.close(folder)


def _replace_plain(target: Path, data: bytes, mode: int | None) -> None:
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        temporary.write_bytes(data)
        if mode is not None:
            temporary.chmod(mode)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_file(root: Path, rel: str) -> bytes | None:
    """The bytes of root/rel if it is a regular file reached without following a link
    (None if it is missing, a link, a folder, a pipe...). A pipe never blocks the read."""
    parts = _parts(rel)
    if not _FD_WALK:
        target = root.joinpath(*parts)
        try:
            check_parents(root, rel)
            if not stat.S_ISREG(target.lstat().st_mode):
                return None
            return target.read_bytes()
        except (OSError, UnsafePath):
            return None
    try:
        folder = _open_folder(root, parts[:-1], create=False)
    except (OSError, UnsafePath):
        return None
    try:
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | _CLOEXEC
        fd = os.open(parts[-1], flags, dir_fd=folder)
    except OSError:
        return None
    finally:
        os.close(folder)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read()


def remove(root: Path, rel: str) -> None:
    """Remove root/rel (a file, or an empty folder), reaching it without following a link.
    A link in its place is removed itself; a missing one is fine."""
    parts = _parts(rel)
    if not _FD_WALK:
        check_parents(root, rel)
        target = root.joinpath(*parts)
        if stat.S_ISDIR(target.lstat().st_mode):
            target.rmdir()
        else:
            target.unlink(missing_ok=True)
        return
    folder = _open_folder(root, parts[:-1], create=False)
    try:
        try:
            mode = os.stat(parts[-1], dir_fd=folder, follow_symlinks=False).st_mode
        except FileNotFoundError:
            return
        if stat.S_ISDIR(mode):
            os.rmdir(parts[-1], dir_fd=folder)
        else:
            os.unlink(parts[-1], dir_fd=folder)
    finally:
        os.close(folder)
