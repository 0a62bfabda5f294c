"""The `publisher` command line: a thin layer that parses flags, calls the library and
turns results into output and exit codes (0 ok, 1 content errors, 2 usage errors,
3 Plain failed)."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from publisher import __version__
from publisher.config import ConfigError, Settings, load_settings
from publisher.content.model import Problem
from publisher.emulator.command import emulator as emulator_command
from publisher.pipeline import CompileResult, build_project, compile_project
from publisher.plain import PlainClient, PlainError, RetryPolicy, api_url_problem
from publisher.pull import PullConflictError, PullError, pull_help_center
from publisher.site.builder import OutputError
from publisher.sync.apply import ProgressCallback, PublishError
from publisher.sync.navigation import IndexConflictError
from publisher.sync.permissions import MissingPermissionError
from publisher.sync.prune import PruneRefusedError, RestoreError, read_snapshot
from publisher.sync.prune import restore as restore_snapshot
from publisher.sync.publish import PublishOptions, read_and_plan
from publisher.sync.publish import publish as publish_content
from publisher.sync.report import print_plan, summary_markdown, summary_text

EXIT_OK, EXIT_CONTENT, EXIT_USAGE, EXIT_API = 0, 1, 2, 3

PATH_ARGUMENT = click.argument(
    "path", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)


def _fail_usage(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _settings(path: Path, target: str | None = None) -> Settings:
    try:
        return load_settings(path, target)
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
        f"({result.files_written} files changed) in {compiled.seconds:.2f}s",
        err=True,
    )


# Talking to Plain ---------------------------------------------------------------------------

HELP_CENTER_OPTION = click.option(
    "--help-center-id", help="Plain help center id (or PLAIN_HELP_CENTER_ID, or the config)."
)
API_URL_OPTION = click.option("--api-url", help="GraphQL endpoint (or PLAIN_API_URL).")
TARGET_OPTION = click.option(
    "--target", help="A [targets.NAME] table of the config (help center, API URL, key variable)."
)
VERBOSE_OPTION = click.option(
    "-v", "--verbose", is_flag=True, help="Show unchanged items, HTML diffs and each request."
)


def _client(settings: Settings, verbose: bool) -> PlainClient:
    key = os.environ.get(settings.api_key_env, "").strip()
    if not key:
        _fail_usage(
            f"set {settings.api_key_env} to an API key with helpCenter:read, helpCenter:edit "
            "and workspaceFile:create (for images)"
        )
    if not settings.help_center_id:
        _fail_usage("no help center: pass --help-center-id or set PLAIN_HELP_CENTER_ID")
    url_problem = api_url_problem(settings.api_url)
    if url_problem:
        _fail_usage(f"{url_problem}: check --api-url, PLAIN_API_URL or `api_url`")
    if verbose:
        # Our own loggers only: libraries' debug output is not ours to vet (httpcore logs
        # every response header, and a server may echo the key in one).
        logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
        logging.getLogger("publisher").setLevel(logging.DEBUG)
    try:
        return PlainClient(
            settings.api_url,
            key,
            retry=RetryPolicy(max_retry_after=settings.max_retry_wait),
            notice=lambda text: click.echo(f"note: {text}", err=True),
        )
    except ValueError as error:  # a key that cannot be sent; the message never shows it
        _fail_usage(f"{settings.api_key_env}: {error}")


def _compiled_or_exit(settings: Settings) -> CompileResult:
    result = compile_project(settings)
    _report(result.problems)
    if result.errors:
        click.echo(f"{len(result.errors)} content errors: nothing was sent", err=True)
        sys.exit(EXIT_CONTENT)
    return result


def _api_failure(error: Exception) -> NoReturn:
    if isinstance(error, PublishError):
        click.echo(f"error: {error.item}: Plain said: {error.error}", err=True)
    else:
        click.echo(f"error: {error}", err=True)
    click.echo(
        "what was written before the failure stays; running the same command again is safe "
        "and picks up where this one stopped",
        err=True,
    )
    sys.exit(EXIT_API)


@main.command()
@PATH_ARGUMENT
@HELP_CENTER_OPTION
@API_URL_OPTION
@TARGET_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@VERBOSE_OPTION
def plan(
    path: Path,
    help_center_id: str | None,
    api_url: str | None,
    target: str | None,
    as_json: bool,
    verbose: bool,
) -> None:
    """Show what `publish` would change. Reads the help center; sends no mutation.

    \b
    Examples:
      PLAIN_API_KEY=... publisher plan --help-center-id hc_01...
      publisher plan --json > plan.json
    """
    settings = _settings(path, target).with_overrides(
        help_center_id=help_center_id, api_url=api_url
    )
    compiled = _compiled_or_exit(settings)
    with _client(settings, verbose) as client:
        try:
            the_plan, _ = read_and_plan(
                client, compiled.site, str(settings.help_center_id), _upload_cache_path(settings)
            )
        except PlainError as error:
            _api_failure(error)
    if as_json:
        click.echo(json.dumps(the_plan.to_json(), indent=2, ensure_ascii=False))
    else:
        print_plan(the_plan, Console(), verbose=verbose)


def _upload_cache_path(settings: Settings) -> Path:
    return settings.cache_dir / "uploads.json"


@main.command()
@PATH_ARGUMENT
@HELP_CENTER_OPTION
@API_URL_OPTION
@TARGET_OPTION
@click.option("--prune", is_flag=True, help="Delete articles and groups the content lacks.")
@click.option("--yes", is_flag=True, help="Allow a prune that deletes more than the set share.")
@click.option("--dry-run", is_flag=True, help="Plan only, with the same output as publish.")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Parallel writes (default 8).")
@VERBOSE_OPTION
def publish(
    path: Path,
    help_center_id: str | None,
    api_url: str | None,
    target: str | None,
    prune: bool,
    yes: bool,
    dry_run: bool,
    concurrency: int | None,
    verbose: bool,
) -> None:
    """Make the Plain help center match the content.

    Groups first (parents before children), then images, then articles concurrently, then
    the navigation index once. Exits 0 on success, 1 on content errors (nothing sent),
    3 when Plain fails (a re-run is safe).

    \b
    Examples:
      PLAIN_API_KEY=... publisher publish --help-center-id hc_01...
      publisher publish --dry-run
      publisher publish --prune
      publisher publish --target staging
    """
    settings = _settings(path, target).with_overrides(
        help_center_id=help_center_id, api_url=api_url, concurrency=concurrency
    )
    compiled = _compiled_or_exit(settings)
    options = PublishOptions(
        prune=prune,
        yes=yes,
        dry_run=dry_run,
        concurrency=settings.concurrency,
        backups_dir=settings.project_dir / ".publisher" / "backups",
        upload_cache=_upload_cache_path(settings),
    )
    console = Console(stderr=True)
    with _client(settings, verbose) as client, _progress(console) as progress:
        try:
            outcome = publish_content(
                client, compiled.site, str(settings.help_center_id), options, progress
            )
        except PruneRefusedError as error:
            click.echo(f"prune refused: {error}; nothing was sent", err=True)
            sys.exit(EXIT_CONTENT)
        except MissingPermissionError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_API)
        except (PlainError, PublishError, IndexConflictError) as error:
            _api_failure(error)
    if dry_run:
        print_plan(outcome.plan, Console(), verbose=verbose)
    click.echo(summary_text(outcome))
    if outcome.pruned:
        click.echo(f"snapshot of what was deleted: {outcome.pruned.snapshot}")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(summary_markdown(outcome, dry_run=dry_run))


@contextmanager
def _progress(console: Console) -> Iterator[ProgressCallback]:
    """A progress bar on a terminal; one plain line per write elsewhere (CI logs)."""
    if not console.is_terminal:
        yield lambda phase, item: click.echo(f"{phase}: {item}", err=True)
        return
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, transient=True
    ) as bar:
        task = bar.add_task("publishing", total=None)
        yield lambda phase, item: bar.update(task, description=f"{phase}: {item}")


@main.command()
@PATH_ARGUMENT
@HELP_CENTER_OPTION
@API_URL_OPTION
@TARGET_OPTION
@click.option(
    "--force", is_flag=True, help="Overwrite files the help center has (others are left alone)."
)
@VERBOSE_OPTION
def pull(
    path: Path,
    help_center_id: str | None,
    api_url: str | None,
    target: str | None,
    force: bool,
    verbose: bool,
) -> None:
    """Write an existing help center as content: Markdown, _group.yml, ids pinned.

    Refuses to overwrite any file unless --force (nothing is written then).

    \b
    Examples:
      PLAIN_API_KEY=... publisher pull --help-center-id hc_01...
      publisher pull --force
    """
    settings = _settings(path, target).with_overrides(
        help_center_id=help_center_id, api_url=api_url
    )
    with _client(settings, verbose) as client:
        try:
            result = pull_help_center(
                client, str(settings.help_center_id), settings.content_dir, force=force
            )
        except PullConflictError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(EXIT_CONTENT)
        except PullError as error:
            _fail_usage(str(error))
        except PlainError as error:
            _api_failure(error)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"pulled {result.articles} articles and {result.groups} groups into "
        f"{settings.content_dir} ({len(result.overwritten)} files overwritten)"
    )


@main.command()
@click.argument("snapshot", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@API_URL_OPTION
@TARGET_OPTION
@VERBOSE_OPTION
def restore(snapshot: Path, api_url: str | None, target: str | None, verbose: bool) -> None:
    """Put back what a `publish --prune` deleted, from its snapshot.

    Articles come back with the same slugs, content, status, group and place in the
    navigation (the help center is the one named in the snapshot).

    \b
    Example:
      publisher restore .publisher/backups/20261122T101500Z-hc_01....json
    """
    try:
        data = read_snapshot(snapshot)
    except RestoreError as error:
        _fail_usage(str(error))
    settings = _settings(Path("."), target).with_overrides(
        api_url=api_url, help_center_id=str(data["helpCenterId"])
    )
    with _client(settings, verbose) as client:
        try:
            result = restore_snapshot(client, data)
        except (PlainError, RestoreError) as error:
            _api_failure(error)
    click.echo(
        f"restored {len(result.articles)} articles and {len(result.groups)} groups"
        + (", navigation updated" if result.index_written else "")
    )


@main.command()
@PATH_ARGUMENT
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to serve on; anything but loopback exposes your drafts (warned).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@click.option("--poll", is_flag=True, help="Poll for changes (Docker and network mounts).")
def preview(path: Path, port: int, host: str, open_browser: bool, poll: bool) -> None:
    """Serve a live preview that rebuilds and reloads on every save.

    Shows exactly the article HTML `publish` sends, drafts marked as drafts, the sidebar in
    publishing order; errors show in the page and the last good version stays served.

    \b
    Examples:
      publisher preview
      publisher preview content/ --port 8001 --open
    """
    from publisher.preview.run import run_preview  # the server stack loads only when needed

    settings = _settings(path)
    try:
        run_preview(
            settings, host=host, port=port, open_browser=open_browser, poll=poll, echo=click.echo
        )
    except OSError as error:
        _fail_usage(f"cannot serve on {host}:{port}: {error}")


main.add_command(emulator_command)
