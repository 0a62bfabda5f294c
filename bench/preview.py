"""Save-to-reload latency of `publisher preview`, against `mkdocs serve`.

Generates a deterministic synthetic help center (see bench/corpus.py; by default 1,000
articles of about 1,500 words in 10 groups, one nested) under bench/.work/preview/, with a
publisher.toml and an mkdocs.yml beside the content folder, and then measures:

- publisher: starts `publisher preview PROJECT --port 0`, connects one Server-Sent Events
  client to /__publisher__/events (what an open page does), and then, `--saves` times (50
  by default), appends a unique sentence to a different article and times from just before
  the write to the arrival of the `update` event whose `changed` list names that article's
  page (/article/<slug>/). Saves alternate between a plain write and an atomic save (a
  temporary file beside the article, then os.replace onto it), as editors do both. After
  each update the page is fetched once to check that it shows the new sentence (not timed).
- mkdocs: starts `mkdocs serve` (mkdocs from bench/.venv-mkdocs, installed there when
  missing) on the same Markdown files with live reload on, the default full rebuild. A
  client emulates an open page: it reads the epoch from the script mkdocs injects into a
  page and long-polls GET /livereload/<epoch>/<request id>, which answers once a rebuild
  that started after the save has finished. Each rebuild takes as long as a full build, so
  there are fewer saves (`--mkdocs-saves`, 10 by default). With `--mkdocs-dirty` the same
  is measured again for `mkdocs serve --dirty` (only changed pages re-rendered), for
  information only.

Each save waits for its reload before the next one, then pauses `--pause` seconds (0.2 by
default) so that two saves never merge into one rebuild. Latencies are reported as median
and p95 (nearest rank). Both servers run one after the other, never together, and are
stopped at the end, also when the benchmark fails or is interrupted.

Targets (printed as ok or MISSED; a miss still exits 0): a publisher median under 100 ms,
and a publisher median at least 10x lower than mkdocs' (default serve). Failures of the
benchmark itself (a server does not start, an update does not come, a page lacks the saved
sentence) exit with status 1.

Run it from the repository root:

    .venv/bin/python bench/preview.py                  # the full run
    .venv/bin/python bench/preview.py --quick          # 100 articles, 10 and 3 saves
    .venv/bin/python bench/preview.py --mkdocs-dirty --json figures.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from common import (
    BENCH_DIR,
    BenchError,
    add_common_arguments,
    ensure_mkdocs,
    machine,
    machine_line,
    now,
    print_report,
    publisher_command,
    run_main,
    write_project_config,
)
from corpus import Corpus, CorpusSpec, PlannedArticle, write_corpus

WORK_DIR = BENCH_DIR / ".work" / "preview"
EVENTS_PATH = "__publisher__/events"

PUBLISHER_MAX_MEDIAN_MS = 100.0
MKDOCS_MIN_RATIO = 10.0
PUBLISHER_START_TIMEOUT = 300.0
MKDOCS_START_TIMEOUT = 900.0
PUBLISHER_SAVE_TIMEOUT = 30.0
MKDOCS_SAVE_TIMEOUT = 600.0

PUBLISHER_REBUILT_RE = re.compile(r"^rebuilt in (\d+) ms")
MKDOCS_BUILT_RE = re.compile(r"Documentation built in ([0-9.]+) seconds")
MKDOCS_SCRIPT_RE = re.compile(r"livereload\((\d+), (\d+)\)")


# The benchmark project -----------------------------------------------------------------------


def prepare_project(project: Path, spec: CorpusSpec) -> Corpus:
    """A publisher.toml and an mkdocs.yml beside a freshly generated content folder."""
    write_project_config(project, mkdocs=True)
    return write_corpus(project / "content", spec)


def free_port() -> int:
    """A port that was free a moment ago: `mkdocs serve` cannot report one chosen by port 0."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Saves ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Save:
    number: int
    article: PlannedArticle
    path: Path
    atomic: bool
    sentence: str  # appended to the body; unique, so the page must show it afterwards

    @property
    def kind(self) -> str:
        return "atomic" if self.atomic else "plain"


