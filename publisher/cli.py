"""The `publisher` command line: parses flags, runs a command from `publisher.commands`
(imported only when it runs), prints its result, and exits.

Exit codes are those of :mod:`publisher.errors`: every deliberate error is caught once, in
:class:`PublisherCLI`, and anything else is reported as a bug (exit 70).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import click

from publisher import __version__
from publisher.config import Settings, load_settings
from publisher.errors import (
    EXIT_BUG,
    EXIT_CONTENT,
    EXIT_OK,
    ContentError,
    EditsKeptError,
    PublisherError,
    UsageError,
)
from publisher.wording import plural as _plural

if TYPE_CHECKING:
    from publisher.content.model import Problem
    from publisher.sync.apply import ProgressCallback


class PublisherCLI(click.Group):
    """Loads the emulator's command only when asked for, and ends every command the same
    way: a PublisherError with its message and exit code, anything else as a bug."""

    lazy: ClassVar[dict[str, str]] = {"emulator": "publisher.emulator.command:emulator"}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, _, attr = self.lazy[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attr)
            return command
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PublisherError as error:
            if isinstance(error, ContentError):
                _report(error.problems)
            for line in error.lines():
                click.echo(line, err=True)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except Exception as error:  # a bug: say so, briefly, and how to report it
            if ctx.meta.get("verbose"):
                traceback.print_exc()
            click.echo(
                f"publisher {__version__} hit a bug: {type(error).__name__}: {error}\n"
                "This is not your content's fault. Please report it to publisher's "
                "maintainers with the command you ran and what it printed with --verbose.",
                err=True,
            )
            ctx.exit(EXIT_BUG)


PATH_ARGUMENT = click.argument(
    "path", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
HELP_CENTER_OPTION = click.option(
    "--help-center-id", help="Plain help center id (or PLAIN_HELP_CENTER_ID, or the config)."
)
API_URL_OPTION = click.option("--api-url", help="GraphQL endpoint (or PLAIN_API_URL).")
TARGET_OPTION = click.option(
    "--target", help="A [targets.NAME] table of the config (help center, API URL, key variable)."
)


def _remember_verbose(ctx: click.Context, _: click.Parameter, value: bool) -> bool:
    ctx.meta["verbose"] = value  # for the bug report, which comes after the command ended
    return value


VERBOSE_OPTION = click.option(
    "-v",
    "--verbose",
    is_flag=True,
    callback=_remember_verbose,
    help="Show unchanged items, HTML diffs and each request.",
)


def _notice(text: str) -> None:
    click.echo(f"note: {text}", err=True)


def _report(problems: Iterable[Problem], *, err: bool = False) -> None:
    cwd = Path.cwd()
    for problem in problems:
        click.echo(problem.format(relative_to=cwd), err=err)


def _summary(errors: int, warnings: int, articles: int, groups: int) -> str:
    parts = [f"{_plural(articles, 'article')} in {_plural(groups, 'group')}"]
    parts.append(_plural(errors, "error"))
    if warnings:
        parts.append(_plural(warnings, "warning"))
    return ", ".join(parts)


def _settings(path: Path, target: str | None = None, **overrides: Any) -> Settings:
    return load_settings(path, target).with_overrides(**overrides)


@click.group(cls=PublisherCLI, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publisher")
def main() -> None:
    """Publish a help center kept as Markdown in git to Plain.

    PATH is the project folder (with publisher.toml, [tool.publisher] in pyproject.toml, or a
    content/ folder) or any folder in it; it defaults to the current folder. Commands always
    act on the whole project.

    \b
    Exit codes: 0 ok, 1 content errors or a refused action (nothing sent), 2 usage or
    settings, 3 Plain failed or refused, 4 published except edits made in Plain (kept),
    70 a bug in publisher.
    """


@main.command()
@click.argument("path", required=False, default=".", type=click.Path(path_type=Path))
@click.option(
    "--from-plain",
    is_flag=True,
    help="Pull an existing help center (--help-center-id or PLAIN_HELP_CENTER_ID) instead of "
    "writing the example content.",
)
@HELP_CENTER_OPTION
@API_URL_OPTION
@VERBOSE_OPTION
def init(
    path: Path,
    from_plain: bool,
    help_center_id: str | None,
    api_url: str | None,
    verbose: bool,
) -> None:
    """Make a new help-center repository in PATH (created if missing).

    Writes publisher.toml, content/ with an example (a group, two articles, an image, a
    cross-link, a FAQ), .gitignore, a GitHub workflow using the publisher action and
    .pre-commit-config.yaml. It never overwrites a file: if any exists, nothing is written.

    \b
    Examples:
      publisher init my-help-center && cd my-help-center && publisher preview
      PLAIN_API_KEY=... publisher init my-help-center --from-plain --help-center-id hc_01...
    """
    from publisher.commands.init import init as run_init
    from publisher.commands.init import init_from_plain

    if from_plain:
        hc = help_center_id or os.environ.get("PLAIN_HELP_CENTER_ID", "").strip()
        if not hc:
            raise UsageError("--from-plain needs --help-center-id or PLAIN_HELP_CENTER_ID")
        result, pulled = init_from_plain(path, hc, api_url=api_url, verbose=verbose, notice=_notice)
        click.echo(
            f"pulled {_plural(pulled.result.articles, 'article')} and "
            f"{_plural(pulled.result.groups, 'group')} into {pulled.result.dest}"
        )
    else:
        result = run_init(path)
    for rel in result.written:
        click.echo(f"wrote {rel}", err=True)
    click.echo(
        f"made a help-center repository in {result.project}: next, `cd` there and run "
        "`publisher preview`; set help_center_id in publisher.toml and PLAIN_API_KEY to publish"
    )


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
    from publisher.commands.check import check as run_check

    result = run_check(_settings(path), use_cache=not no_cache)
    compiled = result.compiled
    _report(compiled.problems)
    summary = _summary(len(compiled.errors), len(compiled.warnings), result.articles, result.groups)
    click.echo(("check failed: " if compiled.errors else "ok: ") + summary, err=True)
    sys.exit(EXIT_CONTENT if compiled.errors else EXIT_OK)


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
    from publisher.commands.build import build as run_build

    result = run_build(_settings(path), out_dir, use_cache=not no_cache)
    _report(result.compiled.problems)
    click.echo(
        f"built {_plural(result.pages, 'page')} and {_plural(result.images, 'image')} into "
        f"{result.out_dir} ({_plural(result.files_written, 'file')} changed) in "
        f"{result.compiled.seconds:.2f}s",
        err=True,
    )


def _console(stderr: bool = False) -> Any:
    """A rich console: the terminal's width on a terminal; elsewhere (CI logs) wide enough
    that nothing is cut or folded."""
    from rich.console import Console

    probe = Console(stderr=stderr)
    if probe.is_terminal:
        return probe
    return Console(stderr=stderr, width=10_000, no_color=True, highlight=False)


@main.command()
@PATH_ARGUMENT
@HELP_CENTER_OPTION
@API_URL_OPTION
@TARGET_OPTION
@click.option("--prune", is_flag=True, help="Show what `publish --prune` would delete.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@VERBOSE_OPTION
def plan(
    path: Path,
    help_center_id: str | None,
    api_url: str | None,
    target: str | None,
    prune: bool,
    as_json: bool,
    verbose: bool,
) -> None:
    """Show what `publish` would change. Reads the help center; sends no mutation.

    \b
    Examples:
      PLAIN_API_KEY=... publisher plan --help-center-id hc_01...
      publisher plan --prune
      publisher plan --json > plan.json
    """
    from publisher.commands.plan import plan as run_plan

    settings = _settings(path, target, help_center_id=help_center_id, api_url=api_url)
    the_plan, compiled = run_plan(settings, prune=prune, verbose=verbose, notice=_notice)
    _report(compiled.warnings, err=True)  # stdout is the plan alone (`--json > plan.json`)
    if as_json:
        click.echo(json.dumps(the_plan.to_json(), indent=2, ensure_ascii=False))
    else:
        from publisher.commands.report import print_plan

        print_plan(the_plan, _console(), verbose=verbose)


@main.command()
@PATH_ARGUMENT
@HELP_CENTER_OPTION
@API_URL_OPTION
@TARGET_OPTION
@click.option("--prune", is_flag=True, help="Delete articles and groups the content lacks.")
@click.option("--yes", is_flag=True, help="Allow a prune that deletes more than the set share.")
@click.option("--dry-run", is_flag=True, help="Plan only, with the same output as publish.")
@click.option(
    "--overwrite-edits",
    is_flag=True,
    help="Write the content over edits people made in Plain (default: keep them, exit 4).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    help="Requests in flight at once, reads and writes (default 8).",
)
@VERBOSE_OPTION
def publish(
    path: Path,
    help_center_id: str | None,
    api_url: str | None,
    target: str | None,
    prune: bool,
    yes: bool,
    dry_run: bool,
    overwrite_edits: bool,
    concurrency: int | None,
    verbose: bool,
) -> None:
    """Make the Plain help center match the content.

    Groups first (parents before children), then images, then articles concurrently, then
    the navigation index once. Articles and groups people edited in Plain are left as they
    are (exit 4) unless --overwrite-edits. Exits 0 on success, 1 on content errors or a
    refused prune (nothing sent), 3 when Plain fails or the key lacks a permission.

    \b
    Examples:
      PLAIN_API_KEY=... publisher publish --help-center-id hc_01...
      publisher publish --dry-run --prune
      publisher publish --prune
      publisher publish --target staging
    """
    from publisher.commands.publish import publish as run_publish
    from publisher.commands.report import (
        deleted_lines,
        kept_edits_message,
        print_plan,
        public_links,
        summary_markdown,
        summary_text,
    )

    settings = _settings(
        path, target, help_center_id=help_center_id, api_url=api_url, concurrency=concurrency
    )
    with _progress() as progress:
        outcome, compiled = run_publish(
            settings,
            prune=prune,
            yes=yes,
            dry_run=dry_run,
            overwrite_edits=overwrite_edits,
            verbose=verbose,
            progress=progress,
            notice=_notice,
        )
    _report(compiled.warnings, err=True)
    if dry_run:
        print_plan(outcome.plan, _console(), verbose=verbose)
    else:
        for warning in outcome.plan.warnings:
            click.echo(f"warning: {warning}", err=True)
    for line in deleted_lines(outcome):
        click.echo(line)
    click.echo(summary_text(outcome))
    for line in public_links(outcome):
        click.echo(line)
    if outcome.pruned:
        click.echo(f"snapshot of what was deleted: {outcome.pruned.snapshot}")
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as handle:
            handle.write(summary_markdown(outcome, dry_run=dry_run))
    kept = kept_edits_message(outcome)
    if kept:
        raise EditsKeptError(kept)


@contextmanager
def _progress() -> Iterator[ProgressCallback]:
    """A progress line on a terminal; one plain line per write elsewhere (CI logs)."""
    console = _console(stderr=True)
    if not console.is_terminal:
        yield lambda phase, item: click.echo(f"{phase}: {item}", err=True)
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn

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
@click.option(
    "--edited",
    is_flag=True,
    help="Only bring edits people made in Plain into the existing files (see `plan`).",
)
@VERBOSE_OPTION
def pull(
    path: Path,
    help_center_id: str | None,
    api_url: str | None,
    target: str | None,
    force: bool,
    edited: bool,
    verbose: bool,
) -> None:
    """Write an existing help center as content: Markdown, _group.yml, ids pinned.

    PATH is a project (content goes into its content folder) or any other folder, which is
    created if needed and becomes a project: publisher.toml beside content/. Refuses to
    overwrite any file unless --force (nothing is written then). With --edited, writes only
    the articles and groups people edited in Plain, into their existing files.

    \b
    Examples:
      PLAIN_API_KEY=... publisher pull --help-center-id hc_01...
      publisher pull my-help-center
      publisher pull --force
    """
    from publisher.commands.pull import pull as run_pull
    from publisher.commands.pull import pull_edited

    if edited:
        home = pull_edited(
            _settings(path, target, help_center_id=help_center_id, api_url=api_url),
            verbose=verbose,
            notice=_notice,
        )
        for written in home.written:
            click.echo(f"wrote {written}")
        for left in home.left:
            click.echo(f"left as it is: {left}", err=True)
        click.echo(
            f"brought {_plural(len(home.written), 'edit')} home: review them with `git diff`"
            if home.written
            else "nothing was edited in Plain"
        )
        return
    path.mkdir(parents=True, exist_ok=True)
    settings = load_settings(path, target, allow_new=True).with_overrides(
        help_center_id=help_center_id, api_url=api_url
    )
    outcome = run_pull(settings, force=force, verbose=verbose, notice=_notice)
    result = outcome.result
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"pulled {_plural(result.articles, 'article')} and {_plural(result.groups, 'group')} "
        f"into {result.dest} ({_plural(len(result.overwritten), 'file')} overwritten)"
    )
    if outcome.config_written:
        click.echo(f"wrote {outcome.config_written} (the help center this project publishes to)")


@main.command()
@click.argument("snapshot", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@API_URL_OPTION
@TARGET_OPTION
@click.option(
    "--overwrite",
    is_flag=True,
    help="Take slugs back from articles and groups that hold them now (saved first).",
)
@VERBOSE_OPTION
def restore(
    snapshot: Path, api_url: str | None, target: str | None, overwrite: bool, verbose: bool
) -> None:
    """Put back what a `publish --prune` deleted, from its snapshot.

    Articles come back with the same slugs, content, status, group and place in the
    navigation (the help center is the one named in the snapshot). If another article or
    group holds one of those slugs now, it refuses (exit 1) unless --overwrite, which first
    saves what it overwrites as a snapshot of its own.

    \b
    Example:
      publisher restore .publisher/backups/20261122T101500Z-hc_01....json
    """
    from publisher.commands.restore import restore as run_restore

    # The snapshot names its help center; the project (if any) gives the API URL and key.
    settings = load_settings(Path.cwd(), target, allow_new=True).with_overrides(api_url=api_url)
    outcome = run_restore(settings, snapshot, overwrite=overwrite, verbose=verbose, notice=_notice)
    result = outcome.result
    click.echo(
        f"restored {_plural(len(result.articles), 'article')} and "
        f"{_plural(len(result.groups), 'group')}"
        + (", navigation updated" if result.index_written else "")
    )
    if result.overwritten:
        click.echo(f"overwrote {', '.join(result.overwritten)}")
        click.echo(f"snapshot of what was overwritten: {result.overwritten_snapshot}")
    if outcome.missing_from_content:
        click.echo(
            "warning: the content still lacks "
            + ", ".join(outcome.missing_from_content)
            + ": the next `publish --prune` deletes them again unless their files come back "
            "(`publisher pull --force` writes them)",
            err=True,
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
    from publisher.commands.preview import preview as run_preview

    echo: Callable[[str], None] = click.echo
    run_preview(
        _settings(path), host=host, port=port, open_browser=open_browser, poll=poll, echo=echo
    )
