"""Workspace files: upload form, multipart upload, download with the right content type."""

from __future__ import annotations

import http.client
import os
import re
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from conftest import Emulator, EmulatorFactory

from publisher.emulator.files import MAX_FILE_BYTES, REFUSED_EXTENSIONS

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
    # Opaque, like Plain's CDN URLs: nothing of the file's name or id in it.
    assert re.fullmatch(
        rf"{re.escape(emulator.base_url)}/cdn/[A-Za-z0-9_-]{{20,}}", link["downloadUrl"]
    )
    assert "diagram" not in link["downloadUrl"] and file["id"] not in link["downloadUrl"]
    got = httpx.get(link["downloadUrl"], timeout=10)
    assert got.status_code == 200
    assert got.headers["content-type"] == "image/png"
    assert got.content == content
    # Permanent: asking again gives the same URL, and the file carries it too.
    assert download_url(emulator, file["id"])["workspaceFileDownloadUrl"] == link
    # The named form is not served unless the emulator is started with --download-urls named.
    named = f"{emulator.base_url}/files/{file['id']}/diagram.png"
    assert httpx.get(named, timeout=10).status_code == 404


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
    assert "notes" not in link["downloadUrl"]
    # "For PRIVATE files, returns a short-lived pre-signed URL (valid for 3 minutes)".
    expires = datetime.fromisoformat(link["expiresAt"]["iso8601"]).timestamp()
    assert 170 <= expires - time.time() <= 181
    got = httpx.get(link["downloadUrl"], timeout=10)
    assert got.content == content
    assert got.headers["content-type"].startswith("text/plain")
    url = httpx.URL(link["downloadUrl"])
    unsigned = link["downloadUrl"].split("?")[0]
    later = int(url.params["expires"]) + 60_000
    for tampered in (
        unsigned,
        str(url.copy_remove_param("signature")),
        str(url.copy_set_param("signature", "0" * 64)),
        str(url.copy_set_param("expires", str(later))),  # a longer life breaks the signature
        str(url.copy_set_param("expires", "soon")),
    ):
        assert httpx.get(tampered, timeout=10).status_code == 404, tampered


def test_an_expired_private_url_is_refused(emulator: Emulator) -> None:
    from publisher.emulator.files import _sign
    from publisher.emulator.store import Store

    assert emulator.db_path is not None
    upload = create_upload(emulator, "old.txt", 3, "PRIVATE")["workspaceFileUploadUrl"]
    assert post_form(upload, b"old", "old.txt").status_code == 204
    link = download_url(emulator, upload["workspaceFile"]["id"])["workspaceFileDownloadUrl"]
    # A URL signed as the emulator signs, but for a moment already past.
    store = Store(str(emulator.db_path))
    file = store.workspace_file(upload["workspaceFile"]["id"])
    store.close()
    assert file is not None
    past = int(time.time() * 1000) - 1
    url = httpx.URL(link["downloadUrl"])
    expired = url.copy_set_param("expires", str(past)).copy_set_param(
        "signature", _sign(file, past)
    )
    assert httpx.get(expired, timeout=10).status_code == 404
    assert httpx.get(link["downloadUrl"], timeout=10).content == b"old"


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
    assert httpx.get(f"{emulator.base_url}/cdn/wf_01NOPE", timeout=10).status_code == 404
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


def test_named_download_urls_on_request(emulator_factory: EmulatorFactory) -> None:
    # --strict does not override an explicit --download-urls.
    emulator = emulator_factory(
        db=False, extra_args=("--download-urls", "named", "--strict", "--fail-rate", "0")
    )
    public = create_upload(emulator, "diagram.png", 3)["workspaceFileUploadUrl"]
    private = create_upload(emulator, "notes.txt", 3, "PRIVATE")["workspaceFileUploadUrl"]
    assert post_form(public, b"png", "diagram.png").status_code == 204
    assert post_form(private, b"txt", "notes.txt").status_code == 204
    file_id = public["workspaceFile"]["id"]
    link = download_url(emulator, file_id)["workspaceFileDownloadUrl"]
    assert link["downloadUrl"] == f"{emulator.base_url}/files/{file_id}/diagram.png"
    assert httpx.get(link["downloadUrl"], timeout=10).content == b"png"
    signed = download_url(emulator, private["workspaceFile"]["id"])["workspaceFileDownloadUrl"]
    assert "/notes.txt?token=" in signed["downloadUrl"]
    assert httpx.get(signed["downloadUrl"], timeout=10).content == b"txt"


