"""Images are checked by what they hold, not by their names: the type by magic bytes, the
size before a byte is read, and an SVG parsed as XML and refused if it could run or load
anything (issue 13, items 23 and 18). Real files, through the real compile step."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from content_factory import PNG, article, write_tree

from publisher.config import load_settings
from publisher.pipeline import compile_project
from publisher.site.compiler import MAX_IMAGE_BYTES

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
NS = 'xmlns="http://www.w3.org/2000/svg"'
XLINK = 'xmlns:xlink="http://www.w3.org/1999/xlink"'
SVG = (
    f'<?xml version="1.0" encoding="UTF-8"?>\n<svg {NS} {XLINK} viewBox="0 0 10 10">'
    '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs>'
    '<style>rect { fill: url(#g) }</style><rect id="r" width="10" height="10" fill="url(#g)"/>'
    '<use xlink:href="#r"/><a href="#r"><text>t</text></a></svg>'
)


def problems(tmp_path: Path, name: str, data: bytes) -> list[tuple[int, str]]:
    content = write_tree(
        tmp_path,
        {"a.md": article("A", f"Intro.\n\n![pic]({name})\n"), name: data},
    )
    result = compile_project(load_settings(content.parent), use_cache=False, workers=1)
    return [(p.line, p.message) for p in result.errors + result.warnings]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.png", PNG),
        ("a.PNG", PNG),
        ("a.jpg", JPEG),
        ("a.jpeg", JPEG),
        ("a.gif", GIF),
        ("a.webp", WEBP),
        ("a.svg", SVG.encode()),
        ("a.svg", b"\xef\xbb\xbf" + SVG.encode()),
        ("a.svg", f"  \n<svg {NS}/>".encode()),
        ("a.svg", f"<!-- drawn by hand --><svg {NS}/>".encode()),
    ],
)
def test_images_that_are_what_they_say_pass(tmp_path: Path, name: str, data: bytes) -> None:
    assert problems(tmp_path, name, data) == []


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.png", b"just some text\n", "is not a PNG image: it holds text"),
        ("a.png", b"", "is not a PNG image: the file is empty"),
        ("a.png", JPEG, "is not a PNG image: it holds a JPEG image"),
        ("a.jpg", PNG, "is not a JPEG image: it holds a PNG image"),
        ("a.gif", b"GIF87", "is not a GIF image"),
        ("a.webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", "is not a WebP image"),
        ("a.png", b"<svg onload=alert(1)>", "is not a PNG image: it holds XML or HTML text"),
        (
            "a.png",
            b"\x00\x01\x02\x03\xff\xfe",
            "is not a PNG image: its first bytes are no image type's",
        ),
        ("a.svg", PNG, "is not an SVG image: it holds a PNG image"),
        ("a.svg", b"plain text", "is not an SVG image: it holds text"),
    ],
)
def test_a_file_whose_bytes_are_not_its_type_is_refused(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    found = problems(tmp_path, name, data)
    assert len(found) == 1, found
    line, text = found[0]
    assert line == 7
    assert text.startswith(f"image '{name}' {message}"), text


def test_a_huge_image_is_refused_without_being_read(tmp_path: Path) -> None:
    """A 2 GB sparse "png": refused by its size in the file system. Reading it whole (as
    the build used to) would take seconds and 2 GB of memory."""
    content = write_tree(tmp_path, {"a.md": article("A", "![pic](big.png)")})
    with (content / "big.png").open("wb") as file:
        file.write(PNG)
        file.truncate(2_000_000_000)
    started = time.monotonic()
    result = compile_project(load_settings(content.parent), use_cache=False, workers=1)
    assert time.monotonic() - started < 5
    assert [p.message for p in result.errors] == [
        "image 'big.png' is 2000.0 MB; Plain accepts files up to 50 MB: make it smaller"
    ]
    just_over = content / "big.png"
    just_over.unlink()
    with just_over.open("wb") as file:
        file.write(PNG)
        file.truncate(MAX_IMAGE_BYTES + 1)
    result = compile_project(load_settings(content.parent), use_cache=False, workers=1)
    assert [p.message[:30] for p in result.errors] == ["image 'big.png' is 50.0 MB; Pl"]


def svg(body: str, root: str = f"<svg {NS} {XLINK}>") -> bytes:
    return f"{root}{body}</svg>".encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (svg("<script>alert(1)</script>"), "holds a <script> element"),
        (svg('<script xlink:href="https://evil.example/x.js"/>'), "holds a <script> element"),
        (
            svg('<s:script xmlns:s="http://www.w3.org/2000/svg">alert(1)</s:script>'),
            "holds a <script> element",
        ),
        (
            svg('<script xmlns="http://www.w3.org/1999/xhtml">alert(1)</script>'),
            "holds a <script> element",
        ),
        (svg("<SCRIPT>alert(1)</SCRIPT>"), "holds a <SCRIPT> element"),
        (svg("", f'<svg {NS} onload="alert(1)">'), "has an event handler attribute (onload=)"),
        (svg('<rect ONCLICK="alert(1)"/>'), "has an event handler attribute (onclick=)"),
        (
            svg('<rect xmlns:e="urn:x" e:onmouseover="alert(1)"/>'),
            "has an event handler attribute (onmouseover=)",
        ),
        (
            svg('<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'),
            "holds a <foreignObject> element",
        ),
        (
            svg('<iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example"/>'),
            "holds an HTML element (<iframe>)",
        ),
        (
            svg('<a href="javascript:alert(1)"><text>x</text></a>'),
            "has a javascript: URL (in href=)",
        ),
        (
            svg('<a xlink:href="&#106;avascript:alert(1)"><text>x</text></a>'),
            "has a javascript: URL (in href=)",
        ),
        (
            svg('<a href=" java&#9;script:alert(1)"><text>x</text></a>'),
            "has a javascript: URL (in href=)",
        ),
        (
            svg('<a><animate attributeName="href" values="https://evil.example"/></a>'),
            "animates its links or event handlers",
        ),
        (
            svg('<a><set attributeName="xlink:href" to="#x"/></a>'),
            "animates its links or event handlers",
        ),
        (
            svg('<set attributeName="onclick" to="alert(1)"/>'),
            "animates its links or event handlers",
        ),
        (
            svg('<image href="https://evil.example/track.png"/>'),
            "refers to 'https://evil.example/track.png' outside the file (in href=)",
        ),
        (
            svg('<image xlink:href="http://evil.example/x.png"/>'),
            "refers to 'http://evil.example/x.png' outside the file (in href=)",
        ),
        (svg('<image href="data:image/png;base64,AAAA"/>'), "embeds a data: URL (in href=)"),
        (svg('<use href="other.svg#icon"/>'), "refers to 'other.svg#icon' outside the file"),
        (
            svg('<rect style="fill: url(https://evil.example/x)"/>'),
            "refers to 'https://evil.example/x' outside the file (in style=)",
        ),
        (svg("<rect fill=\"url('//evil.example/x#g')\"/>"), "outside the file (in fill=)"),
        (svg("<style>@import url(https://evil.example/x.css);</style>"), "imports a stylesheet"),
        (
            svg("<style>rect { fill: url(data:image/png;base64,AA) }</style>"),
            "embeds a data: URL (in <style>)",
        ),
        (
            b'<?xml-stylesheet type="text/xsl" href="https://evil.example/x.xsl"?>' + svg(""),
            "loads a stylesheet",
        ),
        (
            b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            + svg("<text>&b;</text>"),
            "declares a DOCTYPE or entities",
        ),
        (
            b'<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + svg("<text>&x;</text>"),
            "declares a DOCTYPE or entities",
        ),
        (
            b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
            + svg(""),
            "declares a DOCTYPE",
        ),
        (b"<svg><rect/></svg>", 'has no xmlns="http://www.w3.org/2000/svg"'),
        (b"<html><body>x</body></html>", "is not an SVG image (its root element is <html>)"),
        (svg("<rect>"), "is not well-formed XML"),
        (b"<!doctype html><p>hi", "is not well-formed XML"),
    ],
)
def test_an_svg_that_could_run_or_load_anything_is_refused(
    tmp_path: Path, data: bytes, message: str
) -> None:
    found = problems(tmp_path, "pic.svg", data)
    assert len(found) == 1, found
    line, text = found[0]
    assert line == 7
    assert text.startswith("image 'pic.svg' is "), text
    assert message in text, text
    assert "SVG images are public files that run when opened" in text or "is not" in text


def test_each_image_file_is_checked_once_however_often_it_is_used(tmp_path: Path) -> None:
    body = "\n\n".join(f"![{i}](shot.svg)" for i in range(300))
    content = write_tree(
        tmp_path,
        {
            "a.md": article("A", body),
            "b.md": article("B", "![x](shot.svg)"),
            "shot.svg": svg("<script/>"),
        },
    )
    result = compile_project(load_settings(content.parent), use_cache=False, workers=1)
    assert len(result.errors) == 301
    assert len({p.message for p in result.errors}) == 1
