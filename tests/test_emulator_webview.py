"""The read-only web view shows what is published, in index order."""

from __future__ import annotations

import re

import httpx
from conftest import Emulator


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
