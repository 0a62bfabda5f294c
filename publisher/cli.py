"""The `publisher` command line: a thin layer that parses flags, calls the library and
turns results into output and exit codes (0 ok, 1 content errors, 2 usage errors)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import click

from publisher import __version__
from publisher.config import ConfigError, Settings, load_settings
from publisher.content.model import Problem
from publisher.pipeline import build_project, compile_project
from publisher.site.builder import OutputError

EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2

PATH_ARGUMENT = click.argument(
    "path", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)


def _fail_usage(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _settings(path: Path) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        _fail_usage(str(exc))


def _report(problems: Iterable[Problem]) -> None:
    cwd = Path.cwd()
    for problem in problems:
        click.echo(problem.format(relative_to=cwd))


def _summary(errors: int, warnings: int, articles: int, groups: int) -> str:
    parts = [f"{articles} articles in {groups} groups"]
    parts.append(f"{errors} error{'s' if errors != 1 else ''}")
    if warnings:
        parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
    return ", ".join(parts)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publisher")
def main() -> None:
    """Publish a help center kept as Markdown in git to Plain.

    PATH is a project folder (with publisher.toml, [tool.publisher] in pyproject.toml, or a
    content/ folder) or a content folder itself; it defaults to the current folder.
    """


@main.command()
@PATH_ARGUMENT
@click.option("--no-cache", is_flag=True, help="Render every article again.")
def check(path: Path, no_cache: bool) -> None:
    """Validate the content and list every problem as path:line: message.

    Sends nothing anywhere. Exits 1 when any file has an error.

    \b
    Examples:
      publisher check
      publisher check content/
    """
    settings = _settings(path)
    result = compile_project(settings, use_cache=not no_cache)
    _report(result.problems)
    content = result.site.content
    summary = _summary(
        len(result.errors), len(result.warnings), len(content.articles), len(content.groups)
    )
    click.echo(("check failed: " if result.errors else "ok: ") + summary, err=True)
    sys.exit(EXIT_CONTENT if result.errors else EXIT_OK)


@main.command()
@PATH_ARGUMENT
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Output folder (default: the `out` setting, `_site`).",
)
@click.option("--no-cache", is_flag=True, help="Render every article again.")
def build(path: Path, out_dir: Path | None, no_cache: bool) -> None:
    """Render the help center as a static preview site.

    Writes an index page, a page per group and per article with the sidebar in navigation
    order, and the images. Nothing is written when any file has an error.

    \b
    Examples:
      publisher build --out _site
      python -m http.server -d _site -b 127.0.0.1
    """
    settings = _settings(path)
    target = out_dir.resolve() if out_dir else settings.out_dir
    try:
        result = build_project(settings, target, use_cache=not no_cache)
    except OutputError as exc:
        _fail_usage(str(exc))
    compiled = result.compiled
    _report(compiled.problems)
    if not result.written:
        click.echo(f"build failed: {len(compiled.errors)} errors; nothing written", err=True)
        sys.exit(EXIT_CONTENT)
    click.echo(
        f"built {result.pages} pages and {result.images} images into {target} "
        f"in {compiled.seconds:.2f}s",
        err=True,
    )
