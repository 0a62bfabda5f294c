"""Which inline styles an article may carry, and with which values.

A style attribute is parsed with tinycss2 (a CSS tokenizer that follows the CSS Syntax spec,
as browsers do: escapes, comments and strings are read the way a browser reads them), and
every declaration is checked against the table below. A declaration is kept, clamped to its
bound, or dropped; `clean_style` returns what is kept and a finding for each change, which
`check` reports. Nothing here can move text outside the article's box: no negative lengths,
no positioning, no functions but colours, and sizes within bounds.

Allowed properties and why (README "Inline styles" lists the same):

- `color`, `background-color`: a colour (`#hex`, a name, `rgb()`, `rgba()`, `hsl()`,
  `hsla()`); code highlighting needs them. Colours cannot move anything.
- `font-weight` (`normal`, `bold`, `bolder`, `lighter`, 1–1000), `font-style` (`normal`,
  `italic`, `oblique`), `text-decoration` (`none`, `underline`, `overline`, `line-through`,
  a line style, a colour): highlighting and emphasis; none of them changes the layout.
- `text-align` (`left`, `right`, `center`, `justify`, `start`, `end`): table columns.
- `font-size`: a keyword (`small` … `xx-large`, `smaller`, `larger`), 8–48 px, 0.5–3 em or
  rem, 6–36 pt or 50–300 %; larger or smaller values are clamped, so text can be neither
  too small to see nor large enough to cover the page.
- `line-height`: `normal` or 1–3 (a number, em, or 100–300 %), clamped: lines never
  overlap, nor spread the article over the page.
- `margin`: one to four of `auto`, 0, or 0–64 px (0–4 em or rem), clamped above; a negative
  margin is dropped, since it pulls the text over whatever is above or beside the article.
- `padding`: one to four of 0 or 0–64 px (0–4 em or rem), clamped above; negative is dropped.
- `border`, `border-left`: `none`, or a width of at most 4 px (`thin`, `medium`), one of
  `solid`, `dashed`, `dotted`, and a colour: the admonition box. Wider borders are clamped.
- `border-radius`: one to four of 0–32 px (0–2 em or rem, 0–50 %), clamped.
- `overflow-x` (`auto`, `scroll`, `hidden`, `visible`): code blocks scroll sideways.

Anything else is dropped: any other property (`position`, `transform`, `z-index`, `top`,
`float`, `display`, custom properties, …), `!important`, functions other than the colour
ones (`calc()`, `var()`, `env()`, `url()`, `expression()`, …), strings, other units (`vh`,
`cm`, …), and text that is not valid CSS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import tinycss2
import tinycss2.color3

# How many CSS px a unit is worth, for the units a length may use.
_PX_PER_UNIT = {"px": 1.0, "em": 16.0, "rem": 16.0, "pt": 4.0 / 3.0}
_SPACING_MAX_PX = 64.0
_FONT_SIZE_PX = (8.0, 48.0)
_FONT_SIZE_PERCENT = (50.0, 300.0)
_LINE_HEIGHT = (1.0, 3.0)
_BORDER_MAX_PX = 4.0
_RADIUS_MAX_PX = 32.0
_RADIUS_MAX_PERCENT = 50.0
_COLOUR_FUNCTIONS = {"rgb", "rgba", "hsl", "hsla"}
_MAX_SHOWN = 60
# Longer or more nested style attributes are dropped whole: no property here needs more,
# and tinycss2 recurses once per nested bracket.
MAX_STYLE_CHARS = 2000
MAX_STYLE_BRACKETS = 32


@dataclass(frozen=True)
class StyleFinding:
    """One declaration that did not survive as written."""

    declaration: str  # as written, shortened
    reason: str
    clamped_to: str | None = None  # the value kept instead, when clamped; None if dropped

    def describe(self) -> str:
        if self.clamped_to is not None:
            return (
                f"style '{self.declaration}' is changed to '{self.clamped_to}' on publish: "
                f"{self.reason}"
            )
        return f"style '{self.declaration}' is removed on publish: {self.reason}"


@dataclass(frozen=True)
class CleanedStyle:
    css: str | None  # the style attribute to keep; None when nothing is left
    findings: tuple[StyleFinding, ...]


class _Refused(Exception):
    """A declaration that is dropped, with the reason."""


def _shown(text: str) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in " ".join(text.split()))
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _number(value: float) -> str:
    """A CSS number without exponent or needless digits (`1.5`, `48`, `0.5`)."""
    text = f"{round(value, 4):f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _parts(tokens: Sequence[Any]) -> list[Any]:
    """The value's components, whitespace left out; anything no property accepts refused."""
    parts = []
    for token in tokens:
        kind = token.type
        if kind in ("whitespace", "comment"):
            continue
        if kind == "function":
            name = token.lower_name
            if name not in _COLOUR_FUNCTIONS:
                raise _Refused(f"{name}() is not allowed; write a plain value")
        elif kind == "url":
            raise _Refused("url() is not allowed in an article's styles")
        elif kind == "string":
            raise _Refused("quoted text is not allowed in a style value")
        elif kind == "error":
            raise _Refused("it is not valid CSS")
        elif kind not in ("ident", "number", "dimension", "percentage", "hash"):
            raise _Refused(f"'{_shown(tinycss2.serialize([token]))}' is not allowed here")
        parts.append(token)
    if not parts:
        raise _Refused("it has no value")
    return parts


