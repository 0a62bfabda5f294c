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


def big_group(count: int) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "big/_group.yml": "name: Big\n",
        "other/_group.yml": "name: Other\n",
        "other/one.md": article("Other one", "Text."),
        "faq.md": article("FAQ", "Questions."),
    }
    for number in range(count):
        files[f"big/{number:03d}.md"] = article(f"Article {number:03d}", "Text.", order=number)
    return files


def test_the_sidebar_shows_the_whole_tree_from_the_shared_document(
    tmp_path: Path, browser_page: object
) -> None:
    """The page carries only its trail; its script shows the whole navigation, with the way
    to the page open and the page marked, and shows it again when a title changes."""
    page = browser_page
    expect = sync_api.expect
    content = write_tree(tmp_path, big_group(40))
    with running_preview(tmp_path) as preview:
        page.goto(preview.url + "article/020/")  # type: ignore[attr-defined]
        links = page.locator("nav.sidebar li.open > ul > li > a")  # type: ignore[attr-defined]
        expect(links).to_have_count(40, timeout=10_000)
        assert links.all_inner_texts() == [f"Article {n:03d}" for n in range(40)]
        expect(page.locator("nav.sidebar li.more")).to_have_count(0)  # type: ignore[attr-defined]
        current = page.locator('nav.sidebar a[data-key="article:020"]')  # type: ignore[attr-defined]
        expect(current).to_have_css("font-weight", "600")
        # Groups off the way stay closed: their entries are in the tree but not shown.
        expect(page.locator("nav.sidebar a", has_text="Other one")).to_be_hidden()  # type: ignore[attr-defined]
        page.evaluate("window.loadedOnce = true")  # type: ignore[attr-defined]

        far = content / "big/000.md"  # outside this page's own window
        far.write_text(article("Renamed far away", "Text.", order=0))
        expect(links.first).to_have_text("Renamed far away", timeout=10_000)
        # Shown again, not reloaded.
        assert page.evaluate("window.loadedOnce === true")  # type: ignore[attr-defined]


def test_without_javascript_the_page_shows_its_trail(tmp_path: Path) -> None:
    write_tree(tmp_path, big_group(40))
    with (
        running_preview(tmp_path) as preview,
        sync_api.sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(java_script_enabled=False).new_page()
        page.goto(preview.url + "article/020/")
        links = page.locator("nav.sidebar li.open > ul > li:not(.more) > a")
        assert links.all_inner_texts() == [f"Article {n:03d}" for n in range(15, 26)]
        more = page.locator("nav.sidebar li.more a")
        assert more.all_inner_texts() == ["15 more", "14 more"]
        page.locator("nav.sidebar li.more a").first.click()
        sync_api.expect(page.locator("main h1")).to_have_text("Big")
        assert page.locator("main ul.cards li").count() == 40  # the group page lists them all
        browser.close()
