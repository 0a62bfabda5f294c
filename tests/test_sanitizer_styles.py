"""Inline styles keep only values that cannot leave the article's box (issue 13, item 2).

Every style goes through a CSS tokenizer and a table of allowed properties and bounds
(publisher/render/styles.py); `check` names each declaration dropped or clamped, on its
line. The variants below are the forms a negative margin, a huge size or a way out of the
box can take.
"""

from __future__ import annotations

import pytest

from publisher.render.highlight import _PRE_STYLE
from publisher.render.markdown import render_body
from publisher.render.sanitize import sanitize
from publisher.render.styles import ALLOWED_PROPERTIES, clean_style

# (style attribute, what is kept of it, a fragment of the reason given for the change)
DROPPED: list[tuple[str, str | None, str]] = [
    # negative margins, in every spelling
    ("margin: -40px", None, "negative lengths are not allowed"),
    ("margin:-.5em", None, "negative lengths"),
    ("margin: -1PX", None, "negative lengths"),
    ("margin: -1e1px", None, "negative lengths"),
    ("margin: -0.0001rem", None, "negative lengths"),
    ("margin: 0 0 0 -10px", None, "negative lengths"),
    ("margin: - 1px", None, "'-' is not allowed"),
    ("margin: -/**/1px", None, "'-' is not allowed"),
    ("margin: \\2d 1px", None, "not a length"),
    ("padding: -4px", None, "negative lengths"),
    ("m\\61rgin: -5px", None, "negative lengths"),
    ("MARGIN: -5px", None, "negative lengths"),
    ("margin: -5px !important", None, "!important"),
    ("margin: 4px !important", None, "!important"),
    # functions and other ways around the check
    ("margin: calc(-1*100px)", None, "calc() is not allowed"),
    ("margin: CALC(0px - 100px)", None, "calc() is not allowed"),
    ("margin: var(--x)", None, "var() is not allowed"),
    ("--x: -100px", None, "custom properties"),
    ("margin: env(safe-area-inset-top)", None, "env() is not allowed"),
    ("font-size: min(1px, 2px)", None, "min() is not allowed"),
    ("color: expression(alert(1))", None, "expression() is not allowed"),
    ("background-color: url(https://evil.example/x.png)", None, "url() is not allowed"),
    ("color: 'red'", None, "quoted text"),
    ("margin: 5vh", None, "'vh' is not an allowed unit"),
    ("margin: 10%", None, "'%' is not an allowed unit"),
    ("margin: 1px 2px 3px 4px 5px", None, "one to four"),
    # properties that move things, in any case and spelling
    ("position: fixed", None, "'position' is not an allowed property"),
    ("POSITION: absolute", None, "'position' is not an allowed property"),
    ("p\\6fsition: fixed", None, "'position' is not an allowed property"),
    ("transform: translateY(-100px)", None, "'transform' is not an allowed property"),
    ("z-index: 9999", None, "'z-index' is not an allowed property"),
    ("top: -10px", None, "'top' is not an allowed property"),
    ("left: 0", None, "'left' is not an allowed property"),
    ("margin-top: -50px", None, "'margin-top' is not an allowed property"),
    ("MARGIN-TOP: 5px", None, "'margin-top' is not an allowed property"),
    ("float: left", None, "'float' is not an allowed property"),
    ("display: none", None, "'display' is not an allowed property"),
    ("background: red", None, "'background' is not an allowed property"),
    # text that is no declaration
    ("mar/**/gin: -1px", None, "not valid CSS"),
    ("@import url(x)", None, "at-rules are not allowed"),
    ("color", None, "not valid CSS"),
    ("color: " + "(" * 40, None, "at most 2000 characters and 32 brackets"),
    ("color: red;" * 300, None, "at most 2000 characters"),
    # borders: bounded width, a line style and a colour
    ("border: 1px solid", None, "solid, dashed or dotted and a colour"),
    ("border: 1px double red", None, "solid, dashed or dotted"),
    ("border: thick solid red", None, "at most 4px"),
    ("border: 1em solid red", None, "'em' is not an allowed unit"),
    ("font-size: 12", None, "give a unit"),
    ("font-size: -2em", None, "negative font sizes"),
    ("line-height: 2px", None, "a number between 1 and 3"),
    ("font-weight: 5000", None, "a number from 1 to 1000"),
    ("color: notacolour", None, "not a colour"),
    ("text-align: -webkit-center", None, "use one of"),
    ("overflow-x: overlay", None, "use one of"),
]
CLAMPED: list[tuple[str, str | None, str]] = [
    ("font-size: 200px", "font-size:48px", "at most 48px"),
    ("font-size: 1px", "font-size:8px", "at least 8px"),
    ("font-size: 0", "font-size:8px", "at least 8px"),
    ("font-size: 10em", "font-size:3em", "at most 3em"),
    ("font-size: 1000%", "font-size:300%", "at most 300%"),
    ("font-size: 100pt", "font-size:36pt", "at most 36pt"),
    ("margin: 0 0 1000px", "margin:0 0 64px", "at most 64px"),
    ("padding: 10em", "padding:4em", "at most 4em"),
    ("padding: 99999rem 0", "padding:4rem 0", "at most 4rem"),
    ("line-height: 0", "line-height:1", "between 1 and 3"),
    ("line-height: 50", "line-height:3", "between 1 and 3"),
    ("line-height: 900%", "line-height:300%", "between 100% and 300%"),
    ("border: 100px solid red", "border:4px solid red", "at most 4px"),
    ("border-left: solid 9px #fff", "border-left:4px solid #fff", "at most 4px"),
    ("border-radius: 1000px", "border-radius:32px", "at most 32px"),
]
KEPT = [
    ("color: red", "color:red"),
    ("COLOR: RED", "color:RED"),
    ("c\\6flor: red", "color:red"),
    (
        "color: #0969da; background-color: rgba(0, 0, 0, 0.5)",
        "color:#0969da;background-color:rgba(0, 0, 0, 0.5)",
    ),
    ("color: hsl(120, 50%, 50%)", "color:hsl(120, 50%, 50%)"),
    ("margin: 0 auto", "margin:0 auto"),
    ("margin: -0", "margin:0"),
    ("margin: 16px 0; padding: 8px 16px", "margin:16px 0;padding:8px 16px"),
    ("font-weight: bold; font-style: italic", "font-weight:bold;font-style:italic"),
    ("font-size: small", "font-size:small"),
    ("line-height: 1.45", "line-height:1.45"),
    ("text-decoration: underline dotted red", "text-decoration:underline dotted red"),
    ("text-align: center", "text-align:center"),
    ("border: none", "border:none"),
    ("border-left: 4px solid #0969da", "border-left:4px solid #0969da"),
    ("border-radius: 4px 50%", "border-radius:4px 50%"),
    ("overflow-x: auto", "overflow-x:auto"),
    ("color: red; color: blue", "color:red;color:blue"),
]


