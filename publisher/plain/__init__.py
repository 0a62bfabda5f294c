"""Client for Plain's GraphQL API: the help-center content and workspace-file operations."""

from publisher.plain.client import DEFAULT_API_URL, DEFAULT_TIMEOUT, ClientStats, PlainClient
from publisher.plain.errors import (
    AuthenticationError,
    FieldError,
    ForbiddenError,
    GraphQLResponseError,
    HTTPError,
    InvalidResponseError,
    MutationError,
    NetworkError,
    NotFoundError,
    PlainError,
    RateLimitedError,
    ServerError,
)
from publisher.plain.models import (
    ArticleStatus,
    FileVisibility,
    HelpCenter,
    IndexEntry,
    IndexEntryType,
    RemoteArticle,
    RemoteGroup,
    RemoteIndex,
    UploadedFile,
    UploadTarget,
)
from publisher.plain.pagination import PAGE_SIZE, Page, paginate
from publisher.plain.retry import RetryPolicy

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_TIMEOUT",
    "PAGE_SIZE",
    "ArticleStatus",
    "AuthenticationError",
    "ClientStats",
    "FieldError",
    "FileVisibility",
    "ForbiddenError",
    "GraphQLResponseError",
    "HTTPError",
    "HelpCenter",
    "IndexEntry",
    "IndexEntryType",
    "InvalidResponseError",
    "MutationError",
    "NetworkError",
    "NotFoundError",
    "Page",
    "PlainClient",
    "PlainError",
    "RateLimitedError",
    "RemoteArticle",
    "RemoteGroup",
    "RemoteIndex",
    "RetryPolicy",
    "ServerError",
    "UploadTarget",
    "UploadedFile",
    "paginate",
]
