"""Publishing speed and request economy of `publisher publish`, against a naive publisher.

Generates a deterministic synthetic help center (see bench/corpus.py; by default 1,000
articles of about 300 words in 10 groups, one nested) under bench/.work/publish/, renders
it once with `compile_project`, starts one local Plain emulator (`publisher emulator
--latency-ms 20`, every GraphQL request delayed by 20 ms) with one empty help center per
measurement, and then measures, through the library (`publish(client, site, hc,
PublishOptions(concurrency=N))`, a fresh `PlainClient` each time):

- (a) first publish: wall time of publishing everything into an empty help center at
  concurrency 1 and at concurrency 8 (each into its own help center), and their ratio;
- (b) no-op publish: wall time of publishing the same content again to the concurrency-8
  help center, where nothing changed (median of the repeats), plus the same no-op as the
  `publisher publish` command end to end (process start, render from the warm cache);
- (c) the no-op publish's requests, by operation, and how many were writes (operations
  named Upsert*, Delete*, Create*, Update*), against the targets: at most
  ceil(articles / 100) + ceil(groups / 100) + 3 requests, in at most
  max(ceil(articles / 200), ceil(groups / 200)) + 1 sequential rounds, all reads, and zero
  writes. The help center is read with the index, the groups and the articles side by side
  and each connection from both ends (`first`/`after` and `last`/`before`) until the two
  walks meet: a connection of N items whose count the content predicts takes
  ceil(N / 100) requests, one more when the walks end side by side (nothing overlaps to
  show they met), in ceil(N / 200) rounds (one more likewise); the index takes one. Each
  round sends exactly one forward request, so the rounds are the larger of the
  HelpCenterArticles and HelpCenterArticleGroups counts;
- (d) a naive publisher written here: read the help center, delete every article and
  group, create every group and article again (concurrency 8) and write the index. It is
  run once to fill its own help center, then again with nothing changed (the measured
  runs): its request count and wall time, to compare with the no-op publish.

After the measured runs, both our concurrency-8 help center and the naive one are planned
again with `read_and_plan`: each must show no change, or the benchmark fails.

Targets (printed as ok or MISSED; a miss still exits 0): the no-op request bound and zero
writes above; a first publish at concurrency 8 at least 4x faster than writing one article
per request, one request at a time, could ever be (N articles x the latency: half of the
ideal 8x of concurrency alone; many writes now go several to a request, so concurrency 1 is
itself far faster than that, and the c=8 / c=1 ratio is shown for information); and a no-op
publish that sends fewer requests and takes less time than the naive publisher. Failures of
the benchmark itself (the content has errors, the emulator does not start, a publish fails)
exit with status 1.

Run it from the repository root:

    .venv/bin/python bench/publish.py                    # the full run, 1,000 articles
    .venv/bin/python bench/publish.py --quick            # 100 articles, one repeat
    .venv/bin/python bench/publish.py --articles 500 --latency-ms 50 --json figures.json
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from common import (
    BENCH_DIR,
    BenchError,
    add_common_arguments,
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
from publisher.content.model import Article, Group
from publisher.emulator.launch import EmulatorStartError, RunningEmulator, start_emulator
from publisher.pipeline import compile_project
from publisher.plain import IndexEntry, PlainClient, PlainError
from publisher.render.markdown import ImageRef
from publisher.site.compiler import CompiledSite
from publisher.sync.apply import PublishError
from publisher.sync.navigation import IndexConflictError
from publisher.sync.publish import PublishOptions, PublishOutcome, publish, read_and_plan

T = TypeVar("T")

WORK_DIR = BENCH_DIR / ".work" / "publish"

WRITE_PREFIXES = ("Upsert", "Delete", "Create", "Update")
PAGE_SIZE = 100
MIN_SPEEDUP = 4.0  # first publish at concurrency 8 over one article per request, in turn
NAIVE_CONCURRENCY = 8
START_TIMEOUT = 30.0

# One empty help center per measurement, all in one emulator.
HC_SERIAL = "bench-c1"
HC_CONCURRENT = "bench-c8"
HC_NAIVE = "bench-naive"


# The emulator -----------------------------------------------------------------------------


def start_bench_emulator(
    latency_ms: int, help_centers: Sequence[str], log_path: Path
) -> RunningEmulator:
    """The local Plain emulator on a free port, with one empty help center per name."""
    args = ["--port", "0", "--latency-ms", str(latency_ms)]
    for name in help_centers:
        args += ["--help-center", name]
    try:
        emulator = start_emulator(args, log_path, timeout=START_TIMEOUT)
    except EmulatorStartError as error:
        raise BenchError(str(error)) from None
    missing = [name for name in help_centers if name not in emulator.help_center_ids]
    if not emulator.url or not emulator.api_keys or missing:
        emulator.stop()
        raise BenchError(f"the emulator did not announce its URL, key or {missing}")
    return emulator


# Measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    """One publish (ours or the naive one): wall time and the requests it sent."""

    seconds: float
    requests: int
    by_operation: dict[str, int]

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.by_operation.items() if op.startswith(WRITE_PREFIXES))

    @property
    def reads(self) -> int:
        return self.requests - self.writes


def measure(emulator: RunningEmulator, work: Callable[[PlainClient], T]) -> tuple[Measured, T]:
    """Run `work` with a fresh client (its own connection pool) and count what it sent."""
    with PlainClient(emulator.url, emulator.api_keys[0]) as client:
        started = time.perf_counter()
        result = work(client)
        seconds = time.perf_counter() - started
        stats = Measured(seconds, client.stats.requests, client.stats.by_operation())
        return stats, result


def our_publish(
    site: CompiledSite, help_center_id: str, concurrency: int
) -> Callable[[PlainClient], PublishOutcome]:
    def work(client: PlainClient) -> PublishOutcome:
        return publish(client, site, help_center_id, PublishOptions(concurrency=concurrency))

    return work


def median_of(runs: Sequence[Measured]) -> Measured:
    """The run with the median wall time (the lower middle one for an even count)."""
    ordered = sorted(runs, key=lambda run: run.seconds)
    return ordered[(len(ordered) - 1) // 2]


def assert_in_sync(
    emulator: RunningEmulator, site: CompiledSite, help_center_id: str, who: str
) -> None:
    """The help center must match the content exactly: a plan with nothing to do."""
    with PlainClient(emulator.url, emulator.api_keys[0]) as client:
        plan, _ = read_and_plan(client, site, help_center_id)
    if plan.has_changes or plan.orphan_articles or plan.orphan_groups:
        raise BenchError(
            f"after the {who} the help center does not match the content: "
            f"{plan.count('create')} to create, {plan.count('update')} to update, "
            f"{len(plan.orphan_articles)} orphan articles, navigation changed: {plan.nav_changed}"
        )


# The naive publisher ----------------------------------------------------------------------


def run_all(items: Iterable[T], work: Callable[[T], object], concurrency: int) -> None:
    pending = list(items)
    if concurrency <= 1 or len(pending) <= 1:
        for item in pending:
            work(item)
        return
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for _ in pool.map(work, pending):  # re-raises the first failure
            pass


def group_depth(group: Group) -> int:
    depth = 0
    parent = group.parent
    while parent is not None:
        depth += 1
        parent = parent.parent
    return depth


def no_images(image: ImageRef) -> str:
    raise BenchError(f"the naive publisher does not upload images ({image.target})")


def naive_publish(
    client: PlainClient, site: CompiledSite, help_center_id: str, concurrency: int
) -> None:
    """Replace the help center wholesale: delete everything, create everything, write the
    index. No comparison, no reuse; every run costs the same."""
    hc = help_center_id
    remote_articles = client.list_articles(hc)
    remote_groups = client.list_groups(hc)
    run_all(
        remote_articles,
        lambda article: client.delete_article(article.id, missing_ok=True),
        concurrency,
    )
    parents = {group.id: group.parent_id for group in remote_groups}

    def remote_depth(group_id: str) -> int:
        depth, parent = 0, parents.get(group_id)
        while parent is not None:
            depth, parent = depth + 1, parents.get(parent)
        return depth

    by_depth: dict[int, list[str]] = {}
    for remote in remote_groups:
        by_depth.setdefault(remote_depth(remote.id), []).append(remote.id)
    for depth in sorted(by_depth, reverse=True):  # children before parents
        run_all(
            by_depth[depth],
            lambda group_id: client.delete_group(group_id, missing_ok=True),
            concurrency,
        )

    nodes = site.content.walk()
    ids: dict[tuple[str, str], str] = {}
    lock = threading.Lock()
    levels: dict[int, list[Group]] = {}
    for node in nodes:
        if isinstance(node, Group):
            levels.setdefault(group_depth(node), []).append(node)

    def create_group(group: Group) -> None:
        parent_id = ids[("group", group.parent.slug)] if group.parent else None
        made = client.create_group(hc, name=group.name, slug=group.slug, parent_id=parent_id)
        with lock:
            ids[("group", group.slug)] = made.id

    for depth in sorted(levels):  # parents before children
        run_all(levels[depth], create_group, concurrency)

    def create_article(article: Article) -> None:
        made = client.upsert_article(
            hc,
            group_id=ids[("group", article.group.slug)] if article.group else None,
            title=article.title,
            description=article.description,
            icon=article.icon,
            content_html=site.article_html(article, no_images),
            slug=article.slug,
            status="DRAFT" if article.status == "draft" else "PUBLISHED",
        )
        with lock:
            ids[("article", article.slug)] = made.id

    run_all([node for node in nodes if isinstance(node, Article)], create_article, concurrency)

    entries = []
    for node in nodes:
        if isinstance(node, Group):
            key, parent = ("group", node.slug), node.parent
        else:
            key, parent = ("article", node.slug), node.group
        entries.append(
            IndexEntry(
                "ARTICLE_GROUP" if isinstance(node, Group) else "ARTICLE",
                ids[key],
                ids[("group", parent.slug)] if parent else None,
            )
        )
    current = client.get_index(hc)
    client.update_index(hc, hash=current.hash, entries=entries)


# The run ----------------------------------------------------------------------------------


def prepare_project(project: Path, spec: CorpusSpec) -> Corpus:
    state = project / ".publisher"  # render cache and upload cache of earlier runs
    if state.exists():
        shutil.rmtree(state)
    write_project_config(project, mkdocs=False)
    return write_corpus(project / "content", spec)


def render(project: Path) -> tuple[CompiledSite, float]:
    started = time.perf_counter()
    compiled = compile_project(load_settings(project))
    seconds = time.perf_counter() - started
    if compiled.errors:
        shown = "\n".join(problem.format(project) for problem in compiled.errors[:10])
        raise BenchError(f"the generated content has {len(compiled.errors)} errors:\n{shown}")
    return compiled.site, seconds


def cli_noop(
    publisher: Path, project: Path, emulator: RunningEmulator, help_center_id: str
) -> float:
    """`publisher publish` as a user runs it, end to end, with nothing to change."""
    env = {
        **os.environ,
        "PLAIN_API_KEY": emulator.api_keys[0],
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": help_center_id,
    }
    command = [str(publisher), "publish", str(project), "--concurrency", "8"]
    started = time.perf_counter()
    proc = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise BenchError(f"`{' '.join(command)}` exited with {proc.returncode}\n{proc.stderr}")
    return seconds


def check_first_publish(outcome: PublishOutcome, articles: int, groups: int, who: str) -> None:
    applied = outcome.applied
    if applied is None or len(applied.created) != articles or applied.updated:
        made = len(applied.created) if applied else 0
        raise BenchError(f"the {who} created {made} of {articles} articles")
    if len(applied.groups_created) != groups or not applied.index_written:
        raise BenchError(
            f"the {who} created {len(applied.groups_created)} of {groups} groups "
            f"(index written: {applied.index_written})"
        )


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    project = args.work_dir.resolve()
    publisher = publisher_command()
    spec = CorpusSpec(args.articles, args.words, args.seed)

    print(f"generating {args.articles} articles of ~{args.words} words in {project} ...")
    corpus = prepare_project(project, spec)
    site, render_seconds = render(project)
    articles, groups = len(site.content.articles), len(site.content.groups)
    if articles != len(corpus.articles):
        raise BenchError(f"rendered {articles} articles of {len(corpus.articles)} generated")
    print(f"rendered {articles} articles in {groups} groups in {render_seconds:.1f}s", flush=True)

    log_path = project / "emulator.log"
    emulator = start_bench_emulator(args.latency_ms, (HC_SERIAL, HC_CONCURRENT, HC_NAIVE), log_path)
    try:
        hc = emulator.help_center_ids
        print(f"emulator at {emulator.url}, latency {args.latency_ms} ms", flush=True)

        print("first publish, concurrency 1 ...", flush=True)
        serial, outcome = measure(emulator, our_publish(site, hc[HC_SERIAL], 1))
        check_first_publish(outcome, articles, groups, "first publish at concurrency 1")

        print("first publish, concurrency 8 ...", flush=True)
        concurrent, outcome = measure(emulator, our_publish(site, hc[HC_CONCURRENT], 8))
        check_first_publish(outcome, articles, groups, "first publish at concurrency 8")

        print(f"no-op publish x{args.repeats} ...", flush=True)
        noop_runs = [
            measure(emulator, our_publish(site, hc[HC_CONCURRENT], 8))[0]
            for _ in range(args.repeats)
        ]
        assert_in_sync(emulator, site, hc[HC_CONCURRENT], "publishes")

        print("no-op publish through the command line ...", flush=True)
        cli_seconds = cli_noop(publisher, project, emulator, hc[HC_CONCURRENT])

        def naive(client: PlainClient) -> None:
            naive_publish(client, site, hc[HC_NAIVE], NAIVE_CONCURRENCY)

        print("naive publisher: first run (fills its help center) ...", flush=True)
        naive_first, _ = measure(emulator, naive)
        print(f"naive publisher: unchanged runs x{args.repeats} ...", flush=True)
        naive_runs = [measure(emulator, naive)[0] for _ in range(args.repeats)]
        assert_in_sync(emulator, site, hc[HC_NAIVE], "naive publisher")
    finally:
        emulator.stop()

    noop = median_of(noop_runs)
    naive_again = median_of(naive_runs)
    speedup = serial.seconds / concurrent.seconds
    # One article per request, one request at a time, takes at least the latency per article.
    one_by_one_floor = articles * args.latency_ms / 1000
    speedup_over_one_by_one = one_by_one_floor / concurrent.seconds
    # Each connection costs at most one request beyond its pages (see the docstring), and
    # the index one: two connections, one index.
    read_bound = math.ceil(articles / PAGE_SIZE) + math.ceil(groups / PAGE_SIZE) + 3
    rounds_bound = max(
        math.ceil(articles / (2 * PAGE_SIZE)), math.ceil(groups / (2 * PAGE_SIZE)), 1
    )
    rounds_bound += 1
    noop_worst_requests = max(run.requests for run in noop_runs)
    noop_worst_rounds = max(read_rounds(run) for run in noop_runs)
    noop_worst_writes = max(run.writes for run in noop_runs)
    return {
        "date": now(),
        "machine": machine(with_mkdocs=False),
        "corpus": {
            "articles": articles,
            "groups": groups,
            "words": corpus.words,
            "words_per_article": args.words,
            "seed": args.seed,
            "path": str(corpus.root),
        },
        "latency_ms": args.latency_ms,
        "repeats": args.repeats,
        "render_s": render_seconds,
        "first_publish_c1": _measured(serial),
        "first_publish_c8": _measured(concurrent),
        "speedup_c8_over_c1": speedup,
        "one_by_one_floor_s": one_by_one_floor,
        "speedup_over_one_by_one": speedup_over_one_by_one,
        "noop_publish": _measured(noop),
        "noop_publish_runs": [_measured(run) for run in noop_runs],
        "noop_publish_cli_s": cli_seconds,
        "noop_request_bound": read_bound,
        "noop_round_bound": rounds_bound,
        "noop_rounds": noop_worst_rounds,
        "naive_first_run": _measured(naive_first),
        "naive_unchanged": _measured(naive_again),
        "naive_unchanged_runs": [_measured(run) for run in naive_runs],
        "naive_over_noop_time": naive_again.seconds / noop.seconds,
        "naive_over_noop_requests": naive_again.requests / max(noop.requests, 1),
        "targets": {
            "speedup_at_least_4x": speedup_over_one_by_one >= MIN_SPEEDUP,
            "noop_requests_within_bound": noop_worst_requests <= read_bound,
            "noop_rounds_within_bound": noop_worst_rounds <= rounds_bound,
            "noop_zero_writes": noop_worst_writes == 0,
            "noop_fewer_requests_than_naive": noop.requests < naive_again.requests,
            "noop_faster_than_naive": noop.seconds < naive_again.seconds,
        },
    }


def read_rounds(run: Measured) -> int:
    """Sequential rounds of a read: every round asks each connection forward once."""
    ops = run.by_operation
    return max(ops.get("HelpCenterArticles", 0), ops.get("HelpCenterArticleGroups", 0), 1)


def _measured(run: Measured) -> dict[str, Any]:
    return {
        "seconds": run.seconds,
        "requests": run.requests,
        "reads": run.reads,
        "writes": run.writes,
        "by_operation": dict(sorted(run.by_operation.items())),
    }


# Reporting --------------------------------------------------------------------------------


def report(figures: dict[str, Any]) -> None:
    machine, corpus, targets = figures["machine"], figures["corpus"], figures["targets"]
    c1, c8 = figures["first_publish_c1"], figures["first_publish_c8"]
    noop, naive = figures["noop_publish"], figures["naive_unchanged"]
    naive_first = figures["naive_first_run"]
    repeats = figures["repeats"]
    median = f"median of {repeats}" if repeats > 1 else "one run"

    def runs(name: str) -> str:
        return ", ".join(f"{run['seconds']:.2f}" for run in figures[name])

    def ops(run: dict[str, Any]) -> str:
        return ", ".join(f"{op} {n}" for op, n in run["by_operation"].items())

    def requests(run: dict[str, Any]) -> str:
        return f"{run['requests']:,} ({run['reads']:,} reads, {run['writes']:,} writes)"

    rows = [
        ("articles", f"{corpus['articles']:,}", f"{corpus['groups']} groups"),
        ("words", f"{corpus['words']:,}", f"~{corpus['words_per_article']:,} per article"),
        ("render (once)", f"{figures['render_s']:.2f} s", "compile_project, cold cache"),
        ("first publish c=1", f"{c1['seconds']:.2f} s", f"{requests(c1)} requests"),
        ("first publish c=8", f"{c8['seconds']:.2f} s", f"{requests(c8)} requests"),
        ("speedup c=8 / c=1", f"{figures['speedup_c8_over_c1']:.2f}x", "both batch their writes"),
        (
            "no-op publish",
            f"{noop['seconds']:.2f} s",
            f"{median}; runs {runs('noop_publish_runs')}",
        ),
        ("  requests", f"{noop['requests']:,}", f"{noop['writes']} writes; {ops(noop)}"),
        (
            "  via the CLI",
            f"{figures['noop_publish_cli_s']:.2f} s",
            "`publisher publish`, end to end, render cache warm",
        ),
        (
            "naive, first run",
            f"{naive_first['seconds']:.2f} s",
            f"{requests(naive_first)} requests, into an empty help center",
        ),
        (
            "naive, unchanged",
            f"{naive['seconds']:.2f} s",
            f"{median}; runs {runs('naive_unchanged_runs')}",
        ),
        ("  requests", f"{naive['requests']:,}", f"{naive['writes']:,} writes; {ops(naive)}"),
        (
            "naive / no-op",
            f"{figures['naive_over_noop_time']:.1f}x",
            f"time; {figures['naive_over_noop_requests']:.1f}x requests",
        ),
    ]
    bound = figures["noop_request_bound"]
    if "speedup_over_one_by_one" in figures:
        floor = figures["one_by_one_floor_s"]
        speed = (
            f"first publish c=8 >= {MIN_SPEEDUP:g}x faster than one article per request in "
            f"turn (>= {floor:.1f} s)",
            targets["speedup_at_least_4x"],
            f"{figures['speedup_over_one_by_one']:.2f}x",
        )
    else:  # figures recorded before writes were batched
        speed = (
            f"first publish c=8 >= {MIN_SPEEDUP:g}x faster than c=1",
            targets["speedup_at_least_4x"],
            f"{figures['speedup_c8_over_c1']:.2f}x",
        )
    checks = [
        speed,
        (
            f"no-op requests <= ceil(N/100) + group pages + 3 = {bound}",
            targets["noop_requests_within_bound"],
            f"{max(run['requests'] for run in figures['noop_publish_runs'])} (worst run)",
        ),
    ]
    if "noop_round_bound" in figures:  # figures recorded before reads went both ways lack it
        checks.append(
            (
                f"no-op sequential rounds <= ceil(N/200) + 1 = {figures['noop_round_bound']}",
                targets["noop_rounds_within_bound"],
                f"{figures['noop_rounds']} (worst run; forward only would take "
                f"{math.ceil(corpus['articles'] / PAGE_SIZE)})",
            )
        )
    checks += [
        (
            "no-op writes = 0",
            targets["noop_zero_writes"],
            f"{max(run['writes'] for run in figures['noop_publish_runs'])} (worst run)",
        ),
        (
            "no-op sends fewer requests than naive",
            targets["noop_fewer_requests_than_naive"],
            f"{noop['requests']:,} vs {naive['requests']:,}",
        ),
        (
            "no-op is faster than naive",
            targets["noop_faster_than_naive"],
            f"{noop['seconds']:.2f} s vs {naive['seconds']:.2f} s",
        ),
    ]
    header = [
        f"publisher publish benchmark, {figures['date']}",
        machine_line(machine),
        f"publisher {machine['publisher']}; emulator latency {figures['latency_ms']} ms "
        f"per request; naive publisher at concurrency {NAIVE_CONCURRENCY}",
        f"corpus: {corpus['path']} (seed {corpus['seed']})",
    ]
    print_report(header, rows, checks)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure publish times and request counts against a naive publisher."
    )
    parser.add_argument("--articles", type=int, help="articles to generate (default 1000)")
    parser.add_argument("--words", type=int, default=300, help="words per article (default 300)")
    parser.add_argument(
        "--latency-ms", type=int, default=20, help="emulator delay per request (default 20)"
    )
    parser.add_argument("--repeats", type=int, help="no-op and naive runs (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 articles, one repeat")
    add_common_arguments(parser, WORK_DIR)
    args = parser.parse_args(argv)
    args.articles = args.articles or (100 if args.quick else 1000)
    args.repeats = args.repeats or (1 if args.quick else 3)
    if args.articles < 2 or args.words < 100 or args.repeats < 1 or args.latency_ms < 0:
        parser.error("need --articles >= 2, --words >= 100, --repeats >= 1, --latency-ms >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(
        argv,
        parse_args,
        benchmark,
        report,
        (BenchError, PlainError, PublishError, IndexConflictError),
    )


if __name__ == "__main__":
    sys.exit(main())
