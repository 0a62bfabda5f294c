"""Markdown features, link and image rewriting, sanitisation and determinism."""

from __future__ import annotations

from pathlib import Path

import nh3
from content_factory import PNG, article, write_tree

from publisher.config import load_settings
from publisher.pipeline import compile_project
from publisher.render.markdown import ImageRef, render_body
from publisher.render.sanitize import sanitize
from publisher.site.compiler import CompiledSite, local_image_url


def html_of(body: str) -> str:
    return render_body(body, "a.md").html


def compiled(tmp_path: Path, files: dict[str, str | bytes]) -> CompiledSite:
    content = write_tree(tmp_path, files)
    result = compile_project(load_settings(content.parent), use_cache=False, workers=1)
    assert result.errors == []
    return result.site


def test_commonmark_plus_plugins() -> None:
    html = html_of(
        "| a | b |\n|:-:|--:|\n| 1 | 2 |\n\n"
        "~~old~~\n\n"
        "Text[^n].\n\n[^n]: The note.\n\n"
        "- [x] done\n- [ ] todo\n\n"
        "Term\n: Definition\n\n"
        '!!! warning "Mind the gap"\n    Careful *now*.\n'
    )
    assert '<th style="text-align:center">a</th>' in html
    assert '<td style="text-align:right">2</td>' in html
    assert "<s>old</s>" in html
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">' in html
    assert '<li id="fn1" class="footnote-item">' in html
    assert (
        '<input class="task-list-item-checkbox" checked="checked" disabled="disabled" '
        'type="checkbox"> done' in html
    )
    assert (
        '<input class="task-list-item-checkbox" disabled="disabled" type="checkbox"> todo' in html
    )
    assert "<dl>\n<dt>Term</dt>\n<dd>Definition</dd>\n</dl>" in html
    assert '<div class="admonition warning" style="border-left:4px solid #9a6700;' in html
    assert ">Mind the gap</p>" in html
    assert "Careful <em>now</em>." in html


def test_every_heading_level_gets_an_anchor() -> None:
    html = html_of(
        "# One\n\n## Two: the sequel\n\n### Three\n\n#### Four\n\n##### Five\n\n###### Six"
    )
    for anchor in ("one", "two-the-sequel", "three", "four", "five", "six"):
        assert f'id="{anchor}"' in html
    assert render_body("## A\n\n## A", "a.md").anchors == ["a", "a-1"]


def test_code_is_highlighted_with_inline_styles() -> None:
    html = html_of("```python\ndef f():\n    return 1\n```\n\n```nosuchlang\n<b>x</b>\n```")
    assert '<span style="color:#007020;font-weight:bold">def</span>' in html
    first_block = html.split("<pre", 1)[1].split("</pre>", 1)[0]
    assert '<code class="language-python">' in first_block  # kept so `pull` can write it back
    assert "<code>&lt;b&gt;" in html  # an unknown language gets no class
    assert "&lt;b&gt;x&lt;/b&gt;" in html  # unknown language: escaped, not interpreted


def test_links_between_articles_become_help_center_urls(tmp_path: Path) -> None:
    site = compiled(
        tmp_path,
        {
            "billing/01-refunds.md": article("Refunds", "## How it works\n\nText."),
            "start/intro.md": article(
                "Intro",
                "## Local\n\n[r](../billing/01-refunds.md#how-it-works) [r2](../billing/01-refunds.md)"
                " [here](#local) [ext](https://example.com/a.md) [abs](/article/other)"
                " [mail](mailto:help@example.com)",
            ),
        },
    )
    html = site.article_html(site.content.articles["intro"], local_image_url)
    assert '<a href="/article/refunds#how-it-works">r</a>' in html
    assert '<a href="/article/refunds">r2</a>' in html
    assert '<a href="#local">here</a>' in html
    assert '<a href="https://example.com/a.md">ext</a>' in html
    assert '<a href="/article/other">abs</a>' in html
    assert '<a href="mailto:help@example.com">mail</a>' in html


def test_image_url_is_a_parameter_of_the_same_renderer(tmp_path: Path) -> None:
    site = compiled(
        tmp_path,
        {
            "g/a.md": article("A", "![Screen](images/screen%20one.png)"),
            "g/images/screen one.png": PNG,
        },
    )
    art = site.content.articles["a"]
    local = site.article_html(art, local_image_url)
    assert '<img src="/assets/g/images/screen%20one.png" alt="Screen">' in local
    uploaded = site.article_html(art, lambda image: f"https://files.example/{image.target}?a=1&b=2")
    assert (
        '<img src="https://files.example/g/images/screen one.png?a=1&amp;b=2" alt="Screen">'
        in uploaded
    )
    assert local.replace(local_image_url(ImageRef("g/images/screen one.png", 0, "")), "X") == (
        uploaded.replace("https://files.example/g/images/screen one.png?a=1&amp;b=2", "X")
    )
    assert site.content.images == {
        "g/images/screen one.png": site.content.root / "g/images/screen one.png"
    }


def test_sanitisation_removes_scripts_handlers_and_javascript_urls() -> None:
    html = html_of(
        "<script>alert(1)</script>\n\n"
        '<p onclick="steal()">para</p>\n\n'
        '<img src="x.png" onerror="alert(1)">\n\n'
        '<a href="javascript:alert(1)">js</a> [md](javascript:alert(1))\n\n'
        "<!-- <script>hidden()</script> -->\n\n"
        '<iframe src="https://evil.example"></iframe>\n\n'
        '<span style="color: red; position: fixed; background-image: url(x)">styled</span>\n\n'
        '<input type="password" name="p"><input name="q">\n\n'
        "**bold** <kbd>Ctrl</kbd> <details><summary>More</summary>Hidden text</details>"
    )
    assert "<a>md</a>" in html  # the link stays, without its URL (and `check` names it)
    for bad in (
        "<script",
        "alert(1)</",
        "onclick",
        "onerror",
        'href="javascript',
        "hidden()",
        "<iframe",
        "position",
        "url(",
        'type="password"',
        "<input",
    ):
        assert bad not in html, bad
    for good in (
        "<p>para</p>",
        "<strong>bold</strong>",
        "<kbd>Ctrl</kbd>",
        "<details><summary>More</summary>",
        '<span style="color:red">styled</span>',
    ):
        assert good in html, good


def test_rendered_html_is_a_fixed_point_of_the_sanitiser(tmp_path: Path) -> None:
    sample = Path(__file__).resolve().parents[1] / "content"
    result = compile_project(load_settings(sample.parent), use_cache=False, workers=1)
    assert result.site.bodies
    for art in result.site.content.articles.values():
        html = result.site.article_html(art, local_image_url)
        assert sanitize(html) == html, art.rel_path
        assert "<script" not in nh3.clean(html)


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "a.md": article("A", '## X\n\nText[^1] [b](b.md#y)\n\n[^1]: n\n\n```json\n{"a": 1}\n```'),
        "b.md": article("B", "## Y\n\n| a |\n|---|\n| 1 |"),
    }
    first = compiled(tmp_path / "one", files)
    second = compiled(tmp_path / "two", files)
    for slug in ("a", "b"):
        a = first.article_html(first.content.articles[slug], local_image_url)
        b = second.article_html(second.content.articles[slug], local_image_url)
        assert a == b


def test_placeholders_typed_by_hand_are_left_alone(tmp_path: Path) -> None:
    site = compiled(tmp_path, {"a.md": article("A", '<a href="/__publisher__/link/7">x</a>')})
    assert "/__publisher__/link/7" in site.article_html(site.content.articles["a"], local_image_url)
