"""Build, preview and publish as whole processes at 1,000, 3,000 and 10,000 articles, with
the peak memory of each process and how every figure grows with the size of the help center.

For each size a deterministic synthetic help center (see bench/corpus.py; articles of about
500 words in 10 groups, one nested) lives in bench/.work/scale/<size>/, generated once and
kept between runs (generated again when its spec, seed or bench/corpus.py changes). The
project's .publisher/ state is deleted first, then, one process at a time, as a user runs
them:

- cold build: `publisher build PROJECT --out DIR` with no cache (.publisher/cache deleted)
  and no output folder; then the no-op build: the same command again, nothing changed. Also
  the built site's bytes on disk and its largest page, an index.html (which must not grow
  with the site), its largest article page and its largest other file (shared navigation);
- preview: `publisher preview PROJECT --port 0` with the cache warm from the builds. Ready
  is from starting the process to the first 200 answer of GET /. Then `--saves` saves (20
  by default), alternating a plain write and an atomic replace, each appending a sentence
  to a different article, timed from just before the write to the Server-Sent Events
  `update` naming that article's page (as bench/preview.py does); median and p95 (nearest
  rank). The edited articles are restored afterwards;
- publish: `publisher publish PROJECT --yes --concurrency 8` into an empty help center of a
  local Plain emulator with 20 ms added to every request (first publish), then the same
  command again with nothing changed, after restarting the emulator on the same database
  file with 50 ms per request (no-op publish). The request count is the one the command
  prints in its summary.

Peak memory is the `ru_maxrss` that os.wait4 returns for the command: the largest resident
set of the process and of every descendant it reaped (the build renders in a process
pool), so the largest single process, not their sum. Beside it: the command's own process
(VmHWM from /proc, sampled every 50 ms while it runs; for the preview, read just before it
is stopped) and the largest descendant (VmHWM sampled likewise, 0 when there was none).
ru_maxrss also counts this benchmark's own process, which the child was a copy of until
it ran the command; when it is not above this process's peak, the sampled figures stand.

The growth exponent of a figure f between sizes a and b is log(f(b) / f(a)) / log(b / a):
1 grows in proportion to the help center, 0 does not grow. It is printed from the smallest
to the largest size and between each two neighbouring sizes.

Targets at the largest size (10,000 articles by default), printed as ok or MISSED (a miss
still exits 0): cold build ≤ 30 s, no-op build ≤ 3 s, peak memory of build, preview and
publish ≤ 500 MB each, preview ready ≤ 4 s, save → reload median ≤ 60 ms (and ≤ 30 ms at the
smallest size), no-op publish ≤ 10 s, first publish ≤ 35 s; growth exponents from the
smallest to the largest size ≤ 1.05 for whole-site figures (times, memory, site bytes) and
≤ 0.15 for per-edit ones (save → reload median, the largest page). Failures of the
benchmark itself (a command fails or hangs past its timeout, the preview sends no update,
the emulator does not start) exit with status 1.

Run it from the repository root; the full run takes about 5 minutes on 2 cores:

    .venv/bin/python bench/scale.py                       # 1,000, 3,000 and 10,000 articles
    .venv/bin/python bench/scale.py --quick               # 100 and 300 articles, 6 saves
    .venv/bin/python bench/scale.py --sizes 200,600 --json figures.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import corpus as corpus_module
import httpx
from common import (
    BENCH_DIR,
    BenchError,
    Check,
    Row,
    add_common_arguments,
    machine,
    machine_line,
    now,
    print_report,
    publisher_command,
    run_main,
    write_project_config,
)
from corpus import Corpus, CorpusSpec, plan_corpus, write_corpus
from preview import EventStream, Server, edited_text, fetch_text, percentile, plan_saves, write_save

import publisher as publisher_package
from publisher.config import load_settings
from publisher.emulator.launch import EmulatorStartError, RunningEmulator, start_emulator

WORK_DIR = BENCH_DIR / ".work" / "scale"
DEFAULT_SIZES = (1000, 3000, 10000)
QUICK_SIZES = (100, 300)
WORDS = 500
SAVES = 20
QUICK_SAVES = 6
FIRST_LATENCY_MS = 20
NOOP_LATENCY_MS = 50
CONCURRENCY = 8
HELP_CENTER = "bench-scale"
STAMP = "corpus.json"  # beside the content: what was generated, so it can be kept

# Targets, at the largest size unless said otherwise.
COLD_BUILD_MAX_S = 30.0
NOOP_BUILD_MAX_S = 3.0
PEAK_MEMORY_MAX_MB = 500.0
PREVIEW_READY_MAX_S = 4.0
SAVE_MEDIAN_MAX_MS = 60.0
SAVE_MEDIAN_SMALLEST_MAX_MS = 30.0  # at the smallest size
NOOP_PUBLISH_MAX_S = 10.0
FIRST_PUBLISH_MAX_S = 35.0
WHOLE_SITE_MAX_EXPONENT = 1.05
PER_EDIT_MAX_EXPONENT = 0.15

# Timeouts, in seconds; past one the phase counts as hung and the benchmark fails.
BUILD_TIMEOUT = 1200.0
PREVIEW_READY_TIMEOUT = 600.0
SAVE_TIMEOUT = 60.0
PUBLISH_TIMEOUT = 1800.0
EMULATOR_START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
SAMPLE_INTERVAL = 0.05
PAUSE = 0.2  # after each reload, so that two saves never merge into one rebuild

PUBLISHED_RE = re.compile(r"^Published: created (\d+), updated (\d+),.* requests (\d+),", re.M)


# Whole processes and their memory ------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    """Peak resident memory, in MB (2**20 bytes)."""

    peak_mb: float  # wait4's ru_maxrss: the process or its largest reaped descendant
    main_mb: float  # the command's own process (VmHWM)
    worker_mb: float  # its largest descendant (VmHWM), 0 when it had none
    workers: int  # descendants seen


@dataclass(frozen=True)
class ProcessRun:
    seconds: float
    memory: Memory
    output: str

    def as_dict(self) -> dict[str, Any]:
        return {"seconds": self.seconds, **asdict(self.memory)}


def vm_hwm_kb(pid: int) -> int | None:
    """The high-water mark of a live process's resident set, or None once it has exited."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    pending = [pid]
    while pending:
        parent = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", encoding="ascii") as children:
                    kids = [int(word) for word in children.read().split()]
            except (OSError, ValueError):
                continue
            found += kids
            pending += kids
    return found


