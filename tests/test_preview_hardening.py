"""The preview under hostile or unlucky conditions: files swapped under it, foreign Host
headers, rebuilds that raise, SVG images opened on their own."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from content_factory import PNG, article, write_tree
from preview_process import EventStream, running_preview
from starlette.types import ASGIApp

from publisher import serving
from publisher.config import load_settings
from publisher.preview import live as live_module
from publisher.preview.files import open_beneath, open_inside
from publisher.preview.live import LiveSite
from publisher.preview.server import Broadcaster, create_app
from publisher.preview.watcher import Batcher

SECRET = b"OUTSIDE-SECRET-" + os.urandom(6).hex().encode()
FILES: dict[str, str | bytes] = {
    "guide/intro.md": article("Intro", "Hello.\n\n![Shot](img/shot.png)"),
    "guide/img/shot.png": PNG,
    "guide/img/other.png": PNG + b"other",
    "faq.md": article("FAQ", "Questions.", status="draft"),
}
IMAGE_URL = "assets/guide/img/shot.png"


def raw(url: str, host: bytes | None, target: str = "/", version: str = "1.1") -> bytes:
    """One request with exactly this Host header (None: no Host header at all)."""
    parts = urlsplit(url)
    head = f"GET {target} HTTP/{version}\r\n".encode()
    if host is not None:
        head += b"Host: " + host + b"\r\n"
    head += b"Connection: close\r\n\r\n"
    data = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head)
        while chunk := sock.recv(65536):
            data += chunk
    return data


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


# --- 1. Images swapped under a running preview ---------------------------------------------


def outside_file(project: Path) -> Path:
    secret = project.parent / "outside.png"
    secret.write_bytes(SECRET)
    return secret


def to_absolute_link(content: Path, image: Path) -> None:
    image.unlink()
    image.symlink_to(outside_file(content.parent))


def to_relative_link(content: Path, image: Path) -> None:
    outside_file(content.parent)
    image.unlink()
    image.symlink_to("../../../../outside.png")  # img -> guide -> content -> project -> tmp


def to_etc_passwd(content: Path, image: Path) -> None:
    image.unlink()
    image.symlink_to("/etc/passwd")


def to_folder_link(content: Path, image: Path) -> None:
    elsewhere = content.parent.parent / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "shot.png").write_bytes(SECRET)
    shutil.rmtree(image.parent)
    image.parent.symlink_to(elsewhere, target_is_directory=True)


def to_link_loop(content: Path, image: Path) -> None:
    image.unlink()
    image.symlink_to(image.with_name("loop.png"))
    image.with_name("loop.png").symlink_to(image)


def deleted(content: Path, image: Path) -> None:
    image.unlink()


SWAPS: dict[str, Callable[[Path, Path], None]] = {
    "symlink to a file outside": to_absolute_link,
    "relative symlink up and out": to_relative_link,
    "symlink to /etc/passwd": to_etc_passwd,
    "folder replaced by a symlink out": to_folder_link,
    "symlink loop": to_link_loop,
    "deleted": deleted,
}


@pytest.mark.parametrize("swap", SWAPS.values(), ids=SWAPS.keys())
def test_a_served_image_swapped_for_something_else_is_no_longer_served(
    tmp_path: Path, swap: Callable[[Path, Path], None]
) -> None:
    project = tmp_path / "project"
    content = write_tree(project, FILES)
    image = content / "guide/img/shot.png"
    with running_preview(project) as preview:
        events = EventStream(preview.url)
        events.next("hello")
        assert httpx.get(preview.url + IMAGE_URL).content == PNG
        swap(content, image)
        update = events.next("update")  # the rebuild that saw it
        assert update["errors"], update
        response = httpx.get(preview.url + IMAGE_URL)
        assert response.status_code == 404
        assert SECRET not in response.content and b"root:" not in response.content
        # The last good page stays; the image comes back once it is an image again.
        assert "Hello." in httpx.get(preview.url + "article/intro/").text
        if image.parent.is_symlink():
            image.parent.unlink()
            image.parent.mkdir()
        for name in ("shot.png", "loop.png"):
            if (image.parent / name).is_symlink():
                (image.parent / name).unlink()
        image.write_bytes(PNG)
        deadline = time.monotonic() + 10
        while (fixed := events.next("update"))["errors"] and time.monotonic() < deadline:
            pass
        assert fixed["errors"] == []
        assert httpx.get(preview.url + IMAGE_URL).content == PNG
        events.close()


class InProcess:
    """Requests to an ASGI app without a server (and so without the Host check)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def get(self, path: str) -> httpx.Response:
        async def run() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                return await client.get(path)

        return asyncio.run(run())


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, InProcess]]:
    """The preview's app in-process over a first build, with no watcher: whatever changes
    on disk afterwards is seen only by the checks made at each request."""
    project = tmp_path / "project"
    content = write_tree(project, FILES)
    live = LiveSite(load_settings(project))
    assert live.rebuild().errors == []
    client = InProcess(create_app(live, Broadcaster()))
    assert client.get("/" + IMAGE_URL).content == PNG
    yield content, client


