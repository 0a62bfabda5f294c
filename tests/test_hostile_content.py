"""Hostile and unlucky content, closed by class: what YAML may build, what a message may
quote, names that are not UTF-8 or not printable, settings files read only when they are
small regular files inside the content, how deep folders nest, how long slugs and file
names are, and text that must be one printable line.

Each kind of input also has cases in tests/corpus/bad/ (run through `publisher publish`);
these tests try the variants of each class, and the parts the corpus cannot show (time,
memory, every command, what must not appear in the output).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import yaml
from conftest import Emulator
from content_factory import PNG, article, write_tree

from publisher.config import load_settings
from publisher.content.loader import (
    MAX_FOLDER_DEPTH,
    MAX_SETTINGS_BYTES,
    MAX_SLUG_CHARS,
    load_content,
)
from publisher.content.model import Group, HelpCenterContent, Problem, escaped, shown
from publisher.pipeline import compile_project
from publisher.plain import PlainClient
from publisher.preview.live import LiveSite
from publisher.pull import MAX_STEM_CHARS, pull_help_center
from publisher.sync.publish import read_and_plan
from publisher.sync.state import read_remote

T = TypeVar("T")
GOOD = {"good.md": article("Good", "## Section\n\nFine.")}
#: Longer than any message `check` writes for content that is merely wrong, so a message
#: over it quotes too much of what it is about.
LONGEST_LINE = 400


def load(tmp_path: Path, files: dict[str, str | bytes]) -> list[Problem]:
    _, problems = load_content(write_tree(tmp_path, {**GOOD, **files}))
    return problems


def formatted(tmp_path: Path, problems: list[Problem]) -> list[str]:
    return [p.format(relative_to=tmp_path / "content") for p in problems]


def only(items: list[T]) -> T:
    assert len(items) == 1, items
    return items[0]


def timed(action: Callable[[], object], seconds: float) -> None:
    """Runs `action` and fails when it takes longer (generous: CI machines are slow)."""
    started = time.monotonic()
    action()
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"took {elapsed:.1f} s"


def peak_memory(action: Callable[[], object], megabytes: float) -> None:
    """Runs `action` and fails when it allocates more than `megabytes` at its peak."""
    tracemalloc.start()
    try:
        action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < megabytes * 1_000_000, f"peaked at {peak / 1_000_000:.0f} MB"


def run_cli(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    """The real command line in a process of its own, as a CI job runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        timeout=60,
    )
    # Bytes, decoded strictly: output that is not UTF-8 is a failure of its own.
    output = (done.stdout + done.stderr).decode("utf-8")
    assert "Traceback" not in output, output
    return done.returncode, output