class MemorySampler:
    """VmHWM of a process and of its descendants, the largest seen of each, read on a
    thread every SAMPLE_INTERVAL seconds (and once more on `stop`)."""

    def __init__(self, pid: int, interval: float | None = SAMPLE_INTERVAL) -> None:
        self.pid = pid
        self.main_kb = 0
        self.others_kb: dict[int, int] = {}
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        if interval is not None:
            self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
            self._thread.start()

    def sample(self) -> None:
        self.main_kb = max(self.main_kb, vm_hwm_kb(self.pid) or 0)
        for child in descendants(self.pid):
            kb = vm_hwm_kb(child) or 0
            self.others_kb[child] = max(self.others_kb.get(child, 0), kb)

    def _run(self, interval: float) -> None:
        while not self._stopped.wait(interval):
            self.sample()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    def memory(self, usage: resource.struct_rusage | None, spawned_from_kb: int) -> Memory:
        """The figures, given the usage wait4 returned and this process's own peak when it
        started the command. The child began as a copy of this process (fork or vfork, then
        exec), and exec folds that copy's peak into ru_maxrss: a ru_maxrss not above
        `spawned_from_kb` may be this process's, so then the sampled peaks stand instead."""
        worker_kb = max(self.others_kb.values(), default=0)
        rss_kb = usage.ru_maxrss if usage is not None else 0  # KB on Linux
        measured_kb = rss_kb if rss_kb > spawned_from_kb else 0
        peak_kb = max(measured_kb, self.main_kb, worker_kb)
        return Memory(peak_kb / 1024, self.main_kb / 1024, worker_kb / 1024, len(self.others_kb))


def own_peak_kb() -> int:
    return vm_hwm_kb(os.getpid()) or 0


def reap(
    process: subprocess.Popen[Any], timeout: float, *, group: bool
) -> tuple[int, resource.struct_rusage | None, bool]:
    """Wait for the process with os.wait4, which also returns its resource usage; kill it
    (and its process group if `group`) after `timeout`. (exit code, usage, timed out)"""
    if process.returncode is not None:  # already reaped by Popen, the usage is gone
        return process.returncode, None, False
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        try:
            if group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage, expired.is_set()


