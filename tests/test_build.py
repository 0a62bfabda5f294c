"""The static preview site: pages, sidebar order, images, atomic output, cache reuse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from content_factory import PNG, article, write_tree

from publisher.cli import main
from publisher.config import load_settings
from publisher.pipeline import build_project
from publisher.site.builder import MARKER, OutputError, SitePages

FILES: dict[str, str | bytes] = {
    "02-billing/_group.yml": "name: Billing & plans\n",
    "02-billing/refunds.md": article("Refunds", "## Steps\n\n![Form](images/form.png)"),
    "02-billing/images/form.png": PNG,
    "02-billing/tax/vat.md": article("VAT invoices", "See [refunds](../refunds.md#steps)."),
    "01-start/01-install.md": article("Install", "Text.", description="Get the app"),
    "01-start/02-soon.md": article("Coming soon", "Text.", status="draft"),
    "faq.md": article("FAQ", "Questions."),
}


def build(tmp_path: Path, out: Path | None = None) -> Path:
    write_tree(tmp_path, FILES)
    out = out or tmp_path / "site"
    result = build_project(load_settings(tmp_path), out, workers=1)
    assert result.compiled.errors == []
    return out


def sidebar_keys(html: str) -> list[str]:
    nav = html.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'data-key="([^"]+)"', nav)


def test_site_has_index_group_and_article_pages_and_images(tmp_path: Path) -> None:
    out = build(tmp_path)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert files == [
        MARKER,
        "_publisher/nav.html",
        "_publisher/nav.js",
        "article/faq/index.html",
        "article/install/index.html",
        "article/refunds/index.html",
        "article/soon/index.html",
        "article/vat/index.html",
        "assets/02-billing/images/form.png",
        "group/billing/index.html",
        "group/start/index.html",
        "group/tax/index.html",
        "index.html",
    ]
    assert (out / "assets/02-billing/images/form.png").read_bytes() == PNG


def test_sidebar_follows_navigation_order_and_opens_the_current_path(tmp_path: Path) -> None:
    out = build(tmp_path)
    top = ["group:start", "group:billing", "article:faq"]
    assert sidebar_keys((out / "index.html").read_text()) == top
    inside_tax = [
        "group:start",
        "group:billing",
        "article:refunds",
        "group:tax",
        "article:vat",
        "article:faq",
    ]
    for page in ("article/vat/index.html", "group/tax/index.html"):
        assert sidebar_keys((out / page).read_text()) == inside_tax
    inside_start = [
        "group:start",
        "article:install",
        "article:soon",
        "group:billing",
        "article:faq",
    ]
    assert sidebar_keys((out / "article/install/index.html").read_text()) == inside_start


def test_article_page_content(tmp_path: Path) -> None:
    out = build(tmp_path)
    vat = (out / "article/vat/index.html").read_text()
    assert "<h1>VAT invoices</h1>" in vat
    assert '<a href="/article/refunds#steps">refunds</a>' in vat
    assert '<a href="/group/billing/">Billing &amp; plans</a>' in vat  # breadcrumb
    assert 'a[data-key="article:vat"]' in vat  # the current page is highlighted
    refunds = (out / "article/refunds/index.html").read_text()
    assert '<img src="/assets/02-billing/images/form.png" alt="Form">' in refunds
    soon = (out / "article/soon/index.html").read_text()
    assert 'Coming soon <span class="badge"' in soon
    install = (out / "article/install/index.html").read_text()
    assert '<p class="description">Get the app</p>' in install


def test_group_page_lists_its_children(tmp_path: Path) -> None:
    out = build(tmp_path)
    billing = (out / "group/billing/index.html").read_text()
    main_part = billing.split("<main>", 1)[1]
    assert main_part.index('href="/article/refunds"') < main_part.index('href="/group/tax/"')
    assert "1 article<" in main_part


def test_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build(tmp_path, tmp_path / "one")
    second = build(tmp_path, tmp_path / "two")
    for page in first.rglob("*"):
        if page.is_file():
            assert page.read_bytes() == (second / page.relative_to(first)).read_bytes(), page


def test_second_build_reuses_the_render_cache(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    settings = load_settings(tmp_path)
    cold = build_project(settings, tmp_path / "site", workers=1).compiled.cache
    warm = build_project(settings, tmp_path / "site", workers=1).compiled.cache
    assert cold is not None and warm is not None
    assert (cold.hits, cold.misses) == (0, 5)
    assert (warm.hits, warm.misses) == (5, 0)


def test_rebuild_replaces_stale_pages(tmp_path: Path) -> None:
    out = build(tmp_path)
    (tmp_path / "content/faq.md").unlink()
    build_project(load_settings(tmp_path), out, workers=1)
    assert not (out / "article/faq").exists()


def test_refuses_to_replace_a_folder_it_did_not_build(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    with pytest.raises(OutputError, match="not empty and was not made by"):
        build_project(load_settings(tmp_path), precious, workers=1)
    result = CliRunner().invoke(main, ["build", str(tmp_path), "--out", str(precious)])
    assert result.exit_code == 2
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_template_override_from_the_content_repo(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/index.html").write_text(
        '{% extends "base.html" %}{% block main %}<p>Custom home</p>{% endblock %}'
    )
    out = build(tmp_path)
    assert "<p>Custom home</p>" in (out / "index.html").read_text()
    assert "<h1>FAQ</h1>" in (out / "article/faq/index.html").read_text()


def test_process_pool_renders_the_same_html(tmp_path: Path) -> None:
    files = {
        f"a{i:03}.md": article(f"A {i}", f"## H{i}\n\n```python\nx = {i}\n```") for i in range(40)
    }
    write_tree(tmp_path, files)
    settings = load_settings(tmp_path)
    serial = build_project(settings, tmp_path / "one", use_cache=False, workers=1)
    pooled = build_project(settings, tmp_path / "two", use_cache=False, workers=2)
    assert serial.compiled.site.bodies == pooled.compiled.site.bodies


def test_rebuild_writes_only_what_changed(tmp_path: Path) -> None:
    out = build(tmp_path)
    settings = load_settings(tmp_path)
    assert build_project(settings, out, workers=1).files_written == 0
    faq = tmp_path / "content/faq.md"
    faq.write_text(article("FAQ", "Other questions."))
    assert build_project(settings, out, workers=1).files_written == 1
    assert "Other questions." in (out / "article/faq/index.html").read_text()


def test_a_rebuild_renders_only_pages_whose_signature_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages are rendered again only when what they show changed or their file did (the
    page manifest in the cache): counted, not timed; the site stays what a fresh build
    writes."""
    out = build(tmp_path)
    settings = load_settings(tmp_path)
    rendered: list[str] = []
    real_render = SitePages.render

    def counted(self: SitePages, path: str) -> str:
        rendered.append(path)
        return real_render(self, path)

    monkeypatch.setattr(SitePages, "render", counted)
    assert build_project(settings, out, workers=1).files_written == 0
    assert rendered == []

    (tmp_path / "content/faq.md").write_text(article("FAQ", "Other questions."))
    build_project(settings, out, workers=1)
    assert rendered == ["article/faq/index.html"]

    rendered.clear()  # a page changed or removed by hand is written again
    (out / "article/install/index.html").write_text("tampered")
    (out / "article/vat/index.html").unlink()
    assert build_project(settings, out, workers=1).files_written == 2
    assert sorted(rendered) == ["article/install/index.html", "article/vat/index.html"]

    rendered.clear()  # a title shows in the sidebars and cards of other pages
    (tmp_path / "content/faq.md").write_text(article("Questions", "Other questions."))
    build_project(settings, out, workers=1)
    assert "article/faq/index.html" in rendered and "index.html" in rendered
    assert "_publisher/nav.html" in rendered
    monkeypatch.undo()
    fresh = build_project(settings, tmp_path / "fresh", workers=1)
    assert fresh.written
    for page in (tmp_path / "fresh").rglob("*"):
        if page.is_file():
            assert page.read_bytes() == (out / page.relative_to(tmp_path / "fresh")).read_bytes()


