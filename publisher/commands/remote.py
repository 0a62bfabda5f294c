"""What the commands that talk to Plain share: the checked content, a client made from the
settings, and Plain's errors explained in terms of those settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from publisher.config import DEFAULT_KEY_VARIABLE, Settings
from publisher.errors import ContentError, RemoteError, UsageError
from publisher.pipeline import CompileResult, compile_project
from publisher.plain import (
    UPLOAD_OPERATION,
    HTTPError,
    NetworkError,
    PlainClient,
    PlainError,
    RetryPolicy,
    api_url_problem,
)
from publisher.sync.apply import PublishError
from publisher.wording import plural

PERMISSIONS_HINT = "helpCenter:read, helpCenter:edit and workspaceFile:create (for images)"


def compiled_or_raise(settings: Settings) -> CompileResult:
    """The content, rendered and checked; ContentError (nothing is sent) on any error."""
    result = compile_project(settings)
    if result.errors:
        raise ContentError(
            f"{plural(len(result.errors), 'content error')}: nothing was sent", result.problems
        )
    return result


@contextmanager
def connect(
    settings: Settings, *, verbose: bool = False, notice: Callable[[str], None] | None = None
) -> Iterator[PlainClient]:
    """A client for the settings' help center; Plain's failures leave it explained."""
    key = os.environ.get(settings.api_key_env, "").strip()
    variable = key_variable(settings)
    if not key:
        raise UsageError(f"set {variable} to an API key with {PERMISSIONS_HINT}")
    if not settings.help_center_id:
        raise UsageError(
            "no help center: pass --help-center-id, set PLAIN_HELP_CENTER_ID, or set "
            "`help_center_id` in publisher.toml"
        )
    url_problem = api_url_problem(settings.api_url)
    if url_problem:
        raise UsageError(f"{url_problem}; it comes from {settings.api_url_source}")
    if verbose:
        # Our own loggers only: libraries' debug output is not ours to vet (httpcore logs
        # every response header, and a server may echo the key in one).
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        logging.getLogger("publisher").setLevel(logging.DEBUG)
    try:
        client = PlainClient(
            settings.api_url,
            key,
            retry=RetryPolicy(max_retry_after=settings.max_retry_wait),
            concurrency=settings.concurrency,
            notice=notice,
        )
    except ValueError as error:  # a key that cannot be sent; the message never shows it
        raise UsageError(f"{variable}: {error}") from None
    try:
        with client:
            yield client
    except RemoteError as error:
        explain(error, settings)
        raise


def key_variable(settings: Settings) -> str:
    """How messages name the variable holding the key. A target's `api_key_env` is a value
    someone typed into a file, and may be a key pasted by mistake: it is never echoed."""
    if settings.target is None or settings.api_key_env == DEFAULT_KEY_VARIABLE:
        return settings.api_key_env
    where = settings.config_file.name if settings.config_file else "publisher.toml"
    return f"the environment variable named by `targets.{settings.target}.api_key_env` in {where}"


def explain(error: RemoteError, settings: Settings) -> None:
    """Add to a failure to reach Plain's endpoint where that endpoint's URL came from."""
    inner = error.error if isinstance(error, PublishError) else error
    if not isinstance(inner, PlainError) or inner.operation == UPLOAD_OPERATION:
        return  # an upload goes to the file store's URL, which Plain hands out
    unreachable = isinstance(inner, NetworkError) or (
        isinstance(inner, HTTPError) and inner.status_code == 404
    )
    if unreachable:
        hint = f" (the API URL {settings.api_url} comes from {settings.api_url_source})"
        inner.message += hint
        if error is not inner:
            error.message += hint
