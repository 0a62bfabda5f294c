"""`publisher pull`: an existing help center written out as content."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from publisher.commands.plan import plan_with
from publisher.commands.remote import compiled_or_raise, connect
from publisher.config import CONFIG_FILE, PLAIN_API_URL, Settings
from publisher.pull import PullError, PullResult, pull_help_center
from publisher.safe_write import UnsafePath, write_file
from publisher.sync.edits import BroughtHome, bring_home


def pull_edited(
    settings: Settings,
    *,
    verbose: bool = False,
    notice: Callable[[str], None] | None = None,
) -> BroughtHome:
    """Bring only what people edited in Plain into the files the content already has."""
    compiled = compiled_or_raise(settings)
    with connect(settings, verbose=verbose, notice=notice) as client:
        plan, remote = plan_with(client, settings, compiled)
    return bring_home(plan, remote, compiled.site.content)


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
        lines = [f"help_center_id = {json.dumps(settings.help_center_id)}"]
        if settings.api_url != PLAIN_API_URL:
            lines.append(f"api_url = {json.dumps(settings.api_url)}")  # a TOML basic string
        try:
            write_file(settings.project_dir, CONFIG_FILE, ("\n".join(lines) + "\n").encode())
        except UnsafePath as error:
            raise PullError(f"{error}: not written") from None
    return PullOutcome(result, written)