def run_measured(
    command: Sequence[str | Path], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> ProcessRun:
    """Run a command to completion: wall time, peak memory and its merged output. A non-zero
    exit or a run past `timeout` is a BenchError."""
    shown = " ".join(str(part) for part in command)
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as out:
        spawned_from_kb = own_peak_kb()
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(part) for part in command],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # its own group: a timeout kills the workers too
        )
        sampler = MemorySampler(process.pid)
        try:
            code, usage, timed_out = reap(process, timeout, group=True)
        finally:
            sampler.stop()
            if process.returncode is None:  # interrupted while waiting
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if timed_out:
        raise BenchError(
            f"`{shown}` did not finish in {timeout:g} s; its output:\n{output[-4000:]}"
        )
    if code != 0:
        raise BenchError(f"`{shown}` exited with {code}; its output:\n{output[-4000:]}")
    return ProcessRun(seconds, sampler.memory(usage, spawned_from_kb), output)


class MeasuredServer(Server):
    """A server whose memory is read before it is stopped and whose usage is taken when it
    is reaped."""

    memory: Memory | None = None

    def __init__(self, name: str, command: Sequence[str | Path], cwd: Path) -> None:
        self.spawned_from_kb = own_peak_kb()
        super().__init__(name, command, cwd)

    def stop(self) -> None:
        if self.process.returncode is not None or self.process.poll() is not None:
            return
        sampler = MemorySampler(self.process.pid, interval=None)
        sampler.sample()
        self.process.send_signal(signal.SIGINT)
        _, usage, _ = reap(self.process, STOP_TIMEOUT, group=False)
        self.memory = sampler.memory(usage, self.spawned_from_kb)


# The projects --------------------------------------------------------------------------------


def corpus_stamp(spec: CorpusSpec) -> dict[str, Any]:
    generator = Path(corpus_module.__file__).read_bytes()
    return {
        "articles": spec.articles,
        "words": spec.words,
        "seed": spec.seed,
        "generator_sha256": hashlib.sha256(generator).hexdigest(),
    }


