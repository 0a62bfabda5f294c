"""Heading anchors: unique in O(1) per heading, never empty, never a footnote's id or a
name page scripts may read (issue 13, items 6 and 23), and unchanged everywhere else."""

from __future__ import annotations

import random
import re

import pytest
from mdit_py_plugins.anchors.index import unique_slug

from publisher.render import markdown
from publisher.render.markdown import heading_slug, render_body
from publisher.render.sanitize import RESERVED_IDS


def anchors(text: str) -> list[str]:
    return render_body(text, "a.md").anchors


def ids_in(html: str) -> list[str]:
    return re.findall(r' id="([^"]*)"', html)


def test_identical_headings_cost_a_constant_number_of_steps_each(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """20,000 `## same` used to take minutes (each heading tried every suffix before it);
    counting the candidates tried shows the cost per heading is constant."""
    tried = 0
    real = markdown._unsafe_anchor

    def counting(anchor: str) -> bool:
        nonlocal tried
        tried += 1
        return real(anchor)

    monkeypatch.setattr(markdown, "_unsafe_anchor", counting)
    count = 20_000
    ids = anchors("## same\n\n" * count)
    assert ids[:4] == ["same", "same-1", "same-2", "same-3"]
    assert ids[-1] == f"same-{count - 1}"
    assert len(set(ids)) == count
    assert tried <= 3 * count  # the quadratic version tries ~count²/2 = 200,000,000


def test_ids_are_deterministic() -> None:
    text = "## same\n\n## Same\n\n## same 1\n\n## !!!\n\n## Config\n\n" * 50
    assert anchors(text) == anchors(text)
    assert render_body(text, "a.md").html == render_body(text, "b.md").html


@pytest.mark.parametrize(
    ("headings", "expected"),
    [
        (["same-1", "same", "same", "same"], ["same-1", "same", "same-2", "same-3"]),
        (["same", "same", "same-1"], ["same", "same-1", "same-1-1"]),
        (["same", "Same 1", "same", "same"], ["same", "same-1", "same-2", "same-3"]),
        (["a", "a-2", "a", "a", "a"], ["a", "a-2", "a-1", "a-3", "a-4"]),
    ],
)
def test_suffixes_skip_ids_already_taken(headings: list[str], expected: list[str]) -> None:
    assert anchors("".join(f"## {h}\n\n" for h in headings)) == expected


def test_ordinary_headings_keep_the_anchors_they_always_had() -> None:
    """The same ids as the previous scheme (mdit-py-plugins' unique_slug over the same
    slugs), so no link a writer made stops working."""
    words = ["Step 2: Invite your team", "Setup", "setup", "Setup 1", "FAQ", "a-1", "A", "a"]
    rng = random.Random(13)
    for _ in range(200):
        headings = [rng.choice(words) for _ in range(rng.randint(1, 12))]
        slugs: set[str] = set()
        before = [unique_slug(heading_slug(h), slugs) for h in headings]
        assert anchors("".join(f"## {h}\n\n" for h in headings)) == before
    assert anchors("## Step 2: Invite your team") == ["step-2-invite-your-team"]


@pytest.mark.parametrize(
    ("headings", "expected"),
    [
        (["!!!"], ["section"]),
        (["🎉🎉"], ["section"]),
        (["***"], ["section"]),
        (["!!!", "???", "Section"], ["section-1", "section-2", "section"]),
        (["`!`"], ["section"]),
    ],
)
def test_a_heading_with_nothing_to_make_an_anchor_from_gets_section(
    headings: list[str], expected: list[str]
) -> None:
    assert anchors("".join(f"## {h}\n\n" for h in headings)) == expected


def test_an_empty_heading_gets_an_anchor_too() -> None:
    html = render_body("##\n\nText\n\n# \n", "a.md").html
    assert ids_in(html) == ["section", "section-1"]


def test_headings_never_take_a_footnote_id() -> None:
    body = render_body(
        "## fn1\n\n## fnref1\n\nText[^1] and again[^1].\n\n## FN2\n\n[^1]: The note.\n",
        "a.md",
    )
    # Every fn<N> and fnref<N> is kept for footnotes, used yet or not: adding a footnote
    # later must not move a heading's anchor.
    assert body.anchors == ["fn1-1", "fnref1-1", "fn2-1"]
    ids = ids_in(body.html)
    assert len(ids) == len(set(ids)), ids
    assert {"fn1", "fnref1", "fnref1:1"} <= set(ids)
    assert body.issues == []


@pytest.mark.parametrize("name", ["config", "location", "document", "window", "env", "process"])
def test_headings_named_like_page_globals_get_a_suffix(name: str) -> None:
    assert name in RESERVED_IDS
    body = render_body(f"## {name.title()}\n\n## {name}\n\n## {name} settings\n", "a.md")
    assert body.anchors == [f"{name}-1", f"{name}-2", f"{name}-settings"]
    assert f'id="{name}"' not in body.html


def test_a_reserved_heading_does_not_move_the_others() -> None:
    assert anchors("## Config\n\n## Config 1\n\n## Setup\n") == ["config-2", "config-1", "setup"]


@pytest.mark.parametrize(
    ("html", "line", "fragment"),
    [
        ('<h2 id="config">Raw</h2>', 3, 'id="config" on <h2> is removed on publish'),
        ('<a id="Location">x</a>', 3, 'id="Location" on <a> is removed on publish'),
        ('<a id="fn1">x</a>', 3, 'HTML id "fn1" is used more than once'),
        ('<h2 id="intro">Raw</h2>', 3, 'HTML id "intro" is used more than once'),
    ],
)
def test_ids_written_in_raw_html_are_checked_too(html: str, line: int, fragment: str) -> None:
    body = render_body(f"## Intro\n\n{html}\n\nText[^1]\n\n[^1]: Note.\n", "a.md")
    assert [(i.line, i.message) for i in body.issues if fragment in i.message] != [], body.issues
    assert all(i.line == line for i in body.issues)
    assert 'id="config"' not in body.html and 'id="Location"' not in body.html