def to_fifo(content: Path, image: Path) -> None:
    image.unlink()
    os.mkfifo(image)


def to_folder(content: Path, image: Path) -> None:
    image.unlink()
    image.mkdir()


@pytest.mark.parametrize(
    "swap", [*SWAPS.values(), to_fifo, to_folder], ids=[*SWAPS.keys(), "fifo", "folder"]
)
def test_every_request_checks_the_image_again(
    served: tuple[Path, InProcess], swap: Callable[[Path, Path], None]
) -> None:
    content, client = served
    swap(content, content / "guide/img/shot.png")
    response = client.get("/" + IMAGE_URL)  # a FIFO must not hang it either
    assert response.status_code == 404
    assert SECRET not in response.content and b"root:" not in response.content


def test_a_symlink_that_stays_inside_the_content_is_still_served(
    served: tuple[Path, InProcess],
) -> None:
    content, client = served
    image = content / "guide/img/shot.png"
    image.unlink()
    image.symlink_to("other.png")
    assert client.get("/" + IMAGE_URL).content == PNG + b"other"


def test_the_open_follows_no_link_even_one_that_appears_after_the_check(tmp_path: Path) -> None:
    """The race: the check resolved a real file, then a symlink took its place (or its
    folder's) before the open. The open walks from the root without following any link."""
    root = tmp_path / "root"
    (root / "img").mkdir(parents=True)
    (root / "img/shot.png").write_bytes(PNG)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/shot.png").write_bytes(SECRET)
    fd = open_beneath(root, ("img", "shot.png"))
    with os.fdopen(fd, "rb") as file:
        assert file.read() == PNG
    (root / "img/shot.png").unlink()
    (root / "img/shot.png").symlink_to(tmp_path / "outside/shot.png")
    with pytest.raises(OSError):
        open_beneath(root, ("img", "shot.png"))
    shutil.rmtree(root / "img")
    (root / "img").symlink_to(tmp_path / "outside", target_is_directory=True)
    with pytest.raises(OSError):
        open_beneath(root, ("img", "shot.png"))
    assert open_inside(root, root / "img/shot.png") is None


def test_an_image_flipping_between_file_and_link_never_leaks(
    served: tuple[Path, InProcess],
) -> None:
    """A real race: another thread swaps the image for a link out and back, atomically,
    as fast as it can, while requests keep coming."""
    content, client = served
    image = content / "guide/img/shot.png"
    outside = outside_file(content.parent)
    stop = threading.Event()

    def flip() -> None:
        link, copy = image.with_name("link.tmp"), image.with_name("copy.tmp")
        while not stop.is_set():
            link.symlink_to(outside)
            os.replace(link, image)
            copy.write_bytes(PNG)
            os.replace(copy, image)

    flipper = threading.Thread(target=flip, daemon=True)
    flipper.start()
    statuses = set()
    try:
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            response = client.get("/" + IMAGE_URL)
            assert SECRET not in response.content
            statuses.add(response.status_code)
    finally:
        stop.set()
        flipper.join(5)
    assert statuses <= {200, 404}


