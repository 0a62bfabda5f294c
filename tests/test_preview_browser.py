"""The preview in a real headless Chromium: saves show up without touching the browser."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from content_factory import article, write_tree
from preview_process import running_preview

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium (see .ci/run)")
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield page
        browser.close()


def sidebar_titles(page: object) -> list[str]:
    titles: list[str] = page.locator("nav.sidebar li.open > ul > li > a").all_inner_texts()  # type: ignore[attr-defined]
    return titles


def test_edits_show_in_the_open_page_and_errors_recover(
    tmp_path: Path, browser_page: object
) -> None:
    page = browser_page
    expect = sync_api.expect
    content = write_tree(
        tmp_path,
        {
            "billing/_group.yml": "name: Billing\n",
            "billing/01-refunds.md": article("Refunds", "Refunds take five days."),
            "billing/02-plans.md": article("Plans", "Three plans."),
            "faq.md": article("FAQ", "Questions."),
        },
    )
    refunds = content / "billing/01-refunds.md"
    with running_preview(tmp_path) as preview:
        page.goto(preview.url + "article/refunds/")  # type: ignore[attr-defined]
        body = page.locator("article.article-body")  # type: ignore[attr-defined]
        expect(body).to_contain_text("Refunds take five days.")
        # Mark this page load: a reload by the page itself clears the mark.
        page.evaluate("window.loadedOnce = true")  # type: ignore[attr-defined]

        refunds.write_text(article("Refunds", "Refunds take three days."))
        expect(body).to_contain_text("Refunds take three days.", timeout=10_000)
        assert page.evaluate("window.loadedOnce === undefined")  # type: ignore[attr-defined]

        refunds.write_text(article("Getting a refund", "Refunds take three days."))
        expect(page.locator("main h1")).to_have_text("Getting a refund", timeout=10_000)  # type: ignore[attr-defined]

        assert sidebar_titles(page) == ["Getting a refund", "Plans"]
        refunds.rename(content / "billing/03-refunds.md")
        expect(page.locator("nav.sidebar li.open > ul > li > a").first).to_have_text(  # type: ignore[attr-defined]
            "Plans", timeout=10_000
        )
        assert sidebar_titles(page) == ["Plans", "Getting a refund"]
        refunds = content / "billing/03-refunds.md"

        refunds.write_text("---\ntitle: [Getting a refund\n---\nRefunds take three days.\n")
        overlay = page.locator("#publisher-error-overlay")  # type: ignore[attr-defined]
        expect(overlay).to_be_visible(timeout=10_000)
        expect(overlay).to_contain_text("billing/03-refunds.md:2: invalid YAML")
        expect(body).to_contain_text("Refunds take three days.")  # the last good version
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "preview-error.png"))  # type: ignore[attr-defined]

        refunds.write_text(article("Getting a refund", "Refunds take two days."))
        expect(overlay).to_have_count(0, timeout=10_000)
        expect(body).to_contain_text("Refunds take two days.", timeout=10_000)
        page.screenshot(path=str(ARTIFACTS / "preview.png"))  # type: ignore[attr-defined]


def test_page_reconnects_after_the_server_restarts(tmp_path: Path, browser_page: object) -> None:
    page = browser_page
    expect = sync_api.expect
    content = write_tree(tmp_path, {"faq.md": article("FAQ", "First.")})
    with running_preview(tmp_path) as first:
        url = first.url
        page.goto(url + "article/faq/")  # type: ignore[attr-defined]
        expect(page.locator("article")).to_contain_text("First.")  # type: ignore[attr-defined]
    (content / "faq.md").write_text(article("FAQ", "Second."))
    port = url.rsplit(":", 1)[1].strip("/")
    try:
        with running_preview(tmp_path, "--port", port):
            expect(page.locator("article")).to_contain_text("Second.", timeout=15_000)  # type: ignore[attr-defined]
    except TimeoutError:
        pytest.skip("the old port was taken before the preview could restart on it")


def test_screenshot_of_the_sample_help_center(tmp_path: Path, browser_page: object) -> None:
    shutil.copytree(Path(__file__).resolve().parents[1] / "content", tmp_path / "content")
    with running_preview(tmp_path) as preview:
        page = browser_page
        page.goto(preview.url + "article/connect-your-bank/")  # type: ignore[attr-defined]
        sync_api.expect(page.locator("main h1")).to_have_text("Connect your bank")  # type: ignore[attr-defined]
        image = page.locator("article img").first  # type: ignore[attr-defined]
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "sample.png"), full_page=False)  # type: ignore[attr-defined]
