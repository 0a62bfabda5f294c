"""`publisher pull`: an existing help center written out as content."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from publisher.commands.remote import connect
from publisher.config import CONFIG_FILE, PLAIN_API_URL, Settings
from publisher.pull import PullResult, pull_help_center


@dataclass
class PullOutcome:
    result: PullResult
    #: The settings file written for a folder that was no project yet, else None.
    config_written: Path | None = None


def pull(
    settings: Settings,
    *,
    force: bool = False,
    verbose: bool = False,
    notice: Callable[[str], None] | None = None,
) -> PullOutcome:
    """Write the help center into the project's content folder. A folder that was no project
    yet becomes one: `publisher.toml` (naming the help center) beside `content/`."""
    with connect(settings, verbose=verbose, notice=notice) as client:
        result = pull_help_center(
            client, str(settings.help_center_id), settings.content_dir, force=force
        )
    written = None
    if settings.config_file is None and settings.content_dir != settings.project_dir:
        written = settings.project_dir / CONFIG_FILE
        lines = [f'help_center_id = "{settings.help_center_id}"']
        if settings.api_url != PLAIN_API_URL:
            lines.append(f'api_url = "{settings.api_url}"')
        written.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return PullOutcome(result, written)
