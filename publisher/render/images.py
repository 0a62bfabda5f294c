"""What an image file holds: its type, read from its first bytes, and whether an SVG is
safe to publish.

Images are uploaded as public files and can be opened on their own, where an SVG is a
document that runs its scripts. So an SVG is parsed as XML (defusedxml: no DOCTYPE, no
entities, nothing fetched) and refused if it holds anything active or anything from
outside the file. Other types are only identified by their magic bytes: a renamed text file
or a JPEG called `.png` is refused before anything more of it is read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

#: The type an image's extension promises, by lowercase extension.
KINDS = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".gif": "GIF",
    ".webp": "WebP",
    ".svg": "SVG",
}
HEAD_BYTES = 64
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_XHTML_NAMESPACE = "http://www.w3.org/1999/xhtml"
_ACTIVE_ELEMENTS = {"script", "foreignobject", "handler", "listener"}
_ANIMATIONS = {"animate", "set", "animatemotion", "animatetransform", "animatecolor"}
_URL_REFERENCE = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)
_IMPORT = re.compile(r"@import", re.IGNORECASE)
_NOISE = re.compile(r"[\x00-\x20]+")
_MAX_SHOWN = 60


def _shown(text: str) -> str:
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def sniff(head: bytes) -> str | None:
    """The image type the first bytes of a file show, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return "SVG"  # XML text: what it really is, the SVG check says
    return None


def _describe(head: bytes) -> str:
    if not head:
        return "the file is empty"
    kind = sniff(head)
    if kind == "SVG":
        return "it holds XML or HTML text"
    if kind:
        return f"it holds a {kind} image"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "its first bytes are no image type's"
    return "it holds text"


def image_problem(path: Path) -> str | None:
    """Why the image file at `path` cannot be published (its size already checked), or None.

    The answer finishes a sentence that starts with the image's name."""
    expected = KINDS.get(path.suffix.lower())
    if expected is None:
        return None
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
        if sniff(head) != expected:
            article = "an" if expected == "SVG" else "a"
            return (
                f"is not {article} {expected} image: {_describe(head)}; save it as {expected} "
                "or give it the extension of its type"
            )
        if expected != "SVG":
            return None
        file.seek(0)
        problem = svg_problem(file)
    if problem is None:
        return None
    return f"is an SVG that {problem}; SVG images are public files that run when opened"


def _local(name: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree name `{ns}local`."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _reference_problem(target: str, where: str) -> str | None:
    """A reference (href, url()) to anything but a part of the same file (`#id`)."""
    target = target.strip()
    if target.startswith("#"):
        return None
    if _NOISE.sub("", target).lower().startswith("data:"):
        return (
            f"embeds a data: URL (in {where}); an SVG may refer only to its own parts "
            "(#id): save pictures as PNG or JPEG instead"
        )
    return (
        f"refers to '{_shown(target)}' outside the file (in {where}); an SVG may refer "
        "only to its own parts (#id)"
    )


def _value_problem(value: str, where: str) -> str | None:
    if "javascript:" in _NOISE.sub("", value).lower():
        return f"has a javascript: URL (in {where})"
    for target in _URL_REFERENCE.findall(value):
        problem = _reference_problem(target, where)
        if problem:
            return problem
    return None


def svg_problem(source: IO[bytes]) -> str | None:
    """What makes an SVG document unsafe to publish, or None. The answer finishes a
    sentence about the file ("… is an SVG that holds a <script> element")."""
    try:
        return _walk_svg(source)
    except DefusedXmlException:
        return (
            "declares a DOCTYPE or entities, which can fetch files or expand without end: "
            "delete its <!DOCTYPE …> or export it again without one"
        )
    except ParseError as error:
        return f"is not well-formed XML ({_shown(str(error))})"


def _walk_svg(source: IO[bytes]) -> str | None:
    root_seen = False
    events = iterparse(source, events=("start", "end", "pi"), forbid_dtd=True, forbid_entities=True)
    for event, item in events:
        if event == "pi":
            target = str(item.text or "").split(None, 1)[0] if item.text else ""
            if target.lower() == "xml-stylesheet":
                return "loads a stylesheet (<?xml-stylesheet?>)"
            continue
        namespace, local = _local(str(item.tag))
        lowered = local.lower()
        if event == "end":
            if lowered == "style" and item.text:
                if _IMPORT.search(item.text):
                    return "imports a stylesheet (@import in <style>)"
                problem = _value_problem(item.text, "<style>")
                if problem:
                    return problem
            item.clear()
            continue
        if not root_seen:
            root_seen = True
            if lowered != "svg":
                return f"is not an SVG image (its root element is <{_shown(local)}>)"
            if namespace != SVG_NAMESPACE:
                return (
                    f'has no xmlns="{SVG_NAMESPACE}" on its <svg> element, so browsers do '
                    "not show it as an image"
                )
        if lowered in _ACTIVE_ELEMENTS:
            return f"holds a <{_shown(local)}> element"
        if namespace == _XHTML_NAMESPACE:
            return f"holds an HTML element (<{_shown(local)}>)"
        for name, value in item.attrib.items():
            _, attribute = _local(str(name))
            attribute = attribute.lower()
            if attribute.startswith("on"):
                return f"has an event handler attribute ({_shown(attribute)}=)"
            where = f"{_shown(str(name).rpartition('}')[2])}="
            problem = _value_problem(value, where)
            if problem:
                return problem
            if attribute == "href":
                problem = _reference_problem(value, where)
                if problem:
                    return problem
            if (
                lowered in _ANIMATIONS
                and attribute == "attributename"
                and (
                    value.strip().lower().endswith("href") or value.strip().lower().startswith("on")
                )
            ):
                return f"animates its links or event handlers (attributeName={_shown(value)})"
    if not root_seen:
        return "is not an SVG image (it has no elements)"
    return None
