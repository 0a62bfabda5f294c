"""The seam between the command line and the domain: one error hierarchy with its exit codes,
the whole project wherever a command runs, and messages a writer can act on."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Emulator
from content_factory import article, write_tree
from test_cli_publish import invoke

from publisher.cli import main
from publisher.config import load_settings
from publisher.content.model import Problem
from publisher.errors import (
    EXIT_BUG,
    EXIT_CONTENT,
    EXIT_EDITS_KEPT,
    EXIT_REMOTE,
    EXIT_USAGE,
    ConfigError,
    ContentError,
    EditsKeptError,
    PublisherError,
    RefusedError,
    RemoteError,
    UsageError,
)
from publisher.plain import AuthenticationError, MutationError, NetworkError
from publisher.pull import PullConflictError, PullError
from publisher.site.builder import OutputError
from publisher.sync.apply import PublishError
from publisher.sync.navigation import IndexConflictError
from publisher.sync.permissions import MissingPermissionError
from publisher.sync.plan import PlanError
from publisher.sync.prune import PruneRefusedError, RestoreError, SnapshotError

README = Path(__file__).resolve().parents[1] / "README.md"

# -- every command, every error ----------------------------------------------------------


def _errors() -> list[tuple[str, Exception, int, str]]:
    """(id, error, expected exit code, text the message must show)."""
    mutation = MutationError(
        "Input validation failed", type="VALIDATION", code="input_validation", operation="X"
    )
    written = RemoteError("index write failed after 3 article updates")
    written.wrote = True
    return [
        (
            "content",
            ContentError(
                "1 content error: nothing was sent",
                [Problem(Path("content/faq.md"), 3, "missing title")],
            ),
            EXIT_CONTENT,
            "faq.md:3: missing title",
        ),
        ("plan", PlanError("content/a.md and content/b.md both match"), EXIT_CONTENT, "b.md"),
        ("prune", PruneRefusedError("would delete 9 of 10"), EXIT_CONTENT, "prune refused"),
        ("pull-exists", PullConflictError(Path("content/a.md"), 2), EXIT_CONTENT, "a.md exists"),
        ("refused", RefusedError("not now"), EXIT_CONTENT, "not now"),
        ("usage", UsageError("set PLAIN_API_KEY"), EXIT_USAGE, "PLAIN_API_KEY"),
        ("config", ConfigError("publisher.toml: unknown setting 'x'"), EXIT_USAGE, "'x'"),
        ("output", OutputError("_site: exists and is not a folder"), EXIT_USAGE, "_site"),
        ("pull", PullError("dest is a file, not a folder"), EXIT_USAGE, "dest is a file"),
        ("snapshot", SnapshotError("s.json: not a publisher snapshot"), EXIT_USAGE, "s.json"),
        (
            "auth",
            AuthenticationError("authentication failed (HTTP 401)", status_code=401),
            EXIT_REMOTE,
            "HTTP 401",
        ),
        (
            "network",
            NetworkError("cannot reach https://x.test/graphql/v1 (ConnectError)", transient=True),
            EXIT_REMOTE,
            "https://x.test/graphql/v1",
        ),
        ("publish", PublishError("content/a.md", mutation), EXIT_REMOTE, "content/a.md"),
        ("index", IndexConflictError("the navigation index changed 5 times"), EXIT_REMOTE, "5"),
        (
            "permission",
            MissingPermissionError({"workspaceFile:create": "uploading 2 images"}),
            EXIT_REMOTE,
            "workspaceFile:create",
        ),
        ("restore", RestoreError("groups form a cycle"), EXIT_REMOTE, "cycle"),
        ("wrote", written, EXIT_REMOTE, "again is safe"),
        ("edits-kept", EditsKeptError("left 1 item as people edited them"), 4, "left 1 item"),
        ("bug", RuntimeError("boom"), EXIT_BUG, "hit a bug: RuntimeError: boom"),
    ]


COMMANDS: dict[str, tuple[str, list[str]]] = {
    "check": ("publisher.commands.check:check", ["check"]),
    "build": ("publisher.commands.build:build", ["build"]),
    "plan": ("publisher.commands.plan:plan", ["plan"]),
    "publish": ("publisher.commands.publish:publish", ["publish"]),
    "pull": ("publisher.commands.pull:pull", ["pull"]),
    "restore": ("publisher.commands.restore:restore", ["restore"]),
    "preview": ("publisher.commands.preview:preview", ["preview"]),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize(
    ("error", "code", "shown"), [e[1:] for e in _errors()], ids=[e[0] for e in _errors()]
)
def test_every_command_ends_every_error_with_its_code_and_no_traceback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    error: Exception,
    code: int,
    shown: str,
) -> None:
    import importlib

    target, args = COMMANDS[command]
    module, _, name = target.partition(":")

    def fail(*_: object, **__: object) -> None:
        raise error

    monkeypatch.setattr(importlib.import_module(module), name, fail)
    write_tree(tmp_path, {"a.md": article("A")})
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text("{}")
    argv = [*args, str(snapshot) if command == "restore" else str(tmp_path)]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == code, result.output
    assert shown in result.output
    assert "Traceback" not in result.output
    if isinstance(error, RemoteError) and not error.wrote:
        assert "again is safe" not in result.output


def test_a_bug_shows_its_traceback_only_with_verbose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import publisher.commands.plan as plan_module

    def fail(*_: object, **__: object) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(plan_module, "plan", fail)
    write_tree(tmp_path, {"a.md": article("A")})
    quiet = CliRunner().invoke(main, ["plan", str(tmp_path)])
    loud = CliRunner().invoke(main, ["plan", str(tmp_path), "--verbose"])
    assert quiet.exit_code == loud.exit_code == EXIT_BUG
    assert "Traceback" not in quiet.output and "--verbose" in quiet.output
    assert "KeyError" in loud.output


def test_the_readme_documents_every_exit_code() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("**Exit codes**") :]
    table = table[: table.index("\n\n", table.index("|---|"))]
    documented = {int(m) for m in re.findall(r"^\| (\d+) \|", table, flags=re.M)}
    assert documented == {0, EXIT_CONTENT, EXIT_USAGE, EXIT_REMOTE, EXIT_EDITS_KEPT, EXIT_BUG}
    for cls in (ContentError, RefusedError, UsageError, RemoteError):
        assert issubclass(cls, PublisherError)


# -- what the command line loads ---------------------------------------------------------


def _modules_after(argv: list[str], cwd: Path) -> set[str]:
    code = (
        "import sys\n"
        "from publisher.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_check_and_help_load_no_http_graphql_or_html_parsing(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    for argv in (["check", str(tmp_path)], ["--help"], ["build", "--help"]):
        loaded = _modules_after(argv, tmp_path)
        heavy = {m for m in loaded if m.split(".")[0] in {"httpx", "graphql", "bs4", "rich"}}
        assert heavy == set(), (argv, sorted(heavy))


def _runtime_imports(path: Path) -> set[str]:
    """Modules a file imports when it runs (not those under `if TYPE_CHECKING:`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for node in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.split(".")[0] == "publisher"}


