"""Workspace files: the upload-form handshake and the bytes behind a download URL."""

from __future__ import annotations

import enum
import hashlib
import hmac
import mimetypes
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from publisher.emulator import errors, ids
from publisher.emulator.clock import now_ms
from publisher.emulator.errors import FieldError
from publisher.emulator.models import Actor, Timestamp, WorkspaceFile
from publisher.emulator.store import Store

# Plain's reference (graphql-reference/mutations/createWorkspaceFileUploadUrl): "Files must be
# 50 MB or smaller; certain executable file extensions (e.g. .exe, .bat) are rejected." It does
# not say whether MB means 10^6 or 2^20 bytes: the emulator takes the smaller, 50,000,000.
MAX_FILE_BYTES = 50 * 1000 * 1000
# Assumption: the reference names only .exe and .bat; the emulator refuses these too (compared
# case-insensitively, on the name's last extension, after trailing dots and spaces).
REFUSED_EXTENSIONS = frozenset(
    {
        "exe",
        "bat",
        "cmd",
        "com",
        "msi",
        "scr",
        "ps1",
        "sh",
        "vbs",
        "js",
        "jar",
        "app",
        "dll",
        "apk",
    }
)
UPLOAD_LIFETIME_MS = 2 * 60 * 60 * 1000  # Plain's upload URLs expire after two hours
# createWorkspaceFileDownloadUrl: "For PRIVATE files, returns a short-lived pre-signed URL
# (valid for 3 minutes); for PUBLIC files, returns a permanent CDN URL with no expiry."
PRIVATE_DOWNLOAD_LIFETIME_MS = 3 * 60 * 1000
SIGNATURE_FIELD = "X-Amz-Signature"
# Room for the multipart framing and form fields around the file in an upload body.
UPLOAD_FORM_OVERHEAD = 64 * 1024


class DownloadUrls(enum.StrEnum):
    """How download URLs look: ``opaque`` (default) like a CDN's, ``/cdn/<token>``, with
    nothing of the file name; ``named``, the emulator's older ``/files/<id>/<name>`` form."""

    OPAQUE = "opaque"
    NAMED = "named"


