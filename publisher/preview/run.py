"""Runs the preview: first build, server, watcher, until interrupted."""

from __future__ import annotations

import gc
import ipaddress
import webbrowser
from collections.abc import Callable
from pathlib import Path

from publisher import serving
from publisher.config import Settings
from publisher.preview.live import LiveSite, Update
from publisher.preview.server import Broadcaster, create_app, update_message
from publisher.preview.watcher import Batcher, start_watching
from publisher.site.builder import default_templates_dir
from publisher.wording import plural

Echo = Callable[[str], None]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def describe(update: Update, root: Path) -> list[str]:
    lines = [p.format(relative_to=root) for p in update.problems]
    if update.errors:
        lines.append(f"{plural(len(update.errors), 'error')}: the last good version stays served")
    elif update.generation == 1:
        lines.append(
            f"built {plural(len(update.changed), 'page')} in {update.seconds * 1000:.0f} ms"
        )
    else:
        changed = plural(len(update.changed), "page")
        lines.append(f"rebuilt in {update.seconds * 1000:.0f} ms: {changed} changed")
    return lines


def run_preview(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    open_browser: bool = False,
    poll: bool = False,
    echo: Echo = print,
) -> None:
    cwd = Path.cwd()
    live = LiveSite(settings)
    for line in describe(live.rebuild(), cwd):
        echo(line)
    # The first build's objects mostly live as long as the server: keeping them out of the
    # collector's full passes takes tens of milliseconds off the rebuilds that follow.
    gc.freeze()
    broadcaster = Broadcaster()

    def on_change(paths: set[Path], templates_changed: bool) -> None:
        errors_before = live.last.errors
        update = live.rebuild(paths, templates_changed=templates_changed)
        if not update.changed and update.errors == errors_before:
            return  # e.g. a file saved without changes: nothing to say
        for line in describe(update, cwd):
            echo(line)
        broadcaster.publish(update_message(update, settings.project_dir))

    def on_error(error: Exception) -> None:  # a bug: live.rebuild reports its own failures
        detail = str(error)[:300]
        echo(f"internal error while watching ({type(error).__name__}: {detail}); still watching")

    batcher = Batcher(on_change, on_error)
    template_dirs = [default_templates_dir()]
    if settings.templates_dir is not None:
        template_dirs.append(settings.templates_dir)
    ignored = [settings.out_dir, settings.cache_dir, settings.project_dir / ".publisher"]
    observer = start_watching(settings.content_dir, template_dirs, ignored, batcher, poll=poll)
    sock = serving.bind(host, port)
    url = serving.base_url(sock) + "/"

    def announce() -> None:
        if not is_loopback(host):
            echo(f"warning: serving on {host}: anyone who can reach this machine can read it")
        echo(f"preview: {url}")
        echo("watching for changes; Ctrl+C stops")
        if open_browser:
            webbrowser.open(url)

    try:
        app = create_app(live, broadcaster)
        serving.serve(app, sock, announce, allowed=serving.allowed_hosts(host))
    finally:
        observer.stop()
        batcher.stop()
        observer.join(timeout=5)