# --- 5. What YAML may build ----------------------------------------------------------------


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijklmnop"
    for previous, name in itertools.pairwise(names[:levels]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + f"\ntitle: *{names[levels - 1]}\n"


# (YAML text, 1-based line of the YAML where the first refused thing is)
BOMBS = [
    pytest.param(billion_laughs(), 1, id="billion-laughs"),
    pytest.param(
        "base: &base [x, x, x, x, x, x, x, x]\n"
        "aliases:\n  - *base\n  - [*base, *base]\n  - - *base\n    - *base\n",
        1,
        id="nested-lists-of-aliases",
    ),
    pytest.param(
        "title: Merged\naliases:\n  - [*a, *a, *a]\n  - [*a, *a, *a]\n", 3, id="alias-undefined"
    ),
    pytest.param("base: &base\n  title: Bomb\n<<: *base\n", 1, id="merge-of-an-alias"),
    pytest.param("title: Merged\n<<: {slug: merged}\n", 2, id="merge-without-alias"),
    pytest.param("title: Hello\nextra: {a: &x [1, 2], b: *x}\n", 2, id="anchor-in-a-mapping"),
    pytest.param("title: &unused Hello\n", 1, id="anchor-without-alias"),
    pytest.param("title: Tagged\nicon: !!binary aGVsbG8=\n", 2, id="binary-tag"),
    pytest.param("title: Tagged\nicon: !!python/name:os.system\n", 2, id="python-tag"),
    pytest.param("title: Tagged\naliases: !!set {a, b}\n", 2, id="set-tag"),
    pytest.param("title: ! 123\n", 1, id="non-specific-tag"),
]


@pytest.mark.parametrize(("yaml_text", "line"), BOMBS)
@pytest.mark.parametrize("where", ["front-matter", "_group.yml", "heading"])
def test_anchors_references_merges_and_tags_are_refused_before_anything_is_built(
    tmp_path: Path, yaml_text: str, line: int, where: str
) -> None:
    if where == "front-matter":
        files: dict[str, str | bytes] = {"bad.md": f"---\n{yaml_text}---\n\nBody.\n"}
        name, line = "bad.md", line + 1
    elif where == "_group.yml":
        text = yaml_text.replace("title", "name")
        files = {"g/_group.yml": text, "g/a.md": article("A")}
        name = "_group.yml"
    else:
        files = {"02-more.heading.yml": yaml_text}
        name = "02-more.heading.yml"
    problems: list[Problem] = []
    timed(lambda: problems.extend(load(tmp_path / "t", files)), seconds=2)
    peak_memory(lambda: load(tmp_path / "m", files), megabytes=5)
    problem = only(problems)
    assert (problem.path.name, problem.line) == (name, line), problem
    assert problem.message.startswith("invalid YAML: "), problem.message
    assert "not allowed here" in problem.message, problem.message


def test_the_preview_shows_a_yaml_bomb_as_an_error_and_recovers(tmp_path: Path) -> None:
    content = write_tree(tmp_path, {**GOOD, "a.md": article("A")})
    live = LiveSite(load_settings(tmp_path))
    live.rebuild()
    path = content / "a.md"
    path.write_text(f"---\n{billion_laughs()}---\n\nBody.\n")
    started = time.monotonic()
    broken = live.rebuild({path})
    assert time.monotonic() - started < 2
    assert [p.format(relative_to=content)[:40] for p in broken.errors] == [
        "a.md:2: invalid YAML: the value of 'a' s"
    ]
    path.write_text(article("Fixed", "Fixed."))
    fixed = live.rebuild({path})
    assert fixed.errors == [] and "/article/a/" in fixed.changed


@pytest.mark.parametrize(
    ("value", "line", "fragment"),
    [
        pytest.param("[" * 10_000, 3, "nested more than 10 levels deep", id="flow-lists-10000"),
        pytest.param("{a: " * 5_000, 3, "nested more than 10 levels deep", id="flow-maps-5000"),
        pytest.param(
            "\n" + "".join("  " * i + "-\n" for i in range(1, 200)),
            13,  # where the tenth level opens
            "nested more than 10 levels deep",
            id="block-lists-200",
        ),
        pytest.param("9" * 5000, 3, "a number over 100 characters", id="decimal-5000-digits"),
        pytest.param("0b" + "1" * 20_000, 3, "a number over 100", id="binary-20000-digits"),
        pytest.param("0x" + "f" * 5000, 3, "a number over 100", id="hex-5000-digits"),
        pytest.param("1:" * 2000 + "1", 3, "a number over 100", id="sexagesimal-2000-places"),
        pytest.param("2024-13-45", 3, "as a date or number, but cannot make one", id="month-13"),
        pytest.param("2023-02-29", 3, "as a date or number, but cannot make one", id="feb-29"),
        pytest.param("2024-01-01 25:00:00", 3, "cannot make one", id="hour-25"),
    ],
)
def test_what_yaml_cannot_build_cheaply_is_a_problem_not_a_crash(
    tmp_path: Path, value: str, line: int, fragment: str
) -> None:
    problems: list[Problem] = []
    files: dict[str, str | bytes] = {"bad.md": f"---\ntitle: T\norder: {value}\n---\n\nB.\n"}
    timed(lambda: problems.extend(load(tmp_path, files)), seconds=3)
    problem = only(problems)
    assert problem.line == line, problem
    assert fragment in problem.message, problem.message
    assert len(problem.format()) < LONGEST_LINE


def test_values_nested_ten_deep_still_load_as_values(tmp_path: Path) -> None:
    # Nine lists inside the mapping: the deepest allowed, then one more.
    fine = load(
        tmp_path / "a", {"a.md": "---\ntitle: T\nextra: " + "[" * 9 + "]" * 9 + "\n---\n\nB.\n"}
    )
    assert [p.message for p in fine] == [
        "unknown key 'extra' (known keys: title, slug, "
        "description, icon, status, order, id, aliases)"
    ]
    deep = load(
        tmp_path / "b", {"a.md": "---\ntitle: T\nextra: " + "[" * 10 + "]" * 10 + "\n---\n\nB.\n"}
    )
    assert "nested more than 10 levels deep" in only(deep).message


# --- 5. Every value a message quotes is bounded and escaped ------------------------------

HUGE = 50_000  # front-matter over 64 KB is refused before YAML reads it (tested below)
HOSTILE_VALUES = [
    pytest.param(f'order: "{"x" * HUGE}"\n', "must be a whole number", id="huge-wrong-type"),
    pytest.param(f'status: "{"y" * HUGE}"\n', "'status' must be", id="huge-status"),
    pytest.param(f'slug: "{"Z" * HUGE}"\n', "invalid slug", id="huge-invalid-slug"),
    pytest.param(f"slug: {'z' * HUGE}\n", "keep it under 200", id="huge-valid-slug"),
    pytest.param(f'aliases: ["{"Q" * HUGE}"]\n', "invalid slug", id="huge-alias"),
    pytest.param(f"aliases: [[{'1, ' * 10_000}1]]\n", "invalid slug", id="huge-list-alias"),
    pytest.param(f"title: [{'1, ' * 20_000}1]\n", "must be text", id="huge-list-title"),
    pytest.param(f"title: {{a: 1, b: [{'2, ' * 20_000}2]}}\n", "must be text", id="huge-map"),
    pytest.param(f"{'k' * 1000}: 1\n", "unknown key", id="huge-key"),
    pytest.param(f"? {'k' * HUGE}\n: 1\n", "unknown key", id="huge-explicit-key"),
    pytest.param(f"description: Step: {'w' * HUGE}\n", "contains ': '", id="huge-colon-advice"),
    pytest.param(f"title: [{'v' * HUGE}\n", "never closed", id="huge-unclosed-bracket"),
    pytest.param(f'title: "{"q" * HUGE}\\z"\n', "backslash", id="huge-bad-escape"),
    pytest.param(f"title: *{'r' * 1000}\n", "not allowed here", id="huge-alias-name"),
    pytest.param(f"title: {'t' * HUGE}\n", "keep it under 1000", id="huge-title"),
    pytest.param(f"title: {'t' * 900_000}\n", "over the 64 KB limit", id="front-matter-900-kb"),
    pytest.param('slug: "a\\x1b[2J\\x1b[31mb"\n', "invalid slug", id="escape-in-slug"),
    pytest.param('status: "\\u202epublished"\n', "'status' must be", id="bidi-in-status"),
    pytest.param('"ti\\ntle": x\n', "unknown key", id="newline-in-key"),
]


@pytest.mark.parametrize(("front_matter", "fragment"), HOSTILE_VALUES)
def test_messages_quote_a_bounded_escaped_part_of_any_value(
    tmp_path: Path, front_matter: str, fragment: str
) -> None:
    text = f"---\n{front_matter}---\n\nBody.\n"
    if not front_matter.startswith("title"):
        text = f"---\ntitle: T\n{front_matter}---\n\nBody.\n"
    problems: list[Problem] = []
    timed(lambda: problems.extend(load(tmp_path, {"bad.md": text})), seconds=3)
    assert problems, "the value should have been refused"
    assert any(fragment in p.message for p in problems), problems
    for line in formatted(tmp_path, problems):
        assert len(line) < LONGEST_LINE, line[:500]
        assert escaped(line) == line, line  # nothing that breaks a line or a terminal
        line.encode("utf-8")


def test_shown_cuts_with_an_ellipsis_and_escapes() -> None:
    assert shown("x" * 100) == "x" * 80 + "…"
    assert shown("short") == "short"
    assert shown("a\nb\tc\rd") == "a\\nb\\tc\\rd"
    assert shown("\x1b[31mred\x00") == "\\x1b[31mred\\x00"
    assert shown("abc\u202edef\u2028\u200b") == "abc\\u202edef\\u2028\\u200b"
    assert shown("caf\udce9.md") == "caf\\xe9.md"  # a byte of a name that is not UTF-8
    assert shown("👨\u200d👩\u200d👧 café\u00a0ok") == "👨\u200d👩\u200d👧 café\u00a0ok"
    assert shown(["a", 1]) == "['a', 1]"


def test_a_problem_prints_on_one_line_whatever_its_path_and_message_hold() -> None:
    problem = Problem(Path("/c/caf\udce9\n::error::x.md"), 3, "bad \x1b[31m\u202e\r\nvalue")
    line = problem.format(relative_to=Path("/c"))
    assert line == "caf\\xe9\\n::error::x.md:3: bad \\x1b[31m\\u202e\\r\\nvalue"
    line.encode("utf-8")
    long = Problem(Path("a.md"), 1, "m" * 5000).format()
    assert len(long) < 1100 and long.endswith("…")


# --- 8 and 20. Names: not UTF-8, or not printable -------------------------------------------


def write_raw(root: Path, name: bytes, data: bytes) -> None:
    """Writes a file whose path (relative to root/content) is given as bytes."""
    path = os.path.join(os.fsencode(root / "content"), name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as file:
        file.write(data)


LATIN_1 = [
    # (path as bytes, path as shown, what the message calls it)
    pytest.param(b"caf\xe9.md", "caf\\xe9.md", "file", id="article-with-slug"),
    pytest.param(b"men\xfc.md", "men\\xfc.md", "file", id="article-without-slug"),
    pytest.param(b"Men\xfc/a.md", "Men\\xfc", "folder", id="folder"),
    pytest.param(b"g/02-\xdcber.heading.yml", "g/02-\\xdcber.heading.yml", "file", id="heading"),
    pytest.param(b"img/caf\xe9.png", "img/caf\\xe9.png", "file", id="image"),
    pytest.param(b"\xff\xfe.md", "\\xff\\xfe.md", "file", id="not-even-latin-1-letters"),
]


@pytest.mark.parametrize(("raw", "shown_as", "kind"), LATIN_1)
def test_names_that_are_not_utf8_are_errors(
    tmp_path: Path, raw: bytes, shown_as: str, kind: str
) -> None:
    data = b"---\ntitle: Caf\xc3\xa9\nslug: cafe\n---\n\nText.\n"
    if raw.endswith(b"heading.yml"):
        data = b"title: About\n"
    elif raw.endswith(b".png"):
        data = PNG
    elif b"men" in raw.lower():
        data = b"# Menu\n\nText.\n"
    write_raw(tmp_path, raw, data)
    write_tree(tmp_path, {**GOOD, "g/a.md": article("A"), "img/ok.png": PNG})
    _, problems = load_content(tmp_path / "content")
    lines = formatted(tmp_path, problems)
    assert lines == [
        f"{shown_as}:1: {kind} name is not valid UTF-8 (old archives often have "
        "Latin-1 names): rename it" + ("; nothing in it was read" if kind == "folder" else "")
    ]


def test_an_image_named_in_latin_1_is_named_however_it_is_referenced(tmp_path: Path) -> None:
    write_raw(tmp_path, b"img/caf\xe9.png", PNG)
    body = "![a](img/caf%E9.png) ![b](img/café.png)"
    content = write_tree(tmp_path, {**GOOD, "a.md": article("A", body)})
    result = compile_project(load_settings(content.parent), use_cache=False, workers=1)
    lines = formatted(tmp_path, result.errors)
    assert "img/caf\\xe9.png:1: file name is not valid UTF-8" in "\n".join(lines), lines
    assert len([line for line in lines if line.startswith("a.md:5: image ")]) == 2, lines


def test_every_command_names_a_file_name_that_is_not_utf8(
    tmp_path: Path, emulator: Emulator
) -> None:
    write_tree(tmp_path, {**GOOD, "g/a.md": article("A")})
    write_raw(tmp_path, b"caf\xe9.md", b"---\ntitle: Cafe\nslug: cafe\n---\n\nText.\n")
    write_raw(tmp_path, b"Men\xfc/b.md", b"# B\n\nText.\n")
    write_raw(tmp_path, b"g/02-\xdcber.heading.yml", b"title: About\n")
    env = {
        "PLAIN_API_KEY": emulator.api_key,
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": emulator.help_center_id,
    }
    for command in (["check"], ["build", "--out", "site"], ["plan"], ["publish", "--yes"]):
        code, output = run_cli([*command, "."], tmp_path, env)
        assert code == 1, output
        assert "content/caf\\xe9.md:1: file name is not valid UTF-8" in output, output
        assert "content/Men\\xfc:1: folder name is not valid UTF-8" in output, output
        assert "content/g/02-\\xdcber.heading.yml:1: file name is not valid UTF-8" in output
    assert not (tmp_path / "site").exists()
    with PlainClient(emulator.url, emulator.api_key) as client:
        remote = read_remote(client, emulator.help_center_id)
    assert remote.articles == [] and remote.groups == []


UNPRINTABLE_NAMES = [
    pytest.param("a\x1b[31mred.md", "a\\x1b[31mred.md", "a control character (U+001B)", id="esc"),
    pytest.param("two\nlines.md", "two\\nlines.md", "a line break (U+000A)", id="newline"),
    pytest.param("cr\r.md", "cr\\r.md", "a line break (U+000D)", id="carriage-return"),
    pytest.param("tab\there.md", "tab\\there.md", "a tab", id="tab"),
    pytest.param("x\u202egnp.md", "x\\u202egnp.md", "a bidirectional override", id="bidi"),
    pytest.param("zero\u200bwidth.md", "zero\\u200bwidth.md", "an invisible character", id="zw"),
    pytest.param("sep\u2028.md", "sep\\u2028.md", "a line break (U+2028)", id="line-separator"),
    pytest.param("nel\x85.md", "nel\\x85.md", "a line break (U+0085)", id="next-line"),
]


@pytest.mark.parametrize(("name", "shown_as", "kind"), UNPRINTABLE_NAMES)
def test_names_that_cannot_be_printed_are_errors(
    tmp_path: Path, name: str, shown_as: str, kind: str
) -> None:
    problems = load(tmp_path, {name: article("Named", slug="named")})
    line = only(formatted(tmp_path, problems))
    assert line.startswith(f"{shown_as}:1: file name contains {kind}"), line
    assert line.endswith(": rename it"), line
    folder = load(tmp_path / "f", {name.removesuffix(".md") + "/a.md": article("A")})
    line = only(formatted(tmp_path / "f", folder))
    assert line.startswith(f"{shown_as.removesuffix('.md')}:1: folder name contains {kind}")
    assert line.endswith(": rename it; nothing in it was read"), line


def test_names_in_any_script_with_joiners_and_marks_are_fine(tmp_path: Path) -> None:
    problems = load(
        tmp_path,
        {
            "Café menü.md": article("Café"),
            "日本語.md": article("Japanese"),
            "می\u200cخواهم.md": article("Persian", slug="persian"),
            "👨\u200d👩\u200d👧 family.md": article("Family"),
            "עברית\u200f.md": article("Hebrew", slug="hebrew"),
            "Ünïcödé/_group.yml": "name: Ünïcödé\n",
            "Ünïcödé/a.md": article("A"),
        },
    )
    assert problems == []


# --- 14. Settings files: inside the content, small, regular ------------------------------

SECRET = "secret-from-outside-4f2a"


@pytest.mark.parametrize("settings", ["g/_group.yml", "02-more.heading.yml"])
@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param("outside", "symlink points outside the content root", id="outside-yaml"),
        pytest.param("/etc/passwd", "symlink points outside the content root", id="etc-passwd"),
        pytest.param("missing.yml", "symlink is broken or loops", id="broken"),
        pytest.param("self", "symlink is broken or loops", id="loop"),
    ],
)
def test_a_settings_file_is_never_read_through_a_link_that_leaves_the_content(
    tmp_path: Path, settings: str, target: str, message: str
) -> None:
    content = write_tree(tmp_path, {**GOOD, "g/a.md": article("A")})
    outside = tmp_path / "outside.yml"
    # Broken YAML, so that reading it would quote the line in an error.
    outside.write_text(f"name: [{SECRET}\ntitle: [{SECRET}\n")
    link = content / settings
    link.parent.mkdir(parents=True, exist_ok=True)
    destination = {"outside": str(outside), "self": link.name}.get(target, target)
    link.symlink_to(destination)
    code, output = run_cli(["check", "."], tmp_path)
    assert code == 1, output
    assert f"content/{settings}:1: {message}" in output, output
    assert SECRET not in output and "root:" not in output, output
    assert output.count("content/") == 1, output  # one error, not one per reader


