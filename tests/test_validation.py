"""Each validation error on a file crafted to trigger it: named file and line, exit 1,
and nothing written by `build`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
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


CASES: list[tuple[str, dict[str, str | bytes], str]] = [
    (
        "invalid yaml",
        {"bad.md": "---\ntitle: [oops\nslug: x\n---\nBody\n"},
        "bad.md:3: invalid YAML",
    ),
    ("tab in yaml", {"bad.md": "---\ntitle: A\n\tslug: b\n---\nBody\n"}, "bad.md:3: invalid YAML"),
    (
        "unclosed front-matter",
        {"bad.md": "---\ntitle: A\nBody\n"},
        "bad.md:1: front-matter is not closed",
    ),
    (
        "front-matter not a mapping",
        {"bad.md": "---\n- a\n- b\n---\nBody\n"},
        "bad.md:2: front-matter must be a mapping",
    ),
    (
        "non utf-8",
        {"bad.md": b"---\ntitle: A\n---\ncaf\xe9\n"},
        "bad.md:4: file is not valid UTF-8",
    ),
    ("utf-16", {"bad.md": "# Title\n\nText\n".encode("utf-16")}, "bad.md:1: file is UTF-16"),
    ("binary", {"bad.md": b"\x89PNG\r\n\x1a\n\x00\x00"}, "bad.md:3: file is binary"),
    ("missing title", {"bad.md": "Just text, no heading.\n"}, "bad.md:1: article has no title"),
    ("blank title", {"bad.md": "---\ntitle: '   '\n---\nText\n"}, "bad.md:2: 'title' is empty"),
    (
        "invalid slug",
        {"bad.md": article("A", slug="Not_Valid")},
        "bad.md:3: invalid slug 'Not_Valid'",
    ),
    ("unicode slug", {"bad.md": article("A", slug="café")}, "bad.md:3: invalid slug 'café'"),
    (
        "invalid slug from file name",
        {"Ça va.md": article("A")},
        "Ça va.md:1: invalid slug 'ça-va' from the file name",
    ),
    (
        "duplicate slug",
        {"one/x.md": article("A"), "two/x.md": article("B")},
        "two/x.md:1: duplicate slug 'x': also used by one/x.md",
    ),
    (
        "duplicate slug via front-matter",
        {"y.md": article("Y", slug="good")},
        "y.md:1: duplicate slug 'good': also used by good.md",
    ),
    (
        "alias equal to another slug",
        {"y.md": article("Y", aliases="[good]")},
        "y.md:1: duplicate alias 'good'",
    ),
    (
        "duplicate group slug",
        {"a/one.md": article("1"), "b/_group.yml": "slug: a\n", "b/two.md": article("2")},
        "b/_group.yml:1: duplicate group slug 'a'",
    ),
    (
        "invalid group slug",
        {"g/_group.yml": "slug: Bad Slug\n", "g/one.md": article("1")},
        "g/_group.yml:1: invalid slug 'Bad Slug'",
    ),
    (
        "unknown group key",
        {"g/_group.yml": "name: G\nordr: 1\n", "g/one.md": article("1")},
        "g/_group.yml:2: unknown key 'ordr' (did you mean 'order'?)",
    ),
    (
        "bad group yaml",
        {"g/_group.yml": "name: [x\n", "g/one.md": article("1")},
        "g/_group.yml:2: invalid YAML",
    ),
    (
        "unknown key",
        {"bad.md": article("A", titel="x")},
        "bad.md:3: unknown key 'titel' (did you mean 'title'?)",
    ),
    (
        "invalid status",
        {"bad.md": article("A", status="live")},
        "bad.md:3: 'status' must be 'published' or 'draft', got 'live'",
    ),
    (
        "yes as status",
        {"bad.md": article("A", status="yes")},
        "bad.md:3: 'status' must be 'published' or 'draft', got true",
    ),
    (
        "order not a number",
        {"bad.md": article("A", order='"first"')},
        "bad.md:3: 'order' must be a whole number, got 'first'",
    ),
    (
        "aliases not a list",
        {"bad.md": article("A", aliases="old")},
        "bad.md:3: 'aliases' must be a list",
    ),
    ("empty article", {"bad.md": article("A", "")}, "bad.md:1: article has no content"),
    ("front-matter only", {"bad.md": "---\ntitle: A\n---\n"}, "bad.md:1: article has no content"),
    (
        "link to missing article",
        {"bad.md": article("A", "See [x](missing.md).")},
        "bad.md:5: link to missing article 'missing.md'",
    ),
    (
        "link to missing anchor",
        {"bad.md": article("A", "See [x](good.md#nope).")},
        "bad.md:5: link 'good.md#nope': no heading '#nope' in 'good.md'",
    ),
    (
        "link to missing local anchor",
        {"bad.md": article("A", "## Here\n\n[x](#there)")},
        "bad.md:7: link '#there': no heading '#there' in this article",
    ),
    (
        "link escaping the root",
        {"bad.md": article("A", "[x](../../outside.md)")},
        "bad.md:5: link '../../outside.md' points outside the content root",
    ),
    (
        "link to a non-article file",
        {"bad.md": article("A", "[x](notes.txt)"), "notes.txt": "x"},
        "bad.md:5: link 'notes.txt' is not an article",
    ),
    (
        "missing image",
        {"bad.md": article("A", "![shot](images/none.png)")},
        "bad.md:5: image 'images/none.png' not found",
    ),
    (
        "image escaping the root",
        {"bad.md": article("A", "![x](../secret.png)")},
        "bad.md:5: image '../secret.png' points outside the content root",
    ),
    (
        "absolute image path",
        {"bad.md": article("A", "![x](/etc/passwd)")},
        "bad.md:5: image '/etc/passwd' must be a path relative to this file",
    ),
    (
        "image that is not an image",
        {"bad.md": article("A", "![x](data.csv)"), "data.csv": "a,b"},
        "bad.md:5: image 'data.csv' is not an image",
    ),
    (
        "script",
        {"bad.md": article("A", "Hi\n\n<script>alert(1)</script>")},
        "bad.md:7: unsafe HTML: <script> is removed on publish",
    ),
    (
        "event handler",
        {"bad.md": article("A", '<img src="x.png" onerror="alert(1)">')},
        "bad.md:5: unsafe HTML: event handler attributes",
    ),
    (
        "javascript url in html",
        {"bad.md": article("A", '<a href="javascript:alert(1)">x</a>')},
        "bad.md:5: unsafe HTML: javascript: URLs are removed",
    ),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_problem_is_reported_with_file_and_line(
    tmp_path: Path, files: dict[str, str | bytes], expected: str
) -> None:
    problems = problems_for(tmp_path, files)
    assert any(line.startswith(expected) for line in problems), problems


def test_oversized_article_is_refused_before_parsing(tmp_path: Path) -> None:
    content = write_tree(tmp_path, {**GOOD, "big.md": article("Big", "word " * 300_000)})
    settings = load_settings(content.parent).with_overrides(max_article_bytes=1_000_000)
    errors = compile_project(settings, use_cache=False, workers=1).errors
    assert [p.format(relative_to=content) for p in errors] == [
        "big.md:1: article is 1.5 MB, over the 1 MB limit; split it"
    ]


def test_symlink_escaping_the_root_is_reported(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.md").write_text(article("Outside"))
    content = write_tree(tmp_path, GOOD)
    os.symlink(outside, content / "linked")
    problems = problems_for(tmp_path, {})
    assert any(p.startswith("linked:1: symlink points outside the content root") for p in problems)


def test_symlink_loop_is_reported(tmp_path: Path) -> None:
    content = write_tree(tmp_path, {**GOOD, "g/a.md": article("A")})
    os.symlink(content / "g", content / "g" / "again")
    problems = problems_for(tmp_path, {})
    assert any("symlink loop" in p for p in problems), problems


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