class UploadRejected(Exception):
    """The upload endpoint's refusal, with the HTTP status a storage service would give."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Download:
    file: WorkspaceFile
    content: bytes


def guess_mime_type(file_name: str) -> str:
    guessed, _ = mimetypes.guess_type(file_name, strict=False)
    return guessed or "application/octet-stream"


def refused_extension(file_name: str) -> str | None:
    """The executable extension that makes Plain refuse ``file_name``, if it has one."""
    _, dot, suffix = file_name.rstrip(". \t").rpartition(".")
    suffix = suffix.lower()
    return suffix if dot and suffix in REFUSED_EXTENSIONS else None


class WorkspaceFiles:
    def __init__(
        self,
        store: Store,
        clock: Callable[[], int] = now_ms,
        download_urls: DownloadUrls = DownloadUrls.OPAQUE,
    ) -> None:
        self.store = store
        self._clock = clock
        self.download_urls = download_urls

    def create_upload(self, actor: Actor, data: Mapping[str, Any]) -> WorkspaceFile:
        problems = []
        file_name = data["fileName"].strip()
        size = data["fileSizeBytes"]
        if not file_name:
            problems.append(FieldError("fileName", "File name must not be empty", "REQUIRED"))
        elif (extension := refused_extension(file_name)) is not None:
            problems.append(
                FieldError(
                    "fileName",
                    f"Files with the extension .{extension} are not allowed",
                    "VALIDATION",
                )
            )
        if size <= 0:
            problems.append(FieldError("fileSizeBytes", "File size must be positive", "VALIDATION"))
        elif size > MAX_FILE_BYTES:
            problems.append(
                FieldError(
                    "fileSizeBytes",
                    f"File size must be at most {MAX_FILE_BYTES} bytes",
                    "VALIDATION",
                )
            )
        if problems:
            raise errors.invalid_fields(problems)
        now = Timestamp(self._clock())
        file = WorkspaceFile(
            id=ids.new_id(ids.WORKSPACE_FILE),
            file_name=file_name,
            size_bytes=size,
            file_mime_type=guess_mime_type(file_name),
            visibility=data["visibility"],
            upload_token=secrets.token_urlsafe(24),
            download_token=secrets.token_urlsafe(24),
            cdn_token=secrets.token_urlsafe(24),
            upload_expires_at=Timestamp(now.millis + UPLOAD_LIFETIME_MS),
            uploaded=False,
            created_at=now,
            created_by=actor,
            updated_at=now,
            updated_by=actor,
        )
        with self.store.transaction():
            self.store.add_workspace_file(file)
        return file

    @staticmethod
    def upload_form_data(file: WorkspaceFile) -> list[dict[str, str]]:
        """The fields a client must post back with the file, like an S3 POST policy."""
        return [
            {"key": "key", "value": f"workspace-files/{file.id}/{file.file_name}"},
            {"key": "Content-Type", "value": file.file_mime_type},
            {"key": SIGNATURE_FIELD, "value": file.upload_token},
        ]

    @staticmethod
    def upload_path(file: WorkspaceFile) -> str:
        return f"/uploads/{file.id}"

    def upload_body_limit(self, file_id: str) -> int:
        """The most bytes an upload body for this file may have; UploadRejected if none may
        come: no such file, or its upload URL has expired. Lets the route refuse a body
        before reading any of it."""
        file = self.store.workspace_file(file_id)
        if file is None:
            raise UploadRejected(404, "No such upload")
        self._check_open(file)
        return min(file.size_bytes, MAX_FILE_BYTES) + UPLOAD_FORM_OVERHEAD

    def _check_open(self, file: WorkspaceFile) -> None:
        if self._clock() > file.upload_expires_at.millis:
            raise UploadRejected(403, "The upload URL has expired")

    def accept_upload(self, file_id: str, fields: Mapping[str, str], content: bytes) -> None:
        """Store the file's bytes. The same bytes again (a client retrying an upload whose
        answer it lost) are accepted; other bytes for a file already uploaded are refused
        (409), since its download URL promises what it serves."""
        file = self.store.workspace_file(file_id)
        if file is None:
            raise UploadRejected(404, "No such upload")
        for pair in self.upload_form_data(file):
            if fields.get(pair["key"]) != pair["value"]:
                raise UploadRejected(403, f"Form field {pair['key']} is missing or altered")
        self._check_open(file)
        if len(content) != file.size_bytes:
            raise UploadRejected(
                400,
                f"The file has {len(content)} bytes but fileSizeBytes was {file.size_bytes}",
            )
        with self.store.transaction():
            if file.uploaded:
                if self.store.file_content(file_id) != content:
                    raise UploadRejected(
                        409,
                        "This file has been uploaded already, with other bytes; ask for a new"
                        " upload URL (createWorkspaceFileUploadUrl) for other content",
                    )
                return
            self.store.store_file_content(file_id, content, self._clock())

    def download_url(self, file: WorkspaceFile, base_url: str) -> dict[str, object] | None:
        if not file.uploaded:
            return None
        expires = Timestamp(self._clock() + PRIVATE_DOWNLOAD_LIFETIME_MS)
        if self.download_urls is DownloadUrls.NAMED:
            url = f"{base_url}/files/{file.id}/{quote(file.file_name)}"
            if file.visibility == "PUBLIC":
                return {"downloadUrl": url, "expiresAt": None}
            # The older form: its token does not expire (expiresAt is Plain's, for show).
            return {"downloadUrl": f"{url}?token={file.download_token}", "expiresAt": expires}
        url = f"{base_url}/cdn/{file.cdn_token}"
        if file.visibility == "PUBLIC":
            return {"downloadUrl": url, "expiresAt": None}  # permanent, as Plain's CDN URLs
        signature = _sign(file, expires.millis)
        return {
            "downloadUrl": f"{url}?expires={expires.millis}&signature={signature}",
            "expiresAt": expires,
        }

    def create_download_url(self, file_id: str, base_url: str) -> dict[str, object]:
        file = self.store.workspace_file(file_id)
        if file is None:
            raise errors.not_found("workspaceFileId", "Workspace file", file_id)
        url = self.download_url(file, base_url)
        if url is None:
            raise errors.invalid("workspaceFileId", "The file has not been uploaded yet")
        return url

    def delete(self, file_id: str) -> None:
        with self.store.transaction():
            if self.store.workspace_file(file_id) is None:
                raise errors.not_found("workspaceFileId", "Workspace file", file_id)
            self.store.delete_workspace_file(file_id)

    def download(self, file_id: str, file_name: str, token: str | None) -> Download | None:
        """A download by the named form, ``/files/<id>/<name>[?token=]``."""
        if self.download_urls is not DownloadUrls.NAMED:
            return None
        file = self.store.workspace_file(file_id)
        if file is None or file.file_name != file_name:
            return None
        if file.visibility == "PRIVATE" and not (
            token is not None and secrets.compare_digest(token, file.download_token)
        ):
            return None
        content = self.store.file_content(file_id)
        return None if content is None else Download(file, content)

    def cdn_download(
        self, cdn_token: str, expires: str | None, signature: str | None
    ) -> Download | None:
        """A download by the opaque form: ``/cdn/<token>``, signed and short-lived if PRIVATE."""
        if self.download_urls is not DownloadUrls.OPAQUE:
            return None
        file = self.store.workspace_file_by_cdn_token(cdn_token)
        if file is None:
            return None
        if file.visibility == "PRIVATE":
            if expires is None or signature is None or not expires.isdigit():
                return None
            if not secrets.compare_digest(signature, _sign(file, int(expires))):
                return None
            if self._clock() > int(expires):
                return None
        content = self.store.file_content(file.id)
        return None if content is None else Download(file, content)


def _sign(file: WorkspaceFile, expires_ms: int) -> str:
    message = f"{file.cdn_token}:{expires_ms}".encode()
    return hmac.new(file.download_token.encode(), message, hashlib.sha256).hexdigest()