def test_a_settings_file_linked_inside_the_content_is_read(tmp_path: Path) -> None:
    content = write_tree(
        tmp_path, {**GOOD, "g/a.md": article("A"), "shared/group.yml": "name: Shared\n"}
    )
    (content / "g/_group.yml").symlink_to("../shared/group.yml")
    loaded, problems = load_content(content)
    assert problems == []
    assert loaded.groups["g"].name == "Shared"


@pytest.mark.parametrize("name", ["g/_group.yml", "g/02-pipe.heading.yml", "g/pipe.md"])
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path, name: str) -> None:
    content = write_tree(tmp_path, {**GOOD, "g/a.md": article("A")})
    os.mkfifo(content / name)
    started = time.monotonic()
    code, output = run_cli(["check", "."], tmp_path)  # a blocked read would time out
    assert time.monotonic() - started < 30
    assert code == 1, output
    assert f"content/{name}:1: this is not a regular file (a named pipe or a device)" in output


def test_a_pipe_reached_through_a_symlink_is_refused(tmp_path: Path) -> None:
    content = write_tree(tmp_path, {**GOOD, "g/a.md": article("A")})
    os.mkfifo(content / "pipe")
    (content / "g/_group.yml").symlink_to("../pipe")
    problem = only(load_content(content)[1])
    assert problem.path.name == "_group.yml" and "not a regular file" in problem.message


