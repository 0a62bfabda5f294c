"""Code-block highlighting with Pygments, as inline styles (Plain loads none of our CSS)."""

from __future__ import annotations

import html
from functools import lru_cache
from typing import ClassVar

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_all_lexers, get_lexer_by_name
from pygments.styles.friendly import FriendlyStyle
from pygments.token import Error, _TokenType
from pygments.util import ClassNotFound


class PublishedStyle(FriendlyStyle):
    """Pygments' `friendly`, except that text the lexer cannot parse looks like any other
    text. `friendly` draws a red box (`border:1px solid #F00`) around it, which in an article
    marks a writer's `...` in a JSON sample or a prompt's `$` as broken code to every reader.
    """

    name = "publisher"
    styles: ClassVar[dict[_TokenType, str]] = {**FriendlyStyle.styles, Error: ""}


STYLE = PublishedStyle
_FORMATTER = HtmlFormatter(style=STYLE, noclasses=True, nowrap=True)
_PRE_STYLE = (
    "background-color:#f6f8fa;padding:12px 16px;border-radius:6px;"
    "overflow-x:auto;line-height:1.45;font-size:13px"
)


@lru_cache(maxsize=128)
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight_code(code: str, language: str, _attrs: str = "") -> str:
    """A complete `<pre>` block; markdown-it uses it as is because it starts with `<pre`."""
    language = language.strip().split(maxsplit=1)[0].lower() if language.strip() else ""
    lexer = _lexer(language) if language else None
    body = highlight(code, lexer, _FORMATTER) if lexer else html.escape(code)
    # The language stays on the element (harmless in Plain) so `pull` can write it back.
    code_class = f' class="language-{html.escape(language)}"' if lexer else ""
    return f'<pre style="{_PRE_STYLE}"><code{code_class}>{body}</code></pre>\n'


def language_classes() -> set[str]:
    """`language-<alias>` for every language Pygments knows: the classes code may carry."""
    return {f"language-{alias}" for _, aliases, _, _ in get_all_lexers() for alias in aliases}
