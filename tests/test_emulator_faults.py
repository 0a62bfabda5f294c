"""Injected faults: each kind is seen by a real HTTP client, and seeds make them repeatable."""

from __future__ import annotations

import subprocess
import sys
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
    assert {200, 429, 500, "dropped"} == set(first)  # graphql_* faults come as 200


def test_latency_delays_graphql_requests(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False, latency_ms=300)
    started = time.monotonic()
    assert emulator.post(QUERY, {"id": emulator.help_center_id}).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_unknown_fault_kind_is_refused(emulator_factory: EmulatorFactory) -> None:
    with pytest.raises(RuntimeError, match="unknown fault kind"):
        emulator_factory(db=False, fault_kinds="meteor")


def test_graphql_internal_answers_200_with_internal_server_error_and_runs_nothing(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(fail_rate=1, fault_kinds="graphql_internal")
    for query, variables in (
        (QUERY, {"id": emulator.help_center_id}),
        (CREATE, {"hc": emulator.help_center_id, "title": "Never"}),
    ):
        response = fresh_post(emulator, query, variables)
        assert response.status_code == 200
        assert "retry-after" not in response.headers
        assert response.json() == {
            "data": None,
            "errors": [
                {
                    "message": "Internal server error",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
            ],
        }
    emulator.restart("--fail-rate", "0")
    assert article_titles(emulator) == []  # the mutation did not run


def test_graphql_rate_limit_answers_200_with_rate_limited_and_retry_after(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(
        fail_rate=1, fault_kinds="graphql_rate_limit", extra_args=("--retry-after", "3")
    )
    for query, variables in (
        (QUERY, {"id": emulator.help_center_id}),
        (CREATE, {"hc": emulator.help_center_id, "title": "Never"}),
    ):
        response = fresh_post(emulator, query, variables)
        assert response.status_code == 200
        assert response.headers["retry-after"] == "3"
        assert response.json() == {
            "data": None,
            "errors": [
                {
                    "message": "Too many requests (injected by the emulator)",
                    "extensions": {"code": "RATE_LIMITED"},
                }
            ],
        }
    emulator.restart("--fail-rate", "0")
    assert article_titles(emulator) == []


@pytest.mark.parametrize(("extra", "seconds"), [((), "75"), (("--long-retry-after", "5"), "5")])
def test_long_retry_after_answers_429_with_a_long_wait(
    emulator_factory: EmulatorFactory, extra: tuple[str, ...], seconds: str
) -> None:
    emulator = emulator_factory(
        db=False, fail_rate=1, fault_kinds="long_retry_after", extra_args=extra
    )
    for query, variables in (
        (QUERY, {"id": emulator.help_center_id}),
        (CREATE, {"hc": emulator.help_center_id, "title": "Never"}),
    ):
        response = fresh_post(emulator, query, variables)
        assert response.status_code == 429
        assert response.headers["retry-after"] == seconds
        assert response.json() == {
            "errors": [
                {
                    "message": "Too many requests (injected by the emulator)",
                    "extensions": {"code": "RATE_LIMITED"},
                }
            ]
        }


def outcomes(emulator: Emulator, count: int) -> list[tuple[int | str, str | None, str | None]]:
    """Per request: HTTP status (or "dropped"), Retry-After, errors[0].extensions.code."""
    seen: list[tuple[int | str, str | None, str | None]] = []
    for _ in range(count):
        try:
            response = fresh_post(emulator, QUERY, {"id": emulator.help_center_id})
        except (httpx.RemoteProtocolError, httpx.ReadError):
            seen.append(("dropped", None, None))
            continue
        errors = response.json().get("errors") or [{}]
        code = errors[0].get("extensions", {}).get("code")
        seen.append((response.status_code, response.headers.get("retry-after"), code))
    return seen


def test_default_kinds_are_all_but_long_retry_after(emulator_factory: EmulatorFactory) -> None:
    seen = outcomes(emulator_factory(db=False, fail_rate=1, seed=3), 80)
    assert set(seen) == {
        (429, "0", "RATE_LIMITED"),  # rate_limit (the fixture asks for --retry-after 0)
        (500, None, "INTERNAL"),  # server_error
        ("dropped", None, None),  # disconnect
        (200, None, "INTERNAL_SERVER_ERROR"),  # graphql_internal
        (200, "0", "RATE_LIMITED"),  # graphql_rate_limit
    }
    # Named, it comes.
    named = outcomes(
        emulator_factory(db=False, fail_rate=1, seed=3, fault_kinds="rate_limit,long_retry_after"),
        40,
    )
    assert (429, "75", "RATE_LIMITED") in named


def test_help_says_long_retry_after_is_not_a_default() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "publisher.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    text = " ".join(result.stdout.split())
    assert "Default: all but long_retry_after, left out because a client" in text
    for option in ("--long-retry-after", "--strict", "--download-urls", "--key-permissions"):
        assert option in text


def test_strict_preset(emulator_factory: EmulatorFactory) -> None:
    strict = outcomes(emulator_factory(db=False, seed=5, extra_args=("--strict",)), 200)
    failed = [o for o in strict if o != (200, None, None)]
    assert 20 <= len(failed) <= 70  # --fail-rate 0.2 unless given
    assert (429, "2", "RATE_LIMITED") in strict  # long_retry_after, 2 s under --strict
    assert (200, None, "INTERNAL_SERVER_ERROR") in strict
    # Explicit options win over the preset.
    explicit = emulator_factory(
        db=False,
        fail_rate=1,
        fault_kinds="long_retry_after",
        extra_args=("--strict", "--long-retry-after", "9"),
    )
    assert set(outcomes(explicit, 5)) == {(429, "9", "RATE_LIMITED")}
    calm = emulator_factory(db=False, fail_rate=0, extra_args=("--strict",))
    assert set(outcomes(calm, 20)) == {(200, None, None)}