def test_a_rebuild_with_errors_drops_the_images_that_failed(tmp_path: Path) -> None:
    content = write_tree(tmp_path, FILES)
    live = LiveSite(load_settings(tmp_path))
    live.rebuild()
    assert f"{IMAGE_URL}" in live.copies
    image = content / "guide/img/shot.png"
    image.unlink()
    update = live.rebuild({image})
    assert any("shot.png" in p.message for p in update.errors)
    assert IMAGE_URL not in live.copies
    assert live.page("article/intro/index.html") is not None  # the last good page stays


# --- 1. Host names --------------------------------------------------------------------------

LOOPBACK_ONLY = serving.allowed_hosts("127.0.0.1")


@pytest.mark.parametrize(
    "header",
    ["localhost", "LOCALHOST", "LocalHost:8000", "127.0.0.1", "127.0.0.1:1", "[::1]", "[::1]:80"],
)
def test_loopback_names_are_answered(header: str) -> None:
    assert LOOPBACK_ONLY.allows(header)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        " ",
        "evil.example",
        "evil.example:8000",
        "127.0.0.1.nip.io",
        "localhost.evil.example",
        "evil-localhost",
        "localhost.",  # a name a resolver may look up elsewhere: refused, see the README
        "[::2]",
        "[2001:db8::1]:8000",
        "::1",  # an IPv6 literal must be in brackets
        "[::1",
        "0.0.0.0",
        "127.0.0.2",
        "localhost:notaport",
        "localhost:99999",
        "evil.example@localhost",
        "localhost@evil.example",
        "localhost/evil",
        "localhost\\evil",
    ],
)
def test_other_names_are_refused(header: str | None) -> None:
    assert not LOOPBACK_ONLY.allows(header)


def test_host_option_adds_its_name() -> None:
    named = serving.allowed_hosts("docs.internal")
    assert named.allows("docs.internal:8000") and named.allows("DOCS.INTERNAL")
    assert named.allows("localhost") and not named.allows("evil.example")
    assert not named.allows("192.168.1.20")
    address = serving.allowed_hosts("192.168.1.20")
    assert address.allows("192.168.1.20:8000") and not address.allows("192.168.1.21")
    assert serving.allowed_hosts("::1") == LOOPBACK_ONLY
    assert serving.allowed_hosts("localhost") == LOOPBACK_ONLY


@pytest.mark.parametrize("wildcard", ["0.0.0.0", "::"])
def test_every_address_answers_addresses_and_this_machines_name(wildcard: str) -> None:
    allowed = serving.allowed_hosts(wildcard)
    for header in ("192.168.1.20:8000", "[fe80::1]", "10.0.0.1", socket.gethostname()):
        assert allowed.allows(header), header
    for header in ("evil.example", "127.0.0.1.nip.io", "localhost.evil.example"):
        assert not allowed.allows(header), header


REFUSED_HOSTS = [
    b"evil.example",
    b"evil.example:8000",
    b"127.0.0.1.nip.io",
    b"localhost.evil.example",
    b"",
    b"[2001:db8::1]",
    b"localhost.",
]


