"""The read-only web view shows what is published, in index order."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from conftest import Emulator, EmulatorFactory

from publisher.emulator.webview import clean_html


def get(emulator: Emulator, path: str) -> httpx.Response:
    return httpx.get(emulator.base_url + path, timeout=10)


def test_home_lists_help_centers(emulator: Emulator) -> None:
    response = get(emulator, "/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert f'href="/help-centers/{emulator.help_center_id}"' in response.text


def test_sidebar_shows_published_articles_in_index_order(emulator: Emulator) -> None:
    group = emulator.create_group("Guides")
    empty_group = emulator.create_group("Only drafts")
    emulator.upsert_article(title="Zebra", slug="zebra", status="PUBLISHED")
    emulator.upsert_article(
        title="Nested", slug="nested", status="PUBLISHED", helpCenterArticleGroupId=group["id"]
    )
    emulator.upsert_article(title="Secret draft", slug="secret")
    emulator.upsert_article(
        title="Hidden draft", slug="hidden", helpCenterArticleGroupId=empty_group["id"]
    )
    apple = emulator.upsert_article(title="Apple", slug="apple", status="PUBLISHED")
    # Move Apple to the top of the sidebar.
    index = emulator.index()
    entries = [{"type": "ARTICLE", "entityId": apple["id"], "parentId": None}] + [
        {"type": i["type"], "entityId": i["id"], "parentId": i["parentId"]}
        for i in index["navIndex"]
        if i["id"] != apple["id"]
    ]
    result = emulator.gql(
        """
        mutation($input: UpdateHelpCenterIndexInput!) {
          updateHelpCenterIndex(input: $input) { error { message } }
        }
        """,
        {
            "input": {
                "helpCenterId": emulator.help_center_id,
                "hash": index["hash"],
                "helpCenterIndex": entries,
            }
        },
    )
    assert result["updateHelpCenterIndex"]["error"] is None

    page = get(emulator, f"/help-centers/{emulator.help_center_id}").text
    titles = re.findall(r'<li class="(?:article|group)"[^>]*>(?:<a [^>]*>)?([^<\n]+)', page)
    assert [t.strip() for t in titles] == ["Apple", "Guides", "Nested", "Zebra"]
    assert "Secret draft" not in page
    assert "Only drafts" not in page  # a group with nothing published is hidden
    # Nesting: the article sits in the group's own list.
    assert re.search(r"Guides\s*<ul>\s*<li class=\"article\"><a [^>]*>Nested</a>", page)


def test_article_page_shows_title_and_html_as_is(emulator: Emulator) -> None:
    emulator.upsert_article(
        title="Fish & <Chips>",
        slug="fish",
        status="PUBLISHED",
        contentHtml='<h2 id="x">Heading</h2><p>Some <em>HTML</em></p>',
    )
    response = get(emulator, f"/help-centers/{emulator.help_center_id}/article/fish")
    assert response.status_code == 200
    assert "<h1>Fish &amp; &lt;Chips&gt;</h1>" in response.text
    assert '<h2 id="x">Heading</h2><p>Some <em>HTML</em></p>' in response.text


def test_drafts_and_unknown_pages_are_404(emulator: Emulator) -> None:
    emulator.upsert_article(title="Draft", slug="draft")
    hc = emulator.help_center_id
    assert get(emulator, f"/help-centers/{hc}/article/draft").status_code == 404
    assert get(emulator, f"/help-centers/{hc}/article/missing").status_code == 404
    assert get(emulator, "/help-centers/hc_01NOPE").status_code == 404
    assert get(emulator, "/static/../../etc/passwd").status_code == 404
    assert get(emulator, "/pyproject.toml").status_code == 404


def test_headings_are_section_labels_in_index_order(emulator: Emulator) -> None:
    group = emulator.create_group("Guides")
    drafts = emulator.create_group("Only drafts")
    one = emulator.upsert_article(title="One", slug="one", status="PUBLISHED")
    two = emulator.upsert_article(
        title="Two", slug="two", status="PUBLISHED", helpCenterArticleGroupId=group["id"]
    )
    draft = emulator.upsert_article(
        title="Draft", slug="draft", helpCenterArticleGroupId=drafts["id"]
    )
    index = emulator.index()
    items = [
        {"type": "HEADING", "entityId": "h-start", "title": "Start <here>"},
        {"type": "ARTICLE", "entityId": one["id"]},
        {"type": "ARTICLE_GROUP", "entityId": group["id"]},
        {"type": "HEADING", "entityId": "h-inner", "parentId": group["id"], "title": "Inner"},
        {"type": "ARTICLE", "entityId": two["id"], "parentId": group["id"]},
        {"type": "ARTICLE_GROUP", "entityId": drafts["id"]},
        {"type": "HEADING", "entityId": "h-drafts", "parentId": drafts["id"], "title": "Hidden"},
        {"type": "ARTICLE", "entityId": draft["id"], "parentId": drafts["id"]},
    ]
    result = emulator.gql(
        """
        mutation($input: UpdateHelpCenterIndexInput!) {
          updateHelpCenterIndex(input: $input) { error { message } }
        }
        """,
        {
            "input": {
                "helpCenterId": emulator.help_center_id,
                "hash": index["hash"],
                "helpCenterIndex": items,
            }
        },
    )
    assert result["updateHelpCenterIndex"]["error"] is None

    page = get(emulator, f"/help-centers/{emulator.help_center_id}").text
    entries = re.findall(r'<li class="(article|group|heading)"[^>]*>(?:<a [^>]*>)?([^<\n]+)', page)
    assert [(kind, text.strip()) for kind, text in entries] == [
        ("heading", "Start &lt;here&gt;"),  # escaped like every title
        ("article", "One"),
        ("group", "Guides"),
        ("heading", "Inner"),
        ("article", "Two"),
    ]
    # A group holding only a heading and drafts shows nothing, its heading included.
    assert "Only drafts" not in page
    assert "Hidden" not in page
    assert 'role="presentation"' in page  # a label, not a link


ARTICLE_QUERY = "query($id: ID!) { helpCenterArticle(id: $id) { contentHtml } }"


def test_links_between_articles_lead_to_the_web_view(emulator: Emulator) -> None:
    hc = emulator.help_center_id
    emulator.upsert_article(
        title="Target",
        slug="target",
        status="PUBLISHED",
        contentHtml='<h2 id="install-step">Install</h2><p>Done.</p>',
    )
    # Links as the tool publishes them, for Plain's own help center: /article/<slug>.
    content = (
        '<p><a href="/article/target">bare</a>'
        ' <a href="/article/target#install-step">anchored</a>'
        '\n<pre>two\nlines</pre>\r\n  <a href="/article/no-such-page">missing</a>'
        ' <a class="x" href=\'/article/target#install-step\' title="t">single quotes</a>'
        " <a href=/article/target>unquoted</a>"
        ' <a href="/article/target?tab=1#install-step">query</a></p>'
        # Left alone: other places, other paths, and /article/ anywhere but an <a href>.
        '<p><a href="https://help.example.com/article/target">external</a>'
        ' <a href="//help.example.com/article/target">protocol-relative</a>'
        ' <a href="/articles/target">other path</a>'
        ' <a href="/article/">no slug</a>'
        ' <a href="#install-step">same page</a>'
        ' <a title=\'href="/article/target"\' href="https://example.com/">attribute text</a>'
        ' <img src="/article/target" alt="/article/target">'
        ' See /article/target, or <code>&lt;a href="/article/target"&gt;</code>.</p>'
        '<!-- <a href="/article/target"> -->\n'
        "<script>let link = '<a href=\"/article/target\">';</script>"
    )
    source = emulator.upsert_article(
        title="Source", slug="source", status="PUBLISHED", contentHtml=content
    )

    page = get(emulator, f"/help-centers/{hc}/article/source")
    assert page.status_code == 200
    web = f"/help-centers/{hc}/article"
    # The web view shows the HTML cleaned (no script, no comment, attributes re-quoted), and
    # in that the href of each <a> that leads to an article, and nothing else.
    cleaned = clean_html(content)
    assert "<script" not in cleaned and "<!--" not in cleaned
    to_article = r'(<a [^>]*?href=")/article/(?=[^/?#"\s]+["?#])'
    expected = re.sub(to_article, rf"\g<1>{web}/", cleaned)
    assert expected.count(f'href="{web}/') == 6
    assert f'<div class="content">{expected}</div>' in page.text

    # The rewritten links lead somewhere: the article, its heading, and for a slug that
    # does not exist the web view's own "not found" (as Plain's help center would answer).
    served = page.text.split('<div class="content">', 1)[1]
    links = re.findall(r'<a (?:class="x" )?href=["\']?([^"\' >]+)["\' >]', served)
    internal = [link for link in links if link.startswith(web)]
    assert len(internal) == 6
    for link in internal:
        response = get(emulator, link.split("#")[0])
        if "no-such-page" in link:
            assert response.status_code == 404
            assert "No published article here." in response.text
        else:
            assert response.status_code == 200
            assert "<h1>Target</h1>" in response.text
            assert ("#install-step" not in link) or 'id="install-step"' in response.text

    # Only the served copy changes: the API still answers with what was published.
    stored = emulator.gql(ARTICLE_QUERY, {"id": source["id"]})["helpCenterArticle"]
    assert stored["contentHtml"] == content


def test_links_in_one_help_center_stay_in_it(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False, help_centers=("Docs", "Other"))
    other = emulator.help_center_ids["Other"]
    emulator.help_center_id = other
    emulator.upsert_article(
        title="Linking",
        slug="linking",
        status="PUBLISHED",
        contentHtml='<a href="/article/x">x</a>',
    )
    page = get(emulator, f"/help-centers/{other}/article/linking").text
    assert f'<a href="/help-centers/{other}/article/x">x</a>' in page


def _group_with_articles(emulator: Emulator) -> None:
    emulator.upsert_article(title="Top", slug="top", status="PUBLISHED")
    group = emulator.create_group("Guides")
    for title in ("First", "Second", "Third"):
        emulator.upsert_article(
            title=title,
            slug=title.lower(),
            status="PUBLISHED",
            helpCenterArticleGroupId=group["id"],
        )


def test_sidebar_marks_exactly_the_current_article(emulator: Emulator) -> None:
    _group_with_articles(emulator)
    hc = emulator.help_center_id
    page = get(emulator, f"/help-centers/{hc}/article/second").text
    sidebar = page.split('<nav class="sidebar">', 1)[1].split("</nav>", 1)[0]
    assert sidebar.count("aria-current") == 1
    current = re.findall(r'<li class="([^"]*)"[^>]*>(?:<a [^>]*>)?([^<\n]+)', sidebar)
    marked = [(kind, title.strip()) for kind, title in current if "current" in kind.split()]
    assert marked == [("article current", "Second")]
    assert re.search(r'<a href="[^"]*/article/second" aria-current="page">Second</a>', sidebar)
    # The group is a group, not an article and not current, though it holds the current one.
    assert re.search(r'<li class="group" data-slug="guides">Guides\s*<ul>', sidebar)
    # On the help center's own page nothing is current.
    front = get(emulator, f"/help-centers/{hc}").text
    assert "aria-current" not in front and "current" not in re.findall(r'class="([^"]*)"', front)


@pytest.mark.browser
def test_sidebar_bolds_only_the_current_article_in_a_browser(emulator: Emulator) -> None:
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    _group_with_articles(emulator)
    url = f"{emulator.base_url}/help-centers/{emulator.help_center_id}/article/second"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page()
            page.goto(url)
            weights = page.eval_on_selector_all(
                "nav.sidebar li.article > a",
                "links => links.map(a => [a.textContent, getComputedStyle(a).fontWeight])",
            )
            group = page.eval_on_selector(
                "nav.sidebar li.group", "li => getComputedStyle(li).fontWeight"
            )
        finally:
            browser.close()
    bold = {title for title, weight in weights if int(weight) >= 600}
    assert [title for title, _ in weights] == ["Top", "First", "Second", "Third"]
    assert bold == {"Second"}
    assert int(group) >= 600  # the group's own label stands out as a group
