"""`publisher preview`: the live preview server."""

from __future__ import annotations

from collections.abc import Callable

from publisher.config import Settings
from publisher.errors import UsageError


def preview(
    settings: Settings,
    *,
    host: str,
    port: int,
    open_browser: bool,
    poll: bool,
    echo: Callable[[str], None],
) -> None:
    """Serve until interrupted; the server stack loads only here."""
    from publisher.preview.run import run_preview

    try:
        run_preview(settings, host=host, port=port, open_browser=open_browser, poll=poll, echo=echo)
    except OSError as error:
        raise UsageError(f"cannot serve on {host}:{port}: {error}") from None
