"""`publisher plan`: what `publish` would change. Reads; sends no mutation."""

from __future__ import annotations

from collections.abc import Callable

from publisher.commands.remote import compiled_or_raise, connect
from publisher.config import Settings
from publisher.pipeline import CompileResult
from publisher.plain import PlainClient
from publisher.sync.plan import Plan
from publisher.sync.publish import read_and_plan
from publisher.sync.state import RemoteState


def plan(
    settings: Settings,
    *,
    prune: bool = False,
    verbose: bool = False,
    notice: Callable[[str], None] | None = None,
) -> tuple[Plan, CompileResult]:
    """The plan (with `prune`, orphans show as deletes) and the checked content."""
    compiled = compiled_or_raise(settings)
    with connect(settings, verbose=verbose, notice=notice) as client:
        the_plan, _ = plan_with(client, settings, compiled, prune=prune)
    return the_plan, compiled


def plan_with(
    client: PlainClient, settings: Settings, compiled: CompileResult, *, prune: bool = False
) -> tuple[Plan, RemoteState]:
    """Read the help center and plan, with the project's upload cache and published record."""
    return read_and_plan(
        client,
        compiled.site,
        str(settings.help_center_id),
        settings.upload_cache_file,
        prune=prune,
        published_record=settings.published_record_file,
    )