@pytest.mark.parametrize(
    ("folder", "message"),
    [
        ("g/_group.yml", "this is a folder, where a file belongs: rename it"),
        ("g/02-x.heading.yml", "a folder named like a heading file: rename it"),
    ],
)
def test_a_folder_named_like_a_settings_file_is_an_error(
    tmp_path: Path, folder: str, message: str
) -> None:
    problems = load(tmp_path, {"g/a.md": article("A"), f"{folder}/b.md": article("B")})
    assert formatted(tmp_path, problems) == [f"{folder}:1: {message}"]


@pytest.mark.parametrize("name", ["g/_group.yml", "02-big.heading.yml"])
def test_a_huge_settings_file_is_refused_before_it_is_read(tmp_path: Path, name: str) -> None:
    content = write_tree(tmp_path, {**GOOD, "g/a.md": article("A")})
    # 10 GB, sparse: reading it would take minutes and all the memory there is.
    with open(content / name, "wb") as file:
        file.write(b"name: Big\n")
        file.truncate(10_000_000_000)
    problems: list[Problem] = []
    timed(lambda: problems.extend(load_content(content)[1]), seconds=2)
    peak_memory(lambda: load_content(content), megabytes=5)
    problem = only(problems)
    assert problem.message.startswith(
        f"{Path(name).name} is 10000.0 MB, over the 64 KB limit for a settings file"
    ), problem.message


