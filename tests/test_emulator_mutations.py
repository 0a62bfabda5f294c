"""Article and group mutations over real HTTP, with Plain's error shapes."""

from __future__ import annotations

from typing import Any

from conftest import Emulator, EmulatorFactory

ERROR = "error { message type code fields { field message type } }"

UPSERT = f"""
mutation($input: UpsertHelpCenterArticleInput!) {{
  upsertHelpCenterArticle(input: $input) {{
    helpCenterArticle {{
      id title slug status description icon contentHtml
      statusChangedAt {{ unixTimestamp }} updatedAt {{ unixTimestamp }}
      articleGroup {{ id }}
    }}
    {ERROR}
  }}
}}
"""


def upsert(emulator: Emulator, **fields: Any) -> dict[str, Any]:
    data = {"helpCenterId": emulator.help_center_id, "contentHtml": "<p>x</p>", **fields}
    result: dict[str, Any] = emulator.gql(UPSERT, {"input": data})["upsertHelpCenterArticle"]
    return result


def mutate(emulator: Emulator, name: str, input_type: str, data: dict[str, Any]) -> Any:
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {ERROR} }} }}"
    return emulator.gql(query, {"input": data})[name]["error"]


def article(emulator: Emulator, article_id: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = emulator.gql(
        "query($id: ID!) { helpCenterArticle(id: $id) { id slug title articleGroup { id } } }",
        {"id": article_id},
    )["helpCenterArticle"]
    return found


def test_upsert_creates_a_draft_with_a_slug_from_the_title(emulator: Emulator) -> None:
    result = upsert(emulator, title="Getting Started!")
    assert result["error"] is None
    created = result["helpCenterArticle"]
    assert created["id"].startswith("hca_")
    assert created["slug"] == "getting-started"
    assert created["status"] == "DRAFT"
    assert created["articleGroup"] is None
    # A second article with the same title gets a slug of its own.
    again = upsert(emulator, title="Getting started")["helpCenterArticle"]
    assert again["slug"] == "getting-started-2"


def test_upsert_with_an_id_updates_in_place(emulator: Emulator) -> None:
    created = upsert(emulator, title="One", slug="One", description="d", icon="i")
    first = created["helpCenterArticle"]
    assert first["slug"] == "one"
    updated = upsert(
        emulator,
        helpCenterArticleId=first["id"],
        title="One, again",
        contentHtml="<p>new</p>",
        status="PUBLISHED",
    )
    assert updated["error"] is None
    second = updated["helpCenterArticle"]
    assert second["id"] == first["id"]
    assert second["title"] == "One, again"
    assert second["contentHtml"] == "<p>new</p>"
    assert second["status"] == "PUBLISHED"
    assert second["slug"] == "one"  # kept when not sent
    assert (second["description"], second["icon"]) == ("d", "i")  # kept when not sent
    assert int(second["statusChangedAt"]["unixTimestamp"]) >= int(
        first["statusChangedAt"]["unixTimestamp"]
    )
    cleared = upsert(
        emulator, helpCenterArticleId=first["id"], title="One", description=None, slug="uno"
    )["helpCenterArticle"]
    assert cleared["description"] is None
    assert cleared["slug"] == "uno"
    listed = emulator.gql(
        "query($id: ID!) { helpCenter(id: $id) { articles { edges { node { id } } } } }",
        {"id": emulator.help_center_id},
    )["helpCenter"]["articles"]["edges"]
    assert [e["node"]["id"] for e in listed] == [first["id"]]


def test_upsert_with_an_unknown_id_is_not_found(emulator: Emulator) -> None:
    result = upsert(emulator, helpCenterArticleId="hca_01NOPE", title="x")
    assert result["helpCenterArticle"] is None
    error = result["error"]
    assert error["code"] == "not_found"
    assert error["type"] == "VALIDATION"
    assert error["fields"] == [
        {
            "field": "helpCenterArticleId",
            "message": error["fields"][0]["message"],
            "type": "NOT_FOUND",
        }
    ]


def test_upsert_into_an_unknown_help_center_or_group_is_not_found(emulator: Emulator) -> None:
    missing_hc = upsert(emulator, helpCenterId="hc_01NOPE", title="x")["error"]
    assert missing_hc["code"] == "not_found"
    assert missing_hc["fields"][0]["field"] == "helpCenterId"
    missing_group = upsert(emulator, title="x", helpCenterArticleGroupId="hcag_01NOPE")["error"]
    assert missing_group["code"] == "not_found"
    assert missing_group["fields"][0]["field"] == "helpCenterArticleGroupId"


def test_duplicate_slug_is_a_validation_error_on_slug(emulator: Emulator) -> None:
    first = upsert(emulator, title="A", slug="Shared-Slug")["helpCenterArticle"]
    assert first["slug"] == "shared-slug"
    result = upsert(emulator, title="B", slug="SHARED-slug")
    assert result["helpCenterArticle"] is None
    error = result["error"]
    assert error["type"] == "VALIDATION"
    assert error["code"] == "input_validation"
    assert [(f["field"], f["type"]) for f in error["fields"]] == [("slug", "VALIDATION")]
    # The same slug on the article that holds it is fine.
    same = upsert(emulator, helpCenterArticleId=first["id"], title="A2", slug="shared-slug")
    assert same["error"] is None


def test_empty_title_and_bad_slug_are_reported_together(emulator: Emulator) -> None:
    error = upsert(emulator, title="  ", slug="has space")["error"]
    assert error["code"] == "input_validation"
    assert {(f["field"], f["type"]) for f in error["fields"]} == {
        ("title", "REQUIRED"),
        ("slug", "VALIDATION"),
    }


def test_slugs_are_unique_per_help_center_only(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(help_centers=("One", "Two"), db=False)
    assert upsert(emulator, title="A", slug="same")["error"] is None
    emulator.help_center_id = emulator.help_center_ids["Two"]
    assert upsert(emulator, title="A", slug="same")["error"] is None


def test_delete_article(emulator: Emulator) -> None:
    created = emulator.upsert_article(title="Doomed")
    error = mutate(
        emulator,
        "deleteHelpCenterArticle",
        "DeleteHelpCenterArticleInput",
        {"helpCenterArticleId": created["id"]},
    )
    assert error is None
    assert article(emulator, created["id"]) is None
    again = mutate(
        emulator,
        "deleteHelpCenterArticle",
        "DeleteHelpCenterArticleInput",
        {"helpCenterArticleId": created["id"]},
    )
    assert again["code"] == "not_found"


def test_groups_create_nest_and_keep_their_slug(emulator: Emulator) -> None:
    parent = emulator.create_group("Billing & Plans")
    assert parent["id"].startswith("hcag_")
    assert parent["slug"] == "billing-plans"
    child = emulator.create_group(
        "Invoices", slug="INVOICES", parentHelpCenterArticleGroupId=parent["id"]
    )
    assert child["slug"] == "invoices"
    assert child["parentArticleGroup"] == {"id": parent["id"]}

    duplicate = mutate(
        emulator,
        "createHelpCenterArticleGroup",
        "CreateHelpCenterArticleGroupInput",
        {"helpCenterId": emulator.help_center_id, "name": "Other", "slug": "Invoices"},
    )
    assert duplicate["code"] == "input_validation"
    assert duplicate["fields"][0]["field"] == "slug"
    bad_parent = mutate(
        emulator,
        "createHelpCenterArticleGroup",
        "CreateHelpCenterArticleGroupInput",
        {
            "helpCenterId": emulator.help_center_id,
            "name": "Orphan",
            "parentHelpCenterArticleGroupId": "hcag_01NOPE",
        },
    )
    assert bad_parent["code"] == "not_found"
    assert bad_parent["fields"][0]["field"] == "parentHelpCenterArticleGroupId"


def test_group_update_changes_the_name_only(emulator: Emulator) -> None:
    group = emulator.create_group("Old name", slug="fixed")
    data = emulator.gql(
        f"""
        mutation($input: UpdateHelpCenterArticleGroupInput!) {{
          updateHelpCenterArticleGroup(input: $input) {{
            helpCenterArticleGroup {{ id name slug }}
            {ERROR}
          }}
        }}
        """,
        {"input": {"helpCenterArticleGroupId": group["id"], "name": "New name"}},
    )["updateHelpCenterArticleGroup"]
    assert data["error"] is None
    assert data["helpCenterArticleGroup"] == {
        "id": group["id"],
        "name": "New name",
        "slug": "fixed",
    }
    # The input type has no slug: sending one is a GraphQL validation error.
    response = emulator.post(
        """
        mutation { updateHelpCenterArticleGroup(
          input: {helpCenterArticleGroupId: "x", name: "n", slug: "s"}) { error { code } } }
        """
    )
    assert response.status_code == 400
    missing = mutate(
        emulator,
        "updateHelpCenterArticleGroup",
        "UpdateHelpCenterArticleGroupInput",
        {"helpCenterArticleGroupId": "hcag_01NOPE", "name": "n"},
    )
    assert missing["code"] == "not_found"
    empty = mutate(
        emulator,
        "updateHelpCenterArticleGroup",
        "UpdateHelpCenterArticleGroupInput",
        {"helpCenterArticleGroupId": group["id"], "name": " "},
    )
    assert empty["fields"][0] == {
        "field": "name",
        "message": empty["fields"][0]["message"],
        "type": "REQUIRED",
    }


def test_group_delete_ungroups_its_articles(emulator: Emulator) -> None:
    parent = emulator.create_group("Parent")
    group = emulator.create_group("Doomed", parentHelpCenterArticleGroupId=parent["id"])
    child = emulator.create_group("Child", parentHelpCenterArticleGroupId=group["id"])
    inside = emulator.upsert_article(title="Inside", helpCenterArticleGroupId=group["id"])
    assert inside["articleGroup"] == {"id": group["id"]}
    error = mutate(
        emulator,
        "deleteHelpCenterArticleGroup",
        "DeleteHelpCenterArticleGroupInput",
        {"helpCenterArticleGroupId": group["id"]},
    )
    assert error is None
    kept = article(emulator, inside["id"])
    assert kept is not None
    assert kept["articleGroup"] is None
    orphan = emulator.gql(
        "query($id: ID!) { helpCenterArticleGroup(id: $id) { parentArticleGroup { id } } }",
        {"id": child["id"]},
    )["helpCenterArticleGroup"]
    assert orphan == {"parentArticleGroup": None}
    nav = {item["id"]: item for item in emulator.index()["navIndex"]}
    assert group["id"] not in nav
    assert nav[inside["id"]]["parentId"] is None
    assert nav[child["id"]]["parentId"] is None
    again = mutate(
        emulator,
        "deleteHelpCenterArticleGroup",
        "DeleteHelpCenterArticleGroupInput",
        {"helpCenterArticleGroupId": group["id"]},
    )
    assert again["code"] == "not_found"


def test_moving_an_article_between_groups(emulator: Emulator) -> None:
    a = emulator.create_group("A")
    b = emulator.create_group("B")
    created = emulator.upsert_article(title="Mover", helpCenterArticleGroupId=a["id"])
    moved = emulator.upsert_article(
        helpCenterArticleId=created["id"], title="Mover", helpCenterArticleGroupId=b["id"]
    )
    assert moved["articleGroup"] == {"id": b["id"]}
    nav = {item["id"]: item for item in emulator.index()["navIndex"]}
    assert nav[created["id"]]["parentId"] == b["id"]
    kept = emulator.upsert_article(helpCenterArticleId=created["id"], title="Mover")
    assert kept["articleGroup"] == {"id": b["id"]}  # absent group id: unchanged
    ungrouped = emulator.upsert_article(
        helpCenterArticleId=created["id"], title="Mover", helpCenterArticleGroupId=None
    )
    assert ungrouped["articleGroup"] is None


def test_label_type_ids_are_accepted_only_empty(emulator: Emulator) -> None:
    # The emulator has no label types: null and [] are fine, any id is unknown.
    assert upsert(emulator, title="Null labels", labelTypeIds=None)["error"] is None
    created = upsert(emulator, title="No labels", labelTypeIds=[])
    assert created["error"] is None
    for ids in (["lt_01NOPE"], ["lt_01A", "lt_01B"]):
        result = upsert(emulator, title="Labelled", labelTypeIds=ids)
        assert result["helpCenterArticle"] is None
        error = result["error"]
        assert (error["type"], error["code"]) == ("VALIDATION", "input_validation")
        assert [(f["field"], f["type"]) for f in error["fields"]] == [("labelTypeIds", "NOT_FOUND")]
        assert all(i in error["fields"][0]["message"] for i in ids)
    # An update is refused the same way and changes nothing.
    article_id = created["helpCenterArticle"]["id"]
    refused = upsert(
        emulator, helpCenterArticleId=article_id, title="Renamed", labelTypeIds=["lt_01NOPE"]
    )
    assert refused["error"]["fields"][0]["field"] == "labelTypeIds"
    assert article(emulator, article_id)["title"] == "No labels"  # type: ignore[index]
