"""Sidebar headings and index entries this version does not know: read, kept, declared in the
content, planned, pulled. Pure functions only; the publish against the emulator is in
tests/test_live_api_contract.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from content_factory import article, write_tree

from publisher.config import load_settings
from publisher.content.loader import load_content
from publisher.pipeline import compile_project
from publisher.plain import IndexEntry, RemoteArticle, RemoteGroup, RemoteIndex
from publisher.pull import pull_files
from publisher.site.compiler import CompiledSite
from publisher.sync.navigation import merge_index, tree_order
from publisher.sync.plan import index_drops, make_plan
from publisher.sync.state import RemoteState

# -- reading -------------------------------------------------------------------------------


def item(kind: str, entity: str, parent: str | None = None, title: str = "t") -> dict[str, object]:
    return {"type": kind, "id": entity, "parentId": parent, "title": title, "slug": ""}


@pytest.mark.parametrize("kind", ["HEADING", "SECTION_BREAK", "divider", "LINK"])
def test_any_index_item_type_is_read_and_written_back_as_it_came(kind: str) -> None:
    entry = IndexEntry.from_graphql(item(kind, "x1", "grp_1", "Advanced"))
    assert entry.type == kind
    assert entry.label == "Advanced"
    assert entry.to_input() == {
        "type": kind,
        "entityId": "x1",
        "parentId": "grp_1",
        "title": "Advanced",
    }
    assert entry.known == (kind == "HEADING")
    assert not entry.is_container


@pytest.mark.parametrize("kind", ["ARTICLE", "ARTICLE_GROUP"])
def test_articles_and_groups_send_no_title(kind: str) -> None:
    entry = IndexEntry.from_graphql(item(kind, "x1", None, "Shown title"))
    assert entry.label is None
    assert "title" not in entry.to_input()
    assert entry.title == "Shown title"  # still there for reports
    assert entry == IndexEntry(kind, "x1")  # the title is not part of what is compared


def test_a_heading_whose_text_changed_is_a_different_entry() -> None:
    assert IndexEntry("HEADING", "h", None, "A") != IndexEntry("HEADING", "h", None, "B")
    assert IndexEntry("HEADING", "h", None, "A") == IndexEntry("HEADING", "h", None, "A")


@pytest.mark.parametrize("status", ["ARCHIVED", "SCHEDULED", "in_review"])
def test_an_unknown_article_status_is_kept(status: str) -> None:
    node = {
        "id": "a1",
        "slug": "a",
        "title": "A",
        "description": None,
        "icon": None,
        "contentHtml": "<p>x</p>",
        "status": status,
        "articleGroup": None,
    }
    found = RemoteArticle.from_graphql(node)
    assert found.status == status
    assert not found.status_known


# -- merging ---------------------------------------------------------------------------------

G = IndexEntry("ARTICLE_GROUP", "g1")
A1 = IndexEntry("ARTICLE", "a1", "g1")
A2 = IndexEntry("ARTICLE", "a2", "g1")
TOP = IndexEntry("ARTICLE", "top")


@pytest.mark.parametrize(
    "foreign",
    [
        IndexEntry("HEADING", "h_app", "g1", "Made in the app"),
        IndexEntry("SECTION_BREAK", "s1", "g1", "x"),
        IndexEntry("ARTICLE", "hand", "g1"),
    ],
    ids=["heading", "unknown-type", "hand-made-article"],
)
def test_unmanaged_entries_keep_their_parent_and_order(foreign: IndexEntry) -> None:
    current = [G, A1, foreign, A2, TOP]
    merged = merge_index([G, A1, A2, TOP], current)
    assert merged == [G, A1, A2, foreign, TOP]
    # Nothing changes when the content is what Plain has, unmanaged entries and all.
    assert merge_index([G, A1, A2, TOP], merged) == tree_order(merged)


def test_a_top_level_heading_stays_at_the_top_level() -> None:
    heading = IndexEntry("HEADING", "h_top", None, "More")
    merged = merge_index([G, A1, TOP], [heading, G, A1, TOP])
    assert merged == [G, A1, TOP, heading]
    assert merged[-1].parent_id is None


def test_an_unmanaged_entry_under_a_vanished_group_moves_to_the_top() -> None:
    heading = IndexEntry("HEADING", "h", "g_gone", "Orphan")
    merged = merge_index(
        [TOP], [IndexEntry("ARTICLE_GROUP", "g_gone"), heading, TOP], drop=["g_gone"]
    )
    assert merged == [TOP, IndexEntry("HEADING", "h", None, "Orphan")]


def test_nothing_nests_under_a_heading() -> None:
    heading = IndexEntry("HEADING", "h", None, "H")
    child = IndexEntry("ARTICLE", "a", "h")  # malformed: a heading is no container
    merged = merge_index([], [heading, child])
    assert IndexEntry("ARTICLE", "a", None) in merged


# -- content ---------------------------------------------------------------------------------


def test_heading_files_sit_between_their_siblings(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "01-install.md": article("Install"),
            "02-advanced.heading.yml": "title: Advanced topics\n",
            "03-sso.md": article("SSO"),
            "10-account/01-intro.md": article("Intro"),
            "10-account/02-more.heading.yml": "",
            "10-account/03-delete.md": article("Delete"),
        },
    )
    content, problems = load_content(root)
    assert problems == []
    top = [getattr(n, "slug", None) for n in content.top]
    assert top == ["install", "advanced", "sso", "account"]
    heading = content.top[1]
    assert heading.title == "Advanced topics"  # type: ignore[union-attr]
    assert heading.entity_id == "heading_advanced"  # type: ignore[union-attr]
    inner = content.groups["account"].children[1]
    assert inner.title == "More"  # type: ignore[union-attr]
    assert inner.entity_id == "heading_account_more"  # type: ignore[union-attr]
    assert set(content.headings) == {"heading_advanced", "heading_account_more"}


def test_a_folder_of_headings_only_is_not_a_group(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"a.md": article("A"), "empty/01-x.heading.yml": "title: X\n"})
    content, problems = load_content(root)
    assert problems == []
    assert content.groups == {}


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("01-x.heading.yml", "title: ''\n", 1, "'title' is empty"),
        ("01-x.heading.yml", "title: '   '\n", 1, "'title' is empty"),
        ("01-x.heading.yml", 'title: "a\\nb"\n', 1, "one line of text"),
        ("01-x.heading.yml", 'title: "tab\\there"\n', 1, "one line of text"),
        ("01-x.heading.yml", "title: " + "x" * 300 + "\n", 1, "keep it under 255"),
        ("01-x.heading.yml", "title: 12\n", 1, "'title' must be text"),
        ("01-x.heading.yml", "\ntitel: Advanced\n", 2, "unknown key 'titel'"),
        ("01-x.heading.yml", "order: first\n", 1, "'order' must be a whole number"),
        ("01-x.heading.yml", "- a\n- b\n", 1, "must be a mapping"),
        ("01-x.heading.yml", "id: ''\n", 1, "'id' is empty"),
        ("01-!!!.heading.yml", "title: X\n", 1, "invalid heading file name"),
    ],
)
def test_bad_heading_files_are_named_with_a_line(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    root = write_tree(tmp_path, {"a.md": article("A"), name: text})
    _, problems = load_content(root)
    assert len(problems) == 1, problems
    assert problems[0].path.name == name
    assert problems[0].line == line
    assert message in problems[0].message


def test_two_headings_with_one_id_are_refused(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "a.md": article("A"),
            "01-x.heading.yml": "id: heading_same\n",
            "02-y.heading.yml": "id: heading_same\n",
        },
    )
    _, problems = load_content(root)
    assert [p.path.name for p in problems] == ["02-y.heading.yml"]
    assert "duplicate heading id 'heading_same'" in problems[0].message


# -- planning --------------------------------------------------------------------------------


def site_of(tmp_path: Path, files: dict[str, str | bytes]) -> CompiledSite:
    write_tree(tmp_path, files)
    result = compile_project(load_settings(tmp_path), use_cache=False, workers=1)
    assert result.errors == []
    return result.site


def remote_of(entries: list[IndexEntry], articles: list[RemoteArticle]) -> RemoteState:
    groups = [
        RemoteGroup(e.entity_id, e.entity_id, e.entity_id, e.parent_id)
        for e in entries
        if e.type == "ARTICLE_GROUP"
    ]
    return RemoteState("hc", articles, groups, RemoteIndex("hc", "hash", tuple(entries)))


def remote_article(slug: str, html: str, status: str = "PUBLISHED") -> RemoteArticle:
    return RemoteArticle(f"id_{slug}", slug, slug.title(), None, None, html, status, None)


def test_plan_matches_declared_headings_and_keeps_the_app_s(tmp_path: Path) -> None:
    site = site_of(
        tmp_path,
        {
            "01-a.md": article("A"),
            "02-new.heading.yml": "title: New one\n",
            "03-renamed.heading.yml": "title: Renamed\n",
            "04-same.heading.yml": "title: Same\n",
            "05-b.md": article("B"),
        },
    )
    html_a = site.article_html(site.content.articles["a"], lambda _: "")
    html_b = site.article_html(site.content.articles["b"], lambda _: "")
    remote = remote_of(
        [
            IndexEntry("ARTICLE", "id_a"),
            IndexEntry("HEADING", "heading_renamed", None, "Old text"),
            IndexEntry("HEADING", "app_made", None, "Same"),  # adopted by its text
            IndexEntry("HEADING", "heading_gone", None, "From a deleted file"),
            IndexEntry("HEADING", "app_other", None, "Made in the app"),
            IndexEntry("ARTICLE", "id_b"),
        ],
        [remote_article("a", html_a), remote_article("b", html_b)],
    )
    plan = make_plan(site, remote, {})
    kinds = {h.desired.title: (h.kind, h.entity_id) for h in plan.headings}
    assert kinds == {
        "New one": ("create", "heading_new"),
        "Renamed": ("rename", "heading_renamed"),
        "Same": ("unchanged", "app_made"),
    }
    assert [e.entity_id for e in plan.retired_headings] == ["heading_gone"]
    assert [e.entity_id for e in plan.orphan_headings] == ["app_other"]
    assert index_drops(plan, prune=False) == ["heading_gone"]
    assert "app_other" in index_drops(plan, prune=True)
    assert plan.nav_changed and plan.has_changes
    assert "§ New one" in plan.nav_after and "§ Made in the app" in plan.nav_after
    assert "§ From a deleted file" not in plan.nav_after
    assert plan.to_json()["orphans"]["headings"] == [
        {"id": "app_other", "title": "Made in the app"}
    ]


def test_unknown_entries_and_statuses_are_warned_about_and_left_alone(tmp_path: Path) -> None:
    site = site_of(tmp_path, {"a.md": article("A", body="Changed text.")})
    remote = remote_of(
        [IndexEntry("ARTICLE", "id_a"), IndexEntry("SECTION_BREAK", "s1", None, "x")],
        [remote_article("a", "<p>Old text.</p>", status="ARCHIVED")],
    )
    plan = make_plan(site, remote, {})
    assert [a.kind for a in plan.articles] == ["unchanged"]
    assert not plan.nav_changed
    assert any("SECTION_BREAK" in w for w in plan.warnings)
    assert any("ARCHIVED" in w and "not updated" in w for w in plan.warnings)
    assert "? x (SECTION_BREAK)" in plan.nav_before


def test_navigation_before_is_drawn_as_a_tree_whatever_the_flat_order(tmp_path: Path) -> None:
    site = site_of(tmp_path, {"a.md": article("A")})
    remote = remote_of(
        [
            IndexEntry("ARTICLE_GROUP", "g1"),
            IndexEntry("ARTICLE_GROUP", "g2"),
            IndexEntry("ARTICLE", "x", "g1"),
            IndexEntry("ARTICLE", "y", "g2"),
        ],
        [],
    )
    plan = make_plan(site, remote, {})
    assert plan.nav_before == ["▸ g1", "  - x", "▸ g2", "  - y"]


# -- pulling ---------------------------------------------------------------------------------


def test_pull_writes_headings_in_place_with_their_ids(tmp_path: Path) -> None:
    remote = remote_of(
        [
            IndexEntry("HEADING", "hd_top", None, "Getting started"),
            IndexEntry("ARTICLE", "id_a"),
            IndexEntry("ARTICLE_GROUP", "billing"),
            IndexEntry("HEADING", "hd_in", "billing", "Refunds & returns"),
            IndexEntry("SECTION_BREAK", "s1", None, "x"),
        ],
        [remote_article("a", "<p>x</p>")],
    )
    files, layout, _ = pull_files(remote)
    assert files["01-getting-started.heading.yml"] == "title: Getting started\nid: hd_top\n"
    assert files["03-billing/01-refunds-returns.heading.yml"] == (
        "title: Refunds & returns\nid: hd_in\n"
    )
    assert any("SECTION_BREAK" in w for w in layout.warnings)
    # What pull writes, check reads back as the same headings.
    write_tree(tmp_path, files)
    content, problems = load_content(tmp_path / "content")
    assert problems == []
    assert set(content.headings) == {"hd_top", "hd_in"}
    assert content.headings["hd_in"].title == "Refunds & returns"