def test_cli_imports_only_commands_errors_and_config() -> None:
    imported = _runtime_imports(Path(__file__).resolve().parents[1] / "publisher/cli.py")
    allowed = {"publisher", "publisher.config", "publisher.errors", "publisher.wording"}
    assert {m for m in imported if not m.startswith("publisher.commands")} <= allowed


def test_the_emulator_depends_on_the_product_only_through_serving() -> None:
    root = Path(__file__).resolve().parents[1] / "publisher/emulator"
    for path in root.rglob("*.py"):
        for module in re.findall(r"^\s*(?:from|import) (publisher[\w.]*)", path.read_text(), re.M):
            assert module.startswith("publisher.emulator") or module in {
                "publisher",
                "publisher.serving",
            }, (path.name, module)


# -- the whole project, wherever a command runs ---------------------------------------------


@pytest.mark.parametrize("with_config", [True, False], ids=["publisher.toml", "content-only"])
@pytest.mark.parametrize("where", ["content/02-account", "content", ".", "content/02-account/x"])
def test_any_folder_of_a_project_means_the_whole_project(
    tmp_path: Path, with_config: bool, where: str
) -> None:
    write_tree(tmp_path, {"01-a.md": article("A"), "02-account/b.md": article("B")})
    (tmp_path / "content/02-account/x").mkdir()
    if with_config:
        (tmp_path / "publisher.toml").write_text('site_name = "Docs"\n')
    settings = load_settings(tmp_path / where)
    assert settings.project_dir == tmp_path.resolve()
    assert settings.content_dir == (tmp_path / "content").resolve()
    assert settings.backups_dir == tmp_path.resolve() / ".publisher/backups"


