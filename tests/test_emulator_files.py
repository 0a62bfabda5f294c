"""Workspace files: upload form, multipart upload, download with the right content type."""

from __future__ import annotations

import os
from typing import Any

import httpx
from conftest import Emulator

CREATE = """
mutation($input: CreateWorkspaceFileUploadUrlInput!) {
  createWorkspaceFileUploadUrl(input: $input) {
    workspaceFileUploadUrl {
      uploadFormUrl
      uploadFormData { key value }
      expiresAt { unixTimestamp }
      workspaceFile {
        id fileName fileExtension fileMimeType visibility
        fileSize { bytes kiloBytes megaBytes }
        downloadUrl { downloadUrl expiresAt { iso8601 } }
        createdBy { __typename }
      }
    }
    error { message type code fields { field message type } }
  }
}
"""


def create_upload(emulator: Emulator, name: str, size: int, visibility: str = "PUBLIC") -> Any:
    return emulator.gql(
        CREATE, {"input": {"fileName": name, "fileSizeBytes": size, "visibility": visibility}}
    )["createWorkspaceFileUploadUrl"]


def post_form(upload: dict[str, Any], content: bytes, name: str) -> httpx.Response:
    fields = {pair["key"]: pair["value"] for pair in upload["uploadFormData"]}
    return httpx.post(
        upload["uploadFormUrl"], data=fields, files={"file": (name, content)}, timeout=10
    )


def download_url(emulator: Emulator, file_id: str) -> Any:
    return emulator.gql(
        """
        mutation($id: ID!) {
          createWorkspaceFileDownloadUrl(input: {workspaceFileId: $id}) {
            workspaceFileDownloadUrl { downloadUrl expiresAt { iso8601 } }
            error { code message }
          }
        }
        """,
        {"id": file_id},
    )["createWorkspaceFileDownloadUrl"]


def test_upload_and_download_round_trip(emulator: Emulator) -> None:
    content = os.urandom(3000) + b"\r\n--not-a-boundary\r\n"
    result = create_upload(emulator, "diagram.png", len(content))
    assert result["error"] is None
    upload = result["workspaceFileUploadUrl"]
    file = upload["workspaceFile"]
    assert file["id"].startswith("wf_")
    assert file["fileMimeType"] == "image/png"
    assert file["fileExtension"] == "png"
    assert file["fileSize"]["bytes"] == len(content)
    assert file["downloadUrl"] is None  # nothing uploaded yet
    assert file["createdBy"]["__typename"] == "MachineUserActor"
    assert upload["uploadFormUrl"] == f"{emulator.base_url}/uploads/{file['id']}"
    assert {pair["key"] for pair in upload["uploadFormData"]} >= {"key", "Content-Type"}

    response = post_form(upload, content, "diagram.png")
    assert response.status_code == 204, response.text

    url = download_url(emulator, file["id"])
    assert url["error"] is None
    link = url["workspaceFileDownloadUrl"]
    assert link["expiresAt"] is None  # public files do not expire
    assert link["downloadUrl"] == f"{emulator.base_url}/files/{file['id']}/diagram.png"
    got = httpx.get(link["downloadUrl"], timeout=10)
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/png"
    assert got.content == content


def test_the_upload_url_follows_the_host_the_client_used(emulator: Emulator) -> None:
    local = emulator.url.replace("127.0.0.1", "localhost")
    response = httpx.post(
        local,
        json={
            "query": CREATE,
            "variables": {
                "input": {"fileName": "a.txt", "fileSizeBytes": 1, "visibility": "PUBLIC"}
            },
        },
        headers={"Authorization": f"Bearer {emulator.api_key}"},
        timeout=10,
    )
    upload = response.json()["data"]["createWorkspaceFileUploadUrl"]["workspaceFileUploadUrl"]
    assert upload["uploadFormUrl"].startswith(local.removesuffix("/graphql/v1") + "/uploads/")


def test_private_files_need_the_signed_url(emulator: Emulator) -> None:
    content = b"secret notes"
    upload = create_upload(emulator, "notes.txt", len(content), "PRIVATE")["workspaceFileUploadUrl"]
    assert post_form(upload, content, "notes.txt").status_code == 204
    link = download_url(emulator, upload["workspaceFile"]["id"])["workspaceFileDownloadUrl"]
    assert link["expiresAt"] is not None
    got = httpx.get(link["downloadUrl"], timeout=10)
    assert got.content == content
    assert got.headers["content-type"].startswith("text/plain")
    unsigned = link["downloadUrl"].split("?")[0]
    assert httpx.get(unsigned, timeout=10).status_code == 404


def test_size_must_match_what_was_declared(emulator: Emulator) -> None:
    upload = create_upload(emulator, "a.pdf", 10)["workspaceFileUploadUrl"]
    response = post_form(upload, b"12345", "a.pdf")
    assert response.status_code == 400
    assert "fileSizeBytes" in response.text
    assert download_url(emulator, upload["workspaceFile"]["id"])["error"]["code"] == (
        "input_validation"
    )


def test_form_fields_must_be_sent_back(emulator: Emulator) -> None:
    upload = create_upload(emulator, "a.svg", 3)["workspaceFileUploadUrl"]
    response = httpx.post(upload["uploadFormUrl"], files={"file": ("a.svg", b"abc")}, timeout=10)
    assert response.status_code == 403
    not_multipart = httpx.post(upload["uploadFormUrl"], content=b"abc", timeout=10)
    assert not_multipart.status_code == 400


def test_invalid_file_inputs_are_mutation_errors(emulator: Emulator) -> None:
    error = create_upload(emulator, " ", 0)["error"]
    assert error["code"] == "input_validation"
    assert {(f["field"], f["type"]) for f in error["fields"]} == {
        ("fileName", "REQUIRED"),
        ("fileSizeBytes", "VALIDATION"),
    }


def test_unknown_files(emulator: Emulator) -> None:
    assert download_url(emulator, "wf_01NOPE")["error"]["code"] == "not_found"
    assert httpx.get(f"{emulator.base_url}/files/wf_01NOPE/a.png", timeout=10).status_code == 404
    deleted = emulator.gql(
        'mutation { deleteWorkspaceFile(input: {workspaceFileId: "wf_01NOPE"}) { error { code } } }'
    )
    assert deleted["deleteWorkspaceFile"]["error"]["code"] == "not_found"


def test_delete_file(emulator: Emulator) -> None:
    upload = create_upload(emulator, "gone.gif", 1)["workspaceFileUploadUrl"]
    assert post_form(upload, b"x", "gone.gif").status_code == 204
    link = download_url(emulator, upload["workspaceFile"]["id"])["workspaceFileDownloadUrl"]
    deleted = emulator.gql(
        "mutation($id: ID!) { deleteWorkspaceFile(input: {workspaceFileId: $id}) { error { code } } }",
        {"id": upload["workspaceFile"]["id"]},
    )
    assert deleted["deleteWorkspaceFile"]["error"] is None
    assert httpx.get(link["downloadUrl"], timeout=10).status_code == 404
