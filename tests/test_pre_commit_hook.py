"""The `publisher-check` pre-commit hook, as a help-center repository would use it.

`pre-commit try-repo` installs this project into a fresh virtual environment (from PyPI and
this repository) and runs the hook in a content repository made here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from content_factory import article

ROOT = Path(__file__).resolve().parents[1]
HOOKS = ROOT / ".pre-commit-hooks.yaml"
GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed; pre-commit needs it")

GIT_IDENTITY = [
    "-c",
    "user.name=publisher tests",
    "-c",
    "user.email=tests@example.invalid",
    "-c",
    "commit.gpgsign=false",
]


def hook() -> dict[str, object]:
    hooks = yaml.safe_load(HOOKS.read_text(encoding="utf-8"))
    [only] = [h for h in hooks if h["id"] == "publisher-check"]
    hook: dict[str, object] = only
    return hook


def git(cwd: Path, *args: str) -> str:
    assert GIT is not None
    done = subprocess.run(
        [GIT, *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    return done.stdout


def git_init(path: Path) -> None:
    git(path, "init", "--quiet")
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "--no-verify", "-m", "snapshot")


def project_snapshot(target: Path) -> Path:
    """This project's working tree as a one-commit git repository.

    try-repo reads a local repository at HEAD plus changes to tracked files; new files that
    are not committed yet would be missed. A snapshot of the tracked and untracked,
    not-ignored files is the same as HEAD on a clean checkout and includes work in progress
    otherwise.
    """
    listing = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    target.mkdir()
    for rel in filter(None, listing.split("\0")):
        source = ROOT / rel
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        destination = target / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination, follow_symlinks=False)
    git_init(target)
    return target


def try_repo(hook_repo: Path, content_repo: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PLAIN_")}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hook_repo),
            "publisher-check",
            "--all-files",
            "--color",
            "never",
        ],
        cwd=content_repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


# The manifest ---------------------------------------------------------------------------------


def test_manifest_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest  # type: ignore[import-untyped]

    [loaded] = load_manifest(str(HOOKS))
    assert loaded["id"] == "publisher-check"


def test_hook_runs_publisher_check_once_from_this_package() -> None:
    entry = hook()
    assert entry["entry"] == "publisher check"
    assert entry["language"] == "python"
    assert entry["pass_filenames"] is False
    assert (ROOT / "pyproject.toml").is_file()  # what `language: python` installs


@pytest.mark.parametrize(
    ("path", "triggers"),
    [
        ("content/01-start/01-welcome.md", True),
        ("faq.md", True),
        ("content/NOTES.MD", True),
        ("content/01-start/_group.yml", True),
        ("_group.yml", True),
        ("content/01-start/images/screen.png", False),
        ("content/01-start/my_group.yml", False),
        ("content/01-start/_group.yaml", False),
        ("publisher.toml", False),
        ("notes.mdx", False),
    ],
)
def test_hook_triggers_only_on_markdown_and_group_files(path: str, triggers: bool) -> None:
    assert bool(re.search(str(hook()["files"]), path)) is triggers


# The hook, run by pre-commit --------------------------------------------------------------------


@needs_git
@pytest.mark.slow
def test_hook_passes_good_content_and_reports_broken_front_matter(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists():
        pytest.skip(f"{ROOT} is not a git checkout, so there is no repository to try")
    hook_repo = project_snapshot(tmp_path / "publisher")

    content_repo = tmp_path / "help-center"
    welcome = content_repo / "content" / "01-start" / "01-welcome.md"
    welcome.parent.mkdir(parents=True)
    welcome.write_text(article("Welcome", body="Start with [the FAQ](../faq.md)."))
    (welcome.parent / "_group.yml").write_text("name: Getting started\n")
    (content_repo / "content" / "faq.md").write_text(article("FAQ", description="Questions"))
    (content_repo / ".gitignore").write_text(".publisher/\n")
    git_init(content_repo)

    passed = try_repo(hook_repo, content_repo)
    output = passed.stdout + passed.stderr
    assert passed.returncode == 0, output
    assert re.search(r"^publisher check\.+Passed$", output, re.MULTILINE), output

    welcome.write_text(article("Welcome", titel="Oops"))
    failed = try_repo(hook_repo, content_repo)
    output = failed.stdout + failed.stderr
    assert failed.returncode == 1, output
    assert re.search(r"^publisher check\.+Failed$", output, re.MULTILINE), output
    assert "content/01-start/01-welcome.md:3: unknown key 'titel'" in output, output
