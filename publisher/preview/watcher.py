"""Watches the content and templates, and turns bursts of file events into one rebuild."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from publisher.content.loader import is_ignored_name

DEBOUNCE_SECONDS = 0.01  # an editor's save is several events within a millisecond or two
MAX_DELAY_SECONDS = 0.25  # but a steady stream of events must not postpone a rebuild forever

RebuildCallback = Callable[[set[Path], bool], None]  # (changed paths, templates changed)


class Batcher:
    """Collects changed paths; a worker thread calls `rebuild` once things go quiet."""

    def __init__(
        self, rebuild: RebuildCallback, on_error: Callable[[Exception], None] | None = None
    ) -> None:
        self._rebuild = rebuild
        self._on_error = on_error or _report
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._paths: set[Path] = set()
        self._templates = False
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="preview-rebuild", daemon=True)
        self._thread.start()

    def add(self, path: Path, *, template: bool) -> None:
        with self._lock:
            self._paths.add(path)
            self._templates |= template
        self._wake.set()

    def report(self, error: Exception) -> None:
        self._on_error(error)

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait()
            waited = 0.0
            while not self._stopped and waited < MAX_DELAY_SECONDS:
                self._wake.clear()
                if not self._wake.wait(DEBOUNCE_SECONDS):
                    break  # quiet: the burst is over
                waited += DEBOUNCE_SECONDS
            if self._stopped:
                return
            with self._lock:
                paths, templates = self._paths, self._templates
                self._paths, self._templates = set(), False
                self._wake.clear()
            if paths:
                try:
                    self._rebuild(paths, templates)
                except Exception as error:  # the thread must outlive any one rebuild
                    self._on_error(error)


def _report(error: Exception) -> None:
    print(
        f"preview: internal error while watching ({type(error).__name__}: {str(error)[:300]});"
        " still watching",
        file=sys.stderr,
        flush=True,
    )


class _Handler(FileSystemEventHandler):
    def __init__(
        self, batcher: Batcher, roots: list[Path], templates: set[Path], ignored: list[Path]
    ) -> None:
        self.batcher = batcher
        self.roots = roots
        self.templates = templates
        self.ignored = ignored

    def _relevant(self, raw: str | bytes) -> Path | None:
        path = Path(raw.decode() if isinstance(raw, bytes) else raw)
        if any(path.is_relative_to(folder) for folder in self.ignored):
            return None
        for root in self.roots:
            if path.is_relative_to(root):
                inside = path.relative_to(root).parts
                return None if any(is_ignored_name(part) for part in inside) else path
        return None

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            self._queue(event)
        except Exception as error:  # the observer's thread must outlive any one event
            self.batcher.report(error)

    def _queue(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reading a file changes nothing
        if event.is_directory and event.event_type == "modified":
            return  # a folder's own timestamp: its files' events say what changed
        # An atomic save is a write to a temp file, then a rename onto the real name: the
        # temp name is ignored, the rename's destination is what counts.
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            path = self._relevant(raw) if raw else None
            if path is not None:
                template = any(path.is_relative_to(folder) for folder in self.templates)
                self.batcher.add(path, template=template)


def start_watching(
    content_dir: Path,
    template_dirs: list[Path],
    ignored: list[Path],
    batcher: Batcher,
    *,
    poll: bool = False,
) -> BaseObserver:
    """Watch recursively; `poll` for file systems without inotify (some Docker and network
    mounts)."""
    observer: BaseObserver = PollingObserver(timeout=0.5) if poll else Observer()
    roots = list(dict.fromkeys(f.resolve() for f in (content_dir, *template_dirs) if f.is_dir()))
    templates = {d.resolve() for d in template_dirs}
    handler = _Handler(batcher, roots, templates, [i.resolve() for i in ignored])
    for folder in roots:
        observer.schedule(handler, str(folder), recursive=True)
    observer.start()
    return observer
