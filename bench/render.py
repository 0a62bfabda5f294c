"""Rendering speed of `publisher`, and how it compares with `mkdocs build`.

Generates a deterministic synthetic help center (see bench/corpus.py; by default 1,000
articles of about 1,500 words in 10 groups) under bench/.work/render/, checks that
`publisher check` accepts it, then measures:

- per-core render rate: articles per second rendered in this one process with
  `render_bodies(articles, cache=None, workers=1)`, after `load_content`;
- cold build: wall time of `publisher build CONTENT --out DIR` as a subprocess, end to end,
  with the render cache deleted first (CPU time of the process and its workers is recorded
  too, to show whether the build used the process pool);
- no-op build: the same command again with nothing changed, so every article comes from
  the cache;
- mkdocs build: wall time of `mkdocs build -q -d DIR` on the same Markdown files, with the
  tables, admonition, fenced_code, toc, footnotes and def_list extensions and the default
  theme. mkdocs is installed into its own venv, bench/.venv-mkdocs, on first use.

Each timed command runs several times (3 by default) and the median is reported, with the
targets: a cold build at least 2x faster than mkdocs, a no-op build under 1.5 s, and a cold
build that used more CPU time than wall time. A missed target is printed as MISSED; the
exit status is still 0. Failures of the benchmark itself (the content does not pass
`publisher check`, a build fails) exit with status 1.

Run it from the repository root:

    .venv/bin/python bench/render.py                 # the full run
    .venv/bin/python bench/render.py --quick         # 100 articles, one repeat
    .venv/bin/python bench/render.py --articles 300 --words 800 --json figures.json
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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
from corpus import Corpus, CorpusSpec, write_corpus

from publisher.config import load_settings
from publisher.content.loader import load_content
from publisher.site.compiler import render_bodies

WORK_DIR = BENCH_DIR / ".work" / "render"

MKDOCS_MIN_RATIO = 2.0
NOOP_MAX_SECONDS = 1.5


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the command and every process it waited for


@dataclass(frozen=True)
class Series:
    runs: list[Run]

    @property
    def wall(self) -> float:
        return statistics.median(run.wall for run in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(run.cpu for run in self.runs)


@dataclass(frozen=True)
class Layout:
    """Where the benchmark project lives: a publisher.toml beside the content folder."""

    project: Path
    content: Path
    cache: Path
    site: Path
    mkdocs_config: Path
    mkdocs_site: Path

    @classmethod
    def under(cls, project: Path) -> Layout:
        return cls(
            project=project,
            content=project / "content",
            cache=project / ".publisher" / "cache",
            site=project / "_site",
            mkdocs_config=project / "mkdocs.yml",
            mkdocs_site=project / "_mkdocs_site",
        )


def run_command(command: Sequence[str | Path], cwd: Path) -> Run:
    """Run a command to completion and time it; a non-zero exit is a BenchError."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise BenchError(
            f"`{' '.join(map(str, command))}` exited with {proc.returncode}\n"
            f"{proc.stdout}{proc.stderr}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall=wall, cpu=cpu)


def repeat(times: int, prepare: Callable[[], None], measure: Callable[[], Run]) -> Series:
    runs = []
    for _ in range(times):
        prepare()
        runs.append(measure())
    return Series(runs)


def remove(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)


def nothing() -> None:
    pass


def prepare_project(layout: Layout, spec: CorpusSpec) -> Corpus:
    write_project_config(layout.project, mkdocs=True)
    corpus = write_corpus(layout.content, spec)
    settings = load_settings(layout.content)
    if settings.cache_dir != layout.cache.resolve() or settings.content_dir != layout.content:
        raise BenchError(
            f"publisher resolves the cache to {settings.cache_dir} and the content to "
            f"{settings.content_dir}; the benchmark expected {layout.cache} and {layout.content}"
        )
    return corpus


def check_content(publisher: Path, layout: Layout) -> None:
    proc = subprocess.run(
        [str(publisher), "check", str(layout.content), "--no-cache"],
        cwd=layout.project,
        capture_output=True,
        text=True,
        check=False,
    )
    # Any listed problem counts, warnings included: the corpus is meant to be clean.
    if proc.returncode != 0 or proc.stdout.strip():
        raise BenchError(
            "the generated content does not pass `publisher check`:\n"
            + (proc.stdout + proc.stderr)[-4000:]
        )


def per_core_seconds(layout: Layout, times: int) -> tuple[int, float]:
    """Articles rendered, and the median seconds to render them all in this process."""
    content, problems = load_content(layout.content)
    if problems:
        raise BenchError(f"load_content reported {len(problems)} problems, e.g. {problems[0]}")
    articles = list(content.articles.values())
    render_bodies(articles[:5], cache=None, workers=1)  # build the parser and lexers once
    seconds = []
    for _ in range(times):
        started = time.perf_counter()
        render_bodies(articles, cache=None, workers=1)
        seconds.append(time.perf_counter() - started)
    return len(articles), statistics.median(seconds)


