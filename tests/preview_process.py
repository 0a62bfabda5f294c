"""Runs `publisher preview` as a real subprocess for tests, and reads its event stream."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx


class Preview:
    def __init__(self, project: Path, *extra: str) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "publisher", "preview", str(project), "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = self.wait_for_line("preview: ", timeout=30).removeprefix("preview: ")

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            self.lines.put(line.rstrip("\n"))

    def wait_for_line(self, prefix: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no line starting {prefix!r}; output: {self.output}")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return line

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@contextmanager
def running_preview(project: Path, *extra: str) -> Iterator[Preview]:
    preview = Preview(project, *extra)
    try:
        yield preview
    finally:
        preview.stop()


class EventStream:
    """The preview's Server-Sent Events, parsed into (event, data) pairs on a thread."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._client = httpx.Client(timeout=None)
        self._stop = False
        threading.Thread(target=self._read, args=(url,), daemon=True).start()

    def _read(self, url: str) -> None:
        event = "message"
        try:
            with self._client.stream("GET", url + "__publisher__/events") as response:
                for line in response.iter_lines():
                    if self._stop:
                        return
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        self.events.put((event, json.loads(line.removeprefix("data: "))))
        except httpx.HTTPError:
            return

    def next(self, event: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            name, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if name == event:
                return data

    def close(self) -> None:
        self._stop = True
        self._client.close()
