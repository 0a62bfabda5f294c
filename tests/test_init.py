"""`publisher init`: a new help-center repository that checks, builds and publishes at once,
never written over an existing file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Emulator
from content_factory import article, write_tree
from test_cli_publish import invoke

from publisher.cli import main
from publisher.commands.init import scaffold_files

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = {
    "publisher.toml",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".github/workflows/publish.yml",
    "content/01-getting-started/_group.yml",
    "content/01-getting-started/01-welcome.md",
    "content/01-getting-started/02-first-steps.md",
    "content/01-getting-started/images/welcome.png",
    "content/02-faq.md",
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PLAIN_HELP_CENTER_ID": "", "PLAIN_API_KEY": ""},
    )


def test_init_then_check_and_build_pass_at_once(tmp_path: Path) -> None:
    made = run("init", "demo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    demo = tmp_path / "demo"
    written = {p.relative_to(demo).as_posix() for p in demo.rglob("*") if p.is_file()}
    assert written == EXPECTED
    checked = run("check", cwd=demo)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "3 articles in 1 group, 0 errors" in checked.stderr
    built = run("build", cwd=demo)
    assert built.returncode == 0, built.stderr
    welcome = (demo / "_site/article/welcome/index.html").read_text()
    assert 'href="/article/first-steps"' in welcome and "assets/" in welcome
    assert 'site_name = "Demo"' in (demo / "publisher.toml").read_text()
    assert ".publisher/" in (demo / ".gitignore").read_text()


def test_init_in_the_current_folder_and_in_a_new_nested_one(tmp_path: Path) -> None:
    assert run("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "publisher.toml").is_file()
    nested = tmp_path / "a/b/c"
    assert run("init", str(nested), cwd=tmp_path).returncode == 0
    assert (nested / "content/02-faq.md").is_file()


@pytest.mark.parametrize(
    "existing",
    ["publisher.toml", ".gitignore", "content/02-faq.md", ".github/workflows/publish.yml"],
)
def test_init_never_overwrites_and_writes_nothing_when_a_file_exists(
    tmp_path: Path, existing: str
) -> None:
    target = tmp_path / existing
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("mine\n")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert existing in result.output and "nothing was written" in result.output
    assert target.read_text() == "mine\n"
    others = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert others == {existing}


def test_init_refuses_to_write_through_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    project = tmp_path / "project"
    project.mkdir()
    (project / "content").symlink_to(outside)
    result = CliRunner().invoke(main, ["init", str(project)])
    assert result.exit_code == 2, result.output
    assert "link" in result.output
    assert list(outside.iterdir()) == []


def test_the_workflow_init_writes_is_the_one_this_repository_ships() -> None:
    files = scaffold_files(site_name="X")
    shipped = (ROOT / ".github/workflows/publish.yml").read_bytes()
    assert files[".github/workflows/publish.yml"] == shipped
    assert b"uses: OWNER/publisher@v1" in shipped


def test_the_workflow_init_writes_validates(tmp_path: Path) -> None:
    pytest.importorskip("check_jsonschema")
    assert run("init", cwd=tmp_path).returncode == 0
    workflow = tmp_path / ".github/workflows/publish.yml"
    schema = "vendor.github-workflows"
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(workflow)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_pre_commit_config_init_writes_is_valid_and_uses_the_hook(tmp_path: Path) -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    assert run("init", cwd=tmp_path).returncode == 0
    config = clientlib.load_config(str(tmp_path / ".pre-commit-config.yaml"))
    [repo] = config["repos"]
    assert repo["repo"] == "https://github.com/OWNER/publisher"
    assert [hook["id"] for hook in repo["hooks"]] == ["publisher-check"]


def test_init_from_plain_pulls_the_help_center_and_plans_nothing(
    tmp_path: Path, emulator: Emulator
) -> None:
    source = tmp_path / "source"
    write_tree(source, {"01-a.md": article("A"), "02-billing/b.md": article("B")})
    assert invoke(emulator, "publish", str(source)).exit_code == 0
    project = tmp_path / "from-plain"
    made = invoke(emulator, "init", str(project), "--from-plain", PLAIN_HELP_CENTER_ID="")
    assert made.exit_code == 2 and "--help-center-id" in made.output
    made = invoke(
        emulator, "init", str(project), "--from-plain", "--help-center-id", emulator.help_center_id
    )
    assert made.exit_code == 0, made.output
    assert not (project / "content/02-faq.md").exists()  # no example beside the pulled content
    assert (project / "content/01-a.md").is_file()
    toml = (project / "publisher.toml").read_text()
    assert f'help_center_id = "{emulator.help_center_id}"' in toml
    plan = invoke(emulator, "plan", str(project), "--json", PLAIN_HELP_CENTER_ID="")
    assert plan.exit_code == 0, plan.output
    data = json.loads(plan.output)
    assert {a["action"] for a in data["articles"]} == {"unchanged"}
    assert not data["navigation"]["changed"]
