"""Small JSON files the tool reads back: string -> string maps, one per help center."""

from __future__ import annotations

import json
from pathlib import Path

from publisher.safe_write import UnsafePath, write_file


class ScopedRecord:
    """A map kept in a JSON file under one scope (an API URL and help center), beside the
    maps of other scopes. Reading a missing or damaged file gives an empty map; failing to
    write costs only what the map saves, so it is never an error."""

    def __init__(self, path: Path, scope: str) -> None:
        self.path = path
        self.scope = scope

    def _read_all(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            scope: {k: v for k, v in entries.items() if isinstance(k, str) and isinstance(v, str)}
            for scope, entries in data.items()
            if isinstance(scope, str) and isinstance(entries, dict)
        }

    def load(self) -> dict[str, str]:
        return self._read_all().get(self.scope, {})

    def save(self, entries: dict[str, str]) -> None:
        """Add (or replace) `entries` in this scope, atomically."""
        if not entries:
            return
        data = self._read_all()
        data.setdefault(self.scope, {}).update(entries)
        text = json.dumps(data, indent=1, sort_keys=True)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_file(self.path.parent, self.path.name, text.encode("utf-8"))
        except (OSError, UnsafePath):
            pass
