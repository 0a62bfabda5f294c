"""The emulator as a program: start-up lines, auth, persistence, in-process use."""

from __future__ import annotations

import asyncio
import shlex
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import DEFAULT_API_KEY, Emulator, EmulatorFactory

from publisher.emulator import command
from publisher.emulator.app import DEFAULT_API_KEY as APP_DEFAULT_KEY
from publisher.emulator.app import create_app
from publisher.emulator.launch import EmulatorStartError, start_emulator
from publisher.emulator.models import Actor, IndexEntry
from publisher.emulator.store import Store

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
        "--key-permissions",
        "--long-retry-after",
        "--download-urls",
        "--extra-index-type",
        "--extra-article-status",
        "--strict",
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


EXTRA_INDEX = """
mutation($input: UpdateHelpCenterIndexInput!) {
  updateHelpCenterIndex(input: $input) {
    helpCenterIndex { navIndex { type id title slug parentId status } }
    error { message fields { field type } }
  }
}
"""


def test_extra_enum_values_are_stored_and_served(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(
        extra_args=(
            *("--extra-index-type", "SECTION_BREAK"),
            *("--extra-article-status", "ARCHIVED"),
        )
    )
    archived = emulator.upsert_article(title="Old", status="ARCHIVED")
    assert archived["status"] == "ARCHIVED"
    index = emulator.index()
    assert index["navIndex"][0]["status"] == "ARCHIVED"
    items = [
        {"type": "SECTION_BREAK", "entityId": "break-1", "title": "Past"},
        {"type": "HEADING", "entityId": "h", "title": "Heading"},
        {"type": "ARTICLE", "entityId": archived["id"]},
    ]
    data = {
        "helpCenterId": emulator.help_center_id,
        "hash": index["hash"],
        "helpCenterIndex": items,
    }
    result = emulator.gql(EXTRA_INDEX, {"input": data})["updateHelpCenterIndex"]
    assert result["error"] is None
    assert [
        (i["type"], i["id"], i["title"], i["status"]) for i in result["helpCenterIndex"]["navIndex"]
    ] == [
        ("SECTION_BREAK", "break-1", "Past", None),
        ("HEADING", "h", "Heading", None),
        ("ARTICLE", archived["id"], "Old", "ARCHIVED"),
    ]
    # An extra type follows HEADING's rules: a title is required.
    data = {**data, "hash": emulator.index()["hash"]}
    data["helpCenterIndex"] = [{"type": "SECTION_BREAK", "entityId": "break-2"}]
    refused = emulator.gql(EXTRA_INDEX, {"input": data})["updateHelpCenterIndex"]
    assert refused["error"]["fields"] == [{"field": "helpCenterIndex[0].title", "type": "REQUIRED"}]
    # Not drafted and not published: the web view does not show it.
    page = httpx.get(f"{emulator.base_url}/help-centers/{emulator.help_center_id}", timeout=10)
    assert "Old" not in page.text and "Past" in page.text
    # State survives a restart with the same options.
    before = emulator.index()
    emulator.restart()
    assert emulator.index() == before


def test_without_the_hook_the_values_are_invalid(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False)
    response = emulator.post(
        'mutation($hc: ID!) { upsertHelpCenterArticle(input: {helpCenterId: $hc, title: "T",'
        ' contentHtml: "", status: ARCHIVED}) { error { code } } }',
        {"hc": emulator.help_center_id},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    "args",
    [
        ("--extra-index-type", "HEADING"),  # already there
        ("--extra-index-type", "true"),
        ("--extra-article-status", "1ABC"),
        ("--extra-article-status", "NOT-A-NAME"),
    ],
)
def test_bad_extra_enum_values_are_refused(
    emulator_factory: EmulatorFactory, args: tuple[str, str]
) -> None:
    with pytest.raises(EmulatorStartError, match="enum value"):
        emulator_factory(db=False, extra_args=args)


def test_headings_survive_a_restart(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory()
    index = emulator.index()
    data = {
        "helpCenterId": emulator.help_center_id,
        "hash": index["hash"],
        "helpCenterIndex": [{"type": "HEADING", "entityId": "kept", "title": "Kept"}],
    }
    assert emulator.gql(EXTRA_INDEX, {"input": data})["updateHelpCenterIndex"]["error"] is None
    before = emulator.index()
    emulator.restart()
    assert emulator.index() == before
    assert before["navIndex"][0]["type"] == "HEADING"


def test_a_version_1_database_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    app = create_app(str(path), help_centers=["Docs"])
    hc = app.emulator.help_center_ids["Docs"]
    article = app.emulator.service.upsert_article(
        Actor("system"), {"helpCenterId": hc, "title": "Old", "contentHtml": "<p/>"}
    )
    file = app.emulator.files.create_upload(
        Actor("system"), {"fileName": "a.png", "fileSizeBytes": 1, "visibility": "PUBLIC"}
    )
    app.emulator.store.close()
    # What an emulator before headings and CDN URLs wrote: no title, no cdn_token.
    db = sqlite3.connect(path)
    db.executescript(
        "DROP INDEX workspace_files_cdn_token;"
        " ALTER TABLE workspace_files DROP COLUMN cdn_token;"
        " ALTER TABLE index_entries DROP COLUMN title;"
        " PRAGMA user_version = 1;"
    )
    db.close()

    store = Store(str(path))
    try:
        upgraded = store.workspace_file(file.id)
        assert upgraded is not None and len(upgraded.cdn_token) >= 20
        assert store.index_entries(hc) == [IndexEntry("ARTICLE", article.id, None, None)]
    finally:
        store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (2,)


def test_create_app_takes_key_permissions() -> None:
    app = create_app(key_permissions={"plainApiKey_ro": frozenset({"helpCenter:read"})})

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
            answers = []
            for key in ("plainApiKey_ro", DEFAULT_API_KEY):
                answers.append(
                    await client.post(
                        "/graphql/v1",
                        headers={"Authorization": f"Bearer {key}"},
                        json={"query": "{ myPermissions { permissions } }"},
                    )
                )
            return answers

    ro, default = asyncio.run(run())
    assert ro.json()["data"]["myPermissions"]["permissions"] == ["helpCenter:read"]
    assert len(default.json()["data"]["myPermissions"]["permissions"]) == 5
    assert app.emulator.api_keys == [DEFAULT_API_KEY, "plainApiKey_ro"]
    app.emulator.store.close()


def _exports(lines: list[str]) -> dict[str, str]:
    """The `export NAME=VALUE` lines, read as a shell would."""
    found = {}
    for line in lines:
        if line.startswith("export "):
            words = shlex.split(line)
            assert len(words) == 2, line
            name, _, value = words[1].partition("=")
            found[name] = value
    return found


def test_start_up_prints_how_to_point_the_tool_at_it(tmp_path: Path) -> None:
    started = start_emulator(
        ["--port", "0", "--help-center", "Docs", "--help-center", "Internal"],
        tmp_path / "emulator.log",
    )
    try:
        lines = started.announced
        assert lines[-1] == "ready: press Ctrl+C to stop"
        # What launch reads from the labelled lines is as before.
        assert started.url.endswith("/graphql/v1") and started.url.startswith("http://127.0.0.1:")
        assert started.api_keys == [DEFAULT_API_KEY]
        assert set(started.help_center_ids) == {"Docs", "Internal"}
        # The export lines, just before `ready`, carry the same values...
        assert [line.split("=")[0] for line in lines[-4:-1]] == [
            "export PLAIN_API_URL",
            "export PLAIN_API_KEY",
            "export PLAIN_HELP_CENTER_ID",
        ]
        exports = _exports(lines)
        assert exports == {
            "PLAIN_API_URL": started.url,
            "PLAIN_API_KEY": DEFAULT_API_KEY,
            "PLAIN_HELP_CENTER_ID": started.help_center_ids["Docs"],
        }
        assert started.environment == exports
        # ...and they work: that key reaches that help center at that URL.
        response = httpx.post(
            exports["PLAIN_API_URL"],
            json={
                "query": "query($id: ID!) { helpCenter(id: $id) { id publicName } }",
                "variables": {"id": exports["PLAIN_HELP_CENTER_ID"]},
            },
            headers={"Authorization": f"Bearer {exports['PLAIN_API_KEY']}"},
            timeout=10,
        )
        assert response.json() == {
            "data": {"helpCenter": {"id": exports["PLAIN_HELP_CENTER_ID"], "publicName": "Docs"}}
        }
    finally:
        started.stop()


def test_exported_key_can_publish_and_odd_values_are_quoted(tmp_path: Path) -> None:
    odd_key = "plainApiKey_it's $HOME"
    started = start_emulator(
        [
            *("--port", "0", "--help-center", "Docs"),
            *("--api-key", "plainApiKey_ro", "--api-key", odd_key),
            *("--key-permissions", "plainApiKey_ro=helpCenter:read"),
        ],
        tmp_path / "emulator.log",
    )
    try:
        assert started.api_keys == ["plainApiKey_ro", odd_key]
        assert started.key_permissions == {"plainApiKey_ro": ["helpCenter:read"]}
        # The first key cannot publish, so the line names the first one that can.
        exports = _exports(started.announced)
        assert exports["PLAIN_API_KEY"] == odd_key
        assert f"export PLAIN_API_KEY={shlex.quote(odd_key)}" in started.announced
        assert started.environment["PLAIN_API_KEY"] == odd_key
    finally:
        started.stop()


def test_export_lines_with_a_stored_help_center_only(tmp_path: Path) -> None:
    db = str(tmp_path / "state.sqlite3")
    first = start_emulator(["--port", "0", "--db", db], tmp_path / "one.log")
    first.stop()
    hc = first.help_center_ids["Help Center"]
    # Restarted without --help-center: nothing is seeded, the stored one is named.
    again = start_emulator(["--port", "0", "--db", db], tmp_path / "two.log")
    try:
        assert again.help_center_ids == {"Help Center": hc}
        assert again.environment["PLAIN_HELP_CENTER_ID"] == hc
    finally:
        again.stop()