def test_the_settings_size_limit_is_exact(tmp_path: Path) -> None:
    padding = "# padding line\n"
    text = "name: Padded\n"
    text += padding * ((MAX_SETTINGS_BYTES - len(text)) // len(padding))
    text += "#" * (MAX_SETTINGS_BYTES - len(text) - 1) + "\n"
    assert len(text.encode()) == MAX_SETTINGS_BYTES
    assert load(tmp_path / "at", {"g/_group.yml": text, "g/a.md": article("A")}) == []
    over = load(tmp_path / "over", {"g/_group.yml": text + "\n", "g/a.md": article("A")})
    assert "64 KB limit" in only(over).message


def test_front_matter_over_64_kb_is_refused_before_yaml_reads_it(tmp_path: Path) -> None:
    def with_description(size: int) -> str:
        # The front-matter's text runs from the end of the opening `---` to the closing one.
        front = "\ntitle: Padded\ndescription: "
        return f"---{front}{'d' * (size - len(front) - 1)}\n---\n\nBody.\n"

    at_limit = only(load(tmp_path / "at", {"a.md": with_description(MAX_SETTINGS_BYTES)}))
    assert at_limit.message.startswith("'description' is "), at_limit  # read, and too long
    over = only(load(tmp_path / "over", {"a.md": with_description(MAX_SETTINGS_BYTES + 1)}))
    assert (over.line, over.message) == (
        1,
        "front-matter is 64 KB, over the 64 KB limit: it holds a few `key: value` lines; move "
        "long text into the article",
    )


# --- 15. Depth and length -------------------------------------------------------------------


def nested(depth: int, prefix: str = "d") -> str:
    return "/".join(f"{prefix}{i}" for i in range(1, depth + 1))


@pytest.mark.parametrize("depth", [21, 25, 500])
def test_folders_nested_too_deep_are_named_at_the_first_level_too_deep(
    tmp_path: Path, depth: int
) -> None:
    problems: list[Problem] = []
    files: dict[str, str | bytes] = {f"{nested(depth)}/deep.md": article("Deep")}
    timed(lambda: problems.extend(load(tmp_path, files)), seconds=5)
    assert formatted(tmp_path, problems) == [
        f"{nested(MAX_FOLDER_DEPTH + 1)}:1: folders nest 21 deep here, and groups nest at most "
        "20 deep: move this folder higher up (nothing in it was read)"
    ]


def test_groups_twenty_deep_build_and_plan(tmp_path: Path, emulator: Emulator) -> None:
    content = write_tree(tmp_path, {**GOOD, f"{nested(MAX_FOLDER_DEPTH)}/deep.md": article("Deep")})
    result = compile_project(load_settings(content.parent), use_cache=False, workers=1)
    assert result.errors == []
    assert len(result.site.content.groups) == MAX_FOLDER_DEPTH
    with PlainClient(emulator.url, emulator.api_key) as client:
        plan, _ = read_and_plan(client, result.site, emulator.help_center_id)
    assert len(plan.groups) == MAX_FOLDER_DEPTH


def test_walking_the_model_needs_no_recursion() -> None:
    content = HelpCenterContent(root=Path("/c"))
    parent: Group | None = None
    for number in range(5000):  # five times Python's recursion limit
        group = Group(path=Path(f"/c/{number}"), rel_path=str(number), slug=f"g{number}", name="G")
        if parent is None:
            content.top.append(group)
        else:
            parent.children.append(group)
        parent = group
    assert len(content.walk()) == 5000


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        pytest.param(
            {"a.md": article("A", slug="s" * (MAX_SLUG_CHARS + 1))},
            "'slug' is 201 characters; keep it under 200",
            id="front-matter-201",
        ),
        pytest.param(
            {"a.md": article("A", slug="-".join(["word"] * 60))},
            "'slug' is 299 characters",
            id="front-matter-299-words",
        ),
        pytest.param(
            {"a.md": article("A", aliases=f"[{'o' * 300}]")},
            "'aliases' is 300 characters",
            id="alias-300",
        ),
        pytest.param(
            {"g/_group.yml": f"slug: {'g' * 300}\n", "g/a.md": article("A")},
            "'slug' is 300 characters",
            id="group-yml-300",
        ),
        pytest.param(
            {"d" * 252 + ".md": article("Long")},
            "makes a slug of 252 characters, over the 200 a URL should have: set a shorter "
            "`slug:` in its front-matter",
            id="file-name-255-bytes",
        ),
        pytest.param(
            {"日" * 84 + ".md": article("Long")},
            "makes a slug of 251 characters",
            id="file-name-84-cjk-255-bytes",
        ),
        pytest.param(
            {"f" * 255 + "/a.md": article("A")},
            "makes a slug of 255 characters, over the 200 a URL should have: set a shorter "
            "`slug:` in _group.yml",
            id="folder-name-255-bytes",
        ),
        pytest.param(
            {"01-" + "h" * 240 + ".heading.yml": ""},
            "too long to name the heading by (240 characters as a slug, over 200)",
            id="heading-file-name",
        ),
    ],
)
def test_slugs_over_200_characters_are_errors(
    tmp_path: Path, files: dict[str, str | bytes], fragment: str
) -> None:
    problem = only(load(tmp_path, files))
    assert fragment in problem.message, problem.message
    assert len(problem.message) < LONGEST_LINE


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"a.md": article("A", slug="s" * MAX_SLUG_CHARS)}, id="slug-200"),
        pytest.param({"d" * 252 + ".md": article("Long", slug="short")}, id="long-name-with-slug"),
        pytest.param({"é" * 126 + ".md": article("Accents")}, id="126-two-byte-letters"),
        pytest.param({"d" * 200 + ".md": article("Long")}, id="file-name-200"),
        pytest.param(
            {"f" * 250 + "/_group.yml": "slug: short\n", "f" * 250 + "/a.md": article("A")},
            id="long-folder-with-slug",
        ),
    ],
)
def test_names_up_to_the_limits_are_fine(tmp_path: Path, files: dict[str, str | bytes]) -> None:
    assert load(tmp_path, files) == []


