"""The preview on a phone-sized screen, in a real headless Chromium: the sidebar stacks above
the page, and no page of the sample help center is wider than the screen."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium (see .ci/run)")
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )

sync_api = pytest.importorskip("playwright.sync_api")

# Pages with the widest things in the sample: code, tables, images, a long sidebar.
PAGES = [
    "index.html",
    "group/integrations/index.html",
    "article/webhooks/index.html",
    "article/api-quick-start/index.html",
    "article/accounting-export/index.html",
    "article/connect-your-bank/index.html",
    "article/create-and-customize-invoices/index.html",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("narrow") / "site"
    subprocess.run(
        [sys.executable, "-m", "publisher", "build", str(ROOT), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def open_page(browser: object, site: Path, page_path: str, width: int) -> object:
    page = browser.new_page(viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
    page.goto((site / page_path).as_uri())
    return page


def box(page: object, selector: str) -> dict[str, float]:
    found: dict[str, float] = page.locator(selector).bounding_box()  # type: ignore[attr-defined]
    return found


@pytest.mark.parametrize("width", [320, 420, 600])
@pytest.mark.parametrize("page_path", PAGES)
def test_no_page_is_wider_than_a_narrow_screen(
    browser: object, site: Path, page_path: str, width: int
) -> None:
    page = open_page(browser, site, page_path, width)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
    assert scroll_width <= width, f"{page_path} is {scroll_width}px wide at {width}px"
    page.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("width", [320, 420, 600])
def test_the_sidebar_stacks_above_the_article(browser: object, site: Path, width: int) -> None:
    page = open_page(browser, site, "article/webhooks/index.html", width)
    sidebar, main = box(page, "nav.sidebar"), box(page, "main")
    assert sidebar["y"] + sidebar["height"] <= main["y"] + 1
    assert main["width"] >= width - 2  # the article has the screen's whole width
    assert sidebar["height"] <= 900 / 2 + 1  # and starts on the first screen
    page.close()  # type: ignore[attr-defined]


def test_long_code_scrolls_inside_its_block(browser: object, site: Path) -> None:
    page = open_page(browser, site, "article/webhooks/index.html", 420)
    widths = page.evaluate(  # type: ignore[attr-defined]
        "[...document.querySelectorAll('.article-body pre')]"
        ".map(p => [p.scrollWidth, p.clientWidth, p.getBoundingClientRect().right])"
    )
    assert widths and any(scroll > client for scroll, client, _ in widths)  # it does scroll
    assert all(right <= 420 for _, _, right in widths)
    page.close()  # type: ignore[attr-defined]


def test_images_fit_the_screen(browser: object, site: Path) -> None:
    page = open_page(browser, site, "article/connect-your-bank/index.html", 320)
    rights = page.evaluate(  # type: ignore[attr-defined]
        "[...document.querySelectorAll('.article-body img')]"
        ".map(i => i.getBoundingClientRect().right)"
    )
    assert rights and all(right <= 320 for right in rights)
    page.close()  # type: ignore[attr-defined]


def test_a_wide_screen_keeps_the_sidebar_beside_the_article(browser: object, site: Path) -> None:
    page = open_page(browser, site, "article/webhooks/index.html", 1280)
    sidebar, main = box(page, "nav.sidebar"), box(page, "main")
    assert sidebar["x"] + sidebar["width"] <= main["x"] + 1
    assert abs(sidebar["y"] - main["y"]) < 1
    page.close()  # type: ignore[attr-defined]
