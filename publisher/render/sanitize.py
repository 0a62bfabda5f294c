"""The one sanitiser every article body goes through before it is shown or published."""

from __future__ import annotations

import re

import nh3

from publisher.render.highlight import language_classes

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
}
# Only the properties our own renderer writes: highlighting colours, table alignment and
# the admonition box. Anything else in a style attribute (position, url(), ...) is dropped.
_STYLE_PROPERTIES = {
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

_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRIBUTES,
    tag_attribute_values={"input": {"type": {"checkbox"}}},
    url_schemes=URL_SCHEMES,
    link_rel=None,
    strip_comments=True,
    allowed_classes=_CLASSES,
    filter_style_properties=_STYLE_PROPERTIES,
)


def sanitize(html: str) -> str:
    """Remove scripts, event handlers, unsafe URLs and anything not in the lists above."""
    cleaned = _EMPTY_CLASS.sub(r"\1", _CLEANER.clean(html))
    return _NON_CHECKBOX_INPUT.sub("", cleaned)