def _is_colour(token: Any) -> bool:
    if token.type not in ("ident", "hash", "function"):
        return False
    colour = tinycss2.color3.parse_color(token)
    return colour is not None and (token.type != "ident" or token.lower_value != "inherit")


def _keyword(token: Any, allowed: set[str]) -> str | None:
    if token.type == "ident" and token.lower_value in allowed:
        return str(token.lower_value)
    return None


class _Bounds:
    """Clamps lengths of one property. `limits` maps a unit to (low, high) in that unit."""

    def __init__(self, what: str, limits: dict[str, tuple[float, float]], why: str) -> None:
        self.what = what
        self.limits = limits
        self.why = why

    def length(self, token: Any, changes: list[str]) -> str:
        if token.type == "number" and token.value == 0:
            unit, value = "", 0.0
        elif token.type == "dimension":
            unit, value = str(token.lower_unit), float(token.value)
        elif token.type == "percentage":
            unit, value = "%", float(token.value)
        else:
            raise _Refused(f"'{_shown(tinycss2.serialize([token]))}' is not a {self.what}")
        if value < 0:
            raise _Refused(f"negative {self.what}s are not allowed: {self.why}")
        if unit == "":
            low, high = self.limits.get("px", (0.0, 0.0))
            if low <= 0:
                return "0"
            unit, value = "px", 0.0
        if unit not in self.limits:
            units = ", ".join(self.limits)
            raise _Refused(f"'{unit}' is not an allowed unit here; use {units}")
        low, high = self.limits[unit]
        clamped = min(max(value, low), high)
        if clamped != value:
            bound = "at least" if clamped == low else "at most"
            changes.append(f"{bound} {_number(clamped)}{unit}")
        return f"{_number(clamped)}{unit}"


def _bounded(
    max_px: float, *, allow_percent: float | None = None
) -> dict[str, tuple[float, float]]:
    limits = {unit: (0.0, max_px / per_px) for unit, per_px in _PX_PER_UNIT.items()}
    if allow_percent is not None:
        limits["%"] = (0.0, allow_percent)
    return limits


_SPACING = _Bounds(
    "length",
    {unit: limits for unit, limits in _bounded(_SPACING_MAX_PX).items() if unit != "pt"},
    "it would pull the text outside the article, over the page around it",
)
_FONT_SIZE = _Bounds(
    "font size",
    {
        "px": _FONT_SIZE_PX,
        "em": (0.5, 3.0),
        "rem": (0.5, 3.0),
        "pt": (6.0, 36.0),
        "%": _FONT_SIZE_PERCENT,
    },
    "font sizes must be positive",
)
_BORDER_WIDTH = _Bounds("border width", {"px": (0.0, _BORDER_MAX_PX)}, "widths are positive")
_RADIUS = _Bounds(
    "radius",
    {
        "px": (0.0, _RADIUS_MAX_PX),
        "em": (0.0, 2.0),
        "rem": (0.0, 2.0),
        "%": (0.0, _RADIUS_MAX_PERCENT),
    },
    "radii are positive",
)
_FONT_SIZE_KEYWORDS = {
    "xx-small",
    "x-small",
    "small",
    "medium",
    "large",
    "x-large",
    "xx-large",
    "smaller",
    "larger",
}


