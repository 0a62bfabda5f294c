"""Layout-only differences in HTML are not changes; anything a reader sees is."""

from __future__ import annotations

import pytest

from publisher.render.canonical import canonical_html, same_content


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (
            '<h2 id="setup">Setup</h2>\n<p>Text <strong>bold</strong></p>\n',
            "<h2>Setup</h2><p>Text <strong>bold</strong></p>",
        ),
        ('<a href="/x" title="t">x</a>', '<a title="t" href="/x">x</a>'),
        ("<p>caf&eacute; &amp; co</p>", "<p>café &amp; co</p>"),
        ("<p>one\n  two</p>", "<p>one two</p>"),
        ("<br/><hr>", "<br><hr/>"),
        (
            '<pre style="padding:8px"><code class="language-python"><span style="color:red">print</span>(1)\n</code></pre>',
            '<pre><code class="language-python">print(1)</code></pre>',
        ),
    ],
)
def test_layout_differences_are_the_same_content(ours: str, theirs: str) -> None:
    assert same_content(ours, theirs)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("<p>Text</p>", "<p>Test</p>"),
        ("<p><strong>x</strong></p>", "<p><em>x</em></p>"),
        ('<a href="/a">x</a>', '<a href="/b">x</a>'),
        ("<pre><code>a\n  b</code></pre>", "<pre><code>a\n b</code></pre>"),  # code keeps spaces
        ('<p id="x">Text</p>', "<p>Text</p>"),  # only heading ids are ours to derive
        ("<ul><li>a</li></ul>", "<ol><li>a</li></ol>"),
        (
            '<pre><code class="language-python">print(1)</code></pre>',
            '<pre><code class="language-ruby">print(1)</code></pre>',
        ),
        ("<pre><code><span>print</span>(1)</code></pre>", "<pre><code>print(2)</code></pre>"),
    ],
)
def test_visible_differences_are_changes(ours: str, theirs: str) -> None:
    assert not same_content(ours, theirs)


def test_code_keeps_its_whitespace() -> None:
    html = '<div class="a"><p>x <em>y</em></p>\n<pre>keep\n  this</pre></div>'
    assert "keep\n  this" in canonical_html(html)


# Whitespace is compared as a browser shows it: dropped at block edges, kept (as one space)
# between words and inline elements.
SAME_WHITESPACE = {
    "newline vs space": ("<p>Save\nnow</p>", "<p>Save now</p>"),
    "runs of whitespace": ("<p>a \t\r\n  b</p>", "<p>a b</p>"),
    "around paragraphs": ("<p> Text </p>\n\n<p>\tMore\n</p>", "<p>Text</p><p>More</p>"),
    "around list items": (
        "<ul>\n  <li> a </li>\n  <li>b\n</li>\n</ul>",
        "<ul><li>a</li><li>b</li></ul>",
    ),
    "inside a cell": ("<table><tr><td> x </td></tr></table>", "<table><tr><td>x</td></tr></table>"),
    "around a line break": ("<p>a <br>\n b</p>", "<p>a<br>b</p>"),
    "at an inline element's edge": ("<p>a <em>b</em></p>", "<p>a<em> b</em></p>"),
    "after the bold, inside or out": (
        "<p><strong>Save </strong>now</p>",
        "<p><strong>Save</strong> now</p>",
    ),
    "at the start of a block, inside an inline": ("<p><em> x</em></p>", "<p><em>x</em></p>"),
    "no-break space, entity or character": ("<p>a&nbsp;b</p>", "<p>a\u00a0b</p>"),
    "a line break in inline code": ("<p><code>a\nb</code></p>", "<p><code>a b</code></p>"),
}
DIFFERENT_WHITESPACE = {
    "space after </strong>": (
        "<p><strong>Save</strong>now</p>",
        "<p><strong>Save</strong> now</p>",
    ),
    "space before <em>": ("<p>Click<em>here</em></p>", "<p>Click <em>here</em></p>"),
    "between two inline elements": (
        "<p><em>a</em><strong>b</strong></p>",
        "<p><em>a</em> <strong>b</strong></p>",
    ),
    "after a link": ('<p><a href="/x">Save</a>now</p>', '<p><a href="/x">Save</a> now</p>'),
    "before inline code": ("<p>run<code>ls</code></p>", "<p>run <code>ls</code></p>"),
    "inside inline code": ("<p><code>a b</code></p>", "<p><code>ab</code></p>"),
    "spaces inside inline code": ("<p><code>a  b</code></p>", "<p><code>a b</code></p>"),
    "at the end of inline code": ("<p><code>x </code>y</p>", "<p><code>x</code>y</p>"),
    "before an image": ('<p>a<img src="x.png"></p>', '<p>a <img src="x.png"></p>'),
    "no-break space vs space": ("<p>a&nbsp;b</p>", "<p>a b</p>"),
    "a space removed between words": ("<p>Save now</p>", "<p>Savenow</p>"),
}


@pytest.mark.parametrize(("ours", "theirs"), SAME_WHITESPACE.values(), ids=SAME_WHITESPACE)
def test_whitespace_a_browser_does_not_show_is_not_a_change(ours: str, theirs: str) -> None:
    assert same_content(ours, theirs)


@pytest.mark.parametrize(
    ("ours", "theirs"), DIFFERENT_WHITESPACE.values(), ids=DIFFERENT_WHITESPACE
)
def test_whitespace_a_browser_shows_is_a_change(ours: str, theirs: str) -> None:
    assert not same_content(ours, theirs)
    assert not same_content(theirs, ours)