def test_the_preview_answers_only_its_own_host_names(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    with running_preview(tmp_path) as preview:
        url = preview.url
        port = str(urlsplit(url).port).encode()
        for host in (b"localhost", b"LOCALHOST:" + port, b"127.0.0.1:" + port):
            response = raw(url, host, "/article/faq/")
            assert status_of(response) == 200 and b"Questions." in response, host
        for target in ("/article/faq/", "/" + IMAGE_URL, "/__publisher__/events", "/missing"):
            for host in REFUSED_HOSTS:
                response = raw(url, host, target)
                assert status_of(response) == 421, (host, target, response[:200])
                assert b"answers only for" in response and b"Questions." not in response
                assert PNG not in response
        # No Host at all (HTTP/1.0), or two of them.
        assert status_of(raw(url, None, "/article/faq/", version="1.0")) == 421
        two = raw(url, b"127.0.0.1\r\nHost: evil.example", "/article/faq/")
        assert status_of(two) in (400, 421) and b"Questions." not in two


def test_the_preview_on_every_address_answers_this_machines_name(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    with running_preview(tmp_path, "--host", "0.0.0.0") as preview:
        url = preview.url.replace("0.0.0.0", "127.0.0.1")
        for host in (socket.gethostname().encode(), b"127.0.0.1", b"localhost"):
            assert status_of(raw(url, host, "/article/faq/")) == 200, host
        for host in REFUSED_HOSTS[:4]:
            assert status_of(raw(url, host, "/article/faq/")) == 421, host


# --- 7. Rebuilds that raise ------------------------------------------------------------------


def fail_once(error: BaseException, real: Callable[..., Any]) -> Callable[..., Any]:
    calls: list[int] = []

    def once(*args: Any, **kwargs: Any) -> Any:
        if not calls:
            calls.append(1)
            raise error
        return real(*args, **kwargs)

    return once


INJECTED = {
    "compile raises": (
        "compile_project",
        RuntimeError("boom"),
        "content:1: internal error while rebuilding: RuntimeError: boom",
    ),
    "a file vanishes while read": (
        "compile_project",
        FileNotFoundError(2, "No such file or directory", "CONTENT/faq.md"),
        "faq.md:1: cannot read this file while rebuilding (No such file or directory)",
    ),
    "out of memory": (
        "compile_project",
        MemoryError(),
        "content:1: internal error while rebuilding: MemoryError",
    ),
    "laying out the pages raises": (
        "site_images",
        KeyError("x"),
        "internal error while rebuilding: KeyError: 'x'",
    ),
    "rendering raises": ("_samples", ValueError("bad"), "template error: bad"),
}
# The same on the short way a save of one article takes (see LiveSite).
INJECTED_ON_A_SAVE = {
    "rendering the saved article raises": (
        "render_bodies",
        RuntimeError("boom"),
        "internal error while rebuilding: RuntimeError: boom",
    ),
    "checking it raises": (
        "article_problems",
        RuntimeError("boom"),
        "internal error while rebuilding: RuntimeError: boom",
    ),
    "putting it in place raises": (
        "_swap_article",
        KeyError("x"),
        "internal error while rebuilding: KeyError: 'x'",
    ),
}


@pytest.mark.parametrize(
    ("target", "error", "shown", "new_file"),
    [(*case, True) for case in INJECTED.values()]
    + [(*case, False) for case in INJECTED_ON_A_SAVE.values()],
    ids=[*INJECTED, *INJECTED_ON_A_SAVE],
)
def test_a_rebuild_that_raises_becomes_an_error_and_the_next_one_recovers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    error: Exception,
    shown: str,
    new_file: bool,
) -> None:
    content = write_tree(tmp_path, FILES)
    if isinstance(error, OSError):
        error.filename = str(content / "faq.md")
    live = LiveSite(load_settings(tmp_path))
    assert live.rebuild().errors == []
    path = content / "faq.md"
    path.write_text(article("FAQ", "Edited.", status="draft"))
    saved = {path}
    if new_file:  # a new file: the whole way, never the short way of one saved article
        (content / "more.md").write_text(article("More", "More."))
        saved.add(content / "more.md")
    monkeypatch.setattr(live_module, target, fail_once(error, getattr(live_module, target)))
    broken = live.rebuild(saved)
    assert len(broken.errors) == 1
    assert shown in broken.errors[0].format(relative_to=tmp_path), broken.errors
    assert "Questions." in (live.page("article/faq/index.html") or "")  # the last good page
    assert live.last is broken
    fixed = live.rebuild()  # nothing saved since: the same files build now
    assert fixed.errors == []
    assert "Edited." in (live.page("article/faq/index.html") or "")
    path.write_text(article("FAQ", "Edited again.", status="draft"))
    assert live.rebuild({path}).changed == ["/article/faq/"]


def test_the_rebuild_thread_outlives_a_callback_that_raises() -> None:
    seen: list[set[Path]] = []
    errors: list[Exception] = []
    done = threading.Event()

    def rebuild(paths: set[Path], templates: bool) -> None:
        seen.append(paths)
        if len(seen) == 1:
            raise RuntimeError("first save breaks")
        done.set()

    batcher = Batcher(rebuild, on_error=errors.append)
    try:
        batcher.add(Path("a.md"), template=False)
        deadline = time.monotonic() + 5
        while not errors and time.monotonic() < deadline:
            time.sleep(0.01)
        batcher.add(Path("b.md"), template=False)
        assert done.wait(5)
    finally:
        batcher.stop()
    assert [str(e) for e in errors] == ["first save breaks"]
    assert seen == [{Path("a.md")}, {Path("b.md")}]


def test_real_content_that_raises_shows_in_the_page_and_the_preview_recovers(
    tmp_path: Path,
) -> None:
    """Folders nested deeper than Python's recursion limit made the loader raise
    RecursionError, which ended the rebuild thread for good."""
    content = write_tree(tmp_path, FILES)
    with running_preview(tmp_path) as preview:
        events = EventStream(preview.url)
        events.next("hello")
        deep = content / "deep"
        (deep / Path(*["d"] * 600)).mkdir(parents=True)
        (deep / Path(*["d"] * 600) / "x.md").write_text(article("Deep", "Down."))
        broken = events.next("update", timeout=30)
        assert broken["errors"], broken
        shutil.rmtree(deep)
        fixed = events.next("update", timeout=30)
        while fixed["errors"]:
            fixed = events.next("update", timeout=30)
        (content / "faq.md").write_text(article("FAQ", "Still watching.", status="draft"))
        update = events.next("update")
        assert update["changed"] == ["/article/faq/"] and update["errors"] == []
        assert "Still watching." in httpx.get(preview.url + "article/faq/").text
        events.close()


# --- 18. Headers: what a page or an image may do ----------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>'


def test_images_are_served_inert_and_pages_with_a_strict_policy(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **FILES,
            "guide/intro.md": article("Intro", "![a](img/shot.png) ![b](img/pic.svg)"),
            "guide/img/pic.svg": SVG,
        },
    )
    with running_preview(tmp_path) as preview:
        for name, media in (("shot.png", "image/png"), ("pic.svg", "image/svg+xml")):
            image = httpx.get(preview.url + f"assets/guide/img/{name}")
            assert image.status_code == 200 and image.headers["content-type"] == media
            policy = image.headers["content-security-policy"]
            assert "default-src 'none'" in policy and "sandbox" in policy
            assert "script-src" not in policy
            assert image.headers["x-content-type-options"] == "nosniff"
        for path in ("article/intro/", "missing/"):
            page = httpx.get(preview.url + path)
            policy = page.headers["content-security-policy"]
            assert "default-src 'none'" in policy and "script-src 'self'" in policy
            assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["referrer-policy"] == "no-referrer"
        script = httpx.get(preview.url + "__publisher__/live.js")
        assert script.headers["x-content-type-options"] == "nosniff"