def _one(parts: list[Any], what: str) -> Any:
    if len(parts) != 1:
        raise _Refused(f"give one {what}")
    return parts[0]


def _keywords(allowed: set[str]) -> Callable[[list[Any], list[str]], str]:
    def check(parts: list[Any], changes: list[str]) -> str:
        word = _keyword(_one(parts, "keyword"), allowed)
        if word is None:
            raise _Refused("use one of " + ", ".join(sorted(allowed)))
        return word

    return check


def _colour(parts: list[Any], changes: list[str]) -> str:
    token = _one(parts, "colour")
    if not _is_colour(token):
        raise _Refused("it is not a colour (#hex, a name, rgb(), rgba(), hsl() or hsla())")
    return str(tinycss2.serialize([token]))


def _box(bounds: _Bounds, *, auto: bool) -> Callable[[list[Any], list[str]], str]:
    def check(parts: list[Any], changes: list[str]) -> str:
        if len(parts) > 4:
            raise _Refused("give one to four values")
        values = []
        for token in parts:
            if auto and _keyword(token, {"auto"}):
                values.append("auto")
            else:
                values.append(bounds.length(token, changes))
        return " ".join(values)

    return check


def _font_size(parts: list[Any], changes: list[str]) -> str:
    token = _one(parts, "size")
    word = _keyword(token, _FONT_SIZE_KEYWORDS)
    if word:
        return word
    if token.type == "number" and token.value != 0:
        raise _Refused("give a unit (px, em, rem, pt or %)")
    return _FONT_SIZE.length(token, changes)


def _line_height(parts: list[Any], changes: list[str]) -> str:
    token = _one(parts, "line height")
    if _keyword(token, {"normal"}):
        return "normal"
    low, high = _LINE_HEIGHT
    if token.type == "number":
        unit, value = "", float(token.value)
    elif token.type == "dimension" and token.lower_unit == "em":
        unit, value = "em", float(token.value)
    elif token.type == "percentage":
        unit, value, low, high = "%", float(token.value), low * 100, high * 100
    else:
        raise _Refused("use a number between 1 and 3 (or normal)")
    if value < 0:
        raise _Refused("negative line heights are not allowed")
    clamped = min(max(value, low), high)
    if clamped != value:
        changes.append(f"between {_number(low)}{unit} and {_number(high)}{unit}")
    return f"{_number(clamped)}{unit}"


def _font_weight(parts: list[Any], changes: list[str]) -> str:
    token = _one(parts, "weight")
    word = _keyword(token, {"normal", "bold", "bolder", "lighter"})
    if word:
        return word
    if token.type == "number" and 1 <= token.value <= 1000:
        return _number(float(token.value))
    raise _Refused("use normal, bold, bolder, lighter or a number from 1 to 1000")


def _text_decoration(parts: list[Any], changes: list[str]) -> str:
    lines = {"none", "underline", "overline", "line-through", "solid", "double", "dotted"}
    lines |= {"dashed", "wavy"}
    if len(parts) > 4:
        raise _Refused("give at most four values")
    values = []
    for token in parts:
        word = _keyword(token, lines)
        if word:
            values.append(word)
        elif _is_colour(token):
            values.append(tinycss2.serialize([token]))
        else:
            raise _Refused(
                "use none, underline, overline or line-through, a line style and a colour"
            )
    return " ".join(values)


def _border(parts: list[Any], changes: list[str]) -> str:
    if len(parts) == 1 and (
        _keyword(parts[0], {"none"}) or (parts[0].type == "number" and parts[0].value == 0)
    ):
        return str(tinycss2.serialize(parts))
    width = style = colour = None
    for token in parts:
        word = _keyword(token, {"solid", "dashed", "dotted"})
        if word and style is None:
            style = word
        elif _keyword(token, {"thin", "medium"}) and width is None:
            width = str(token.lower_value)
        elif token.type in ("dimension", "number", "percentage") and width is None:
            width = _BORDER_WIDTH.length(token, changes)
        elif _is_colour(token) and colour is None:
            colour = tinycss2.serialize([token])
        else:
            raise _Refused(
                "give a width of at most 4px, solid, dashed or dotted, and a colour (or none)"
            )
    if style is None or colour is None:
        raise _Refused("give solid, dashed or dotted and a colour (or none)")
    return " ".join(v for v in (width, style, colour) if v)


