"""API-key permissions: myPermissions, and each class of operation refused without its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator, EmulatorFactory

from publisher.emulator.launch import EmulatorStartError, start_emulator

FULL = "plainApiKey_full"
READER = "plainApiKey_reader"  # helpCenter:read
NOTHING = "plainApiKey_nothing"  # no permission at all
UPLOADER = "plainApiKey_uploader"  # workspaceFile:create
FILE_READER = "plainApiKey_file_reader"  # workspaceFile:read
EDITOR = "plainApiKey_editor"  # helpCenter:edit, without read

DEFAULT = [
    "helpCenter:edit",
    "helpCenter:read",
    "workspaceFile:create",
    "workspaceFile:delete",
    "workspaceFile:read",
]

ERROR = "error { message type code fields { field message type } }"


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory) -> Emulator:
    return emulator_factory(
        db=False,
        api_keys=(FULL,),
        extra_args=(
            *("--key-permissions", f"{READER}=helpCenter:read"),
            *("--key-permissions", f"{NOTHING}="),
            *("--key-permissions", f"{UPLOADER}=workspaceFile:create"),
            *("--key-permissions", f"{FILE_READER}=workspaceFile:read"),
            *("--key-permissions", f"{EDITOR}=helpCenter:edit"),
        ),
    )


def call(emulator: Emulator, key: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = emulator.post(query, variables, api_key=key)
    assert response.status_code == 200, response.text
    return response.json()


def forbidden(permission: str) -> dict[str, Any]:
    return {
        "message": f"Missing permission: {permission}",
        "type": "FORBIDDEN",
        "code": "forbidden",
        "fields": [],
    }


def test_my_permissions(emulator: Emulator) -> None:
    query = "query { myPermissions { permissions } }"
    mine = {key: call(emulator, key, query) for key in (FULL, READER, NOTHING, UPLOADER)}
    assert mine[FULL] == {"data": {"myPermissions": {"permissions": DEFAULT}}}
    assert mine[READER]["data"]["myPermissions"]["permissions"] == ["helpCenter:read"]
    assert mine[NOTHING]["data"]["myPermissions"]["permissions"] == []  # needs no permission
    assert mine[UPLOADER]["data"]["myPermissions"]["permissions"] == ["workspaceFile:create"]


def test_my_machine_user_needs_no_permission(emulator: Emulator) -> None:
    query = "query { myMachineUser { id fullName type isDeleted } }"
    user = call(emulator, NOTHING, query)["data"]["myMachineUser"]
    assert user["id"].startswith("mu_")
    assert user["type"] == "API_USER"
    other = call(emulator, FULL, query)["data"]["myMachineUser"]
    assert other["id"] != user["id"]  # each key is its own machine user


def test_help_center_queries_need_help_center_read(emulator: Emulator) -> None:
    hc = emulator.help_center_id
    queries = {
        "helpCenter": ("query($id: ID!) { helpCenter(id: $id) { id } }", {"id": hc}),
        "helpCenterIndex": ("query($id: ID!) { helpCenterIndex(id: $id) { hash } }", {"id": hc}),
        "helpCenterArticle": (
            'query { helpCenterArticle(id: "hca_01NOPE") { id } }',
            None,
        ),
        "helpCenterArticleBySlug": (
            'query($id: ID!) { helpCenterArticleBySlug(helpCenterId: $id, slug: "x") { id } }',
            {"id": hc},
        ),
    }
    for key in (NOTHING, EDITOR, UPLOADER):
        for field, (query, variables) in queries.items():
            body = call(emulator, key, query, variables)
            assert body["data"] == {field: None}, (key, field)
            [error] = body["errors"]
            assert error["message"] == "Missing permission: helpCenter:read"
            assert error["extensions"] == {"code": "FORBIDDEN"}
            assert error["path"] == [field]
    # A non-null root field takes the whole of data with it.
    body = call(emulator, NOTHING, "query { helpCenters { edges { node { id } } } }")
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # Partial data: what the key may read is still answered.
    body = call(
        emulator,
        NOTHING,
        "query($id: ID!) { myPermissions { permissions } helpCenter(id: $id) { id } }",
        {"id": hc},
    )
    assert body["data"] == {"myPermissions": {"permissions": []}, "helpCenter": None}
    assert [e["path"] for e in body["errors"]] == [["helpCenter"]]
    # With the permission, the same queries answer.
    assert call(emulator, READER, queries["helpCenter"][0], {"id": hc}) == {
        "data": {"helpCenter": {"id": hc}}
    }


def test_help_center_mutations_need_help_center_edit(emulator: Emulator) -> None:
    hc = emulator.help_center_id
    mutations: dict[str, dict[str, Any]] = {
        "upsertHelpCenterArticle": {"helpCenterId": hc, "title": "T", "contentHtml": "<p/>"},
        "deleteHelpCenterArticle": {"helpCenterArticleId": "hca_01NOPE"},
        "createHelpCenterArticleGroup": {"helpCenterId": hc, "name": "G"},
        "updateHelpCenterArticleGroup": {"helpCenterArticleGroupId": "hcag_01NOPE"},
        "deleteHelpCenterArticleGroup": {"helpCenterArticleGroupId": "hcag_01NOPE"},
        "updateHelpCenterIndex": {"helpCenterId": hc, "hash": "x", "helpCenterIndex": []},
    }
    for key in (READER, NOTHING, UPLOADER):
        for name, data in mutations.items():
            input_type = name[0].upper() + name[1:] + "Input"
            query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {ERROR} }} }}"
            body = call(emulator, key, query, {"input": data})
            assert body == {"data": {name: {"error": forbidden("helpCenter:edit")}}}, (key, name)
    # Nothing was written; the editor's own write goes through (even without helpCenter:read).
    assert emulator.index()["navIndex"] == []
    written = call(
        emulator,
        EDITOR,
        "mutation($input: CreateHelpCenterArticleGroupInput!) {"
        f" createHelpCenterArticleGroup(input: $input) {{ helpCenterArticleGroup {{ id }} {ERROR} }}"
        " }",
        {"input": {"helpCenterId": hc, "name": "G"}},
    )
    assert written["data"]["createHelpCenterArticleGroup"]["error"] is None


UPLOAD = f"""
mutation($name: String!) {{
  createWorkspaceFileUploadUrl(input: {{fileName: $name, fileSizeBytes: 1, visibility: PUBLIC}}) {{
    workspaceFileUploadUrl {{ workspaceFile {{ id }} }}
    {ERROR}
  }}
}}
"""
DOWNLOAD = f"""
mutation($id: ID!) {{
  createWorkspaceFileDownloadUrl(input: {{workspaceFileId: $id}}) {{
    workspaceFileDownloadUrl {{ downloadUrl }}
    {ERROR}
  }}
}}
"""
DELETE = f"""
mutation($id: ID!) {{ deleteWorkspaceFile(input: {{workspaceFileId: $id}}) {{ {ERROR} }} }}
"""


def test_file_mutations_need_their_workspace_file_permissions(emulator: Emulator) -> None:
    for key in (READER, NOTHING, FILE_READER):
        body = call(emulator, key, UPLOAD, {"name": "a.png"})
        assert body == {
            "data": {
                "createWorkspaceFileUploadUrl": {
                    "workspaceFileUploadUrl": None,
                    "error": forbidden("workspaceFile:create"),
                }
            }
        }
    created = call(emulator, UPLOADER, UPLOAD, {"name": "a.png"})["data"]
    file_id = created["createWorkspaceFileUploadUrl"]["workspaceFileUploadUrl"]["workspaceFile"]
    file_id = file_id["id"]

    # Download URLs: the reference names no permission; the emulator asks workspaceFile:read.
    for key in (UPLOADER, READER, NOTHING):
        body = call(emulator, key, DOWNLOAD, {"id": file_id})
        result = body["data"]["createWorkspaceFileDownloadUrl"]
        assert result == {
            "workspaceFileDownloadUrl": None,
            "error": forbidden("workspaceFile:read"),
        }
    # With the permission the call runs (and fails on its own terms: nothing uploaded yet).
    pending = call(emulator, FILE_READER, DOWNLOAD, {"id": file_id})
    assert pending["data"]["createWorkspaceFileDownloadUrl"]["error"]["type"] == "VALIDATION"

    # deleteWorkspaceFile: "Requires the `workspaceFile:create` permission" (its reference page).
    for key in (FILE_READER, READER, NOTHING):
        body = call(emulator, key, DELETE, {"id": file_id})
        assert body == {
            "data": {"deleteWorkspaceFile": {"error": forbidden("workspaceFile:create")}}
        }
    assert call(emulator, UPLOADER, DELETE, {"id": file_id}) == {
        "data": {"deleteWorkspaceFile": {"error": None}}
    }


def test_keys_without_a_named_set_have_the_default_permissions(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(db=False)
    body = call(emulator, emulator.api_key, "query { myPermissions { permissions } }")
    assert body["data"]["myPermissions"]["permissions"] == DEFAULT


def test_start_up_lines_name_only_keys_without_the_default_set(tmp_path: Path) -> None:
    started = start_emulator(
        [
            *("--port", "0", "--api-key", FULL),
            *("--key-permissions", f"{READER}=helpCenter:read,helpCenter:read"),
            *("--key-permissions", f"{NOTHING}="),
            *("--key-permissions", f"{UPLOADER}={','.join(DEFAULT)}"),  # the default, named
        ],
        tmp_path / "emulator.log",
    )
    try:
        # Keys named only in --key-permissions are accepted keys too, after --api-key's.
        assert started.api_keys == [FULL, READER, NOTHING, UPLOADER]
        assert started.key_permissions == {READER: ["helpCenter:read"], NOTHING: []}
    finally:
        started.stop()


@pytest.mark.parametrize(
    "value", ["no-equals-sign", "=helpCenter:read", "k=not a permission", "k=helpCenter"]
)
def test_bad_key_permissions_are_refused(emulator_factory: EmulatorFactory, value: str) -> None:
    with pytest.raises(EmulatorStartError, match="key-permissions"):
        emulator_factory(db=False, extra_args=("--key-permissions", value))
