"""Settings: built-in defaults, then publisher.toml (or [tool.publisher]), then env, then flags."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

PLAIN_API_URL = "https://core-api.uk.plain.com/graphql/v1"
CONFIG_FILE = "publisher.toml"


class ConfigError(Exception):
    """A settings problem: the user has to fix a file, a flag or an environment variable."""


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    content_dir: Path
    out_dir: Path
    cache_dir: Path
    templates_dir: Path | None = None
    help_center_id: str | None = None
    api_url: str = PLAIN_API_URL
    concurrency: int = 8
    max_article_bytes: int = 1_000_000
    #: The longest wait Plain may ask for (Retry-After, rate-limit reset) that a run sits out.
    max_retry_wait: int = 300
    site_name: str = "Help center"
    api_key_env: str = "PLAIN_API_KEY"  # the variable holding the key; never the key itself
    target: str | None = None
    config_file: Path | None = None

    def with_overrides(self, **values: Any) -> Settings:
        """Apply flags; None means the flag was not given."""
        given = {key: value for key, value in values.items() if value is not None}
        return replace(self, **given)


# Keys a config file may set, with the type each must have.
_FILE_KEYS: dict[str, type] = {
    "content": str,
    "out": str,
    "cache": str,
    "templates": str,
    "help_center_id": str,
    "api_url": str,
    "concurrency": int,
    "max_article_bytes": int,
    "max_retry_wait": int,
    "site_name": str,
}
_TARGET_KEYS: dict[str, type] = {"help_center_id": str, "api_url": str, "api_key_env": str}
_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV = {"help_center_id": "PLAIN_HELP_CENTER_ID", "api_url": "PLAIN_API_URL"}


def _read_table(path: Path) -> dict[str, Any] | None:
    """The settings table of a config file, or None when the file has none."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("publisher")
        return table if isinstance(table, dict) else None
    return data


def find_config(start: Path) -> Path | None:
    """publisher.toml, or a pyproject.toml with [tool.publisher], in `start` or above it."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _read_table(pyproject) is not None:
            return pyproject
        if (folder / ".git").exists():
            break
    return None


def _check_table(path: Path, table: dict[str, Any], keys: dict[str, type], where: str) -> None:
    for key, value in table.items():
        expected = keys.get(key)
        if expected is None:
            hint = difflib.get_close_matches(key, keys, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ConfigError(f"{path}: unknown setting '{where}{key}'{extra}")
        if not isinstance(value, expected) or isinstance(value, bool):
            kind = "text" if expected is str else "a whole number"
            raise ConfigError(f"{path}: '{where}{key}' must be {kind}, got {value!r}")


def _validate(path: Path, table: dict[str, Any]) -> dict[str, Any]:
    known = {key: value for key, value in table.items() if key != "targets"}
    _check_table(path, known, _FILE_KEYS, "")
    targets = table.get("targets", {})
    if not isinstance(targets, dict):
        raise ConfigError(f"{path}: 'targets' must be tables like [targets.staging]")
    for name, target in targets.items():
        if not isinstance(target, dict):
            raise ConfigError(f"{path}: 'targets.{name}' must be a table [targets.{name}]")
        _check_table(path, target, _TARGET_KEYS, f"targets.{name}.")
    return table


def load_settings(path: Path, target: str | None = None) -> Settings:
    """Settings for the content at `path`: a project folder, or a content folder itself.

    A folder with a config file, or with a `content/` folder, is a project folder and its
    content root is the `content` setting (default `content`). Any other folder is the content
    root, and the config file is looked for above it.

    `target` names a `[targets.NAME]` table (a staging and a production help center, say);
    its settings beat the environment's, since naming a target is the more explicit choice.
    """
    path = path.resolve()
    if not path.exists():
        raise ConfigError(f"{path}: no such folder")
    if not path.is_dir():
        raise ConfigError(f"{path}: not a folder (give the content folder or the project folder)")
    config = find_config(path)
    project = config.parent if config else path
    table = _validate(config, _read_table(config) or {}) if config else {}
    is_project = path == project and (config is not None or (path / "content").is_dir())
    if is_project:
        content_dir = (project / table.get("content", "content")).resolve()
    else:
        content_dir = path
        project = config.parent if config else path.parent
    templates = table.get("templates")
    default_templates = project / "templates"
    values: dict[str, Any] = {
        "project_dir": project,
        "content_dir": content_dir,
        "out_dir": (project / table.get("out", "_site")).resolve(),
        "cache_dir": (project / table.get("cache", ".publisher/cache")).resolve(),
        "templates_dir": (project / templates).resolve()
        if templates
        else (default_templates if default_templates.is_dir() else None),
        "config_file": config,
    }
    for key in (
        "help_center_id",
        "api_url",
        "concurrency",
        "max_article_bytes",
        "max_retry_wait",
        "site_name",
    ):
        if key in table:
            values[key] = table[key]
    for key, variable in _ENV.items():
        if os.environ.get(variable):
            values[key] = os.environ[variable]
    if target is not None:
        targets = table.get("targets", {})
        if target not in targets:
            known = ", ".join(sorted(targets)) or "none"
            where = config or "no publisher.toml"
            raise ConfigError(f"{where}: no target '{target}' (targets: {known})")
        values.update(targets[target])
        values["target"] = target
    settings = Settings(**values)
    if not _VARIABLE_NAME.fullmatch(settings.api_key_env):
        # The value is not repeated: it may well be the key itself, pasted in by mistake.
        raise ConfigError(
            f"{config}: 'api_key_env' must name an environment variable (such as "
            "PLAIN_API_KEY) that holds the key; never write the key itself in a file"
        )
    if settings.concurrency < 1:
        raise ConfigError(f"{config}: 'concurrency' must be at least 1")
    if settings.max_retry_wait < 0:
        raise ConfigError(f"{config}: 'max_retry_wait' must not be negative")
    return settings
