"""Small helpers for the words the tool prints."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`1 article`, `2 articles`; `many` for nouns that do not just take an s."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"