def _pull(emulator: Emulator, project: Path) -> list[str]:
    with PlainClient(emulator.url, emulator.api_key) as client:
        result = pull_help_center(client, emulator.help_center_id, project / "content")
    return result.warnings


def test_pull_names_files_within_file_system_limits_and_keeps_long_slugs(
    tmp_path: Path, emulator: Emulator
) -> None:
    long_slug = "-".join(["words"] * 50)  # 299 characters: over what `check` accepts
    fits = "y" * 150 + "-" + "z" * 39  # 190 characters: a valid slug, longer than a file stem
    group = emulator.create_group("Long group", slug="g" * 190)
    emulator.upsert_article(title="Too long", slug=long_slug, contentHtml="<p>a</p>")
    emulator.upsert_article(
        title="Fits", slug=fits, contentHtml="<p>b</p>", helpCenterArticleGroupId=group["id"]
    )
    emulator.upsert_article(title="Twin", slug="y" * 150 + "-twin", contentHtml="<p>c</p>")
    project = tmp_path / "project"
    warnings = _pull(emulator, project)
    content = project / "content"

    files = sorted(p for p in content.rglob("*") if p.is_file())
    for path in files:
        for part in path.relative_to(content).parts:
            if part == "_group.yml":
                continue
            stem = part.split("-", 1)[1]  # after the numeric prefix
            assert len(stem.removesuffix(".md")) <= MAX_STEM_CHARS, part
    metas = {
        p.relative_to(content).as_posix(): yaml.safe_load(p.read_text().split("---\n")[1])
        for p in files
        if p.suffix == ".md"
    }
    assert sorted(meta["slug"] for meta in metas.values()) == sorted(
        [long_slug, fits, "y" * 150 + "-twin"]
    )
    group_file = next(content.glob("*/_group.yml"))
    assert yaml.safe_load(group_file.read_text())["slug"] == "g" * 190
    assert any("is not one `publisher check` accepts" in w and "words-words" in w for w in warnings)

    problems = load_content(content)[1]
    assert [p.message for p in problems] == [
        f"slug '{long_slug[:40]}…' from 'slug' is 299 characters; keep it under 200, as it is "
        "part of the URL"
    ]


