"""YAML mistakes in front-matter, `_group.yml` and `*.heading.yml` are told in a writer's
words, at the line where the mistake is, with what to do; never as PyYAML's jargon."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from content_factory import article, write_tree

from publisher.content.loader import load_content
from publisher.content.model import Problem

# Phrases of PyYAML's that mean nothing to a writer.
JARGON = (
    "mapping values are not allowed",
    "found unexpected end of stream",
    "expected <block end>",
    "cannot start any token",
    "did not find expected",
    "while scanning",
    "while parsing",
    "could not find expected",
    "expected alphabetic or numeric",
    "<scalar>",
)

# (YAML text, line of the mistake within the YAML, fragments the message must hold)
CASES = [
    pytest.param(
        'title: "Billing\nslug: billing\n',
        1,
        ['quote " opened on this line is never closed'],
        id="unclosed-double-quote",
    ),
    pytest.param(
        "title: 'Billing\nslug: billing\n",
        1,
        ["quote ' opened on this line is never closed"],
        id="unclosed-single-quote",
    ),
    pytest.param(
        'slug: billing\ntitle: "Billing\ndescription: "How it works"\n',
        2,
        ['quote " opened on this line is never closed'],
        id="unclosed-quote-closed-by-a-later-line",
    ),
    pytest.param(
        "slug: billing\ntitle: Billing: how it works\n",
        2,
        ["contains ': '", 'put the title in quotes: title: "Billing: how it works"'],
        id="colon-in-title",
    ),
    pytest.param(
        'description: Step 1: open "Settings"\n',
        1,
        ["contains ': '", "description: 'Step 1: open \"Settings\"'"],
        id="colon-in-a-value-with-quotes",
    ),
    pytest.param("title: A\n\tslug: a\n", 2, ["indented with a tab", "spaces"], id="tab-indent"),
    pytest.param(
        "aliases:\n\t- old\n", 2, ["indented with a tab", "spaces"], id="tab-indent-list-item"
    ),
    pytest.param("title:\tA\n", 1, ["a tab where YAML allows only spaces"], id="tab-after-key"),
    pytest.param(
        "title: A\nslug: a\ntitle: B\n",
        3,
        ["'title' is set twice, on line {1} and line {3}"],
        id="duplicate-key",
    ),
    pytest.param(
        "title: A\n- old-slug\n", 2, ["a list item (`- …`)", "aliases:"], id="list-item-at-top"
    ),
    pytest.param("- old-slug\ntitle: A\n", 1, ["a list item (`- …`)"], id="list-item-before-keys"),
    pytest.param(
        "title: [oops\nslug: a\n",
        1,
        ["the `[` on this line is never closed", "`]`", 'title: "[oops"'],
        id="unclosed-bracket",
    ),
    pytest.param(
        "aliases: [old-a, old-b\nslug: a\n",
        1,
        ["the `[` on this line is never closed"],
        id="unclosed-bracket-list",
    ),
    pytest.param(
        "title: {oops\n",
        1,
        ["the `{` on this line is never closed", "`}`"],
        id="unclosed-brace",
    ),
    pytest.param(
        "title: [Draft] Billing\n",
        1,
        ["starts with `[`", 'put the title in quotes: title: "[Draft] Billing"'],
        id="value-starting-with-a-bracket",
    ),
    pytest.param(
        'title: "Billing" and plans\n',
        1,
        ["put the whole title in quotes", "title: '\"Billing\" and plans'"],
        id="text-after-a-closing-quote",
    ),
    pytest.param("title: @mentions\n", 1, ["starts with `@`", 'title: "@mentions"'], id="at-sign"),
    pytest.param(
        "title: `code` tips\n",
        1,
        ["starts with a backtick", 'title: "`code` tips"'],
        id="backtick",
    ),
    pytest.param(
        "title: *Bold* claims\n", 1, ["starts with `*`", 'title: "*Bold* claims"'], id="star"
    ),
    pytest.param("title: % off\n", 1, ["starts with `%`", 'title: "% off"'], id="percent"),
    pytest.param(
        'title: "C:\\Users"\n',
        1,
        ["backslash", "single quotes", "title: 'C:\\Users'"],
        id="backslash-escape-in-double-quotes",
    ),
    pytest.param(
        "title: A\n  slug: a\n",
        2,
        ["indented as if it continued the line above"],
        id="indented-key",
    ),
    pytest.param(
        "title Billing\nslug: a\n",
        1,
        ["not a `key: value` line", "add `:`"],
        id="missing-colon-before-a-key",
    ),
    pytest.param(
        "title: A\nslug a\n",
        2,
        ["not a `key: value` line", "add `:`"],
        id="missing-colon-at-the-end",
    ),
]


def assert_translated(
    problems: list[Problem], name: str, line: int, fragments: list[str], offset: int = 0
) -> None:
    """`{n}` in a fragment is line n of the YAML, as a line of the file (`offset` lines on)."""
    fragments = [re.sub(r"\{(\d+)\}", lambda m: str(int(m[1]) + offset), f) for f in fragments]
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.path.name == name
    assert problem.line == line, problem
    assert problem.message.startswith("invalid YAML: "), problem.message
    for fragment in fragments:
        assert fragment in problem.message, problem.message
    for phrase in JARGON:
        assert phrase not in problem.message, problem.message


@pytest.mark.parametrize(("yaml_text", "line", "fragments"), CASES)
def test_front_matter_mistakes_are_told_at_their_line(
    tmp_path: Path, yaml_text: str, line: int, fragments: list[str]
) -> None:
    root = write_tree(
        tmp_path, {"good.md": article("Good"), "bad.md": f"---\n{yaml_text}---\n\nBody.\n"}
    )
    _, problems = load_content(root)
    # The opening `---` is line 1 of the file, so the YAML's first line is line 2.
    assert_translated(problems, "bad.md", line + 1, fragments, offset=1)


@pytest.mark.parametrize(("yaml_text", "line", "fragments"), CASES)
def test_group_yml_mistakes_are_told_at_their_line(
    tmp_path: Path, yaml_text: str, line: int, fragments: list[str]
) -> None:
    text = yaml_text.replace("title", "name")
    fragments = [f.replace("title", "name") for f in fragments]
    root = write_tree(
        tmp_path, {"good.md": article("Good"), "g/_group.yml": text, "g/a.md": "# A\n\nx\n"}
    )
    _, problems = load_content(root)
    assert_translated(problems, "_group.yml", line, fragments)


@pytest.mark.parametrize(("yaml_text", "line", "fragments"), CASES)
def test_heading_file_mistakes_are_told_at_their_line(
    tmp_path: Path, yaml_text: str, line: int, fragments: list[str]
) -> None:
    text = (
        yaml_text.replace("slug", "order")
        .replace("order: billing", "order: 1")
        .replace("order: a", "order: 1")
    )
    root = write_tree(tmp_path, {"good.md": article("Good"), "02-more.heading.yml": text})
    _, problems = load_content(root)
    assert_translated(problems, "02-more.heading.yml", line, fragments)


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("_group.yml", "name: Billing\nslug: billing\nname: Plans\n", 3),
        ("_group.yml", "slug: billing\n'slug': money\n", 2),
    ],
)
def test_duplicate_keys_in_group_yml_name_both_lines(
    tmp_path: Path, name: str, text: str, line: int
) -> None:
    root = write_tree(tmp_path, {f"g/{name}": text, "g/a.md": article("A")})
    _, problems = load_content(root)
    assert len(problems) == 1, problems
    assert problems[0].line == line
    assert "is set twice, on line" in problems[0].message
    assert f"and line {line}" in problems[0].message


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("title: C# tips\n", "C# tips"),
        ("title: Billing:how it works\n", "Billing:how it works"),
        ("title: 'It''s here'\n", "It's here"),
        ('title: "Billing: how it works"\n', "Billing: how it works"),
        ('title: "A long title\n  on two lines"\n', "A long title on two lines"),
        ("title: Plans, prices and more\n", "Plans, prices and more"),
        ("title: Done]\n", "Done]"),
        ("title: A\naliases:\n- old-a\n- old-b\n", "A"),
    ],
)
def test_valid_yaml_that_looks_odd_still_loads(
    tmp_path: Path, yaml_text: str, expected: str
) -> None:
    root = write_tree(tmp_path, {"a.md": f"---\n{yaml_text}---\n\nBody.\n"})
    content, problems = load_content(root)
    assert problems == []
    assert content.articles["a"].title == expected


def test_a_key_repeated_in_different_mappings_is_not_a_duplicate(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"a.md": "---\ntitle: A\nslug: a\n---\n\nBody.\n"})
    _, problems = load_content(root)
    assert problems == []


def test_a_quote_closed_on_a_later_line_is_not_blamed_for_a_later_mistake(
    tmp_path: Path,
) -> None:
    # A quoted value may run over two lines; the mistake here is the colon on line 4.
    text = '---\ntitle: "A long\n  title"\ndescription: Step 1: open it\n---\n\nBody.\n'
    root = write_tree(tmp_path, {"bad.md": text})
    _, problems = load_content(root)
    assert_translated(
        problems, "bad.md", 4, ['put the description in quotes: description: "Step 1: open it"']
    )