def test_plan_from_a_subfolder_plans_the_whole_help_center(
    tmp_path: Path, emulator: Emulator
) -> None:
    write_tree(tmp_path, {"01-a.md": article("A"), "02-account/b.md": article("B")})
    assert invoke(emulator, "publish", str(tmp_path)).exit_code == 0
    sub = tmp_path / "content/02-account"
    plan = invoke(emulator, "plan", str(sub), "--json")
    assert plan.exit_code == 0, plan.output
    data = json.loads(plan.output)
    assert {a["action"] for a in data["articles"]} == {"unchanged"}
    assert len(data["articles"]) == 2
    assert data["orphans"]["articles"] == [] and not data["navigation"]["changed"]
    published = invoke(emulator, "publish", str(sub), "--prune")
    assert published.exit_code == 0, published.output
    assert "deleted 0" in published.output and "updated 0" in published.output


def test_settings_stop_at_the_git_root(tmp_path: Path) -> None:
    (tmp_path / "publisher.toml").write_text('content = "elsewhere"\n')
    repo = tmp_path / "repo"
    write_tree(repo, {"a.md": article("A")})
    (repo / ".git").mkdir()
    settings = load_settings(repo / "content")
    assert settings.config_file is None
    assert settings.project_dir == repo.resolve()


@pytest.mark.parametrize("where", ["/", "/proc", "empty"])
def test_a_folder_that_is_no_project_says_so(tmp_path: Path, where: str) -> None:
    folder = tmp_path if where == "empty" else Path(where)
    result = subprocess.run(
        [sys.executable, "-m", "publisher", "check"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "is not a publisher project" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("error", [PermissionError(13, "Permission denied"), OSError(5, "I/O")])
def test_an_unreadable_folder_in_the_content_is_a_problem_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: OSError
) -> None:
    write_tree(tmp_path, {"a.md": article("A"), "locked/b.md": article("B")})
    locked = (tmp_path / "content/locked").resolve()
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str]) -> object:
        if Path(path).resolve() == locked:
            raise error
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == EXIT_CONTENT, result.output
    assert re.search(r"locked:1: cannot read this folder \(", result.output)
    assert "Traceback" not in result.output


# -- the migrate recipe, literally ---------------------------------------------------------