def test_strict_serves_opaque_urls(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(db=False, extra_args=("--strict", "--fail-rate", "0"))
    upload = create_upload(emulator, "diagram.png", 3)["workspaceFileUploadUrl"]
    assert post_form(upload, b"png", "diagram.png").status_code == 204
    link = download_url(emulator, upload["workspaceFile"]["id"])["workspaceFileDownloadUrl"]
    assert link["downloadUrl"].startswith(f"{emulator.base_url}/cdn/")
    assert "diagram" not in link["downloadUrl"]


def test_the_size_limit_is_50_mb(emulator: Emulator) -> None:
    # "Files must be 50 MB or smaller": MB read as 10^6 bytes, the smaller reading.
    assert MAX_FILE_BYTES == 50_000_000
    assert create_upload(emulator, "big.png", MAX_FILE_BYTES)["error"] is None
    error = create_upload(emulator, "big.png", MAX_FILE_BYTES + 1)["error"]
    assert (error["type"], error["code"]) == ("VALIDATION", "input_validation")
    assert [(f["field"], f["type"]) for f in error["fields"]] == [("fileSizeBytes", "VALIDATION")]
    assert create_upload(emulator, "huge.png", 2**31 - 1)["error"]["fields"][0]["field"] == (
        "fileSizeBytes"
    )


@pytest.mark.parametrize(
    "name",
    [
        "setup.exe",
        "SETUP.EXE",
        "run.Bat",
        "x.png.exe",
        "tool.cmd",
        "old.com",
        "pkg.msi",
        "saver.scr",
        "script.ps1",
        "install.sh",
        "macro.vbs",
        "app.js",
        "lib.jar",
        "Thing.app",
        "code.dll",
        "phone.apk",
        "trailing.exe.",
        "trailing.exe ",
        ".exe",
    ],
)
def test_executable_extensions_are_refused(emulator: Emulator, name: str) -> None:
    error = create_upload(emulator, name, 10)["error"]
    assert error is not None, name
    assert (error["type"], error["code"]) == ("VALIDATION", "input_validation")
    assert [(f["field"], f["type"]) for f in error["fields"]] == [("fileName", "VALIDATION")]


def test_refused_extensions_are_the_documented_list() -> None:
    assert {
        "exe", "bat", "cmd", "com", "msi", "scr", "ps1", "sh", "vbs", "js", "jar", "app", "dll",
        "apk",
    } == REFUSED_EXTENSIONS  # fmt: skip


@pytest.mark.parametrize("name", ["x.exe.png", "shell.png", "notes.txt", "json.json", "README"])
def test_other_names_are_accepted(emulator: Emulator, name: str) -> None:
    assert create_upload(emulator, name, 10)["error"] is None


def test_an_upload_body_over_the_declared_size_is_refused_unread(emulator: Emulator) -> None:
    upload = create_upload(emulator, "small.png", 10)["workspaceFileUploadUrl"]
    fields = {pair["key"]: pair["value"] for pair in upload["uploadFormData"]}
    too_big = os.urandom(10 + 64 * 1024 + 1)
    # Refused by its Content-Length, before the body is read.
    by_length = httpx.post(
        upload["uploadFormUrl"], data=fields, files={"file": ("small.png", too_big)}, timeout=10
    )
    assert by_length.status_code == 413
    # Refused while streaming when there is no Content-Length (chunked).

    def chunks() -> Any:
        for start in range(0, len(too_big), 8192):
            yield too_big[start : start + 8192]

    chunked = httpx.post(
        upload["uploadFormUrl"],
        content=chunks(),
        headers={"Content-Type": "multipart/form-data; boundary=x"},
        timeout=10,
    )
    assert chunked.status_code == 413
    # The right size still goes through afterwards.
    assert post_form(upload, b"0123456789", "small.png").status_code == 204


def raw_get(base_url: str, target: str, method: str = "GET") -> tuple[int, bytes]:
    """Send ``target`` exactly as written (no client-side path normalisation)."""
    url = httpx.URL(base_url)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=10)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_cdn_routes_serve_only_the_file_their_token_names(emulator: Emulator) -> None:
    public_bytes, private_bytes = b"PUBLIC-" + os.urandom(8), b"PRIVATE-" + os.urandom(8)
    public = create_upload(emulator, "shot.png", len(public_bytes))["workspaceFileUploadUrl"]
    private = create_upload(emulator, "notes.txt", len(private_bytes), "PRIVATE")
    private = private["workspaceFileUploadUrl"]
    reserved = create_upload(emulator, "never.png", 3)["workspaceFileUploadUrl"]
    assert post_form(public, public_bytes, "shot.png").status_code == 204
    assert post_form(private, private_bytes, "notes.txt").status_code == 204
    base = emulator.base_url
    pub_url = download_url(emulator, public["workspaceFile"]["id"])["workspaceFileDownloadUrl"]
    priv_url = download_url(emulator, private["workspaceFile"]["id"])["workspaceFileDownloadUrl"]
    pub = pub_url["downloadUrl"].removeprefix(base)
    signed = priv_url["downloadUrl"].removeprefix(base)
    priv, _, query = signed.partition("?")
    assert raw_get(base, pub) == (200, public_bytes)
    assert raw_get(base, signed) == (200, private_bytes)
    pub_token = pub.removeprefix("/cdn/")
    refused = [
        # The private file without its signature, with a wrong one, or another file's.
        priv,
        f"{priv}?{query.replace('signature=', 'signature=0')}",
        f"{priv}?{query.rsplit('=', 1)[0]}={'0' * 64}",
        # Tokens altered, extended, traversed, cased, or looking like SQL or an id.
        f"/cdn/{pub_token[:-1]}",
        f"/cdn/{pub_token.swapcase()}",
        f"{pub}/shot.png",
        f"/cdn/{pub_token}%2f..%2f{priv.removeprefix('/cdn/')}",
        f"/cdn/../files/{public['workspaceFile']['id']}/shot.png",
        f"/cdn/{quote(pub_token + chr(39) + ' OR 1=1 --', safe='')}",
        f"/cdn/{public['workspaceFile']['id']}",
        f"/cdn/{reserved['workspaceFile']['id']}",
        "/cdn/",
        "/cdn/%00",
        # The named form is off by default.
        f"/files/{public['workspaceFile']['id']}/shot.png",
        f"/files/{private['workspaceFile']['id']}/notes.txt",
    ]
    for target in refused:
        status, body = raw_get(base, target)
        assert status in (404, 405), (target, status)
        assert public_bytes not in body and private_bytes not in body, target
