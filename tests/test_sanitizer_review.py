"""`check` names everything the sanitiser removes from raw HTML, found by comparing what
goes in with what comes out element by element (issue 13, item 19), on the line of the
offending tag or link (item 23)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from bad_corpus import BAD_CASES, materialise

from publisher.render.html_review import MAX_FINDINGS, MAX_HTML_DEPTH
from publisher.render.markdown import _Collector, markdown_parser, render_body
from publisher.render.sanitize import MARKER, sanitize

JS = "unsafe HTML: javascript: URLs are removed"
HANDLER = "unsafe HTML: event handler attributes (on...=) are removed"

# (raw HTML, a fragment of the message `check` gives, text that must not be published)
REMOVED = [
    # javascript: however the scheme is spelled
    ('<a href="javascript:alert(1)">x</a>', JS, "alert"),
    ('<a href="&#106;avascript:alert(1)">x</a>', JS, "alert"),
    ('<a href="&#0000106avascript:alert(1)">x</a>', JS, "alert"),
    ('<a href="&#x6A;avascript:alert(1)">x</a>', JS, "alert"),
    ('<a href="&#X6a;AVASCRIPT:alert(1)">x</a>', JS, "alert"),
    ('<a href="java&Tab;script:alert(1)">x</a>', JS, "alert"),
    ('<a href="java&#10;script:alert(1)">x</a>', JS, "alert"),
    ('<a href="java\tscript:alert(1)">x</a>', JS, "alert"),
    ('<a href="&NewLine;javascript:alert(1)">x</a>', JS, "alert"),
    ('<a href=" \x01 javascript:alert(1)">x</a>', JS, "alert"),
    ('<a href="javascript&colon;alert(1)">x</a>', JS, "alert"),
    ("<a href=javascript:alert(1)>x</a>", JS, "alert"),
    ("<A HREF='JaVaScRiPt:alert(1)'>x</A>", JS, "alert"),
    ('<a href="vbscript:msgbox(1)">x</a>', "unsafe HTML: vbscript: URLs are removed", "msgbox"),
    (
        '<a href="data:text/html,<script>x</script>">x</a>',
        "unsafe HTML: data: URLs are removed",
        "data:",
    ),
    (
        '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
        "data: URLs are removed on publish (src= on <img>)",
        "data:",
    ),
    (
        '<img src="x.png" srcset="data:image/png;base64,AAAA 2x">',
        "data: URLs are removed on publish (srcset= on <img>)",
        "data:",
    ),
    (
        '<img src="x.png" srcset="https://x/y.png 2x">',
        "srcset= on <img> is removed on publish",
        "srcset",
    ),
    # elements
    ("<script>alert(1)</script>", "unsafe HTML: <script> is removed on publish", "alert"),
    ("<SCRIPT>alert(1)</SCRIPT>", "unsafe HTML: <script> is removed on publish", "alert"),
    (
        "<ScRiPt src=//evil.example/x.js></ScRiPt>",
        "unsafe HTML: <script> is removed on publish",
        "evil",
    ),
    (
        '<meta http-equiv="refresh" content="0;url=https://evil.example">',
        "unsafe HTML: <meta> is removed",
        "refresh",
    ),
    ('<base href="https://evil.example/">', "unsafe HTML: <base> is removed", "evil"),
    (
        '<link rel="stylesheet" href="https://evil.example/x.css">',
        "unsafe HTML: <link> is removed",
        "evil",
    ),
    (
        "<style>body { display: none }</style>",
        "unsafe HTML: <style> is removed on publish",
        "display",
    ),
    ("<svg><script>alert(1)</script></svg>", "unsafe HTML: <svg> is removed", "alert"),
    (
        '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
        "unsafe HTML: <svg> is removed",
        "javascript",
    ),
    ("<math><mi>x</mi></math>", "unsafe HTML: <math> is removed", "<math"),
    (
        '<form action="https://evil.example"><input name="q"></form>',
        "unsafe HTML: <form> is removed",
        "evil",
    ),
    (
        '<button formaction="https://evil.example">Go</button>',
        "unsafe HTML: <button> is removed",
        "evil",
    ),
    (
        '<input type="image" formaction="https://evil.example" src="x.png">',
        "unsafe HTML: <input> is removed",
        "evil",
    ),
    (
        '<object data="https://evil.example/x.swf"></object>',
        "unsafe HTML: <object> is removed",
        "evil",
    ),
    ('<embed src="https://evil.example/x.swf">', "unsafe HTML: <embed> is removed", "evil"),
    (
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        "unsafe HTML: <iframe> is removed",
        "alert",
    ),
    ('<input type="password" name="p">', "unsafe HTML: <input> is removed", "password"),
    (
        "<template><img src=x onerror=alert(1)></template>",
        "unsafe HTML: <template> is removed",
        "onerror",
    ),
    ("<font color=red>x</font>", "HTML not allowed: <font> is removed on publish", "<font"),
    ('<img src="x.png" name="cookie">', "name= on <img> is removed on publish", "cookie"),
    # attributes
    ("<img src=x onerror=alert(1)>", HANDLER, "onerror"),
    ('<img src="x.png" ONERROR="alert(1)">', HANDLER, "alert"),
    ('<p onclick="steal()">x</p>', HANDLER, "steal"),
    ('<details open ontoggle="alert(1)"><summary>s</summary></details>', HANDLER, "alert"),
    (
        '<a href="https://example.com" target="_blank">x</a>',
        "target= on <a> is removed on publish",
        "_blank",
    ),
    (
        '<div class="note fake-login">x</div>',
        'class "fake-login" on <div> is removed',
        "fake-login",
    ),
    (
        '<span style="margin-top:-80px">x</span>',
        "style 'margin-top: -80px' on <span> is removed",
        "margin",
    ),
    # hidden where a text search would not look, or would look wrongly
    (
        '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
        HANDLER,
        "onerror",
    ),
    ("<svg><style><img src=x onerror=alert(1)></style></svg>", HANDLER, "onerror"),
    (
        "<!-- <script>alert(1)</script> -->",
        "<script> is removed on publish, with everything inside it; remove it (inside an HTML comment)",
        "alert",
    ),
]

# Raw HTML that publishes as written: `check` must say nothing about it.
KEPT = [
    '<a href="https://example.com" title="t">x</a> <a href="mailto:a@example.com">m</a> <a href="#top">t</a>',
    '<a href="https://example.com/?a=1&copy=2">query with an ampersand</a>',
    "Press <kbd>Ctrl</kbd>+<kbd>C</kbd>, <sup>1</sup>, <sub>2</sub>, <mark>m</mark>, <br>",
    '<img src="https://example.com/a.png" alt="A" width="10" height="10">',
    "<details>\n<summary>More</summary>\n\nMarkdown **inside**.\n\n</details>",
    "<table>\n<tr><td>a</td></tr>\n\n<tr><td>b</td></tr>\n</table>",
    "<ul>\n<li>one\n<li>two\n</ul>",
    "<p>mis <b>nested <i>both</b> tags</i></p>",
    '<span style="color:red;font-weight:bold">x</span> <div style="text-align:center;margin:0 auto">c</div>',
    "<!-- a note for writers: <b>bold</b> and <font>old</font> -->",
    '<div class="admonition note">x</div>',
]


def issues(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    return [(i.line, i.message) for i in render_body(text, "a.md", first_line).issues]


def rendered_then_sanitised(text: str) -> str:
    """The old way: the whole rendered page through the sanitiser once."""
    md = markdown_parser()
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    _Collector("a.md", 1).walk(tokens, 1)
    return sanitize(md.renderer.render(tokens, md.options, env))


@pytest.mark.parametrize(("html", "fragment", "gone"), REMOVED, ids=lambda v: str(v)[:50])
def test_whatever_the_sanitiser_removes_is_named_on_its_line(
    html: str, fragment: str, gone: str
) -> None:
    text = f"Intro.\n\nSome text and\n{html}\n\nEnd.\n"
    found = issues(text, first_line=5)
    assert any(fragment in message for _, message in found), found
    assert {line for line, _ in found} == {8}, found
    published = render_body(text, "a.md", 5).html
    assert gone.lower() not in published.lower()
    assert published == rendered_then_sanitised(text)


@pytest.mark.parametrize("html", KEPT, ids=lambda v: v[:50])
def test_html_that_is_published_as_written_gives_no_finding(html: str) -> None:
    assert issues(f"Text.\n\n{html}\n") == []
    assert render_body(html, "a.md").html == rendered_then_sanitised(html)


def test_a_five_line_paragraph_names_the_line_of_each_link_image_and_tag() -> None:
    text = (
        "One\n"
        "two [a](missing-scheme:x)\n"
        "three [bad](javascript:alert(1))\n"
        'four <img src="x.png" onerror="alert(1)">\n'
        "five ![pic](data:image/png;base64,AAAA)\n"
    )
    found = issues(text, first_line=10)
    assert (
        11,
        "link 'missing-scheme:x': missing-scheme: URLs are not allowed; use one of http, https, mailto, tel",
    ) in found
    assert any(line == 12 and "javascript: URLs are not allowed" in m for line, m in found)
    assert any(line == 13 and HANDLER in m for line, m in found)
    assert any(line == 14 and "embedded as a data: URL" in m for line, m in found)
    assert len(found) == 4


def test_lines_inside_list_items_quotes_tables_headings_and_footnotes() -> None:
    text = (
        "- first item\n"  # 1
        "  second line ![x](data:image/png;base64,AA)\n"  # 2
        "- > quoted\n"  # 3
        "  > and <b onclick=x>here</b>\n"  # 4
        "\n"  # 5
        "| a | b |\n"  # 6
        "|---|---|\n"  # 7
        "| 1 | <i onmouseover=x>2</i> |\n"  # 8
        "\n"  # 9
        "## Title <u onclick=x>u</u>\n"  # 10
        "\n"  # 11
        "Text[^1]\n"  # 12
        "\n"  # 13
        "[^1]: A note\n"  # 14
        "    on two lines [j](javascript:x)\n"  # 15
        "\n"  # 16
        "Image alt\n"  # 17
        "![two\nlines](data:image/png;base64,AA) <b onclick=y>after</b>\n"  # 18-19
    )
    found = issues(text)
    assert sorted(line for line, _ in found) == [2, 4, 8, 10, 15, 18, 19], found


def test_an_html_block_names_the_line_of_the_tag_inside_it() -> None:
    text = (
        "<div>\n"  # 1
        "  <p>fine</p>\n"  # 2
        "  <p>also fine</p>\n"  # 3
        '  <img src="a.png"\n'  # 4
        '       onerror="alert(1)">\n'  # 5
        "  <script>\n"  # 6
        "  x()\n"  # 7
        "  </script>\n"  # 8
        "</div>\n"
    )
    assert issues(text) == [
        (4, f"{HANDLER}; remove onerror= on <img>"),
        (6, "unsafe HTML: <script> is removed on publish, with everything inside it; remove it"),
    ]


def test_the_marker_never_reaches_the_published_html() -> None:
    plain = '<p title="t">x</p> <b data-publisher-x="1">y</b>'
    assert MARKER not in render_body(plain, "a.md").html
    # Even an article that somehow spelled the marker (its name is new in every process)
    # gets the sanitiser's output: where a marker would be left over, the unmarked HTML is
    # sanitised again.
    text = f'<p {MARKER}="3" title="{MARKER}">x</p> <b data-publisher-x="1">y</b>'
    html = render_body(text, "a.md").html
    assert f'{MARKER}="' not in html
    assert html == rendered_then_sanitised(text) == f'<p title="{MARKER}">x</p> <b>y</b>'


def test_raw_html_nested_too_deeply_is_an_error_and_cheap() -> None:
    started = time.monotonic()
    body = render_body("Text.\n\n" + "<div>" * 100_000 + "x", "a.md")
    elapsed = time.monotonic() - started
    assert [(i.line, i.message[:39]) for i in body.issues] == [
        (3, f"HTML elements are nested more than {MAX_HTML_DEPTH} deep"[:39])
    ]
    assert "&lt;div&gt;" in body.html and "<div>" not in body.html
    assert sanitize(body.html) == body.html
    assert elapsed < 30  # the sanitiser alone takes minutes on this; generous for slow CI
    # Open <p> and <li> close themselves: many of them are no nesting.
    assert render_body("<p>x" * 5000, "a.md").issues == []


def test_findings_are_bounded_per_article() -> None:
    found = issues("<div " + " ".join(f"a{i}=x" for i in range(5000)) + ">x</div>")
    assert len(found) == MAX_FINDINGS + 1
    assert found[-1][1].startswith(f"and {5000 - MAX_FINDINGS} more changes")


@pytest.mark.parametrize("case", BAD_CASES, ids=lambda c: c.name)
def test_the_published_html_is_the_sanitisers_for_every_corpus_file(
    case: Any, tmp_path: Any
) -> None:
    project = materialise(case, tmp_path / "project")
    for path in sorted((project / "content").rglob("*.md")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        body = render_body(text, path.name)
        if not any("nested more than" in issue.message for issue in body.issues):
            assert body.html == rendered_then_sanitised(text), path
