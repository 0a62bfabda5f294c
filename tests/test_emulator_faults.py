"""Injected faults: each kind is seen by a real HTTP client, and seeds make them repeatable."""

from __future__ import annotations

import time

import httpx
import pytest
from conftest import Emulator, EmulatorFactory

QUERY = "query($id: ID!) { helpCenter(id: $id) { id } }"
CREATE = """
mutation($hc: ID!, $title: String!) {
  upsertHelpCenterArticle(input: {helpCenterId: $hc, title: $title, contentHtml: "<p/>"}) {
    helpCenterArticle { id } error { code }
  }
}
"""


def fresh_post(emulator: Emulator, query: str, variables: dict[str, str]) -> httpx.Response:
    """Post on a new connection, so a dropped one cannot spoil the next request."""
    with httpx.Client(timeout=10) as client:
        return client.post(
            emulator.url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {emulator.api_key}"},
        )


def article_titles(emulator: Emulator) -> list[str]:
    data = emulator.gql(
        "query($id: ID!) { helpCenter(id: $id) { articles(first: 100) { edges { node { title } } } } }",
        {"id": emulator.help_center_id},
    )
    return [e["node"]["title"] for e in data["helpCenter"]["articles"]["edges"]]


def test_rate_limit_answers_429_with_retry_after(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False, fail_rate=1, fault_kinds="rate_limit")
    response = emulator.post(QUERY, {"id": emulator.help_center_id})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "0"  # the fixture asks for --retry-after 0
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_server_error_answers_500(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False, fail_rate=1, fault_kinds="server_error")
    response = emulator.post(QUERY, {"id": emulator.help_center_id})
    assert response.status_code == 500


def test_disconnect_closes_the_connection_without_a_response(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(db=False, fail_rate=1, fault_kinds="disconnect")
    for _ in range(3):
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            fresh_post(emulator, QUERY, {"id": emulator.help_center_id})
    # Faults are for the API only: the web view still answers.
    assert httpx.get(emulator.base_url + "/", timeout=10).status_code == 200
    assert "Exception" not in emulator.log()


def test_lost_response_commits_the_mutation(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False, fail_rate=1, fault_kinds="lost_response", seed=7)
    outcomes = set()
    for n in range(8):
        try:
            response = fresh_post(
                emulator, CREATE, {"hc": emulator.help_center_id, "title": f"T{n}"}
            )
        except (httpx.RemoteProtocolError, httpx.ReadError):
            outcomes.add("dropped")
        else:
            assert response.status_code == 500
            outcomes.add("500")
    assert outcomes == {"dropped", "500"}
    # Queries are never hit by a lost response, and every mutation did commit.
    assert article_titles(emulator) == [f"T{n}" for n in range(8)]


def test_faults_spare_queries_when_only_mutation_faults_are_chosen(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(db=False, fail_rate=1, fault_kinds="lost-response")
    for _ in range(5):
        assert emulator.post(QUERY, {"id": emulator.help_center_id}).status_code == 200


def test_the_same_seed_gives_the_same_faults(emulator_factory: EmulatorFactory) -> None:
    def statuses(emulator: Emulator) -> list[int | str]:
        seen: list[int | str] = []
        for _ in range(30):
            try:
                response = fresh_post(emulator, QUERY, {"id": emulator.help_center_id})
                seen.append(response.status_code)
            except (httpx.RemoteProtocolError, httpx.ReadError):
                seen.append("dropped")
        return seen

    first = statuses(emulator_factory(db=False, fail_rate=0.5, seed=42))
    second = statuses(emulator_factory(db=False, fail_rate=0.5, seed=42))
    assert first == second
    assert {200, 429, 500, "dropped"} == set(first)


def test_latency_delays_graphql_requests(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False, latency_ms=300)
    started = time.monotonic()
    assert emulator.post(QUERY, {"id": emulator.help_center_id}).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_unknown_fault_kind_is_refused(emulator_factory: EmulatorFactory) -> None:
    with pytest.raises(RuntimeError, match="unknown fault kind"):
        emulator_factory(db=False, fault_kinds="meteor")