# --- 20. Text shown to readers is one printable line ---------------------------------------

BAD_CHARACTERS = [
    pytest.param("\\n", "a line break (U+000A)", id="newline"),
    pytest.param("\\r", "a line break (U+000D)", id="carriage-return"),
    pytest.param("\\t", "a tab", id="tab"),
    pytest.param("\\L", "a line break (U+2028)", id="line-separator"),
    pytest.param("\\P", "a line break (U+2029)", id="paragraph-separator"),
    pytest.param("\\N", "a line break (U+0085)", id="next-line"),
    pytest.param("\\v", "a line break (U+000B)", id="vertical-tab"),
    pytest.param("\\0", "a control character (U+0000)", id="nul"),
    pytest.param("\\e[31m", "a control character (U+001B)", id="terminal-escape"),
    pytest.param("\\x7f", "a control character (U+007F)", id="delete"),
    pytest.param("\\x9b", "a control character (U+009B)", id="c1-csi"),
    pytest.param("\\u202e", "a bidirectional override (U+202E)", id="rtl-override"),
    pytest.param("\\u2067", "a bidirectional override (U+2067)", id="rtl-isolate"),
    pytest.param("\\u200b", "an invisible character (U+200B)", id="zero-width-space"),
    pytest.param("\\ufeff", "an invisible character (U+FEFF)", id="zero-width-no-break"),
    pytest.param("\\ud800", "a character that is not valid Unicode (U+D800)", id="surrogate"),
]

# (settings file, key, line of the key, the other lines the file needs)
TEXT_FIELDS = [
    pytest.param("a.md", "title", 2, "", id="article-title"),
    pytest.param("a.md", "description", 3, "title: A\n", id="article-description"),
    pytest.param("a.md", "icon", 3, "title: A\n", id="article-icon"),
    pytest.param("a.md", "id", 3, "title: A\n", id="article-id"),
    pytest.param("g/_group.yml", "name", 1, "", id="group-name"),
    pytest.param("g/_group.yml", "id", 2, "name: G\n", id="group-id"),
    pytest.param("02-x.heading.yml", "title", 1, "", id="heading-title"),
    pytest.param("02-x.heading.yml", "id", 2, "title: X\n", id="heading-id"),
]


def settings_files(name: str, yaml_text: str) -> dict[str, str | bytes]:
    if name.endswith(".md"):
        return {name: f"---\n{yaml_text}---\n\nBody.\n"}
    files: dict[str, str | bytes] = {name: yaml_text}
    if name.startswith("g/"):
        files["g/a.md"] = article("A")
    return files


@pytest.mark.parametrize(("name", "key", "line", "before"), TEXT_FIELDS)
@pytest.mark.parametrize(("escape", "kind"), BAD_CHARACTERS)
def test_text_with_line_breaks_controls_or_hidden_characters_is_refused(
    tmp_path: Path, name: str, key: str, line: int, before: str, escape: str, kind: str
) -> None:
    yaml_text = f'{before}{key}: "Billing {escape}Approved"\n'
    problem = only(load(tmp_path, settings_files(name, yaml_text)))
    assert (problem.path.name, problem.line) == (Path(name).name, line), problem
    assert problem.message.startswith(f"'{key}' "), problem.message
    assert kind in problem.message, problem.message
    escaped(problem.format()).encode("utf-8")


