"""The emulator as a program: start-up lines, auth, persistence, in-process use."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import httpx
from conftest import DEFAULT_API_KEY, Emulator, EmulatorFactory

from publisher.emulator import command
from publisher.emulator.app import DEFAULT_API_KEY as APP_DEFAULT_KEY
from publisher.emulator.app import create_app

QUERY = "{ helpCenters { edges { node { id publicName } } } }"


def test_start_up_lines_and_default_key(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(help_centers=("Docs", "Internal"))
    assert emulator.url.startswith("http://127.0.0.1:")
    assert emulator.url.endswith("/graphql/v1")
    assert emulator.api_key == DEFAULT_API_KEY == APP_DEFAULT_KEY == command.DEFAULT_API_KEY
    assert set(emulator.help_center_ids) == {"Docs", "Internal"}
    assert all(i.startswith("hc_") for i in emulator.help_center_ids.values())


def test_requests_need_a_valid_bearer_key(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False, api_keys=("plainApiKey_one", "plainApiKey_two"))
    assert emulator.post(QUERY, api_key="plainApiKey_two").status_code == 200
    assert emulator.post(QUERY, api_key="plainApiKey_local_emulator").status_code == 401
    no_header = httpx.post(emulator.url, json={"query": QUERY}, timeout=10)
    assert no_header.status_code == 401
    assert no_header.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    wrong_scheme = httpx.post(
        emulator.url,
        json={"query": QUERY},
        headers={"Authorization": "Basic plainApiKey_one"},
        timeout=10,
    )
    assert wrong_scheme.status_code == 401
    assert httpx.get(emulator.url, timeout=10).status_code == 405


def test_malformed_bodies_are_400(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False)
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    for body in (
        b"not json",
        b"[]",
        b'{"query": 3}',
        b'{"query": "{ __typename }", "variables": 1}',
    ):
        response = httpx.post(emulator.url, content=body, headers=headers, timeout=10)
        assert response.status_code == 400, body


def test_state_survives_a_restart(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(help_centers=("Docs",))
    assert emulator.db_path is not None
    hc = emulator.help_center_id
    group = emulator.create_group("Kept")
    article = emulator.upsert_article(title="Kept", helpCenterArticleGroupId=group["id"])
    index_before = emulator.index()

    # SIGTERM shuts down cleanly, then ends the process as that signal does by default.
    assert emulator.stop() in (0, -signal.SIGTERM)
    assert "Traceback" not in emulator.log()
    emulator.restart()
    assert emulator.help_center_ids["Docs"] == hc  # not seeded twice
    assert emulator.index() == index_before
    data = emulator.gql(
        "query($id: ID!) { helpCenterArticle(id: $id) { title articleGroup { name } } }",
        {"id": article["id"]},
    )
    assert data["helpCenterArticle"] == {"title": "Kept", "articleGroup": {"name": "Kept"}}
    # New ids keep sorting after old ones, so pages stay in creation order.
    later = emulator.upsert_article(title="Later")
    assert later["id"] > article["id"]


def test_restart_can_add_help_centers_and_keys(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(help_centers=("Docs",))
    emulator.restart("--help-center", "More", "--api-key", "plainApiKey_more")
    assert set(emulator.help_center_ids) == {"Docs", "More"}
    assert emulator.post(QUERY, api_key="plainApiKey_more").status_code == 200


def test_sigint_exits_with_status_0(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False)
    emulator.process.send_signal(signal.SIGINT)
    assert emulator.process.wait(10) == 0
    assert "Traceback" not in emulator.log()
    assert "Aborted" not in emulator.log()


def test_port_in_use_is_a_clear_error(emulator: Emulator) -> None:
    port = emulator.base_url.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "publisher.emulator", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "cannot listen" in result.stderr


def test_help_lists_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "publisher.emulator", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    for option in (
        "--host",
        "--port",
        "--db",
        "--help-center",
        "--api-key",
        "--latency-ms",
        "--fail-rate",
        "--fault-kinds",
        "--seed",
    ):
        assert option in result.stdout


def test_create_app_works_in_process() -> None:
    app = create_app(help_centers=["In process"])
    hc = app.emulator.help_center_ids["In process"]

    async def run() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
            created = await client.post(
                "/graphql/v1",
                headers=headers,
                json={
                    "query": """
                    mutation($hc: ID!) {
                      createWorkspaceFileUploadUrl(
                        input: {fileName: "a.txt", fileSizeBytes: 1, visibility: PUBLIC}
                      ) { workspaceFileUploadUrl { uploadFormUrl } }
                      upsertHelpCenterArticle(input: {
                        helpCenterId: $hc, title: "Hi", contentHtml: "<p>hi</p>", status: PUBLISHED
                      }) { helpCenterArticle { slug } }
                    }
                    """,
                    "variables": {"hc": hc},
                },
            )
            page = await client.get(f"/help-centers/{hc}/article/hi")
            return created, page

    created, page = asyncio.run(run())
    data = created.json()["data"]
    upload_url = data["createWorkspaceFileUploadUrl"]["workspaceFileUploadUrl"]["uploadFormUrl"]
    assert upload_url.startswith("http://emulator/uploads/wf_")
    assert data["upsertHelpCenterArticle"]["helpCenterArticle"] == {"slug": "hi"}
    assert page.status_code == 200
    app.emulator.store.close()


def test_in_process_disconnect_falls_back_to_500() -> None:
    from publisher.emulator.faults import FaultConfig, FaultKind

    app = create_app(faults=FaultConfig(fail_rate=1.0, kinds=frozenset({FaultKind.DISCONNECT})))

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            return await client.post(
                "/graphql/v1",
                headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
                json={"query": QUERY},
            )

    assert asyncio.run(run()).status_code == 500
    app.emulator.store.close()