def count_files(folder: Path, pattern: str) -> int:
    return sum(1 for _ in folder.glob(pattern)) if folder.exists() else 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure publisher's render rate and build times against mkdocs."
    )
    parser.add_argument("--articles", type=int, help="articles to generate (default 1000)")
    parser.add_argument("--words", type=int, help="words per article (default 1500)")
    parser.add_argument("--repeats", type=int, help="runs of each timed command (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 articles, one repeat")
    add_common_arguments(parser, WORK_DIR)
    args = parser.parse_args(argv)
    args.articles = args.articles or (100 if args.quick else 1000)
    args.words = args.words or 1500
    args.repeats = args.repeats or (1 if args.quick else 3)
    if args.articles < 2 or args.words < 100 or args.repeats < 1:
        parser.error("need --articles >= 2, --words >= 100 and --repeats >= 1")
    return args


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    layout = Layout.under(args.work_dir.resolve())
    publisher = publisher_command()
    times = args.repeats

    print(f"generating {args.articles} articles of ~{args.words} words in {layout.content} ...")
    started = time.perf_counter()
    corpus = prepare_project(layout, CorpusSpec(args.articles, args.words, args.seed))
    generated = time.perf_counter() - started
    check_content(publisher, layout)
    print(f"generated in {generated:.1f}s; publisher check: ok", flush=True)

    print("per-core render rate ...", flush=True)
    rendered, render_seconds = per_core_seconds(layout, times)

    build: list[str | Path] = [publisher, "build", layout.content, "--out", layout.site]
    print("cold builds ...", flush=True)

    def clear_cache_and_site() -> None:
        remove(layout.cache)
        remove(layout.site)

    cold = repeat(times, clear_cache_and_site, lambda: run_command(build, layout.project))
    cached = count_files(layout.cache, "render/*/*.json")
    pages = count_files(layout.site, "article/*/index.html")
    if pages != len(corpus.articles):
        raise BenchError(f"the build wrote {pages} article pages for {len(corpus.articles)}")
    if cached != len(corpus.articles):
        print(f"warning: the cache holds {cached} entries for {len(corpus.articles)} articles")

    print("no-op builds ...", flush=True)
    noop = repeat(times, nothing, lambda: run_command(build, layout.project))

    print("mkdocs builds ...", flush=True)
    mkdocs = ensure_mkdocs()
    mkdocs_build: list[str | Path] = [
        mkdocs,
        "build",
        "-q",
        "-f",
        layout.mkdocs_config,
        "-d",
        layout.mkdocs_site,
    ]
    mk = repeat(
        times, lambda: remove(layout.mkdocs_site), lambda: run_command(mkdocs_build, layout.project)
    )

    ratio = mk.wall / cold.wall
    cpu_ratio = cold.cpu / cold.wall
    return {
        "date": now(),
        "machine": machine(with_mkdocs=True),
        "corpus": {
            "articles": len(corpus.articles),
            "words": corpus.words,
            "words_per_article": args.words,
            "groups": len(corpus.groups),
            "seed": args.seed,
            "path": str(layout.content),
        },
        "repeats": times,
        "per_core_articles_per_s": rendered / render_seconds,
        "per_core_render_s": render_seconds,
        "cold_build_s": cold.wall,
        "cold_build_cpu_s": cold.cpu,
        "cold_build_cpu_per_wall": cpu_ratio,
        "noop_build_s": noop.wall,
        "mkdocs_build_s": mk.wall,
        "ratio_mkdocs_to_cold": ratio,
        "runs": {
            "cold_build": [asdict(run) for run in cold.runs],
            "noop_build": [asdict(run) for run in noop.runs],
            "mkdocs_build": [asdict(run) for run in mk.runs],
        },
        "targets": {
            "cold_2x_faster_than_mkdocs": ratio >= MKDOCS_MIN_RATIO,
            "noop_under_1_5_s": noop.wall < NOOP_MAX_SECONDS,
            "cold_used_process_pool": cold.cpu > cold.wall,
        },
    }


def report(figures: dict[str, Any]) -> None:
    machine, corpus, targets = figures["machine"], figures["corpus"], figures["targets"]
    runs = figures["runs"]

    def walls(name: str) -> str:
        return ", ".join(f"{run['wall']:.2f}" for run in runs[name])

    median = f"median of {figures['repeats']}"
    rows = [
        ("articles", f"{corpus['articles']:,}", f"{corpus['groups']} groups"),
        ("words", f"{corpus['words']:,}", f"~{corpus['words_per_article']:,} per article"),
        (
            "per-core rate",
            f"{figures['per_core_articles_per_s']:.1f} articles/s",
            f"{figures['per_core_render_s']:.2f} s for all in one process, {median}",
        ),
        (
            "cold build",
            f"{figures['cold_build_s']:.2f} s",
            f"{median}; runs {walls('cold_build')}; CPU {figures['cold_build_cpu_s']:.2f} s",
        ),
        (
            "no-op build",
            f"{figures['noop_build_s']:.2f} s",
            f"{median}; runs {walls('noop_build')}",
        ),
        (
            "mkdocs build",
            f"{figures['mkdocs_build_s']:.2f} s",
            f"{median}; runs {walls('mkdocs_build')}",
        ),
        ("ratio mkdocs/cold", f"{figures['ratio_mkdocs_to_cold']:.2f}x", ""),
    ]
    checks = [
        (
            f"cold build >= {MKDOCS_MIN_RATIO:g}x faster than mkdocs",
            targets["cold_2x_faster_than_mkdocs"],
            f"{figures['ratio_mkdocs_to_cold']:.2f}x",
        ),
        (
            f"no-op build < {NOOP_MAX_SECONDS:g} s",
            targets["noop_under_1_5_s"],
            f"{figures['noop_build_s']:.2f} s",
        ),
        (
            "cold build used a process pool (CPU > wall)",
            targets["cold_used_process_pool"],
            f"CPU/wall {figures['cold_build_cpu_per_wall']:.2f}",
        ),
    ]
    header = [
        f"publisher render benchmark, {figures['date']}",
        machine_line(machine),
        f"publisher {machine['publisher']}, mkdocs {machine['mkdocs']}",
        f"corpus: {corpus['path']} (seed {corpus['seed']})",
    ]
    print_report(header, rows, checks)


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(argv, parse_args, benchmark, report)


if __name__ == "__main__":
    sys.exit(main())
