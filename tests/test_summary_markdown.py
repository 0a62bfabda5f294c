"""Names, titles, slugs and warnings in the CI step summary are shown as written: none of
them can end a table cell, start a link, an image, HTML, emphasis or an emoji, or span lines
(a fake "Approved" badge in a plan nobody approved)."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from publisher.commands.report import _cell, summary_markdown
from publisher.plain import IndexEntry, RemoteArticle
from publisher.sync.plan import Plan
from publisher.sync.publish import PublishOutcome

HOSTILE = {
    "a link": "[Approved by @security](https://evil.example/approve)",
    "an image badge": "![approved](https://img.shields.io/badge/review-approved-green)",
    "HTML": '<img src="https://evil.example/t.png"><b>Approved</b>',
    "a script": "<script>alert(1)</script>",
    "bold": "**Approved** by the docs team",
    "emphasis with underscores": "__LGTM__ _ship it_",
    "strikethrough": "~~needs review~~",
    "an emoji shortcode": ":white_check_mark: approved",
    "an entity": "&#60;b&#62;bold&#60;/b&#62; &amp;",
    "a code span": "`rm -rf /`",
    "a cell break": "a | b | c",
    "a backslash before a pipe": "a \\| b",
    "a new line and a fence": "Title\n```\n\n### Approved\n\n| x | y |",
    "a heading at the start": "# Approved",
    "a list at the start": "- [x] reviewed",
    "a quote at the start": "> Approved",
    "bidi controls": "abc\u202edcba\u2066x\u2069",
    "control characters": "a\x1b[31mred\x00b",
    "a line separator": "one\u2028two\u2029three",
}


def _render(markdown: str) -> str:
    html: str = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)
    return html


def _visible(text: str) -> str:
    """What a reader should see: the text on one line, without invisible characters."""
    text = re.sub(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", " ", text)
    return " ".join(text.split())


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE)
def test_a_cell_shows_its_text_as_written(text: str) -> None:
    for code in (False, True):
        cell = _cell(text, code=code)
        assert "\n" not in cell and "\u2028" not in cell and "\u202e" not in cell
        shown = f"`{cell}`" if code else cell
        html = _render(f"| a | b |\n|---|---|\n| x | {shown} |\n")
        row = html.split("<tbody>")[1]
        assert row.count("<td>") == 2, html  # the row still has its two cells
        for tag in ("<a ", "<img", "<script", "<strong", "<em", "<s>", "<h", "<b>", "<li"):
            assert tag not in row, (tag, html)
        if not code:
            body = row.split("<td>")[2].split("</td>")[0]
            expected = _visible(text)
            unescaped = (
                body.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", '"')
                .replace("&amp;", "&")
            )
            assert unescaped == expected


def test_a_long_text_is_cut_short() -> None:
    assert len(_cell("x" * 5000)) == 1000


def test_the_step_summary_of_a_hostile_plan_has_only_its_own_markup() -> None:
    plan = Plan("hc_1", warnings=list(HOSTILE.values()))
    plan.retired_headings = [
        IndexEntry("HEADING", f"heading_{i}", None, text) for i, text in enumerate(HOSTILE.values())
    ]
    plan.orphan_articles = [
        RemoteArticle(f"ha_{i}", text, text, None, None, "", "PUBLISHED", None)
        for i, text in enumerate(HOSTILE.values())
    ]
    markdown = summary_markdown(PublishOutcome(plan), dry_run=True)
    html = _render(markdown)
    for tag in ("<a ", "<img", "<script", "<em", "<s>", "<b>", "<blockquote"):
        assert tag not in html, tag
    assert html.count("<strong>") == 1  # the summary's own "**Warnings**"
    assert html.count("<h3>") == 1  # its own title
    assert html.count("<table>") == 2  # the counts, and the plan
    plan_table = html.split("<table>")[2]
    assert plan_table.count("<tr>") == 1 + 2 * len(HOSTILE)  # one row per item, no more
    assert html.split("</table>")[-1].count("<li>") == len(HOSTILE)  # one item per warning