@pytest.mark.parametrize(
    ("block", "ok"),
    [
        pytest.param("|\n  Billing\n  ```\n  **Approved by admin**\n", False, id="literal-block"),
        pytest.param("|-\n  one\n  two\n", False, id="literal-block-strip"),
        pytest.param(">\n  one\n\n  two\n", False, id="folded-with-blank-line"),
        pytest.param('"one\n\n  two"\n', False, id="quoted-with-blank-line"),
        pytest.param(">\n  Folded into\n  one line\n", True, id="folded-one-line"),
        pytest.param("|\n  One line\n", True, id="literal-one-line"),
        pytest.param("Plain text\n  running on\n", True, id="plain-multi-line"),
    ],
)
def test_titles_written_as_yaml_blocks_must_come_out_as_one_line(
    tmp_path: Path, block: str, ok: bool
) -> None:
    content, problems = load_content(
        write_tree(tmp_path, {"a.md": f"---\ntitle: {block}---\n\nBody.\n"})
    )
    if ok:
        assert problems == []
        assert "\n" not in content.articles["a"].title
    else:
        problem = only(problems)
        assert problem.line == 2
        assert "'title' must be one line of text, but contains a line break" in problem.message


def test_a_folded_description_loses_the_line_break_yaml_adds(tmp_path: Path) -> None:
    content, problems = load_content(
        write_tree(
            tmp_path, {"a.md": "---\ntitle: A\ndescription: >\n  A long\n  summary\n---\n\nB.\n"}
        )
    )
    assert problems == []
    assert content.articles["a"].description == "A long summary"


@pytest.mark.parametrize(
    "title",
    [
        pytest.param("Family 👨\u200d👩\u200d👧 plans", id="emoji-joiner"),
        pytest.param("می\u200cخواهم", id="persian-non-joiner"),
        pytest.param("שלום\u200f world", id="right-to-left-mark"),
        pytest.param("Price\u00a0list", id="no-break-space"),
        pytest.param("Hyphen\u00adation", id="soft-hyphen"),
        pytest.param(
            "Flag 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", id="flag-tags"
        ),
        pytest.param("مرحبا بالعالم", id="arabic"),
        pytest.param("日本語のタイトル", id="japanese"),
        pytest.param("x" * 1000, id="1000-characters"),
    ],
)
def test_text_in_any_script_is_fine(tmp_path: Path, title: str) -> None:
    content, problems = load_content(
        write_tree(
            tmp_path,
            {
                "a.md": f'---\ntitle: "{title}"\ndescription: "{title}"\n---\n\nBody.\n',
                "g/_group.yml": f'name: "{title}"\n',
                "g/b.md": article("B"),
            },
        )
    )
    assert problems == []
    assert content.articles["a"].title == title
    assert content.groups["g"].name == title


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("# Alert \x1b[31mred", "a control character (U+001B)"),
        ("# Split\u2028title", "a line break (U+2028)"),
        ("# Reversed \u202etxt.exe", "a bidirectional override (U+202E)"),
        ("# Nul\x0bhere", "a line break (U+000B)"),
    ],
)
def test_a_title_from_the_h1_is_checked_on_its_line(
    tmp_path: Path, heading: str, kind: str
) -> None:
    problem = only(load(tmp_path, {"a.md": f"---\nslug: a\n---\n\nIntro.\n\n{heading}\n\nText.\n"}))
    assert problem.line == 7, problem
    assert problem.message.startswith("title ") and kind in problem.message


def test_a_title_over_1000_characters_is_refused(tmp_path: Path) -> None:
    problem = only(load(tmp_path, {"a.md": article("t" * 1001)}))
    assert problem.message == "'title' is 1001 characters; keep it under 1000"


# --- Quadratic patterns on long lines ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("# a" + " " * 500_000 + "b\n\nText.\n", id="h1-with-a-run-of-spaces"),
        pytest.param("# a" + " #" * 250_000 + "b\n\nText.\n", id="h1-with-many-hashes"),
        pytest.param("---\ntitle: a" + " " * 500_000 + "b\n---\n\nText.\n", id="key-line"),
        pytest.param("---\na" + " " * 500_000 + "b\n---\n\nText.\n", id="line-without-colon"),
        # Under the 64 KB front-matter limit: a quoted title whose second line has no colon,
        # and a line whose second colon is a YAML mistake that the message explains.
        pytest.param(
            '---\ntitle: "x\na' + " " * 60_000 + 'b"\n---\n\nText.\n', id="quoted-continuation"
        ),
        pytest.param("---\nk" + " " * 60_000 + "x: y: z\n---\n\nText.\n", id="second-colon"),
        pytest.param('---\ntitle: x\n"a' + " " * 500_000 + "\n---\n\nText.\n", id="yaml-error"),
    ],
)
def test_long_lines_are_read_in_linear_time(tmp_path: Path, text: str) -> None:
    timed(lambda: load(tmp_path, {"a.md": text}), seconds=3)


def test_the_h1_still_loses_its_closing_hashes(tmp_path: Path) -> None:
    cases = {
        "a.md": "# Title ##\n\nx\n",
        "b.md": "#   Spaced   #  \n\nx\n",
        "c.md": "# C#\n\nx\n",
        "d.md": "# #\n\nx\n",
        "e.md": "# a # b\n\nx\n",
        "f.md": "  # Indented\t#\n\nx\n",
    }
    content, problems = load_content(write_tree(tmp_path, cases))
    assert problems == []
    assert {a.slug: a.title for a in content.articles.values()} == {
        "a": "Title",
        "b": "Spaced",
        "c": "C#",
        "d": "#",
        "e": "a # b",
        "f": "Indented",
    }