_RULES: dict[str, Callable[[list[Any], list[str]], str]] = {
    "color": _colour,
    "background-color": _colour,
    "font-weight": _font_weight,
    "font-style": _keywords({"normal", "italic", "oblique"}),
    "font-size": _font_size,
    "text-decoration": _text_decoration,
    "text-align": _keywords({"left", "right", "center", "justify", "start", "end"}),
    "border": _border,
    "border-left": _border,
    "border-radius": _box(_RADIUS, auto=False),
    "padding": _box(_SPACING, auto=False),
    "margin": _box(_SPACING, auto=True),
    "line-height": _line_height,
    "overflow-x": _keywords({"auto", "scroll", "hidden", "visible"}),
}
#: The style properties an article may use (README: "Inline styles").
ALLOWED_PROPERTIES = frozenset(_RULES)
_MOVERS = {"position", "transform", "translate", "z-index", "top", "left", "right", "bottom"}
_MOVERS |= {"inset", "float", "margin-top", "margin-left", "margin-right", "margin-bottom"}


def _declaration_text(name: str, tokens: Sequence[Any], important: bool) -> str:
    value = " ".join(tinycss2.serialize(tokens).split())
    return _shown(f"{name}: {value}" + (" !important" if important else ""))


def _property_reason(name: str) -> str:
    if name.startswith("--"):
        return "custom properties are not allowed"
    allowed = ", ".join(sorted(ALLOWED_PROPERTIES))
    why = " (it could move text outside the article)" if name in _MOVERS else ""
    return f"'{_shown(name)}' is not an allowed property{why}; allowed: {allowed}"


def _chunk_at(value: str, line: int, column: int) -> str:
    """The text between the semicolons around a position (1-based line and column)."""
    lines = value.split("\n")
    offset = sum(len(text) + 1 for text in lines[: line - 1]) + column - 1
    starts = [0]
    for token in tinycss2.parse_component_value_list(value):
        if token.type == "literal" and token.value == ";":
            starts.append(
                sum(len(text) + 1 for text in lines[: token.source_line - 1]) + token.source_column
            )
    start = max((s for s in starts if s <= offset), default=0)
    end = min((s - 1 for s in starts if s > offset), default=len(value))
    return _shown(value[start:end].strip()) or _shown(value)


@lru_cache(maxsize=4096)
def clean_style(value: str) -> CleanedStyle:
    """What is kept of a style attribute, and a finding for each declaration changed."""
    brackets = value.count("(") + value.count("[") + value.count("{")
    if len(value) > MAX_STYLE_CHARS or brackets > MAX_STYLE_BRACKETS:
        reason = (
            f"a style attribute may hold at most {MAX_STYLE_CHARS} characters and "
            f"{MAX_STYLE_BRACKETS} brackets"
        )
        return CleanedStyle(None, (StyleFinding(_shown(value), reason),))
    kept: list[str] = []
    findings: list[StyleFinding] = []
    for item in tinycss2.parse_declaration_list(value, skip_comments=True, skip_whitespace=True):
        if item.type != "declaration":
            where = _chunk_at(value, item.source_line, item.source_column)
            why = "at-rules are not allowed" if item.type == "at-rule" else "it is not valid CSS"
            findings.append(StyleFinding(where, why))
            continue
        name = str(item.lower_name)
        shown = _declaration_text(str(item.name), item.value, bool(item.important))
        rule = _RULES.get(name)
        try:
            if rule is None:
                raise _Refused(_property_reason(name))
            if item.important:
                raise _Refused("!important is not allowed")
            changes: list[str] = []
            css = rule(_parts(item.value), changes)
        except _Refused as refused:
            findings.append(StyleFinding(shown, str(refused)))
            continue
        if changes:
            findings.append(
                StyleFinding(shown, f"{name} must be " + " and ".join(changes), f"{name}: {css}")
            )
        kept.append(f"{name}:{css}")
    return CleanedStyle(";".join(kept) or None, tuple(findings))
