"""How validation errors are gathered and reported. Each kind of bad input has its own case
in tests/corpus/bad/ (see test_bad_input_corpus.py); these tests cover what spans cases."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from content_factory import PNG, article, write_tree

from publisher.cli import main
from publisher.config import load_settings
from publisher.pipeline import compile_project

GOOD = {"good.md": article("Good", "## Section\n\nFine.")}


def problems_for(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    content = write_tree(tmp_path, {**GOOD, **files})
    result = compile_project(load_settings(content.parent), use_cache=False, workers=1)
    return [p.format(relative_to=content) for p in result.errors]


def test_oversized_article_is_refused_before_parsing(tmp_path: Path) -> None:
    content = write_tree(tmp_path, {**GOOD, "big.md": article("Big", "word " * 300_000)})
    settings = load_settings(content.parent).with_overrides(max_article_bytes=1_000_000)
    errors = compile_project(settings, use_cache=False, workers=1).errors
    assert [p.format(relative_to=content) for p in errors] == [
        "big.md:1: article is 1.5 MB, over the 1 MB limit; split it"
    ]


def test_every_problem_is_listed_at_once(tmp_path: Path) -> None:
    problems = problems_for(
        tmp_path,
        {
            "a.md": article("A", titel="x", body="[x](missing.md)"),
            "b.md": article("B", status="live"),
            "c.md": "no title here\n",
        },
    )
    assert len(problems) == 4
    assert problems == sorted(problems)


def test_check_and_build_exit_1_and_write_nothing(tmp_path: Path) -> None:
    write_tree(tmp_path, {**GOOD, "bad.md": article("A", "[x](missing.md)")})
    runner = CliRunner()
    out = tmp_path / "site"
    checked = runner.invoke(main, ["check", str(tmp_path)])
    assert checked.exit_code == 1
    assert "bad.md:5: link to missing article 'missing.md'" in checked.output
    built = runner.invoke(main, ["build", str(tmp_path), "--out", str(out)])
    assert built.exit_code == 1
    assert "nothing written" in built.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_warning_does_not_fail(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {**GOOD, "soon.md": article("Soon", status="draft"), "a.md": article("A", "[x](soon.md)")},
    )
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 0
    assert "a.md:5: warning: link 'soon.md' goes to a draft article" in result.output


def test_valid_image_passes(tmp_path: Path) -> None:
    assert problems_for(tmp_path, {"a.md": article("A", "![x](img/p.png)"), "img/p.png": PNG}) == []
