"""The one sanitiser every article body goes through before it is shown or published.

nh3 (ammonia, with html5ever's HTML5 parser) keeps the tags, attributes and classes listed
here; a style attribute keeps only the declarations styles.py allows (checked with a CSS
tokenizer), and an id that page scripts might read as a global is dropped.
"""

from __future__ import annotations

import re
import secrets

import nh3

from publisher.render.highlight import language_classes
from publisher.render.styles import clean_style

_TAGS = set(nh3.ALLOWED_TAGS) | {"section", "input"}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    **{tag: {"id"} for tag in _HEADINGS},
    "a": {"href", "hreflang", "title", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "li": {"id"},
    "sup": {"id"},
    "input": {"checked", "disabled"},
    "th": nh3.ALLOWED_ATTRIBUTES["th"] | {"style"},
    "td": nh3.ALLOWED_ATTRIBUTES["td"] | {"style"},
    "pre": {"style"},
    "code": set(),
    "span": {"style"},
    "div": {"style"},
    "p": {"style"},
    # ammonia's own default for every tag, written out: the marked cleaner below adds to it.
    "*": {"lang", "title"},
}
_CLASSES = {
    "div": {"admonition", "note", "tip", "info", "warning", "danger", "important", "caution"},
    "p": {"admonition-title"},
    "code": language_classes(),
    "ul": {"contains-task-list"},
    "li": {"task-list-item", "footnote-item"},
    "input": {"task-list-item-checkbox"},
    "section": {"footnotes"},
    "ol": {"footnotes-list"},
    "sup": {"footnote-ref"},
    "a": {"footnote-backref"},
    "hr": {"footnotes-sep"},
}
# Task lists need checkboxes; any other <input> (a text field asking for a password...) goes.
# nh3 has already normalised attributes to `name="value"`, so this pattern is reliable.
_NON_CHECKBOX_INPUT = re.compile(r'<input(?![^>]*\btype="checkbox")[^>]*>')
# A class attribute all of whose classes were filtered out; text never holds a raw `<`.
_EMPTY_CLASS = re.compile(r'(<[a-z][^<>]*?) class=""')
URL_SCHEMES = {"http", "https", "mailto", "tel"}

#: The tags a style attribute is kept on.
STYLED_TAGS = tuple(sorted(tag for tag, attrs in _ATTRIBUTES.items() if "style" in attrs))
CONTENT_REMOVED = frozenset({"script", "style"})
#: Element ids a page's own scripts may read as globals (`window.config`) or that name the
#: DOM's objects: an element with such an id could stand in for them ("DOM clobbering").
#: Heading ids avoid them (see markdown.py); an `id` written in raw HTML that is one of them
#: (in any case) is removed. Ids are lowercase when made from headings, so camelCase globals
#: are out of reach of those.
RESERVED_IDS = frozenset(
    {
        "config",
        "configuration",
        "env",
        "global",
        "globals",
        "globalthis",
        "window",
        "document",
        "location",
        "self",
        "top",
        "parent",
        "frames",
        "opener",
        "navigator",
        "cookie",
        "domain",
        "origin",
        "localstorage",
        "sessionstorage",
        "currentscript",
        "defaultview",
        "alert",
        "console",
        "eval",
        "fetch",
        "constructor",
        "prototype",
        "__proto__",
        "hasownproperty",
        "tostring",
        "valueof",
        "jquery",
        "require",
        "define",
        "module",
        "exports",
        "process",
    }
)


def is_reserved_id(value: str) -> bool:
    return value.strip().lower() in RESERVED_IDS


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    """Styles keep only what styles.py allows; reserved ids go. Runs on allowed attributes."""
    try:
        if attribute == "style":
            return clean_style(value).css
        if attribute == "id" and is_reserved_id(value):
            return None
    except Exception:  # whatever fails to parse is not kept
        return None
    return value


def _cleaner(attributes: dict[str, set[str]]) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags=set(CONTENT_REMOVED),
        attributes=attributes,
        attribute_filter=_filter_attribute,
        tag_attribute_values={"input": {"type": {"checkbox"}}},
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        allowed_classes=_CLASSES,
    )


_CLEANER = _cleaner(_ATTRIBUTES)
#: An attribute `check` puts on every start tag of a copy of the HTML, so that the copy's
#: sanitised output says which elements survived and with what (see html_review.py). The
#: name is new in every process, so no article can carry it by itself.
MARKER = f"data-publisher-{secrets.token_hex(6)}"
_MARKED_CLEANER = _cleaner({**_ATTRIBUTES, "*": _ATTRIBUTES["*"] | {MARKER}})


def _clean(html: str, cleaner: nh3.Cleaner) -> str:
    cleaned = _EMPTY_CLASS.sub(r"\1", cleaner.clean(html))
    return _NON_CHECKBOX_INPUT.sub("", cleaned)


def sanitize(html: str) -> str:
    """Remove scripts, event handlers, unsafe URLs and anything not in the lists above."""
    return _clean(html, _CLEANER)


def sanitize_marked(html: str) -> str:
    """`sanitize`, except that the MARKER attribute is kept on any element."""
    return _clean(html, _MARKED_CLEANER)