@pytest.mark.parametrize(("style", "kept", "reason"), DROPPED + CLAMPED, ids=lambda v: str(v)[:40])
def test_a_style_that_could_leave_the_box_is_dropped_or_clamped_and_named(
    style: str, kept: str | None, reason: str
) -> None:
    cleaned = clean_style(style)
    assert cleaned.css == kept
    assert len(cleaned.findings) >= 1
    assert any(reason in finding.reason for finding in cleaned.findings), cleaned.findings
    # The sanitiser publishes the same, and its output is a fixed point.
    html = sanitize(f'<span style="{style}">x</span>')
    assert html == (f'<span style="{kept}">x</span>' if kept else "<span>x</span>")
    assert sanitize(html) == html


@pytest.mark.parametrize(("style", "kept"), KEPT, ids=lambda v: str(v)[:40])
def test_harmless_styles_are_kept_without_a_finding(style: str, kept: str) -> None:
    cleaned = clean_style(style)
    assert cleaned.findings == ()
    assert cleaned.css == kept
    html = sanitize(f'<span style="{style}">x</span>')
    assert html == f'<span style="{kept}">x</span>'
    assert sanitize(html) == html


def test_declarations_are_judged_one_by_one_and_no_semicolon_in_a_string_splits_one() -> None:
    cleaned = clean_style(
        "color: red; margin: -20px; position: fixed; color: 'a;margin:-9px'; padding: 4px"
    )
    assert cleaned.css == "color:red;padding:4px"
    assert [f.declaration for f in cleaned.findings] == [
        "margin: -20px",
        "position: fixed",
        'color: "a;margin:-9px"',
    ]


def test_the_renderers_own_styles_pass_unchanged() -> None:
    admonition = "border-left:4px solid #0969da;padding:8px 16px;margin:16px 0;border-radius:4px"
    for style in (_PRE_STYLE, admonition, "font-weight:bold;margin:0 0 8px", "text-align:right"):
        assert clean_style(style).findings == ()
        assert clean_style(style).css == style
    html = render_body(
        '```python\nx = "s"  # c\n```\n\n!!! danger "Careful"\n    Text.\n\n| a |\n|--:|\n| 1 |',
        "a.md",
    ).html
    assert f'<pre style="{_PRE_STYLE}">' in html
    assert f'style="{admonition.replace("#0969da", "#cf222e")}"' in html
    assert '<td style="text-align:right">1</td>' in html


def test_only_listed_properties_are_allowed() -> None:
    assert {
        "color",
        "background-color",
        "font-weight",
        "font-style",
        "font-size",
        "text-decoration",
        "text-align",
        "border",
        "border-left",
        "border-radius",
        "padding",
        "margin",
        "line-height",
        "overflow-x",
    } == ALLOWED_PROPERTIES


def test_check_names_each_dropped_or_clamped_declaration_on_its_line() -> None:
    body = render_body(
        "Intro line\n"
        'and <span style="margin:-40px;color:red">a fake header</span>\n'
        "\n"
        "<div>\n"
        "  <p>fine</p>\n"
        '  <p style="font-size:200px;position:fixed">big</p>\n'
        "</div>\n"
        "\n"
        '<a style="color:red" href="https://example.com">link</a>\n',
        "a.md",
        first_line=5,
    )
    issues = [(issue.line, issue.message) for issue in body.issues]
    assert issues == [
        (
            6,
            "style 'margin: -40px' on <span> is removed on publish: negative lengths are not "
            "allowed: it would pull the text outside the article, over the page around it",
        ),
        (
            10,
            "style 'font-size: 200px' on <p> becomes 'font-size: 48px' on publish: font-size "
            "must be at most 48px",
        ),
        (10, issues[2][1]),
        (
            13,
            "HTML not allowed: style= on <a> is removed on publish: styles are kept only on div, "
            "p, pre, span, td, th",
        ),
    ]
    assert issues[2][1].startswith("style 'position: fixed' on <p> is removed on publish")
    assert "margin" not in body.html and "position" not in body.html
    assert '<span style="color:red">a fake header</span>' in body.html
    assert '<p style="font-size:48px">big</p>' in body.html
