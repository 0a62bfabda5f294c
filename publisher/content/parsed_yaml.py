"""Front-matter and settings files as YAML parsed them last time, kept between runs.

Parsing YAML is most of what loading ten thousand articles costs, and most of them did not
change since the last `build` or `preview`. This keeps what each YAML text parsed to, by the
text's SHA-256, in one file (`.publisher/cache/parsed-yaml.json`). The file is signed with
this machine's key (see `publisher.signing`): one restored from another machine's cache is
not used, so nothing a cache holds changes what an article says. Only texts that parsed
without error to values JSON holds exactly (text, numbers, true/false, null, lists, mappings
with text keys) are kept; a date, say, is parsed every time.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any, ClassVar

import yaml

from publisher import safe_write
from publisher.signing import mac, machine_secret

#: The largest file read back: far more than the front-matter of 100,000 articles.
MAX_FILE_BYTES = 256 * 1024 * 1024


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _exact_in_json(value: Any, depth: int = 0) -> bool:
    """Whether JSON gives `value` back exactly as it is."""
    if depth > 32:
        return False
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_exact_in_json(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(
            isinstance(key, str) and _exact_in_json(item, depth + 1) for key, item in value.items()
        )
    return False


def _version() -> str:
    # What parsed the texts: another PyYAML (or rules) may parse the same text otherwise.
    return f"{ParsedYaml.VERSION};PyYAML={yaml.__version__}"


class ParsedYaml:
    """What YAML texts parsed to, by digest: read from `path` when this machine signed it,
    and written back (only what this run used) by `save`."""

    VERSION: ClassVar[int] = 1

    def __init__(self, path: Path | None, *, secret: bytes | None = None) -> None:
        self.path = path
        self._secret = secret if secret is not None else machine_secret()
        self._known: dict[str, str] = self._read() if path is not None else {}
        self._used: dict[str, str] = {}
        self.hits = 0

    def _read(self) -> dict[str, str]:
        assert self.path is not None
        if self._secret is None:
            return {}
        try:
            if os.lstat(self.path).st_size > MAX_FILE_BYTES:
                return {}
            data = safe_write.read_file(self.path.parent, self.path.name)
            if data is None or len(data) > MAX_FILE_BYTES:
                return {}
            signature, _, body = data.decode("utf-8").partition("\n")
            if signature != mac(self._secret, "parsed-yaml", body):
                return {}
            raw = json.loads(body)
            if raw.get("version") != _version() or not isinstance(raw.get("parsed"), dict):
                return {}
        except (OSError, ValueError, AttributeError, safe_write.UnsafePath):
            return {}
        parsed: dict[str, str] = raw["parsed"]
        return parsed

    def get(self, text: str) -> tuple[bool, Any]:
        """(True, value) when `text` parsed to `value` before; (False, None) otherwise."""
        key = _digest(text)
        known = self._used.get(key) or self._known.get(key)
        if known is None:
            return False, None
        self._used[key] = known
        self.hits += 1
        return True, json.loads(known)  # a fresh value: callers may change theirs

    def put(self, text: str, value: Any) -> None:
        if _exact_in_json(value):
            self._used[_digest(text)] = json.dumps(value, ensure_ascii=False, allow_nan=False)

    def save(self) -> None:
        """Write what this run used, when it differs from what was read. Never fails: a
        file that cannot be written only costs time next run."""
        if self.path is None or self._secret is None or self._used == self._known:
            return
        body = json.dumps(
            {"version": _version(), "parsed": dict(sorted(self._used.items()))},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        text = f"{mac(self._secret, 'parsed-yaml', body)}\n{body}"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            safe_write.write_file(self.path.parent, self.path.name, text.encode("utf-8"))
        except (OSError, safe_write.UnsafePath):
            return
        self._known = dict(self._used)