def read_stamp(project: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((project / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def prepare_project(project: Path, spec: CorpusSpec) -> tuple[Corpus, float | None]:
    """The project for one size, its content reused when a run with the same spec left it
    unchanged; then without any state of earlier runs. (corpus, seconds spent generating or
    None when reused)"""
    write_project_config(project, mkdocs=False)
    content = project / "content"
    wanted = corpus_stamp(spec)
    stamp = read_stamp(project)
    generated: float | None = None
    reusable = stamp is not None and {key: stamp.get(key) for key in wanted} == wanted
    if stamp is not None and reusable and content.is_dir():
        groups, articles = plan_corpus(spec)
        corpus = Corpus(content, spec, groups, articles, int(stamp["total_words"]))
    else:
        (project / STAMP).unlink(missing_ok=True)
        print(f"  generating {spec.articles:,} articles of ~{spec.words} words ...", flush=True)
        started = time.perf_counter()
        corpus = write_corpus(content, spec)
        generated = time.perf_counter() - started
        write_stamp(project, spec, corpus.words)
    shutil.rmtree(project / ".publisher", ignore_errors=True)
    shutil.rmtree(project / "_site", ignore_errors=True)
    for leftover in ("emulator.db", "emulator.log"):
        (project / leftover).unlink(missing_ok=True)
    settings = load_settings(project)
    if settings.content_dir != content or not settings.cache_dir.is_relative_to(project):
        raise BenchError(
            f"publisher resolves the content to {settings.content_dir} and the cache to "
            f"{settings.cache_dir}; the benchmark expected {content} and a folder in {project}"
        )
    return corpus, generated


def write_stamp(project: Path, spec: CorpusSpec, total_words: int) -> None:
    stamp = {**corpus_stamp(spec), "total_words": total_words}
    (project / STAMP).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")


@contextmanager
def editing(project: Path, paths: Sequence[Path]) -> Iterator[None]:
    """Edit these articles, then put them back; until then the content is not the one
    generated, so the stamp is off and a run that dies here leaves it to be generated again."""
    stamp = project / STAMP
    kept = stamp.read_text(encoding="utf-8")
    originals = {path: path.read_bytes() for path in paths}
    stamp.unlink()
    try:
        yield
    finally:
        for path, data in originals.items():
            path.write_bytes(data)
        stamp.write_text(kept, encoding="utf-8")


# Build ---------------------------------------------------------------------------------------


def site_sizes(site: Path) -> dict[str, Any]:
    """Bytes on disk of the whole site; its largest page (an index.html, what a URL serves),
    its largest article page, and its largest other file (shared navigation, styles)."""
    total, pages = 0, 0
    largest: dict[str, tuple[int, str]] = {"page": (0, ""), "article": (0, ""), "other": (0, "")}
    for folder, _, files in os.walk(site):
        for name in files:
            path = Path(folder, name)
            size = path.stat().st_size
            where = str(path.relative_to(site))
            total += size
            kinds = ["page"] if name == "index.html" else ["other"]
            if where.startswith("article/") and name == "index.html":
                kinds.append("article")
            pages += name == "index.html"
            for kind in kinds:
                largest[kind] = max(largest[kind], (size, where))
    return {
        "site_bytes": total,
        "pages": pages,
        "largest_page_bytes": largest["page"][0],
        "largest_page": largest["page"][1],
        "largest_article_page_bytes": largest["article"][0],
        "largest_other_bytes": largest["other"][0],
        "largest_other": largest["other"][1],
    }


def measure_builds(publisher: Path, project: Path, articles: int) -> dict[str, Any]:
    site = project / "_site"
    command: list[str | Path] = [publisher, "build", project, "--out", site]
    shutil.rmtree(load_settings(project).cache_dir, ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    print("  cold build ...", flush=True)
    cold = run_measured(command, project, BUILD_TIMEOUT)
    written = sum(1 for _ in (site / "article").glob("*/index.html"))
    if written != articles:
        raise BenchError(f"the build wrote {written} article pages for {articles} articles")
    print(f"    {cold.seconds:.2f} s, peak {cold.memory.peak_mb:.0f} MB", flush=True)
    print("  no-op build ...", flush=True)
    noop = run_measured(command, project, BUILD_TIMEOUT)
    print(f"    {noop.seconds:.2f} s, peak {noop.memory.peak_mb:.0f} MB", flush=True)
    return {"cold_build": cold.as_dict(), "noop_build": noop.as_dict(), **site_sizes(site)}


# Preview -------------------------------------------------------------------------------------


def wait_until_served(client: httpx.Client, url: str, deadline: float) -> float:
    """perf_counter() when GET url first answered 200."""
    while True:
        try:
            if client.get(url).status_code == 200:
                return time.perf_counter()
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise BenchError(f"the preview did not serve {url} in {PREVIEW_READY_TIMEOUT:g} s")
        time.sleep(0.02)


def measure_preview(publisher: Path, project: Path, corpus: Corpus, saves: int) -> dict[str, Any]:
    planned = plan_saves(corpus, saves, 0)
    command: list[str | Path] = [publisher, "preview", project, "--port", "0"]
    samples: list[float] = []
    kinds: list[str] = []
    print("  preview ...", flush=True)
    started = time.perf_counter()
    deadline = time.monotonic() + PREVIEW_READY_TIMEOUT
    server = MeasuredServer("publisher preview", command, project)
    try:
        line = server.wait_for(lambda text: text.startswith("preview: "), PREVIEW_READY_TIMEOUT)
        url = line.removeprefix("preview: ").strip()
        with httpx.Client(timeout=30) as client:
            ready = wait_until_served(client, url, deadline) - started
            print(f"    ready in {ready:.2f} s; {saves} saves ...", flush=True)
            stream = EventStream(url)
            try:
                stream.next("hello", 10)
                with editing(project, [save.path for save in planned]):
                    for save in planned:
                        page = f"/article/{save.article.slug}/"
                        text = edited_text(save)
                        before = time.perf_counter()
                        write_save(save, text)
                        arrived = wait_for_update(stream, page, save.number)
                        samples.append((arrived - before) * 1000)
                        kinds.append(save.kind)
                        if save.sentence not in fetch_text(client, url.rstrip("/") + page):
                            raise BenchError(f"{page} does not show the sentence saved to it")
                        time.sleep(PAUSE)
            finally:
                stream.close()
    finally:
        server.stop()
    memory = server.memory
    if memory is None:
        tail = "\n".join(server.output[-20:])
        raise BenchError(f"the preview exited before it was stopped; its last output:\n{tail}")
    median = statistics.median(samples)
    print(f"    median {median:.0f} ms, peak {memory.peak_mb:.0f} MB", flush=True)
    return {
        "ready_s": ready,
        "median_ms": median,
        "p95_ms": percentile(samples, 95),
        "samples_ms": samples,
        "kinds": kinds,
        **asdict(memory),
    }


def wait_for_update(stream: EventStream, page: str, number: int) -> float:
    """When the `update` event naming `page` arrived."""
    deadline = time.monotonic() + SAVE_TIMEOUT
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise BenchError(f"no update named {page} within {SAVE_TIMEOUT:g} s of save {number}")
        arrived, data = stream.next("update", remaining)
        if data["errors"]:
            raise BenchError(f"the preview reports errors: {data['errors']}")
        if page in data["changed"]:
            return arrived


# Publish -------------------------------------------------------------------------------------


def start_scale_emulator(project: Path, latency_ms: int) -> RunningEmulator:
    """The emulator on a free port, its state in the project's emulator.db, so that a restart
    with another latency keeps the help center."""
    args = ["--port", "0", "--db", str(project / "emulator.db")]
    args += ["--latency-ms", str(latency_ms), "--help-center", HELP_CENTER]
    try:
        emulator = start_emulator(args, project / "emulator.log", timeout=EMULATOR_START_TIMEOUT)
    except EmulatorStartError as error:
        raise BenchError(str(error)) from None
    if not emulator.url or not emulator.api_keys or HELP_CENTER not in emulator.help_center_ids:
        emulator.stop()
        raise BenchError(f"the emulator did not announce its URL, key or help center {HELP_CENTER}")
    return emulator


def publish_once(
    publisher: Path, project: Path, latency_ms: int, expect_created: int
) -> tuple[ProcessRun, int | None, str]:
    """`publisher publish` against a fresh emulator process; (run, requests, help center)."""
    emulator = start_scale_emulator(project, latency_ms)
    try:
        help_center = emulator.help_center_ids[HELP_CENTER]
        env = {
            **os.environ,
            "PLAIN_API_KEY": emulator.api_keys[0],
            "PLAIN_API_URL": emulator.url,
            "PLAIN_HELP_CENTER_ID": help_center,
        }
        command: list[str | Path] = [publisher, "publish", project, "--yes"]
        command += ["--concurrency", str(CONCURRENCY)]
        run = run_measured(command, project, PUBLISH_TIMEOUT, env)
    finally:
        emulator.stop()
    summary = PUBLISHED_RE.search(run.output)
    if summary is None:
        raise BenchError(f"`publisher publish` printed no summary:\n{run.output[-4000:]}")
    created, updated, requests = (int(group) for group in summary.groups())
    if created != expect_created or updated:
        raise BenchError(
            f"`publisher publish` created {created} and updated {updated} articles, "
            f"expected to create {expect_created} and update none:\n{run.output[-2000:]}"
        )
    return run, requests, help_center


def measure_publishes(publisher: Path, project: Path, articles: int) -> dict[str, Any]:
    print(f"  first publish ({FIRST_LATENCY_MS} ms per request) ...", flush=True)
    first, first_requests, help_center = publish_once(
        publisher, project, FIRST_LATENCY_MS, articles
    )
    print(f"    {first.seconds:.2f} s, {first_requests} requests", flush=True)
    print(f"  no-op publish ({NOOP_LATENCY_MS} ms per request) ...", flush=True)
    noop, noop_requests, again = publish_once(publisher, project, NOOP_LATENCY_MS, 0)
    if again != help_center:
        raise BenchError(f"the restarted emulator has help center {again}, not {help_center}")
    print(f"    {noop.seconds:.2f} s, {noop_requests} requests", flush=True)
    return {
        "first_publish": {**first.as_dict(), "requests": first_requests},
        "noop_publish": {**noop.as_dict(), "requests": noop_requests},
    }


# Growth --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    """One figure measured at every size."""

    key: str
    label: str
    scope: str  # "site" (should grow at most linearly), "edit" (should not grow) or "info"
    get: Callable[[dict[str, Any]], float | None]


def field_of(*path: str) -> Callable[[dict[str, Any]], float | None]:
    def get(run: dict[str, Any]) -> float | None:
        value: Any = run
        for key in path:
            value = value[key]
        return None if value is None else float(value)

    return get


SERIES = (
    Series("cold_build_s", "cold build, time", "site", field_of("cold_build", "seconds")),
    Series("cold_build_mb", "cold build, peak memory", "site", field_of("cold_build", "peak_mb")),
    Series("noop_build_s", "no-op build, time", "site", field_of("noop_build", "seconds")),
    Series("noop_build_mb", "no-op build, peak memory", "site", field_of("noop_build", "peak_mb")),
    Series("site_bytes", "site bytes on disk", "site", field_of("site_bytes")),
    Series("largest_page_bytes", "largest page bytes", "edit", field_of("largest_page_bytes")),
    Series(
        "largest_article_page_bytes",
        "largest article page bytes",
        "info",
        field_of("largest_article_page_bytes"),
    ),
    Series(
        "largest_other_bytes", "largest other file bytes", "info", field_of("largest_other_bytes")
    ),
    Series("preview_ready_s", "preview ready", "site", field_of("preview", "ready_s")),
    Series("preview_mb", "preview peak memory", "site", field_of("preview", "peak_mb")),
    Series("save_median_ms", "save → reload median", "edit", field_of("preview", "median_ms")),
    Series("save_p95_ms", "save → reload p95", "info", field_of("preview", "p95_ms")),
    Series("first_publish_s", "first publish, time", "site", field_of("first_publish", "seconds")),
    Series(
        "first_publish_mb",
        "first publish, peak memory",
        "site",
        field_of("first_publish", "peak_mb"),
    ),
    Series(
        "first_publish_requests",
        "first publish, requests",
        "info",
        field_of("first_publish", "requests"),
    ),
    Series("noop_publish_s", "no-op publish, time", "site", field_of("noop_publish", "seconds")),
    Series(
        "noop_publish_mb", "no-op publish, peak memory", "site", field_of("noop_publish", "peak_mb")
    ),
    Series(
        "noop_publish_requests",
        "no-op publish, requests",
        "info",
        field_of("noop_publish", "requests"),
    ),
)
MAX_EXPONENT = {"site": WHOLE_SITE_MAX_EXPONENT, "edit": PER_EDIT_MAX_EXPONENT}


def exponent(small: int, large: int, f_small: float | None, f_large: float | None) -> float | None:
    if not f_small or not f_large or f_small <= 0 or f_large <= 0:
        return None
    return math.log(f_large / f_small) / math.log(large / small)


def growth(runs: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each figure's exponent from the smallest to the largest size and between neighbours."""
    sizes = [run["articles"] for run in runs]
    result = {}
    for series in SERIES:
        values = [series.get(run) for run in runs]
        result[series.key] = {
            "overall": exponent(sizes[0], sizes[-1], values[0], values[-1]),
            "steps": [
                exponent(sizes[i], sizes[i + 1], values[i], values[i + 1])
                for i in range(len(sizes) - 1)
            ],
        }
    return result


# The run -------------------------------------------------------------------------------------


def parse_sizes(value: str) -> list[int]:
    try:
        sizes = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 1000,3000, got {value!r}") from None
    if len(sizes) < 2 or sizes != sorted(set(sizes)) or sizes[0] < 20:
        raise argparse.ArgumentTypeError("need two or more increasing sizes, each 20 or more")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure build, preview and publish as whole processes as the help center "
        "grows, with the peak memory of each and the growth exponents."
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        metavar="N,N,...",
        help="articles per run, increasing (default 1000,3000,10000)",
    )
    parser.add_argument("--saves", type=int, help=f"timed preview saves (default {SAVES})")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 100 and 300 articles, 6 saves"
    )
    add_common_arguments(parser, WORK_DIR)
    args = parser.parse_args(argv)
    args.sizes = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.saves = args.saves or (QUICK_SAVES if args.quick else SAVES)
    if args.saves < 1:
        parser.error("need --saves >= 1")
    return args


def measure_size(
    publisher: Path, work_dir: Path, size: int, args: argparse.Namespace
) -> dict[str, Any]:
    project = work_dir / str(size)
    print(f"{size:,} articles in {project}", flush=True)
    corpus, generated = prepare_project(project, CorpusSpec(size, WORDS, args.seed))
    articles = len(corpus.articles)
    run: dict[str, Any] = {
        "articles": articles,
        "words": corpus.words,
        "groups": len(corpus.groups),
        "generated_s": generated,
        "path": str(project),
    }
    run.update(measure_builds(publisher, project, articles))
    run["preview"] = measure_preview(publisher, project, corpus, args.saves)
    run.update(measure_publishes(publisher, project, articles))
    return run


def compile_package() -> None:
    """Byte-compile publisher, as installing it does, so that the first command measured
    after an edit of its code does not pay for compiling it."""
    package = Path(publisher_package.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    work_dir = args.work_dir.resolve()
    publisher = publisher_command()
    compile_package()
    runs = [measure_size(publisher, work_dir, size, args) for size in args.sizes]
    largest = runs[-1]
    figures: dict[str, Any] = {
        "date": now(),
        "machine": machine(with_mkdocs=False),
        "corpus": {
            "articles": largest["articles"],
            "words": largest["words"],
            "words_per_article": WORDS,
            "groups": largest["groups"],
            "seed": args.seed,
            "sizes": [run["articles"] for run in runs],
            "path": str(work_dir),
        },
        "saves": args.saves,
        "pause_s": PAUSE,
        "first_latency_ms": FIRST_LATENCY_MS,
        "noop_latency_ms": NOOP_LATENCY_MS,
        "concurrency": CONCURRENCY,
        "runs": runs,
        "growth": growth(runs),
    }
    figures["targets"] = {target: ok for target, ok, _ in checks_of(figures)}
    return figures


# Report --------------------------------------------------------------------------------------


def mb(value: float) -> str:
    return f"{value:.0f} MB"


def size_bytes(value: float) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} B"


def ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def exponent_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def memory_note(figure: dict[str, Any]) -> str:
    """The peak and where it was: the process itself or its largest worker."""
    workers = figure["workers"]
    if not workers:
        return f"peak {mb(figure['peak_mb'])}"
    largest = f"largest of {workers} worker{'s' if workers > 1 else ''}"
    return (
        f"peak {mb(figure['peak_mb'])} (main {mb(figure['main_mb'])}, "
        f"{largest} {mb(figure['worker_mb'])})"
    )


def steps_text(figures: dict[str, Any], key: str) -> str:
    """'1,000→3,000 0.98, 3,000→10,000 1.01' for one figure."""
    sizes = figures["corpus"]["sizes"]
    steps = figures["growth"][key]["steps"]
    return ", ".join(
        f"{sizes[i]:,}→{sizes[i + 1]:,} {exponent_text(step)}" for i, step in enumerate(steps)
    )


def steps_after(figures: dict[str, Any], key: str) -> str:
    """' (1,000→3,000 0.98, 3,000→10,000 1.01)' with three sizes or more, else nothing."""
    return f" ({steps_text(figures, key)})" if len(figures["corpus"]["sizes"]) > 2 else ""


def checks_of(figures: dict[str, Any]) -> list[Check]:
    """Every target, met or not, with what was measured."""
    runs = figures["runs"]
    small, large = runs[0], runs[-1]
    at = f"at {large['articles']:,}"
    memory = max(
        ("build", max(large["cold_build"]["peak_mb"], large["noop_build"]["peak_mb"])),
        ("preview", large["preview"]["peak_mb"]),
        ("publish", max(large["first_publish"]["peak_mb"], large["noop_publish"]["peak_mb"])),
        key=lambda pair: pair[1],
    )
    checks: list[Check] = [
        (
            f"cold build {at} ≤ {COLD_BUILD_MAX_S:g} s",
            large["cold_build"]["seconds"] <= COLD_BUILD_MAX_S,
            f"{large['cold_build']['seconds']:.2f} s",
        ),
        (
            f"no-op build {at} ≤ {NOOP_BUILD_MAX_S:g} s",
            large["noop_build"]["seconds"] <= NOOP_BUILD_MAX_S,
            f"{large['noop_build']['seconds']:.2f} s",
        ),
        (
            f"peak memory of build, preview and publish {at} ≤ {PEAK_MEMORY_MAX_MB:g} MB each",
            memory[1] <= PEAK_MEMORY_MAX_MB,
            f"largest: {memory[0]}, {mb(memory[1])}",
        ),
        (
            f"preview ready {at} ≤ {PREVIEW_READY_MAX_S:g} s",
            large["preview"]["ready_s"] <= PREVIEW_READY_MAX_S,
            f"{large['preview']['ready_s']:.2f} s",
        ),
        (
            f"save → reload median {at} ≤ {SAVE_MEDIAN_MAX_MS:g} ms",
            large["preview"]["median_ms"] <= SAVE_MEDIAN_MAX_MS,
            ms(large["preview"]["median_ms"]),
        ),
        (
            f"save → reload median at {small['articles']:,} ≤ {SAVE_MEDIAN_SMALLEST_MAX_MS:g} ms",
            small["preview"]["median_ms"] <= SAVE_MEDIAN_SMALLEST_MAX_MS,
            ms(small["preview"]["median_ms"]),
        ),
        (
            f"no-op publish {at}, {figures['noop_latency_ms']} ms latency, ≤ "
            f"{NOOP_PUBLISH_MAX_S:g} s",
            large["noop_publish"]["seconds"] <= NOOP_PUBLISH_MAX_S,
            f"{large['noop_publish']['seconds']:.2f} s",
        ),
        (
            f"first publish {at}, concurrency {figures['concurrency']}, "
            f"{figures['first_latency_ms']} ms latency, ≤ {FIRST_PUBLISH_MAX_S:g} s",
            large["first_publish"]["seconds"] <= FIRST_PUBLISH_MAX_S,
            f"{large['first_publish']['seconds']:.2f} s",
        ),
    ]
    span = f"{small['articles']:,}→{large['articles']:,}"
    for series in SERIES:
        if series.scope not in MAX_EXPONENT:
            continue
        limit = MAX_EXPONENT[series.scope]
        value = figures["growth"][series.key]["overall"]
        checks.append(
            (
                f"growth exponent {span}, {series.label} ≤ {limit:g}",
                value is not None and value <= limit,
                exponent_text(value) + steps_after(figures, series.key),
            )
        )
    return checks


def report_rows(figures: dict[str, Any]) -> list[Row]:
    runs = figures["runs"]
    corpus = figures["corpus"]
    rows: list[Row] = [
        (
            "articles",
            ", ".join(f"{run['articles']:,}" for run in runs),
            f"~{corpus['words_per_article']} words each, {corpus['groups']} groups",
        )
    ]
    for name, key, value, note in figure_blocks():
        rows += [(f"{name} {run['articles']:,}", value(run), note(run)) for run in runs]
        overall = exponent_text(figures["growth"][key]["overall"])
        rows.append((f"  growth exponent {name}", overall, steps_text(figures, key)))
    return rows


Text = Callable[[dict[str, Any]], str]


def seconds_of(phase: str) -> Text:
    return lambda run: f"{run[phase]['seconds']:.2f} s"


def memory_of(phase: str) -> Text:
    return lambda run: memory_note(run[phase])


def publish_note(phase: str) -> Text:
    return lambda run: f"{run[phase]['requests']:,} requests; {memory_note(run[phase])}"


def site_note(run: dict[str, Any]) -> str:
    return f"{run['pages']:,} pages"


def largest_page_note(run: dict[str, Any]) -> str:
    return (
        f"{run['largest_page']}; largest article page "
        f"{size_bytes(run['largest_article_page_bytes'])}; largest other file "
        f"{size_bytes(run['largest_other_bytes'])} ({run['largest_other']})"
    )


def save_note(run: dict[str, Any]) -> str:
    preview = run["preview"]
    return f"p95 {ms(preview['p95_ms'])} over {len(preview['samples_ms'])} saves"


def figure_blocks() -> list[tuple[str, str, Text, Text]]:
    """(name, growth key, value, note) of each figure the report shows per size."""
    return [
        ("cold build", "cold_build_s", seconds_of("cold_build"), memory_of("cold_build")),
        ("no-op build", "noop_build_s", seconds_of("noop_build"), memory_of("noop_build")),
        ("site bytes", "site_bytes", lambda run: size_bytes(run["site_bytes"]), site_note),
        (
            "largest page",
            "largest_page_bytes",
            lambda run: size_bytes(run["largest_page_bytes"]),
            largest_page_note,
        ),
        (
            "preview ready",
            "preview_ready_s",
            lambda run: f"{run['preview']['ready_s']:.2f} s",
            memory_of("preview"),
        ),
        (
            "save → reload median",
            "save_median_ms",
            lambda run: ms(run["preview"]["median_ms"]),
            save_note,
        ),
        (
            "first publish",
            "first_publish_s",
            seconds_of("first_publish"),
            publish_note("first_publish"),
        ),
        (
            "no-op publish",
            "noop_publish_s",
            seconds_of("noop_publish"),
            publish_note("noop_publish"),
        ),
    ]


def report(figures: dict[str, Any]) -> None:
    header = [
        f"publisher at scale: build, preview and publish as whole processes, {figures['date']}",
        machine_line(figures["machine"]),
        f"corpus: {figures['corpus']['path']}/<size> (seed {figures['corpus']['seed']})",
        f"preview: {figures['saves']} saves, {figures['pause_s']:g} s pause after each reload; "
        f"publish: concurrency {figures['concurrency']}, emulator latency "
        f"{figures['first_latency_ms']} ms (first) and {figures['noop_latency_ms']} ms (no-op)",
        "peak memory: ru_maxrss of the command (the process or its largest worker); "
        "growth exponent: log(f(b)/f(a)) / log(b/a)",
    ]
    print_report(header, report_rows(figures), checks_of(figures))


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(argv, parse_args, benchmark, report)


if __name__ == "__main__":
    sys.exit(main())
