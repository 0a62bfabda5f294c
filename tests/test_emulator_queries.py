"""Queries over real HTTP: every root field, every type's every field, not-found answers."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
from conftest import Emulator
from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
)


def _schema() -> GraphQLSchema:
    sdl = resources.files("publisher.emulator").joinpath("schema.graphql").read_text("utf-8")
    return build_schema(sdl)


def _named(t: GraphQLOutputType) -> Any:
    while isinstance(t, GraphQLNonNull | GraphQLList):
        t = t.of_type
    return t


def _selection(t: GraphQLOutputType, depth: int) -> str:
    """Select every field of ``t`` down to ``depth`` levels of objects."""
    named = _named(t)
    if isinstance(named, GraphQLUnionType):
        parts = [f"... on {m.name} {{ {_selection(m, depth)} }}" for m in named.types]
        return "__typename " + " ".join(parts)
    if not isinstance(named, GraphQLObjectType):
        return ""
    fields = []
    for name, field in named.fields.items():
        fields.append(_field(name, field, depth))
    return " ".join(f for f in fields if f)


def _field(name: str, field: GraphQLField, depth: int) -> str:
    named = _named(field.type)
    args = "(first: 3)" if "first" in field.args else ""
    if isinstance(named, GraphQLObjectType | GraphQLUnionType):
        if depth == 0:
            return ""
        inner = _selection(field.type, depth - 1)
        return f"{name}{args} {{ {inner or '__typename'} }}"
    return name


@pytest.fixture
def populated(emulator: Emulator) -> dict[str, str]:
    parent = emulator.create_group("Guides")
    child = emulator.create_group("Advanced", parentHelpCenterArticleGroupId=parent["id"])
    article = emulator.upsert_article(
        title="Deep article",
        helpCenterArticleGroupId=child["id"],
        description="About depth",
        icon="book",
        status="PUBLISHED",
    )
    emulator.upsert_article(title="Top article")
    return {"parent": parent["id"], "child": child["id"], "article": article["id"]}


@pytest.mark.parametrize(
    ("root", "arg"),
    [
        ("helpCenter", "hc"),
        ("helpCenterArticle", "article"),
        ("helpCenterArticleGroup", "child"),
        ("helpCenterIndex", "hc"),
    ],
)
def test_every_field_of_every_reachable_type_resolves(
    emulator: Emulator, populated: dict[str, str], root: str, arg: str
) -> None:
    schema = _schema()
    assert schema.query_type is not None
    selection = _selection(schema.query_type.fields[root].type, 4)
    entity_id = emulator.help_center_id if arg == "hc" else populated[arg]
    data = emulator.gql(f'{{ {root}(id: "{entity_id}") {{ {selection} }} }}')
    assert data[root] is not None


def test_rich_query_with_actors_timestamps_and_back_references(
    emulator: Emulator, populated: dict[str, str]
) -> None:
    data = emulator.gql(
        """
        query($id: ID!) {
          helpCenterArticle(id: $id) {
            id title description icon status
            createdAt { unixTimestamp iso8601 }
            statusChangedAt { iso8601 }
            createdBy {
              __typename
              ... on MachineUserActor { machineUserId machineUser { id fullName type } }
              ... on UserActor { userId }
              ... on SystemActor { systemId }
            }
            helpCenter { id publicName articles(first: 1) { edges { node { id } } } }
            articleGroup {
              id name slug
              helpCenter { id }
              parentArticleGroup { id childArticleGroups { edges { node { id } } } }
              articles { edges { cursor node { id articleGroup { id } } } }
            }
          }
        }
        """,
        {"id": populated["article"]},
    )
    article = data["helpCenterArticle"]
    assert article["createdBy"]["__typename"] == "MachineUserActor"
    actor = article["createdBy"]
    assert actor["machineUser"]["id"] == actor["machineUserId"]
    assert actor["machineUser"]["type"] == "API_USER"
    assert article["createdAt"]["iso8601"].endswith("Z")
    assert int(article["createdAt"]["unixTimestamp"]) > 1_600_000_000_000  # milliseconds
    assert article["helpCenter"]["id"] == emulator.help_center_id
    group = article["articleGroup"]
    assert group["id"] == populated["child"]
    assert group["parentArticleGroup"]["id"] == populated["parent"]
    children = group["parentArticleGroup"]["childArticleGroups"]["edges"]
    assert [e["node"]["id"] for e in children] == [populated["child"]]
    assert [e["node"]["id"] for e in group["articles"]["edges"]] == [populated["article"]]


def test_help_centers_lists_the_seeded_ones(emulator: Emulator) -> None:
    data = emulator.gql(
        "{ helpCenters(first: 100) { edges { node { id publicName internalName type } } } }"
    )
    ids = {e["node"]["id"] for e in data["helpCenters"]["edges"]}
    assert emulator.help_center_id in ids
    node = next(e["node"] for e in data["helpCenters"]["edges"])
    assert node["type"] == "PUBLIC"


def test_lookups_by_slug_are_case_insensitive(
    emulator: Emulator, populated: dict[str, str]
) -> None:
    data = emulator.gql(
        """
        query($hc: ID!) {
          article: helpCenterArticleBySlug(helpCenterId: $hc, slug: "Deep-Article") { id }
          group: helpCenterArticleGroupBySlug(helpCenterId: $hc, slug: "guides") { id }
          missing: helpCenterArticleBySlug(helpCenterId: $hc, slug: "nope") { id }
        }
        """,
        {"hc": emulator.help_center_id},
    )
    assert data["article"]["id"] == populated["article"]
    assert data["group"]["id"] == populated["parent"]
    assert data["missing"] is None


def test_unknown_ids_give_null(emulator: Emulator) -> None:
    data = emulator.gql(
        """
        {
          helpCenter(id: "hc_unknown") { id }
          helpCenterArticle(id: "hca_unknown") { id }
          helpCenterArticleGroup(id: "hcag_unknown") { id }
          helpCenterIndex(id: "hc_unknown") { hash }
        }
        """
    )
    assert data == {
        "helpCenter": None,
        "helpCenterArticle": None,
        "helpCenterArticleGroup": None,
        "helpCenterIndex": None,
    }


def test_ids_have_plain_prefixes(emulator: Emulator, populated: dict[str, str]) -> None:
    assert emulator.help_center_id.startswith("hc_01")
    assert populated["article"].startswith("hca_01")
    assert populated["parent"].startswith("hcag_01")
    assert len(populated["article"]) == len("hca_") + 26


def test_invalid_queries_are_rejected_with_400(emulator: Emulator) -> None:
    response = emulator.post("{ helpCenter(id: 1) { nope } }")
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    response = emulator.post("{ helpCenter(")
    assert response.status_code == 400
    # A field of Plain's schema that the emulator does not serve is a validation error too.
    response = emulator.post("{ myWorkspace { id } }")
    assert response.status_code == 400
    response = emulator.post("query($id: ID!) { helpCenter(id: $id) { id } }", {"id": None})
    assert response.status_code == 400


def test_operation_name_picks_the_operation(emulator: Emulator) -> None:
    query = "query A { helpCenters { edges { cursor } } } query B { __typename }"
    response = emulator.post(query, operation_name="B")
    assert response.json() == {"data": {"__typename": "Query"}}
    assert emulator.post(query).status_code == 400