@pytest.mark.browser
def test_pages_work_under_their_policy_in_a_browser(tmp_path: Path) -> None:
    """Reload script, event stream, highlighted code, images and the error overlay, with no
    Content-Security-Policy violation reported by Chromium."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    body = "Hello.\n\n![Shot](img/shot.png)\n\n```python\nprint('hi')\n```\n"
    content = write_tree(tmp_path, {**FILES, "guide/intro.md": article("Intro", body)})
    messages: list[str] = []
    with sync_api.sync_playwright() as playwright, running_preview(tmp_path) as preview:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.on("console", lambda message: messages.append(message.text))
        page.goto(preview.url + "article/intro/")
        assert page.locator("article img").evaluate("img => img.complete && img.naturalWidth > 0")
        assert "color" in (page.locator("pre span[style]").first.get_attribute("style") or "")
        (content / "guide/intro.md").write_text("---\ntitle: [broken\n---\n")
        overlay = page.locator("#publisher-error-overlay")
        sync_api.expect(overlay).to_be_visible(timeout=10_000)
        (content / "guide/intro.md").write_text(article("Intro", "Fixed."))
        sync_api.expect(page.locator("article")).to_contain_text("Fixed.", timeout=10_000)
        browser.close()
    assert not [m for m in messages if "Content Security Policy" in m], messages
