"""Code the lexer cannot parse (a `...` in a JSON sample, a stray `$` in Python) is shown as
plain text, never in Pygments' red error box: that box would tell every reader of the help
center that the sample is broken."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name
from pygments.token import Error, is_token_subtype

from publisher.config import load_settings
from publisher.pipeline import compile_project
from publisher.render.highlight import highlight_code
from publisher.render.markdown import render_body

ROOT = Path(__file__).resolve().parent.parent
RED_BOX = re.compile(r"border[^;\"]*#f00\b|border[^;\"]*#ff0000\b|border[^;\"]*\bred\b", re.I)

SAMPLES = [
    pytest.param("json", '{"id": "evt_1", ...}\n', ".", id="json-ellipsis"),
    pytest.param("json", '{"amount": <value>}\n', "<", id="json-placeholder"),
    pytest.param("json", "{id: 1}\n", "i", id="json-unquoted-key"),
    pytest.param("python", "total = price $ 2\n", "$", id="python-dollar"),
    pytest.param("python", "if ready?\n    go()\n", "?", id="python-question-mark"),
    pytest.param("javascript", "let x = 1 @ 2;\n", "@", id="javascript-at"),
    pytest.param("go", "x := 1 @ 2\n", "@", id="go-at"),
    pytest.param("html", "<p>a < b</p>\n", "<", id="html-bare-less-than"),
    pytest.param("sql", 'SELECT "unclosed\n', '"', id="sql-unclosed-quote"),
]


@pytest.mark.parametrize(("language", "code", "marked"), SAMPLES)
def test_error_tokens_are_not_boxed_in_red(language: str, code: str, marked: str | None) -> None:
    tokens = list(get_lexer_by_name(language).get_tokens(code))
    if marked is not None:  # the input really has what the lexer calls an error
        errors = [str(text) for kind, text in tokens if is_token_subtype(kind, Error)]
        assert any(marked in text for text in errors), tokens
    html = highlight_code(code, language)
    assert not RED_BOX.search(html), html
    assert "border" not in html.split("<code", 1)[1], html


@pytest.mark.parametrize(("language", "code", "marked"), SAMPLES)
def test_the_text_of_error_tokens_is_kept(language: str, code: str, marked: str | None) -> None:
    html = highlight_code(code, language)
    text = unescape(re.sub(r"<[^>]+>", "", html))
    assert text.strip() == code.strip()


def test_the_rest_of_the_block_is_still_highlighted() -> None:
    html = highlight_code('{"id": "evt_1", ...}\n', "json")
    assert 'style="color:' in html  # the key and the string keep their colours


def test_a_rendered_article_has_no_red_box() -> None:
    body = render_body("```json\n" + '{"id": 1, ...}\n' + "```\n\n```python\nx = $y\n```\n", "a.md")
    assert not RED_BOX.search(body.html), body.html


def test_the_sample_webhooks_article_has_no_red_box() -> None:
    result = compile_project(load_settings(ROOT), use_cache=False, workers=1)
    assert result.errors == []
    webhooks = result.site.content.articles["webhooks"]
    assert "..." in webhooks.body  # the JSON sample that used to be boxed
    assert not RED_BOX.search(result.site.bodies["webhooks"].html)
