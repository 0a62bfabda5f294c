"""`publisher build`: the static preview site."""

from __future__ import annotations

from pathlib import Path

from publisher.config import Settings
from publisher.errors import ContentError
from publisher.pipeline import BuildResult, build_project
from publisher.wording import plural


def build(
    settings: Settings, out_dir: Path | None = None, *, use_cache: bool = True
) -> BuildResult:
    """Render the site into `out_dir` (default: the `out` setting). Raises ContentError,
    listing the problems, when any file has an error; nothing is written then."""
    target = out_dir.resolve() if out_dir else settings.out_dir
    result = build_project(settings, target, use_cache=use_cache)
    if not result.written:
        errors = result.compiled.errors
        raise ContentError(
            f"build failed: {plural(len(errors), 'error')}; nothing written",
            result.compiled.problems,
        )
    return result