def _run(cwd: Path, emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PLAIN_API_KEY": emulator.api_key,
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": emulator.help_center_id,
        "GITHUB_STEP_SUMMARY": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_migrate_recipe_gives_a_project_with_nothing_to_change(
    tmp_path: Path, emulator: Emulator
) -> None:
    source = tmp_path / "source"
    write_tree(source, {"01-a.md": article("A"), "02-billing/01-b.md": article("B")})
    assert _run(source, emulator, "publish").returncode == 0
    project = tmp_path / "my-help-center"
    project.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    pulled = _run(project, emulator, "pull")
    assert pulled.returncode == 0, pulled.stderr
    assert (project / "publisher.toml").is_file()
    assert (project / "content/02-billing/_group.yml").is_file()
    assert not (project / "02-billing").exists()
    checked = _run(project, emulator, "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    planned = _run(project, emulator, "plan")
    assert planned.returncode == 0, planned.stderr
    assert "Nothing to change" in planned.stdout
    assert (project / ".publisher").is_dir() and not (tmp_path / ".publisher").exists()
    # The settings file names the help center, so the project works without the variable.
    env_free = _run(project, emulator, "plan", "--help-center-id", emulator.help_center_id)
    assert env_free.returncode == 0


def test_pull_makes_a_folder_that_does_not_exist(tmp_path: Path, emulator: Emulator) -> None:
    source = tmp_path / "source"
    write_tree(source, {"a.md": article("A")})
    assert _run(source, emulator, "publish").returncode == 0
    pulled = _run(tmp_path, emulator, "pull", "new/help-center")
    assert pulled.returncode == 0, pulled.stderr
    assert (tmp_path / "new/help-center/content/01-a.md").is_file()
    assert (tmp_path / "new/help-center/publisher.toml").is_file()


# -- a plan and a prune a person can read ------------------------------------------------


def test_two_files_matching_one_plain_item_name_both_without_a_traceback(
    tmp_path: Path, emulator: Emulator
) -> None:
    write_tree(tmp_path, {"a.md": article("A", slug="old")})
    assert invoke(emulator, "publish", str(tmp_path)).exit_code == 0
    remote_id = json.loads(invoke(emulator, "plan", str(tmp_path), "--json").output)["articles"][0][
        "id"
    ]
    # Both pinned to one Plain article (a file copied with its front-matter, say).
    write_tree(
        tmp_path,
        {"a.md": article("A", slug="new-a", id=remote_id), "b.md": article("B", id=remote_id)},
    )
    for command in ("plan", "publish"):
        result = invoke(emulator, command, str(tmp_path))
        assert result.exit_code == EXIT_CONTENT, result.output
        assert "a.md" in result.output and "b.md" in result.output
        assert "Traceback" not in result.output


def test_prune_can_be_previewed_and_says_what_it_deleted(
    tmp_path: Path, emulator: Emulator
) -> None:
    write_tree(
        tmp_path,
        {
            "01-keep.md": article("Keep"),
            "02-gone.md": article("Gone away"),
            "03-old-group/x.md": article("X"),
            "04-k2.md": article("K2"),
            "05-k3.md": article("K3"),
        },
    )
    assert invoke(emulator, "publish", str(tmp_path)).exit_code == 0
    (tmp_path / "content/02-gone.md").unlink()
    (tmp_path / "content/03-old-group/x.md").unlink()
    (tmp_path / "content/03-old-group").rmdir()

    planned = invoke(emulator, "plan", str(tmp_path), "--prune")
    assert planned.exit_code == 0, planned.output
    assert re.search(r"delete\s+article\s+gone", planned.output)
    assert re.search(r"delete\s+article\s+x", planned.output)
    assert re.search(r"delete\s+group\s+old-group", planned.output)
    assert "2 to delete and 1 group to delete" in planned.output
    without = invoke(emulator, "plan", str(tmp_path))
    assert "2 orphaned and 1 orphaned group" in without.output

    summary = tmp_path / "summary.md"
    dry = invoke(
        emulator, "publish", str(tmp_path), "--dry-run", "--prune", GITHUB_STEP_SUMMARY=str(summary)
    )
    assert dry.exit_code == 0, dry.output
    assert re.search(r"delete\s+article\s+gone", dry.output)
    assert "would delete 2" in dry.output and "groups to delete 1" in dry.output
    assert "deleted 0" not in dry.output
    assert "| delete | group | `old-group` |" in summary.read_text()

    real = invoke(
        emulator, "publish", str(tmp_path), "--prune", "--yes", GITHUB_STEP_SUMMARY=str(summary)
    )
    assert real.exit_code == 0, real.output
    assert "deleted article gone (Gone away)" in real.output
    assert "deleted group old-group" in real.output
    assert "deleted 2" in real.output and "groups deleted 1" in real.output
    assert "| groups deleted | 1 |" in summary.read_text()


def test_plans_in_logs_are_never_cut_to_a_width(tmp_path: Path, emulator: Emulator) -> None:
    slug = "a-" + "very-long-slug-" * 12 + "end"
    write_tree(tmp_path, {f"deeply-named-folder-{'x' * 40}/{slug}.md": article("A")})
    result = invoke(emulator, "plan", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert slug in result.output
    assert "…" not in result.output
    summary_line = next(line for line in result.output.splitlines() if line.startswith("Plan:"))
    assert summary_line.endswith("navigation changes")
    assert invoke(emulator, "publish", str(tmp_path)).exit_code == 0
    again = invoke(emulator, "plan", str(tmp_path))
    assert "Nothing to change" in again.output
    assert "┃" not in again.output and "action" not in again.output


# -- messages about the network and the API ----------------------------------------------


def test_an_unreachable_api_names_the_url_and_the_setting(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    url = "http://127.0.0.1:9/graphql/v1"  # the discard port: nothing listens
    result = CliRunner().invoke(
        main,
        ["plan", str(tmp_path)],
        env={"PLAIN_API_KEY": "k", "PLAIN_API_URL": url, "PLAIN_HELP_CENTER_ID": "hc_1"},
    )
    assert result.exit_code == EXIT_REMOTE, result.output
    assert url in result.output
    assert "PLAIN_API_URL" in result.output
    assert "note:" in result.output and "retry 1 of 5" in result.output
    assert "again is safe" not in result.output


@pytest.mark.parametrize(
    ("flag", "source"),
    [(True, "--api-url"), (False, "PLAIN_API_URL")],
)
def test_a_wrong_path_says_it_is_not_the_endpoint(
    tmp_path: Path, emulator: Emulator, flag: bool, source: str
) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    wrong = emulator.base_url + "/graphql/v2"
    args: list[str] = ["plan", str(tmp_path)]
    env: dict[str, str] = {}
    if flag:
        args += ["--api-url", wrong]
    else:
        env["PLAIN_API_URL"] = wrong
    result = invoke(emulator, *args, **env)
    assert result.exit_code == EXIT_REMOTE, result.output
    assert "HTTP 404" in result.output and wrong in result.output
    assert source in result.output
    assert "again is safe" not in result.output
