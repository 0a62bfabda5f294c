"""The hash-guarded navigation index."""

from __future__ import annotations

from typing import Any

from conftest import Emulator, EmulatorFactory

UPDATE = """
mutation($input: UpdateHelpCenterIndexInput!) {
  updateHelpCenterIndex(input: $input) {
    helpCenterIndex { hash navIndex { type id parentId title slug status } }
    error { message type code fields { field message type } }
  }
}
"""


def update_index(emulator: Emulator, hash_: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    data = {"helpCenterId": emulator.help_center_id, "hash": hash_, "helpCenterIndex": items}
    result: dict[str, Any] = emulator.gql(UPDATE, {"input": data})["updateHelpCenterIndex"]
    return result


def entry(kind: str, entity_id: str, parent_id: str | None = None) -> dict[str, Any]:
    return {"type": kind, "entityId": entity_id, "parentId": parent_id}


def test_writes_append_to_the_index_and_change_its_hash(emulator: Emulator) -> None:
    empty = emulator.index()
    assert empty["navIndex"] == []
    group = emulator.create_group("Guides")
    after_group = emulator.index()
    article = emulator.upsert_article(
        title="Intro", helpCenterArticleGroupId=group["id"], description="Short", icon="star"
    )
    after_article = emulator.index()
    assert len({empty["hash"], after_group["hash"], after_article["hash"]}) == 3
    assert after_article["navIndex"] == [
        {
            "type": "ARTICLE_GROUP",
            "id": group["id"],
            "title": "Guides",
            "slug": "guides",
            "parentId": None,
            "status": None,
            "description": None,
            "icon": None,
        },
        {
            "type": "ARTICLE",
            "id": article["id"],
            "title": "Intro",
            "slug": "intro",
            "parentId": group["id"],
            "status": "DRAFT",
            "description": "Short",
            "icon": "star",
        },
    ]
    assert emulator.index()["hash"] == after_article["hash"]  # reading changes nothing
    emulator.gql(
        "mutation($id: ID!) { deleteHelpCenterArticle(input: {helpCenterArticleId: $id})"
        " { error { code } } }",
        {"id": article["id"]},
    )
    after_delete = emulator.index()
    assert [i["id"] for i in after_delete["navIndex"]] == [group["id"]]
    assert after_delete["hash"] != after_article["hash"]


def test_update_reorders_and_moves_entities(emulator: Emulator) -> None:
    g1 = emulator.create_group("One")
    g2 = emulator.create_group("Two")
    a = emulator.upsert_article(title="A", helpCenterArticleGroupId=g1["id"])
    b = emulator.upsert_article(title="B")
    index = emulator.index()
    result = update_index(
        emulator,
        index["hash"],
        [
            entry("ARTICLE", b["id"]),
            entry("ARTICLE_GROUP", g2["id"]),
            entry("ARTICLE_GROUP", g1["id"], g2["id"]),
            entry("ARTICLE", a["id"], g2["id"]),
        ],
    )
    assert result["error"] is None
    new_index = result["helpCenterIndex"]
    assert [(i["id"], i["parentId"]) for i in new_index["navIndex"]] == [
        (b["id"], None),
        (g2["id"], None),
        (g1["id"], g2["id"]),
        (a["id"], g2["id"]),
    ]
    assert new_index["hash"] != index["hash"]
    assert emulator.index()["hash"] == new_index["hash"]
    moved = emulator.gql(
        """
        query($a: ID!, $g: ID!) {
          helpCenterArticle(id: $a) { articleGroup { id } }
          helpCenterArticleGroup(id: $g) { parentArticleGroup { id } }
        }
        """,
        {"a": a["id"], "g": g1["id"]},
    )
    assert moved["helpCenterArticle"]["articleGroup"] == {"id": g2["id"]}
    assert moved["helpCenterArticleGroup"]["parentArticleGroup"] == {"id": g2["id"]}


def test_stale_hash_is_rejected(emulator: Emulator) -> None:
    a = emulator.upsert_article(title="A")
    stale = emulator.index()["hash"]
    emulator.upsert_article(title="B")
    result = update_index(emulator, stale, [entry("ARTICLE", a["id"])])
    assert result["helpCenterIndex"] is None
    error = result["error"]
    assert (error["type"], error["code"]) == ("VALIDATION", "input_validation")
    assert error["fields"][0]["field"] == "hash"
    assert len(emulator.index()["navIndex"]) == 2  # nothing applied


def test_the_same_tree_twice_still_gets_a_new_hash(emulator: Emulator) -> None:
    a = emulator.upsert_article(title="A")
    first = emulator.index()
    second = update_index(emulator, first["hash"], [entry("ARTICLE", a["id"])])
    assert second["error"] is None
    assert second["helpCenterIndex"]["hash"] != first["hash"]
    retry = update_index(emulator, first["hash"], [entry("ARTICLE", a["id"])])
    assert retry["error"]["fields"][0]["field"] == "hash"


def test_index_may_leave_articles_out(emulator: Emulator) -> None:
    a = emulator.upsert_article(title="A")
    b = emulator.upsert_article(title="B")
    result = update_index(emulator, emulator.index()["hash"], [entry("ARTICLE", b["id"])])
    assert result["error"] is None
    assert [i["id"] for i in emulator.index()["navIndex"]] == [b["id"]]
    still_there = emulator.gql(
        "query($id: ID!) { helpCenterArticle(id: $id) { id } }", {"id": a["id"]}
    )
    assert still_there["helpCenterArticle"] == {"id": a["id"]}


def test_invalid_entries_are_rejected(emulator: Emulator) -> None:
    group = emulator.create_group("G")
    a = emulator.upsert_article(title="A")
    b = emulator.upsert_article(title="B")
    h = emulator.index()["hash"]
    cases: list[tuple[list[dict[str, Any]], str, str]] = [
        ([entry("ARTICLE", "hca_01MISSING")], "helpCenterIndex[0].entityId", "NOT_FOUND"),
        ([entry("ARTICLE", group["id"])], "helpCenterIndex[0].entityId", "NOT_FOUND"),
        ([entry("ARTICLE_GROUP", a["id"])], "helpCenterIndex[0].entityId", "NOT_FOUND"),
        (
            [entry("ARTICLE", a["id"]), entry("ARTICLE", b["id"], a["id"])],
            "helpCenterIndex[1].parentId",
            "VALIDATION",
        ),
        ([entry("ARTICLE", a["id"], "hcag_01MISSING")], "helpCenterIndex[0].parentId", "NOT_FOUND"),
        ([entry("ARTICLE", a["id"], group["id"])], "helpCenterIndex[0].parentId", "VALIDATION"),
        (
            [entry("ARTICLE", a["id"]), entry("ARTICLE", a["id"])],
            "helpCenterIndex[1].entityId",
            "VALIDATION",
        ),
        (
            [entry("ARTICLE_GROUP", group["id"], group["id"])],
            "helpCenterIndex[0].parentId",
            "VALIDATION",
        ),
    ]
    for items, field, field_type in cases:
        result = update_index(emulator, h, items)
        error = result["error"]
        assert error is not None, items
        assert error["code"] == "input_validation"
        assert (error["fields"][0]["field"], error["fields"][0]["type"]) == (field, field_type)
    assert emulator.index()["hash"] == h  # none of them applied


def test_group_cycles_are_rejected(emulator: Emulator) -> None:
    g1 = emulator.create_group("G1")
    g2 = emulator.create_group("G2")
    result = update_index(
        emulator,
        emulator.index()["hash"],
        [entry("ARTICLE_GROUP", g1["id"], g2["id"]), entry("ARTICLE_GROUP", g2["id"], g1["id"])],
    )
    assert result["error"]["code"] == "input_validation"


def test_unknown_help_center(emulator: Emulator) -> None:
    data = {"helpCenterId": "hc_01NOPE", "hash": "x", "helpCenterIndex": []}
    result = emulator.gql(UPDATE, {"input": data})["updateHelpCenterIndex"]
    assert result["error"]["code"] == "not_found"


# --- Headings (HEADING items, newer than the SDK's schema) ---------------------------------


def heading(entity_id: str, title: str | None, parent_id: str | None = None) -> dict[str, Any]:
    item = entry("HEADING", entity_id, parent_id)
    if title is not None:
        item["title"] = title
    return item


def test_headings_are_stored_and_returned_in_place(emulator: Emulator) -> None:
    group = emulator.create_group("Guides")
    a = emulator.upsert_article(title="A")
    b = emulator.upsert_article(title="B", helpCenterArticleGroupId=group["id"])
    before = emulator.index()
    result = update_index(
        emulator,
        before["hash"],
        [
            heading("start-here", "  Start here  "),
            {**entry("ARTICLE", a["id"]), "title": "ignored for articles"},
            {**entry("ARTICLE_GROUP", group["id"]), "title": "ignored for groups"},
            heading("in-guides", "Inside the guides", group["id"]),
            entry("ARTICLE", b["id"], group["id"]),
        ],
    )
    assert result["error"] is None
    assert result["helpCenterIndex"]["hash"] != before["hash"]
    nav = emulator.index()["navIndex"]
    assert nav[0] == {
        "type": "HEADING",
        "id": "start-here",
        "title": "Start here",  # trimmed, as article titles are
        "slug": "",
        "parentId": None,
        "status": None,
        "description": None,
        "icon": None,
    }
    assert [(i["type"], i["id"], i["title"], i["parentId"]) for i in nav] == [
        ("HEADING", "start-here", "Start here", None),
        ("ARTICLE", a["id"], "A", None),
        ("ARTICLE_GROUP", group["id"], "Guides", None),
        ("HEADING", "in-guides", "Inside the guides", group["id"]),
        ("ARTICLE", b["id"], "B", group["id"]),
    ]
    # A later write appends its entity after the headings and keeps them.
    c = emulator.upsert_article(title="C")
    assert [i["id"] for i in emulator.index()["navIndex"]] == [
        "start-here",
        a["id"],
        group["id"],
        "in-guides",
        b["id"],
        c["id"],
    ]


def test_a_heading_label_change_changes_the_hash(emulator: Emulator) -> None:
    first = update_index(emulator, emulator.index()["hash"], [heading("h", "One")])
    second = update_index(emulator, first["helpCenterIndex"]["hash"], [heading("h", "Two")])
    assert second["error"] is None
    assert second["helpCenterIndex"]["hash"] != first["helpCenterIndex"]["hash"]
    assert emulator.index()["navIndex"][0]["title"] == "Two"


def test_invalid_headings_are_rejected(emulator: Emulator) -> None:
    group = emulator.create_group("G")
    unlisted = emulator.create_group("Not listed")
    a = emulator.upsert_article(title="A")
    emulator.upsert_article(title="B")
    h = emulator.index()["hash"]
    g = entry("ARTICLE_GROUP", group["id"])
    cases: list[tuple[str, list[dict[str, Any]], str, str]] = [
        ("missing title", [heading("h", None)], "helpCenterIndex[0].title", "REQUIRED"),
        (
            "null title",
            [{**heading("h", None), "title": None}],
            "helpCenterIndex[0].title",
            "REQUIRED",
        ),
        ("blank title", [heading("h", " \t ")], "helpCenterIndex[0].title", "REQUIRED"),
        ("long title", [heading("h", "x" * 256)], "helpCenterIndex[0].title", "VALIDATION"),
        ("blank id", [heading(" ", "Label")], "helpCenterIndex[0].entityId", "REQUIRED"),
        (
            "duplicate id",
            [heading("h", "One"), heading("h", "Two")],
            "helpCenterIndex[1].entityId",
            "VALIDATION",
        ),
        ("article's id", [heading(a["id"], "Label")], "helpCenterIndex[0].entityId", "VALIDATION"),
        (
            "group's id",
            [heading(unlisted["id"], "Label")],
            "helpCenterIndex[0].entityId",
            "VALIDATION",
        ),
        (
            "article under a heading",
            [heading("h", "Label"), entry("ARTICLE", a["id"], "h")],
            "helpCenterIndex[1].parentId",
            "VALIDATION",
        ),
        (
            "heading under a heading",
            [heading("h", "Label"), heading("h2", "Sub", "h")],
            "helpCenterIndex[1].parentId",
            "VALIDATION",
        ),
        (
            "group under a heading",
            [heading("h", "Label"), {**g, "parentId": "h"}],
            "helpCenterIndex[1].parentId",
            "VALIDATION",
        ),
        (
            "heading under an unknown group",
            [heading("h", "Label", "hcag_01MISSING")],
            "helpCenterIndex[0].parentId",
            "NOT_FOUND",
        ),
        (
            "heading under a group not in the index",
            [heading("h", "Label", unlisted["id"])],
            "helpCenterIndex[0].parentId",
            "VALIDATION",
        ),
        (
            "heading under an article",
            [entry("ARTICLE", a["id"]), heading("h", "Label", a["id"])],
            "helpCenterIndex[1].parentId",
            "VALIDATION",
        ),
    ]
    for what, items, field, field_type in cases:
        result = update_index(emulator, h, items)
        error = result["error"]
        assert error is not None, what
        assert (error["type"], error["code"]) == ("VALIDATION", "input_validation"), what
        assert (error["fields"][0]["field"], error["fields"][0]["type"]) == (field, field_type), (
            what
        )
        assert result["helpCenterIndex"] is None, what
    assert emulator.index()["hash"] == h  # none of them applied


def test_deleting_a_group_moves_its_headings_to_the_top_level(emulator: Emulator) -> None:
    group = emulator.create_group("G")
    a = emulator.upsert_article(title="A", helpCenterArticleGroupId=group["id"])
    result = update_index(
        emulator,
        emulator.index()["hash"],
        [
            entry("ARTICLE_GROUP", group["id"]),
            heading("h", "Label", group["id"]),
            entry("ARTICLE", a["id"], group["id"]),
        ],
    )
    assert result["error"] is None
    deleted = emulator.gql(
        "mutation($id: ID!) { deleteHelpCenterArticleGroup(input: {helpCenterArticleGroupId: $id})"
        " { error { code } } }",
        {"id": group["id"]},
    )
    assert deleted["deleteHelpCenterArticleGroup"]["error"] is None
    nav = emulator.index()["navIndex"]
    # As the group's articles do: kept, in place, at the top level.
    assert [(i["type"], i["id"], i["parentId"]) for i in nav] == [
        ("HEADING", "h", None),
        ("ARTICLE", a["id"], None),
    ]


def test_an_index_without_the_heading_drops_it(emulator: Emulator) -> None:
    a = emulator.upsert_article(title="A")
    placed = update_index(
        emulator, emulator.index()["hash"], [heading("h", "Label"), entry("ARTICLE", a["id"])]
    )
    again = update_index(emulator, placed["helpCenterIndex"]["hash"], [entry("ARTICLE", a["id"])])
    assert again["error"] is None
    assert [i["type"] for i in emulator.index()["navIndex"]] == ["ARTICLE"]


def test_headings_are_per_help_center(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(help_centers=("One", "Two"), db=False)
    assert update_index(emulator, emulator.index()["hash"], [heading("h", "One")])["error"] is None
    emulator.help_center_id = emulator.help_center_ids["Two"]
    assert emulator.index()["navIndex"] == []
    assert update_index(emulator, emulator.index()["hash"], [heading("h", "Two")])["error"] is None
    assert emulator.index()["navIndex"][0]["title"] == "Two"
