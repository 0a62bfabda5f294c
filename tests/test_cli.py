"""The command line: exit codes, output format, and `python -m publisher`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from content_factory import article, write_tree

from publisher import __version__
from publisher.cli import main


def test_check_ok_exits_0(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.md": article("A"), "g/b.md": article("B")})
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "ok: 2 articles in 1 group, 0 errors" in result.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(tmp_path / "missing")]).exit_code == 2
    assert runner.invoke(main, ["build", "--nope"]).exit_code == 2
    (tmp_path / "publisher.toml").write_text("bogus = 1\n")
    bad_config = runner.invoke(main, ["check", str(tmp_path)])
    assert bad_config.exit_code == 2
    assert "unknown setting 'bogus'" in bad_config.output


def test_empty_content_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "no articles found" in result.output


def test_problem_paths_are_relative_to_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"bad.md": article("A", status="live")})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check"])
    assert result.output.startswith("content/bad.md:3: 'status' must be")


def test_help_lists_commands_with_examples() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert "check" in result.output and "build" in result.output
    assert "Examples:" in CliRunner().invoke(main, ["build", "--help"]).output


def test_python_dash_m_and_version(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    version = subprocess.run(
        [sys.executable, "-m", "publisher", "--version"], capture_output=True, text=True, check=True
    )
    assert __version__ in version.stdout
    checked = subprocess.run(
        [sys.executable, "-m", "publisher", "check", str(tmp_path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_sample_content_is_valid_and_complete() -> None:
    root = Path(__file__).resolve().parents[1]
    result = CliRunner().invoke(main, ["check", str(root / "content")])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
