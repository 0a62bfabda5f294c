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
