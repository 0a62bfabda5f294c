"""`publisher init`: a new help-center repository in one command."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from publisher import __version__
from publisher.commands.pull import PullOutcome, pull
from publisher.config import load_settings
from publisher.errors import RefusedError, UsageError
from publisher.safe_write import UnsafePath, write_file

#: Scaffold files kept without their leading dot (package data drops hidden files), and
#: where each goes.
_RENAMED = {
    "gitignore": ".gitignore",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
    "github/workflows/publish.yml": ".github/workflows/publish.yml",
}
_EXAMPLE = "content/"


@dataclass
class InitResult:
    project: Path
    written: list[str] = field(default_factory=list)  # relative paths, in order


def scaffold_files(
    *, site_name: str, example: bool = True, help_center_id: str | None = None
) -> dict[str, bytes]:
    """Relative path -> bytes of everything `init` writes."""
    files: dict[str, bytes] = {}

    def walk(node: Traversable, rel: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            child_rel = f"{rel}{child.name}"
            if child.is_dir():
                walk(child, child_rel + "/")
            elif child.name != "__init__.py":
                files[_RENAMED.get(child_rel, child_rel)] = child.read_bytes()

    walk(resources.files("publisher").joinpath("scaffold"), "")
    if not example:
        files = {rel: data for rel, data in files.items() if not rel.startswith(_EXAMPLE)}
    values = {"{site_name}": json.dumps(site_name)[1:-1], "{version}": __version__}
    if help_center_id:
        values['# help_center_id = "hc_..."'] = f"help_center_id = {json.dumps(help_center_id)}"
    for rel in ("publisher.toml", ".pre-commit-config.yaml"):
        text = files[rel].decode("utf-8")
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        files[rel] = text.encode("utf-8")
    return files


def init(path: Path, *, example: bool = True, help_center_id: str | None = None) -> InitResult:
    """Write a new project at `path` (created if missing). Nothing is overwritten: if any
    file it would write exists, it names the first and writes nothing."""
    path.mkdir(parents=True, exist_ok=True)
    project = path.resolve()
    site_name = project.name.replace("-", " ").replace("_", " ").strip().title() or "Help center"
    files = scaffold_files(site_name=site_name, example=example, help_center_id=help_center_id)
    existing = [rel for rel in files if (project / rel).exists() or (project / rel).is_symlink()]
    if existing:
        others = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise RefusedError(
            f"{project / existing[0]} exists already{others}; nothing was written. "
            "`publisher init` only writes into a folder that has none of its files"
        )
    result = InitResult(project)
    for rel, data in files.items():
        try:
            write_file(project, rel, data)
        except UnsafePath as error:
            raise UsageError(f"{error}: not written") from None
        result.written.append(rel)
    return result


def init_from_plain(
    path: Path,
    help_center_id: str,
    *,
    api_url: str | None = None,
    verbose: bool = False,
    notice: Callable[[str], None] | None = None,
) -> tuple[InitResult, PullOutcome]:
    """`init` without the example content, naming the help center in publisher.toml; then
    `pull` fills `content/` from Plain."""
    result = init(path, example=False, help_center_id=help_center_id)
    settings = load_settings(result.project).with_overrides(api_url=api_url)
    return result, pull(settings, verbose=verbose, notice=notice)
