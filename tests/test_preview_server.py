"""The preview server over real HTTP: what it serves, what it refuses, what it pushes."""

from __future__ import annotations

import os
import queue
import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from content_factory import PNG, article, write_tree
from preview_process import EventStream, running_preview

from publisher.preview.server import page_key

FILES: dict[str, str | bytes] = {
    "guide/intro.md": article("Intro", "![Shot](img/shot.png)"),
    "guide/img/shot.png": PNG,
    "faq.md": article("FAQ", "Questions.", status="draft"),
}


def raw_get(url: str, target: str) -> bytes:
    """Send the request target exactly as given (clients normalise `..` away)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        request = f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", "index.html"),
        ("/article/faq", "article/faq/index.html"),
        ("/article/faq/", "article/faq/index.html"),
        ("/group/guide/index.html", "group/guide/index.html"),
        ("/../etc/passwd", None),
        ("/article/%2e%2e/%2e%2e/etc/passwd", None),
        ("/article/..%2f..%2fetc", None),
        ("/a\\..\\b", None),
    ],
)
def test_page_key(path: str, expected: str | None) -> None:
    assert page_key(path) == expected


def test_serves_pages_and_images_and_nothing_else(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    with running_preview(tmp_path) as preview:
        url = preview.url
        page = httpx.get(url + "article/faq/")
        assert page.status_code == 200
        assert "Draft</span>" in page.text and '<script src="/__publisher__/live.js"' in page.text
        assert httpx.get(url + "article/faq").status_code == 200
        image = httpx.get(url + "assets/guide/img/shot.png")
        assert image.content == PNG and image.headers["content-type"] == "image/png"
        for target in (
            "/../secret.txt",
            "/assets/../../secret.txt",
            "/assets/%2e%2e/%2e%2e/%2e%2e/secret.txt",
            f"/assets/{tmp_path}/secret.txt",
            "//etc/passwd",
            "/etc/passwd",
            "/assets//etc/passwd",
        ):
            response = raw_get(url, target)
            assert response.startswith(b"HTTP/1.1 404"), (target, response[:80])
            assert b"TOP SECRET" not in response and b"root:" not in response
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            assert httpx.request(method, url).status_code == 405


def test_symlink_out_of_the_content_is_an_error_and_never_served(tmp_path: Path) -> None:
    content = write_tree(
        tmp_path, {**FILES, "guide/intro.md": article("Intro", "![x](img/link.png)")}
    )
    (tmp_path / "secret.txt").write_text("TOP SECRET")
    os.symlink(tmp_path / "secret.txt", content / "guide/img/link.png")
    with running_preview(tmp_path) as preview:
        assert any("symlink points outside the content root" in line for line in preview.output)
        response = raw_get(preview.url, "/assets/guide/img/link.png")
        assert response.startswith(b"HTTP/1.1 404") and b"TOP SECRET" not in response


def test_a_save_pushes_an_update_naming_the_changed_page(tmp_path: Path) -> None:
    content = write_tree(tmp_path, FILES)
    with running_preview(tmp_path) as preview:
        events = EventStream(preview.url)
        hello = events.next("hello")
        assert hello["errors"] == []
        (content / "guide/intro.md").write_text(article("Intro", "New words."))
        update = events.next("update")
        assert update["changed"] == ["/article/intro/"]
        assert update["generation"] == hello["generation"] + 1
        assert "New words." in httpx.get(preview.url + "article/intro/").text
        events.close()


def test_editor_temp_files_trigger_nothing(tmp_path: Path) -> None:
    content = write_tree(tmp_path, FILES)
    with running_preview(tmp_path) as preview:
        events = EventStream(preview.url)
        events.next("hello")
        for name in (".intro.md.swp", "intro.md~", "4913", "intro.md___jb_tmp___", ".#intro.md"):
            (content / "guide" / name).write_text("junk")
        with pytest.raises(queue.Empty):
            events.next("update", timeout=1.0)
        events.close()


def test_broken_file_is_reported_and_recovers(tmp_path: Path) -> None:
    content = write_tree(tmp_path, FILES)
    with running_preview(tmp_path) as preview:
        events = EventStream(preview.url)
        events.next("hello")
        path = content / "faq.md"
        path.write_text("---\ntitle: [oops\n---\nText\n")
        broken = events.next("update")
        assert len(broken["errors"]) == 1
        assert broken["errors"][0].endswith(
            "faq.md:2: invalid YAML: the `[` on this line is never closed: end the list with `]`, "
            'or put the title in quotes if the `[` is part of the text: title: "[oops"'
        )
        assert broken["changed"] == []
        preview.wait_for_line("1 error:")
        assert "Questions." in httpx.get(preview.url + "article/faq/").text  # last good
        path.write_text(article("FAQ", "Fixed.", status="draft"))
        fixed = events.next("update")
        assert fixed["errors"] == [] and fixed["changed"] == ["/article/faq/"]
        events.close()


def test_binding_elsewhere_warns(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    with running_preview(tmp_path, "--host", "0.0.0.0") as preview:
        assert any("warning: serving on 0.0.0.0" in line for line in preview.output)
