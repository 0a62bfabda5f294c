"""`publisher publish`: make the help center match the content."""

from __future__ import annotations

from collections.abc import Callable

from publisher.commands.remote import compiled_or_raise, connect
from publisher.config import Settings
from publisher.pipeline import CompileResult
from publisher.sync.apply import ProgressCallback
from publisher.sync.publish import PublishOptions, PublishOutcome
from publisher.sync.publish import publish as publish_content


def publish(
    settings: Settings,
    *,
    prune: bool = False,
    yes: bool = False,
    dry_run: bool = False,
    overwrite_edits: bool = False,
    verbose: bool = False,
    progress: ProgressCallback | None = None,
    notice: Callable[[str], None] | None = None,
) -> tuple[PublishOutcome, CompileResult]:
    """Groups, images, articles, the navigation, then with `prune` the deletes; and the
    checked content (for its warnings)."""
    compiled = compiled_or_raise(settings)
    options = PublishOptions(
        prune=prune,
        yes=yes,
        dry_run=dry_run,
        concurrency=settings.concurrency,
        backups_dir=settings.backups_dir,
        upload_cache=settings.upload_cache_file,
        published_record=settings.published_record_file,
        overwrite_edits=overwrite_edits,
    )
    with connect(settings, verbose=verbose, notice=notice) as client:
        outcome = publish_content(
            client, compiled.site, str(settings.help_center_id), options, progress
        )
    return outcome, compiled
