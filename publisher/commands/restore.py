"""`publisher restore`: put back what a prune deleted, from its snapshot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.commands.remote import connect
from publisher.config import Settings
from publisher.errors import RemoteError
from publisher.sync.prune import RestoreResult, read_snapshot
from publisher.sync.prune import restore as restore_snapshot


@dataclass
class RestoreOutcome:
    result: RestoreResult
    #: Restored articles and groups that the content still lacks: the next prune deletes
    #: them again unless their files come back.
    missing_from_content: list[str] = field(default_factory=list)


def restore(
    settings: Settings,
    snapshot: Path,
    *,
    overwrite: bool = False,
    verbose: bool = False,
    notice: Callable[[str], None] | None = None,
) -> RestoreOutcome:
    """The help center is the one the snapshot names, whatever the settings say."""
    data = read_snapshot(snapshot)
    settings = settings.with_overrides(help_center_id=str(data["helpCenterId"]))
    with connect(settings, verbose=verbose, notice=notice) as client:
        writes_before = client.stats.writes
        try:
            result = restore_snapshot(
                client, data, overwrite=overwrite, backups_dir=settings.backups_dir
            )
        except RemoteError as error:
            error.wrote = client.stats.writes > writes_before
            raise
    return RestoreOutcome(result, _missing_from_content(settings, data))


def _missing_from_content(settings: Settings, data: dict[str, Any]) -> list[str]:
    from publisher.content.loader import load_content  # only once the restore is done

    if not settings.content_dir.is_dir():
        return []
    content, _ = load_content(settings.content_dir, max_article_bytes=settings.max_article_bytes)
    missing = []
    for item in data.get("articles", []):
        if isinstance(item, dict) and item.get("slug") not in content.articles:
            missing.append(f"article {item.get('slug')}")
    for item in data.get("groups", []):
        if isinstance(item, dict) and item.get("slug") not in content.groups:
            missing.append(f"group {item.get('slug')}")
    return missing