def plan_saves(corpus: Corpus, count: int, offset: int) -> list[Save]:
    """A different article for each save, spread over the whole tree, alternating the kind."""
    total = len(corpus.articles)
    step = max(1, total // max(1, count))
    token = secrets.token_hex(4)
    saves = []
    for number in range(count):
        article = corpus.articles[(offset + number * step) % total]
        saves.append(
            Save(
                number=number,
                article=article,
                path=corpus.path(article),
                atomic=number % 2 == 1,
                sentence=f"Benchmark edit {number} {token} changed this article.",
            )
        )
    return saves


def write_save(save: Save, text: str) -> None:
    if save.atomic:
        temporary = save.path.with_name(f".{save.path.name}.{save.number}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, save.path)
    else:
        save.path.write_text(text, encoding="utf-8")


def edited_text(save: Save) -> str:
    return save.path.read_text(encoding="utf-8").rstrip("\n") + f"\n\n{save.sentence}\n"


# Servers -------------------------------------------------------------------------------------


class Server:
    """A server subprocess whose merged output is read line by line on a thread."""

    def __init__(self, name: str, command: Sequence[str | Path], cwd: Path) -> None:
        self.name = name
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [str(part) for part in command],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, match: Callable[[str], bool], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.process.poll() is not None and self.lines.empty()):
                tail = "\n".join(self.output[-20:])
                raise BenchError(f"{self.name} did not get ready; its last output:\n{tail}")
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if match(line):
                return line

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(15)


@contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


class EventStream:
    """The preview's Server-Sent Events as (arrival time, event, data), read on a thread.

    The arrival time is taken on the reading thread as soon as the data line is parsed, so
    the main thread's own scheduling does not add to the measured latency."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue[tuple[float, str, dict[str, Any]]] = queue.Queue()
        self._client = httpx.Client(timeout=httpx.Timeout(10.0, read=None))
        self._closed = False
        self.failure: BaseException | None = None
        threading.Thread(target=self._read, args=(url + EVENTS_PATH,), daemon=True).start()

    def _read(self, url: str) -> None:
        event = "message"
        try:
            with self._client.stream("GET", url) as response:
                for line in response.iter_lines():
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        data = json.loads(line.removeprefix("data: "))
                        self.events.put((time.perf_counter(), event, data))
                        event = "message"
        except (httpx.HTTPError, RuntimeError, ValueError) as error:
            if not self._closed:
                self.failure = error

    def next(self, event: str, timeout: float) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if self.failure is not None and self.events.empty():
                raise BenchError(f"the event stream failed: {self.failure!r}")
            if remaining <= 0:
                raise BenchError(f"no `{event}` event within {timeout:g} s")
            try:
                arrived, name, data = self.events.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if name == event:
                return arrived, data

    def close(self) -> None:
        self._closed = True
        self._client.close()


class LivereloadPoller:
    """Emulates an mkdocs page: long-polls /livereload/<epoch>/<id> and keeps the new epochs.

    mkdocs answers a poll once the site it serves is newer than the poll's epoch (or after
    a minute with the same epoch, when the page simply polls again). Each newer epoch is
    queued with its arrival time; the epoch is the `time.monotonic()` milliseconds at which
    that rebuild started, a clock this process shares with mkdocs on Linux."""

    def __init__(self, base_url: str, epoch: int, request_id: int) -> None:
        self.base_url = base_url
        self.epoch = epoch
        self.request_id = request_id
        self.epochs: queue.Queue[tuple[float, int]] = queue.Queue()
        self.failure: BaseException | None = None
        self._client = httpx.Client(timeout=httpx.Timeout(10.0, read=120.0))
        self._closed = False
        threading.Thread(target=self._poll, daemon=True).start()

    def _poll(self) -> None:
        while not self._closed:
            try:
                response = self._client.get(
                    f"{self.base_url}livereload/{self.epoch}/{self.request_id}"
                )
                arrived = time.perf_counter()
                response.raise_for_status()
                seen = int(response.text.strip())
            except (httpx.HTTPError, RuntimeError, ValueError) as error:
                if not self._closed:
                    self.failure = error
                return
            if seen > self.epoch:
                self.epoch = seen
                self.epochs.put((arrived, seen))

    def next_after(self, started_ms: int, timeout: float) -> float:
        """When the answer for the first rebuild started at or after `started_ms` came."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if self.failure is not None:
                raise BenchError(f"the livereload poll failed: {self.failure!r}")
            if remaining <= 0:
                raise BenchError(f"mkdocs did not answer the livereload poll in {timeout:g} s")
            try:
                arrived, seen = self.epochs.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if seen >= started_ms:
                return arrived

    def drain(self) -> None:
        while not self.epochs.empty():
            self.epochs.get_nowait()

    def close(self) -> None:
        self._closed = True
        self._client.close()