def test_a_manifest_for_another_folder_or_garbage_renders_everything(tmp_path: Path) -> None:
    out = build(tmp_path)
    settings = load_settings(tmp_path)
    manifest = settings.cache_dir / "site-pages.json"
    assert manifest.is_file()
    for garbage in (b"", b"{", b'{"version": 1}', b"[1, 2]", b'{"version": 1, "out_dir": 3}'):
        manifest.write_bytes(garbage)
        assert build_project(settings, out, workers=1).files_written == 0
        assert (out / "article/faq/index.html").is_file()
    other = tmp_path / "other"
    build_project(settings, other, workers=1)  # its manifest now names `other`
    (out / "index.html").write_text("stale")
    assert build_project(settings, out, workers=1).files_written == 1
    assert "stale" not in (out / "index.html").read_text()


def test_a_new_site_with_an_error_leaves_no_folder_behind(tmp_path: Path) -> None:
    """A new site's pages are written while the articles render; an error found after
    that (a link to a heading that is not there) leaves neither the site nor its folder."""
    files = {f"a{n:02d}.md": article(f"A {n}", "Text.") for n in range(40)}
    files["z.md"] = article("Z", "See [a](a01.md#missing).")
    write_tree(tmp_path, files)
    result = build_project(load_settings(tmp_path), tmp_path / "site", workers=2)
    assert result.compiled.errors and not result.written
    assert sorted(p.name for p in tmp_path.iterdir()) == [".publisher", "content"]
