"""Run the emulator as a child process and read what it announces on start: for test suites
and benchmarks that need a real server on a free port, its URL, keys and help centers."""

from __future__ import annotations

import os
import queue
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

STOP_TIMEOUT = 10.0


class EmulatorStartError(RuntimeError):
    """The emulator exited or stayed silent during start-up; the message ends with its log."""


@dataclass
class RunningEmulator:
    """One `python -m publisher.emulator` process and the `label: value` lines it printed."""

    args: list[str]
    log_path: Path
    process: subprocess.Popen[str]
    url: str = ""
    api_keys: list[str] = field(default_factory=list)
    help_center_ids: dict[str, str] = field(default_factory=dict)
    #: Keys started with --key-permissions other than the default set, and their permissions.
    key_permissions: dict[str, list[str]] = field(default_factory=dict)
    #: The `export NAME=VALUE` lines, for a shell: PLAIN_API_URL, PLAIN_API_KEY and (if there
    #: is a help center) PLAIN_HELP_CENTER_ID.
    environment: dict[str, str] = field(default_factory=dict)
    #: Every line printed up to and including `ready`, as printed.
    announced: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return self.url.removesuffix("/graphql/v1")

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        try:
            return self.log_path.read_text(encoding="utf-8")
        except OSError:
            return ""

    def stop(self) -> int:
        """SIGTERM, then SIGKILL if it does not end in time; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        return self.process.returncode


def start_emulator(args: Sequence[str], log_path: Path, timeout: float = 20.0) -> RunningEmulator:
    """Start the emulator with `args` (stderr appended to `log_path`) and return once it has
    announced itself with its `ready` line. Raises EmulatorStartError."""
    with log_path.open("a", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "publisher.emulator", *args],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    started = RunningEmulator(list(args), log_path, process)
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        # Keep draining stdout so that the server never blocks on a full pipe.
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise EmulatorStartError("the emulator did not announce itself in time") from None
            if line is None:
                raise EmulatorStartError("the emulator exited during start-up")
            started.announced.append(line)
            if line.startswith("export "):
                words = shlex.split(line.removeprefix("export "))
                if len(words) == 1 and "=" in words[0]:
                    name, _, value = words[0].partition("=")
                    started.environment[name] = value
                continue
            label, _, value = line.partition(": ")
            if label == "ready":
                return started
            if label == "emulator":
                started.url = value
            elif label == "api key":
                started.api_keys.append(value)
            elif label.startswith("help center "):
                started.help_center_ids[label.removeprefix("help center ")] = value
            elif label.startswith("permissions of "):
                granted = [] if value == "(none)" else value.split(",")
                started.key_permissions[label.removeprefix("permissions of ")] = granted
    except EmulatorStartError as error:
        started.stop()
        raise EmulatorStartError(f"{error}; emulator log:\n{started.log()[-4000:]}") from None