# Measurements --------------------------------------------------------------------------------


@dataclass
class Latencies:
    samples_ms: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    startup_s: float = 0.0
    server_rebuild_ms: list[float] = field(default_factory=list)  # as the server logged them

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)

    def median_of(self, kind: str) -> float | None:
        chosen = [ms for ms, k in zip(self.samples_ms, self.kinds, strict=True) if k == kind]
        return statistics.median(chosen) if chosen else None

    def as_dict(self) -> dict[str, Any]:
        rebuilds = self.server_rebuild_ms
        return {
            "median_ms": self.median,
            "p95_ms": self.p95,
            "min_ms": min(self.samples_ms),
            "max_ms": max(self.samples_ms),
            "plain_write_median_ms": self.median_of("plain"),
            "atomic_save_median_ms": self.median_of("atomic"),
            "server_rebuild_median_ms": statistics.median(rebuilds) if rebuilds else None,
            "server_rebuilds": len(rebuilds),
            "startup_s": self.startup_s,
            "samples_ms": self.samples_ms,
            "kinds": self.kinds,
        }


def percentile(values: Sequence[float], percent: float) -> float:
    """Nearest rank: the smallest value with at least `percent` % of the values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def fetch_text(client: httpx.Client, url: str) -> str:
    response = client.get(url)
    response.raise_for_status()
    return response.text


def progress(label: str, save: Save, latency_ms: float, every: int) -> None:
    if save.number % every == 0:
        print(f"  {label} save {save.number + 1}: {latency_ms:.0f} ms ({save.kind})", flush=True)


def measure_publisher(
    project: Path, saves: list[Save], pause: float, progress_every: int
) -> Latencies:
    command: list[str | Path] = [publisher_command(), "preview", project, "--port", "0"]
    started = time.perf_counter()
    with running(Server("publisher preview", command, project)) as server:
        line = server.wait_for(lambda text: text.startswith("preview: "), PUBLISHER_START_TIMEOUT)
        result = Latencies(startup_s=time.perf_counter() - started)
        url = line.removeprefix("preview: ").strip()
        ready_lines = len(server.output)
        stream = EventStream(url)
        try:
            with httpx.Client(timeout=30) as client:
                stream.next("hello", 10)
                for save in saves:
                    page = f"/article/{save.article.slug}/"
                    text = edited_text(save)
                    before = time.perf_counter()
                    write_save(save, text)
                    deadline = time.monotonic() + PUBLISHER_SAVE_TIMEOUT
                    while True:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            raise BenchError(f"no update named {page} after save {save.number}")
                        arrived, data = stream.next("update", remaining)
                        if data["errors"]:
                            raise BenchError(f"the preview reports errors: {data['errors']}")
                        if page in data["changed"]:
                            break
                    latency_ms = (arrived - before) * 1000
                    result.samples_ms.append(latency_ms)
                    result.kinds.append(save.kind)
                    progress("publisher", save, latency_ms, progress_every)
                    if save.sentence not in fetch_text(client, url.rstrip("/") + page):
                        raise BenchError(f"{page} does not show the sentence saved to it")
                    time.sleep(pause)
        finally:
            stream.close()
        time.sleep(0.1)  # let the last log line through the pipe
        for text in server.output[ready_lines:]:
            if match := PUBLISHER_REBUILT_RE.match(text):
                result.server_rebuild_ms.append(float(match[1]))
    return result


def mkdocs_page(save: Save) -> str:
    return "/" + save.article.rel_path.removesuffix(".md") + "/"


def measure_mkdocs(
    mkdocs: Path, project: Path, saves: list[Save], pause: float, dirty: bool
) -> Latencies:
    port = free_port()
    command: list[str | Path] = [
        mkdocs,
        "serve",
        "-f",
        project / "mkdocs.yml",
        "-a",
        f"127.0.0.1:{port}",
    ]
    if dirty:
        command.append("--dirty")
    label = "mkdocs --dirty" if dirty else "mkdocs"
    base_url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    with running(Server(f"mkdocs serve{' --dirty' if dirty else ''}", command, project)) as server:
        server.wait_for(lambda text: "Serving on" in text, MKDOCS_START_TIMEOUT)
        with httpx.Client(timeout=httpx.Timeout(10.0, read=MKDOCS_SAVE_TIMEOUT)) as client:
            first = wait_for_page(client, base_url + mkdocs_page(saves[0]).lstrip("/"))
            result = Latencies(startup_s=time.perf_counter() - started)
            script = MKDOCS_SCRIPT_RE.search(first)
            if script is None:
                raise BenchError("mkdocs served a page without its livereload script")
            ready_lines = len(server.output)
            poller = LivereloadPoller(base_url, int(script[1]), int(script[2]))
            try:
                time.sleep(pause)  # the poll is waiting in the server before the first save
                for save in saves:
                    text = edited_text(save)
                    poller.drain()
                    before = time.perf_counter()
                    before_ms = round(time.monotonic() * 1000)
                    write_save(save, text)
                    arrived = poller.next_after(before_ms, MKDOCS_SAVE_TIMEOUT)
                    latency_ms = (arrived - before) * 1000
                    result.samples_ms.append(latency_ms)
                    result.kinds.append(save.kind)
                    progress(label, save, latency_ms, 1)
                    page = mkdocs_page(save)
                    if save.sentence not in fetch_text(client, base_url + page.lstrip("/")):
                        raise BenchError(f"mkdocs' {page} does not show the sentence saved to it")
                    time.sleep(pause)
            finally:
                poller.close()
        time.sleep(0.1)
        for text in server.output[ready_lines:]:
            if match := MKDOCS_BUILT_RE.search(text):
                result.server_rebuild_ms.append(float(match[1]) * 1000)
    return result


def wait_for_page(client: httpx.Client, url: str, timeout: float = 30) -> str:
    """mkdocs announces its address just before its server thread starts accepting."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fetch_text(client, url)
        except httpx.HTTPError as error:
            if time.monotonic() > deadline:
                raise BenchError(f"mkdocs does not serve {url}: {error!r}") from error
            time.sleep(0.1)


