"""Errors raised by the Plain client.

Every error derives from :class:`PlainError` and carries the GraphQL operation name it came
from. Messages are built from Plain's response only (never from the request), and the client
scrubs its API key out of any server text before it reaches an error, so an error can be
printed or logged as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from publisher.errors import RemoteError


class PlainError(RemoteError):
    """Base class of every error raised by :class:`publisher.plain.PlainClient`."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.status_code = status_code
        #: Seconds the server asked us to wait before retrying (``Retry-After``), if any.
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Whether sending the same request again may succeed."""
        return False

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        parts = [f"operation={self.operation!r}"]
        if self.status_code is not None:
            parts.append(f"status_code={self.status_code}")
        parts.append(f"message={self.message!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


class HTTPError(PlainError):
    """A non-success HTTP status that none of the more specific classes covers."""

    @property
    def transient(self) -> bool:
        # 408 means the server gave up waiting for us: sending again is the documented remedy.
        return self.status_code == 408


class AuthenticationError(HTTPError):
    """HTTP 401: the API key is missing, malformed or revoked."""


class ForbiddenError(HTTPError):
    """HTTP 403: the key lacks a permission (for example ``helpCenter:edit``)."""


class RateLimitedError(HTTPError):
    """HTTP 429: Plain asks us to slow down; ``retry_after`` holds its ``Retry-After``."""

    @property
    def transient(self) -> bool:
        return True


class ServerError(HTTPError):
    """HTTP 5xx from Plain or a proxy in front of it."""

    @property
    def transient(self) -> bool:
        return True


class NetworkError(PlainError):
    """The request did not get a complete response: timeout, refused or dropped connection."""

    def __init__(self, message: str, *, operation: str | None = None, transient: bool) -> None:
        super().__init__(message, operation=operation)
        self._transient = transient

    @property
    def transient(self) -> bool:
        return self._transient


class NotFoundError(PlainError):
    """A help center (or its index) that the operation needs does not exist."""


class InvalidResponseError(PlainError):
    """The response is not the JSON shape the operation expects."""


#: ``errors[].extensions.code`` values that mean "send the same request again". Of the codes
#: Plain documents for queries (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
#: BAD_USER_INPUT, UNAUTHENTICATED, FORBIDDEN, INTERNAL_SERVER_ERROR), only
#: INTERNAL_SERVER_ERROR "should be retried"; it can come with HTTP 200.
RETRYABLE_ERROR_CODES = frozenset({"INTERNAL_SERVER_ERROR"})
#: Plain's rate limit answers HTTP 429 with this code; the same code in a 200 is a rate limit too.
RATE_LIMIT_ERROR_CODES = frozenset({"RATE_LIMITED"})


def error_code(entry: Mapping[str, Any]) -> str:
    """The upper-cased ``extensions.code`` of one GraphQL error entry, or ``""``."""
    extensions = entry.get("extensions")
    if isinstance(extensions, Mapping) and extensions.get("code"):
        return str(extensions["code"]).upper()
    return ""


class GraphQLResponseError(PlainError):
    """The response carries a GraphQL ``errors`` list (query or schema level failure)."""

    def __init__(
        self,
        message: str,
        *,
        operation: str | None = None,
        status_code: int | None = None,
        errors: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        super().__init__(message, operation=operation, status_code=status_code)
        #: The raw ``errors`` entries, for callers that need ``path`` or ``extensions``.
        self.errors: tuple[Mapping[str, Any], ...] = tuple(errors)
        self.codes = tuple(error_code(entry) for entry in self.errors)

    @property
    def transient(self) -> bool:
        # Every entry must be retryable: a validation error beside an internal one will
        # fail the same way again.
        return bool(self.codes) and all(code in RETRYABLE_ERROR_CODES for code in self.codes)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One entry of ``MutationError.fields``: which input field failed and why."""

    field: str
    message: str
    #: ``VALIDATION``, ``REQUIRED`` or ``NOT_FOUND``.
    type: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class MutationError(PlainError):
    """A mutation answered with its ``error`` field set (HTTP 200, failure as data).

    All field errors are kept so the caller can report every one of them and recognise the
    cases it handles itself (see :attr:`is_slug_conflict`).
    """

    def __init__(
        self,
        message: str,
        *,
        type: str,
        code: str,
        fields: Iterable[FieldError] = (),
        operation: str | None = None,
    ) -> None:
        self.type = type  # VALIDATION | FORBIDDEN | INTERNAL
        self.code = code  # e.g. input_validation, forbidden, not_found, internal
        self.fields: tuple[FieldError, ...] = tuple(fields)
        self.plain_message = message
        super().__init__(self._describe(message), operation=operation)

    def _describe(self, message: str) -> str:
        # The field errors say more than Plain's summary ("Input validation failed"), so they
        # replace it when present.
        detail = "; ".join(str(f) for f in self.fields) if self.fields else message
        return f"{detail} ({self.code})"

    @property
    def transient(self) -> bool:
        # Plain documents `internal` as "the request should be retried".
        return self.code == "internal" or self.type == "INTERNAL"

    @property
    def is_not_found(self) -> bool:
        """The entity the mutation targets does not exist (already deleted, wrong id)."""
        return self.code == "not_found"

    @property
    def is_slug_conflict(self) -> bool:
        """A validation error on the ``slug`` field.

        After a create whose response was lost and then retried, this is how the duplicate
        shows up. Plain does not document a dedicated code, so the caller should confirm by
        looking the slug up (which it needs anyway, to learn the existing id).
        """
        return self.type == "VALIDATION" and any(
            f.field.rsplit(".", 1)[-1] == "slug" and f.type == "VALIDATION" for f in self.fields
        )

    def field_errors(self, name: str) -> tuple[FieldError, ...]:
        """The field errors reported for input field ``name``."""
        return tuple(f for f in self.fields if f.field.rsplit(".", 1)[-1] == name)

    def __repr__(self) -> str:
        return (
            f"MutationError(operation={self.operation!r}, type={self.type!r}, "
            f"code={self.code!r}, message={self.plain_message!r}, fields={list(self.fields)!r})"
        )

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], *, operation: str) -> MutationError:
        """Build the error from a GraphQL ``MutationError`` object."""
        fields = [
            FieldError(
                field=str(f.get("field", "")),
                message=str(f.get("message", "")),
                type=str(f.get("type", "")),
            )
            for f in payload.get("fields") or ()
            if isinstance(f, Mapping)
        ]
        return cls(
            str(payload.get("message") or "mutation failed"),
            type=str(payload.get("type") or ""),
            code=str(payload.get("code") or ""),
            fields=fields,
            operation=operation,
        )
