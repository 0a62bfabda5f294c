"""Settings: built-in defaults, then publisher.toml (or [tool.publisher]), then env, then flags."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from publisher.errors import ConfigError

__all__ = [
    "CONFIG_FILE",
    "DEFAULT_KEY_VARIABLE",
    "PLAIN_API_URL",
    "ConfigError",
    "Settings",
    "find_config",
    "load_settings",
]

PLAIN_API_URL = "https://core-api.uk.plain.com/graphql/v1"
CONFIG_FILE = "publisher.toml"
DEFAULT_KEY_VARIABLE = "PLAIN_API_KEY"


@dataclass(frozen=True)
class Settings:
    project_dir: Path
    content_dir: Path
    out_dir: Path
    cache_dir: Path
    templates_dir: Path | None = None
    help_center_id: str | None = None
    api_url: str = PLAIN_API_URL
    #: Where `api_url` came from, for messages about an endpoint that fails.
    api_url_source: str = "the default"
    concurrency: int = 8
    max_article_bytes: int = 1_000_000
    #: The longest wait Plain may ask for (Retry-After, rate-limit reset) that a run sits out.
    max_retry_wait: int = 300
    site_name: str = "Help center"
    api_key_env: str = DEFAULT_KEY_VARIABLE  # the variable holding the key; never the key
    target: str | None = None
    config_file: Path | None = None

    def with_overrides(self, **values: Any) -> Settings:
        """Apply flags; None means the flag was not given."""
        given = {key: value for key, value in values.items() if value is not None}
        if "api_url" in given:
            given["api_url_source"] = "the --api-url flag"
        return replace(self, **given)

    # Every path the tool writes below the project is named here and nowhere else.

    @property
    def state_dir(self) -> Path:
        """`.publisher/`: caches and snapshots, never content."""
        return self.project_dir / ".publisher"

    @property
    def backups_dir(self) -> Path:
        """Where a prune writes its snapshot of what it deletes."""
        return self.state_dir / "backups"

    @property
    def upload_cache_file(self) -> Path:
        """Digest -> URL of images this machine uploaded."""
        return self.cache_dir / "uploads.json"

    @property
    def published_record_file(self) -> Path:
        """Fingerprints of what was last published, to tell an edit in Plain from a
        conflict; kept with the caches, which CI restores."""
        return self.cache_dir / "published.json"

    @property
    def render_cache_dir(self) -> Path:
        return self.cache_dir / "render"


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
#: Plain's API keys start with this; no variable holding one needs a name like it.
_KEY_PREFIX = "plainapikey"
_MIXED_DIGITS = re.compile(r"[0-9][A-Za-z]")


def _looks_like_a_key(name: str) -> bool:
    """Whether a would-be variable name looks like an API key pasted in its place: Plain's
    key prefix, or a long token of letters and digits mixed through each other (a random
    string), which variable names made of words (`PLAIN_API_KEY_STAGING_2`,
    `HelpCenterKey2024`) do not have."""
    if name.lower().startswith(_KEY_PREFIX):
        return True
    for part in name.split("_"):
        if not _MIXED_DIGITS.search(part):  # a digit followed by a letter: not a word's end
            continue
        mixed_case = any(c.islower() for c in part) and any(c.isupper() for c in part)
        if len(part) > 24 or (len(part) >= 20 and mixed_case):
            return True
    return False


def _check_api_key_env(path: Path | None, target: str | None, value: str) -> None:
    """`api_key_env` holds the name of a variable; its value is never repeated in a message,
    since it may well be the key itself, pasted in by mistake."""
    where = f"[targets.{target}] " if target else ""
    example = re.sub(r"[^A-Z0-9]+", "_", (target or "").upper()).strip("_")[:30]
    hint = (
        f"must name an environment variable (such as PLAIN_API_KEY_{example or 'STAGING'}) "
        "that holds the key"
    )
    if not _VARIABLE_NAME.fullmatch(value):
        raise ConfigError(
            f"{path}: {where}'api_key_env' {hint}; what it holds is no variable name (not "
            "repeated here, in case it is the key itself): never write the key itself in a file"
        )
    if _looks_like_a_key(value):
        raise ConfigError(
            f"{path}: {where}'api_key_env' {hint}, and what it holds looks like an API key "
            "itself (not repeated here). Put the key in that variable, never in a file; if it "
            "is a real key, revoke it in Plain, since it has been written in this file"
        )


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


def _up_to_git_root(start: Path) -> list[Path]:
    """`start` and the folders above it, up to and including the git repository's root
    (a setting above the repository is someone else's)."""
    folders = []
    for folder in (start, *start.parents):
        folders.append(folder)
        if (folder / ".git").exists():
            break
    return folders


def find_config(start: Path) -> Path | None:
    """publisher.toml, or a pyproject.toml with [tool.publisher], in `start` or above it,
    stopping at the git root."""
    for folder in _up_to_git_root(start):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _read_table(pyproject) is not None:
            return pyproject
    return None


def _project_without_config(path: Path) -> Path | None:
    """The folder with a `content/` folder that holds `path` (or is it), when no config
    file says where the project is."""
    for folder in _up_to_git_root(path):
        content = folder / "content"
        if content.is_dir() and (path == folder or path.is_relative_to(content)):
            return folder
    return None


def _looks_like_content(path: Path) -> bool:
    """Markdown files or group folders right here: a bare content folder."""
    try:
        entries = list(os.scandir(path))
    except OSError:
        return False
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.name.lower().endswith((".md", ".heading.yml")):
            return True
        if entry.is_dir() and (Path(entry.path) / "_group.yml").is_file():
            return True
    return False


def _check_table(path: Path, table: dict[str, Any], keys: dict[str, type], where: str) -> None:
    for key, value in table.items():
        expected = keys.get(key)
        if expected is None:
            hint = difflib.get_close_matches(key, keys, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            raise ConfigError(f"{path}: unknown setting '{where}{key}'{extra}")
        if not isinstance(value, expected) or isinstance(value, bool):
            kind = "text" if expected is str else "a whole number"
            # A key pasted into api_key_env (as a list, say) must not be printed.
            got = "" if key == "api_key_env" else f", got {value!r}"
            raise ConfigError(f"{path}: '{where}{key}' must be {kind}{got}")


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
        if "api_key_env" in target:  # every target's, not only the one used now
            _check_api_key_env(path, name, target["api_key_env"])
    return table


def load_settings(path: Path, target: str | None = None, *, allow_new: bool = False) -> Settings:
    """Settings for the project that `path` is in.

    The project is the folder of the config file found in `path` or above it (up to the git
    root), or else the folder with a `content/` folder that is `path` or holds it. Wherever
    `path` is inside a project, a content subfolder included, it means the whole project: no
    command can publish part of a help center as if it were the whole. A folder of Markdown
    outside any project is content on its own, and keeps `.publisher/` inside itself.

    With `allow_new` (for `pull` and `restore`), a folder that is none of these is taken as
    a new project (`pull` writes `publisher.toml` and `content/` there).

    `target` names a `[targets.NAME]` table (a staging and a production help center, say);
    its settings beat the environment's, since naming a target is the more explicit choice.
    """
    path = path.resolve()
    if not path.exists():
        raise ConfigError(f"{path}: no such folder")
    if not path.is_dir():
        raise ConfigError(f"{path}: not a folder (give the project folder or a folder in it)")
    config = find_config(path)
    table = _validate(config, _read_table(config) or {}) if config else {}
    if config is not None:
        project = config.parent
        content_dir = (project / table.get("content", "content")).resolve()
    elif (found := _project_without_config(path)) is not None:
        project, content_dir = found, found / "content"
    elif allow_new:
        project, content_dir = path, path / "content"
    elif _looks_like_content(path):
        project, content_dir = path, path
    else:
        raise ConfigError(
            f"{path} is not a publisher project: it has no {CONFIG_FILE}, no content/ folder "
            "and no Markdown files. Run the command in your help-center repository, or give "
            "its folder as PATH"
        )
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
    if "api_url" in table:
        values["api_url_source"] = f"`api_url` in {config.name if config else CONFIG_FILE}"
    for key, variable in _ENV.items():
        if os.environ.get(variable):
            values[key] = os.environ[variable]
            if key == "api_url":
                values["api_url_source"] = f"the {variable} environment variable"
    if target is not None:
        targets = table.get("targets", {})
        if target not in targets:
            known = ", ".join(sorted(targets)) or "none"
            where = config or "no publisher.toml"
            raise ConfigError(f"{where}: no target '{target}' (targets: {known})")
        values.update(targets[target])
        values["target"] = target
        if "api_url" in targets[target]:
            values["api_url_source"] = f"`targets.{target}.api_url` in {config}"
    settings = Settings(**values)
    _check_api_key_env(config, target, settings.api_key_env)
    if settings.concurrency < 1:
        raise ConfigError(f"{config}: 'concurrency' must be at least 1")
    if settings.max_retry_wait < 0:
        raise ConfigError(f"{config}: 'max_retry_wait' must not be negative")
    return settings
