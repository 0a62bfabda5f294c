"""Relay pagination: forward and backward past 250 items, limits, and argument rules."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Emulator

TOTAL = 260

PAGE = """
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  helpCenter(id: $id) {
    articles(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id title } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""


def create_many(emulator: Emulator, count: int) -> list[str]:
    """Create articles fifty to a request (aliased mutations), returning ids in order."""
    ids: list[str] = []
    for start in range(0, count, 50):
        fields = []
        for n in range(start, min(count, start + 50)):
            fields.append(
                f"a{n}: upsertHelpCenterArticle(input: {{helpCenterId: $hc,"
                f' title: "Article {n:03d}", contentHtml: "<p>{n}</p>"}})'
                " { helpCenterArticle { id } error { message } }"
            )
        data = emulator.gql(
            f"mutation($hc: ID!) {{ {' '.join(fields)} }}", {"hc": emulator.help_center_id}
        )
        for n in range(start, min(count, start + 50)):
            assert data[f"a{n}"]["error"] is None
            ids.append(data[f"a{n}"]["helpCenterArticle"]["id"])
    return ids


@pytest.fixture
def articles(emulator: Emulator) -> list[str]:
    return create_many(emulator, TOTAL)


def page(emulator: Emulator, **args: Any) -> dict[str, Any]:
    variables = {"id": emulator.help_center_id, **args}
    conn: dict[str, Any] = emulator.gql(PAGE, variables)["helpCenter"]["articles"]
    return conn


def test_forward_pagination_visits_every_article_once(
    emulator: Emulator, articles: list[str]
) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        conn = page(emulator, first=100, after=after)
        pages += 1
        seen += [e["node"]["id"] for e in conn["edges"]]
        info = conn["pageInfo"]
        assert info["hasPreviousPage"] == (after is not None)
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
        assert after == conn["edges"][-1]["cursor"]
    assert pages == 3
    assert seen == articles


def test_backward_pagination_visits_every_article_once(
    emulator: Emulator, articles: list[str]
) -> None:
    seen: list[str] = []
    before = None
    while True:
        conn = page(emulator, last=100, before=before)
        seen = [e["node"]["id"] for e in conn["edges"]] + seen
        if not conn["pageInfo"]["hasPreviousPage"]:
            break
        before = conn["pageInfo"]["startCursor"]
    assert seen == articles


def test_default_page_is_25(emulator: Emulator, articles: list[str]) -> None:
    conn = page(emulator)
    assert [e["node"]["id"] for e in conn["edges"]] == articles[:25]
    assert conn["pageInfo"]["hasNextPage"] is True
    assert conn["pageInfo"]["hasPreviousPage"] is False


def test_cursor_survives_deleting_its_article(emulator: Emulator, articles: list[str]) -> None:
    first = page(emulator, first=10)
    emulator.gql(
        "mutation($id: ID!) { deleteHelpCenterArticle(input: {helpCenterArticleId: $id})"
        " { error { code } } }",
        {"id": articles[9]},
    )
    rest = page(emulator, first=5, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest["edges"]] == articles[10:15]


@pytest.mark.parametrize(
    "args",
    [
        {"first": 101},
        {"last": 101},
        {"first": -1},
        {"first": 5, "before": "Y3Vyc29yOmhjYV8w"},
        {"last": 5, "after": "Y3Vyc29yOmhjYV8w"},
        {"first": 5, "last": 5},
        {"first": 5, "after": "not a cursor"},
    ],
)
def test_bad_arguments_are_errors(emulator: Emulator, args: dict[str, Any]) -> None:
    response = emulator.post(PAGE, {"id": emulator.help_center_id, **args})
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"helpCenter": None}
    assert payload["errors"][0]["path"] == ["helpCenter", "articles"]
    assert payload["errors"][0]["extensions"]["code"] == "input_validation"


def test_a_bad_page_of_help_centers_is_an_error_with_no_data(emulator: Emulator) -> None:
    response = emulator.post("{ helpCenters(first: 500) { edges { cursor } } }")
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] is None
    assert payload["errors"][0]["path"] == ["helpCenters"]


def test_group_connections_page_too(emulator: Emulator) -> None:
    parent = emulator.create_group("Parent")
    children = [
        emulator.create_group(f"Child {n}", parentHelpCenterArticleGroupId=parent["id"])["id"]
        for n in range(3)
    ]
    data = emulator.gql(
        """
        query($id: ID!, $hc: ID!) {
          helpCenterArticleGroup(id: $id) {
            childArticleGroups(first: 2) { edges { node { id } } pageInfo { hasNextPage } }
          }
          helpCenter(id: $hc) { articleGroups(last: 1) { edges { node { id } } } }
        }
        """,
        {"id": parent["id"], "hc": emulator.help_center_id},
    )
    conn = data["helpCenterArticleGroup"]["childArticleGroups"]
    assert [e["node"]["id"] for e in conn["edges"]] == children[:2]
    assert conn["pageInfo"]["hasNextPage"] is True
    assert data["helpCenter"]["articleGroups"]["edges"] == [{"node": {"id": children[-1]}}]
