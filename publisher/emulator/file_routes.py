"""HTTP routes for workspace files: the upload form target and the download URL."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.parser import BytesParser

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from publisher.emulator.bodies import BadContentLength, BodyTooLarge, read_bounded
from publisher.emulator.files import Download, UploadRejected, WorkspaceFiles


def _parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], bytes | None]:
    """Split a multipart/form-data body into its text fields and the ``file`` part.

    The standard library's MIME parser reads form data well enough for uploads of this
    size, and saves the server a multipart dependency.
    """
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    try:
        message = BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    except RecursionError:  # parts nested in parts, thousands deep
        raise UploadRejected(400, "The form nests parts too deeply") from None
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise UploadRejected(400, "Expected a multipart/form-data body")
    fields: dict[str, str] = {}
    content: bytes | None = None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(payload, bytes):
            continue
        if name == "file":
            content = payload
        else:
            fields[name] = payload.decode("utf-8", errors="replace")
    return fields, content


class FileRoutes:
    def __init__(self, files: WorkspaceFiles) -> None:
        self.files = files

    async def upload(self, request: Request) -> Response:
        """Anyone can reach this route, so everything that needs no body is checked before
        any of it is read: the file id, that it awaits an upload, the form's content type
        and the declared length. The body is then read with a bound."""
        content_type = request.headers.get("content-type", "")
        try:
            limit = self.files.upload_body_limit(request.path_params["file_id"])
            if not content_type.lower().startswith("multipart/form-data"):
                raise UploadRejected(400, "Expected a multipart/form-data body")
            body = await _bounded_body(request, limit)
            fields, content = _parse_form(content_type, body)
            if content is None:
                raise UploadRejected(400, "The form has no `file` field")
            self.files.accept_upload(request.path_params["file_id"], fields, content)
        except UploadRejected as rejected:
            return PlainTextResponse(rejected.message, status_code=rejected.status)
        return Response(status_code=204)

    async def download(self, request: Request) -> Response:
        """The named form, ``/files/<id>/<name>`` (only under ``--download-urls named``)."""
        found = self.files.download(
            request.path_params["file_id"],
            request.path_params["file_name"],
            request.query_params.get("token"),
        )
        return _file_response(found)

    async def cdn_download(self, request: Request) -> Response:
        """The opaque form, ``/cdn/<token>`` (the default)."""
        found = self.files.cdn_download(
            request.path_params["cdn_token"],
            request.query_params.get("expires"),
            request.query_params.get("signature"),
        )
        return _file_response(found)


def _file_response(found: Download | None) -> Response:
    if found is None:
        return PlainTextResponse("Not found", status_code=404)
    return Response(
        found.content,
        media_type=found.file.file_mime_type,
        headers={"Cache-Control": "no-store", **_DOWNLOAD_HEADERS},
    )


# An uploaded file is served from the emulator's own origin, as the type it was named with:
# an SVG or HTML file with a script in it, opened directly, must not run it there.
_DOWNLOAD_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; "
    "style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
}


async def _bounded_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) as soon as it is known to exceed ``limit`` bytes: by
    its Content-Length before reading anything, else while it streams in."""
    try:
        return await read_bounded(request, limit)
    except BadContentLength:
        raise UploadRejected(400, "Invalid Content-Length") from None
    except BodyTooLarge:
        raise UploadRejected(413, _too_large(limit)) from None


def _too_large(limit: int) -> str:
    return (
        f"The upload body is larger than this file's declared size allows ({limit} bytes"
        " with the form around it)"
    )
