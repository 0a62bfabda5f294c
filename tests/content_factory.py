"""Builds small content trees in a temp folder for tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

# A 1×1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (relative path -> text or bytes) under root/content; return that folder."""
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return content


def article(title: str | None = None, body: str = "Some text.", **meta: object) -> str:
    """An article file's text with the given front-matter."""
    lines = []
    if title is not None:
        lines.append(f"title: {title}")
    for key, value in meta.items():
        lines.append(f"{key}: {value}")
    front = "---\n" + "\n".join(lines) + "\n---\n\n" if lines else ""
    return front + body + "\n"