# Report --------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure save-to-reload latency of publisher preview against mkdocs serve."
    )
    parser.add_argument("--articles", type=int, help="articles to generate (default 1000)")
    parser.add_argument("--words", type=int, help="words per article (default 1500)")
    parser.add_argument("--saves", type=int, help="timed saves for publisher (default 50)")
    parser.add_argument("--mkdocs-saves", type=int, help="timed saves for mkdocs (default 10)")
    parser.add_argument(
        "--mkdocs-dirty", action="store_true", help="also measure `mkdocs serve --dirty`"
    )
    parser.add_argument(
        "--pause", type=float, default=0.2, help="seconds between a reload and the next save"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 100 articles, 10 and 3 saves"
    )
    add_common_arguments(parser, WORK_DIR)
    args = parser.parse_args(argv)
    args.articles = args.articles or (100 if args.quick else 1000)
    args.words = args.words or 1500
    args.saves = args.saves or (10 if args.quick else 50)
    args.mkdocs_saves = args.mkdocs_saves or (3 if args.quick else 10)
    if args.articles < 2 or args.words < 100 or args.saves < 1 or args.mkdocs_saves < 1:
        parser.error("need --articles >= 2, --words >= 100, --saves >= 1, --mkdocs-saves >= 1")
    if args.pause < 0:
        parser.error("--pause cannot be negative")
    return args


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    project = args.work_dir.resolve()
    mkdocs = ensure_mkdocs()
    print(f"generating {args.articles} articles of ~{args.words} words in {project} ...")
    corpus = prepare_project(project, CorpusSpec(args.articles, args.words, args.seed))
    shutil.rmtree(project / ".publisher", ignore_errors=True)

    print(f"publisher preview: {args.saves} saves ...", flush=True)
    every = max(1, args.saves // 10)
    publisher = measure_publisher(project, plan_saves(corpus, args.saves, 0), args.pause, every)

    mkdocs_offset = max(1, len(corpus.articles) // max(1, args.saves)) // 2 + 1
    print(f"mkdocs serve: {args.mkdocs_saves} saves ...", flush=True)
    mk = measure_mkdocs(
        mkdocs, project, plan_saves(corpus, args.mkdocs_saves, mkdocs_offset), args.pause, False
    )
    dirty = None
    if args.mkdocs_dirty:
        print(f"mkdocs serve --dirty: {args.mkdocs_saves} saves ...", flush=True)
        dirty = measure_mkdocs(
            mkdocs,
            project,
            plan_saves(corpus, args.mkdocs_saves, mkdocs_offset + 1),
            args.pause,
            True,
        )

    ratio = mk.median / publisher.median
    return {
        "date": now(),
        "machine": machine(with_mkdocs=True),
        "corpus": {
            "articles": len(corpus.articles),
            "words": corpus.words,
            "words_per_article": args.words,
            "groups": len(corpus.groups),
            "seed": args.seed,
            "path": str(corpus.root),
        },
        "saves": args.saves,
        "mkdocs_saves": args.mkdocs_saves,
        "pause_s": args.pause,
        "publisher": publisher.as_dict(),
        "mkdocs": mk.as_dict(),
        "mkdocs_dirty": dirty.as_dict() if dirty else None,
        "ratio_mkdocs_to_publisher": ratio,
        "targets": {
            "publisher_median_under_100_ms": publisher.median < PUBLISHER_MAX_MEDIAN_MS,
            "publisher_10x_faster_than_mkdocs": ratio >= MKDOCS_MIN_RATIO,
        },
    }


def report(figures: dict[str, Any]) -> None:
    machine, corpus, targets = figures["machine"], figures["corpus"], figures["targets"]

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    def rows_for(name: str, saves: int, measured: dict[str, Any]) -> list[tuple[str, str, str]]:
        rebuild = measured["server_rebuild_median_ms"]
        logged = f"; server-logged rebuild median {ms(rebuild)}" if rebuild is not None else ""
        return [
            (
                f"{name} median",
                ms(measured["median_ms"]),
                f"{saves} saves; plain write {ms(measured['plain_write_median_ms'])}, "
                f"atomic save {ms(measured['atomic_save_median_ms'])}{logged}",
            ),
            (
                f"{name} p95",
                f"{measured['p95_ms']:.0f} ms",
                f"min {measured['min_ms']:.0f} ms, max {measured['max_ms']:.0f} ms; "
                f"ready {measured['startup_s']:.1f} s after start",
            ),
        ]

    rows = [
        ("articles", f"{corpus['articles']:,}", f"{corpus['groups']} groups"),
        ("words", f"{corpus['words']:,}", f"~{corpus['words_per_article']:,} per article"),
        *rows_for("publisher", figures["saves"], figures["publisher"]),
        *rows_for("mkdocs", figures["mkdocs_saves"], figures["mkdocs"]),
    ]
    if figures["mkdocs_dirty"]:
        rows += rows_for("mkdocs --dirty", figures["mkdocs_saves"], figures["mkdocs_dirty"])
    rows.append(("ratio mkdocs/publisher", f"{figures['ratio_mkdocs_to_publisher']:.1f}x", ""))
    checks = [
        (
            f"publisher median < {PUBLISHER_MAX_MEDIAN_MS:g} ms",
            targets["publisher_median_under_100_ms"],
            f"{figures['publisher']['median_ms']:.0f} ms",
        ),
        (
            f"publisher >= {MKDOCS_MIN_RATIO:g}x faster than mkdocs serve",
            targets["publisher_10x_faster_than_mkdocs"],
            f"{figures['ratio_mkdocs_to_publisher']:.1f}x",
        ),
    ]
    header = [
        f"publisher preview benchmark (save to reload), {figures['date']}",
        machine_line(machine),
        f"publisher {machine['publisher']}, mkdocs {machine['mkdocs']}",
        f"corpus: {corpus['path']} (seed {corpus['seed']})",
        f"saves: {figures['saves']} for publisher, {figures['mkdocs_saves']} for mkdocs "
        "(fewer: without --dirty each rebuild is a full build), "
        f"{figures['pause_s']:g} s pause after each reload",
    ]
    print_report(header, rows, checks)


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(argv, parse_args, benchmark, report)


if __name__ == "__main__":
    sys.exit(main())
