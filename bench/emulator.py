"""How long the local Plain emulator takes to serve one page of 100 articles, at 1,000 and at
10,000 articles, and how that time grows with the help center.

For each size, a fresh emulator database (a SQLite file under bench/.work/emulator/) gets one
help center with 10 groups and that many articles of about 10 KB of HTML each, created one
by one through the emulator's own write path (`HelpCenterService.upsert_article`, what the
upsert mutation runs, without the GraphQL around it): the fill's wall time and the median
time of one upsert over the first and the last tenth of the articles are reported.

Then a page of 100 articles is read through the emulator's whole application in process
(`create_app`, over httpx's ASGI transport: authentication, the request limits, GraphQL
validation and execution, the JSON answer; no socket), selecting what the publisher selects
of each article. Six pages, each `--repeats` times (30 by default) in interleaved rounds:
forward (`first: 100`) from the start, from the middle and up to the end, and backward
(`last: 100`) from the end, from the middle and down to the start. Reported: median and p95
(nearest rank) in milliseconds, per page and over all six; beside them the same windows
read from the store alone (`Store.articles_page`, the SQL of a page).

The growth of a figure f from size a to size b is the ratio f(b) / f(a) and the exponent
log(f(b) / f(a)) / log(b / a): 1 grows in proportion to the help center, 0 does not grow.

Targets at the largest size (printed as ok or MISSED; a miss still exits 0): a page of 100
articles served in at most 50 ms (median over all six pages), and the median page time
growing at most 1.15x from the smallest to the largest size, over all six pages and for
each of them. Failures of the benchmark itself (an error answer, a page of the wrong size)
exit with status 1.

Run it from the repository root:

    .venv/bin/python bench/emulator.py                 # 1,000 and 10,000 articles
    .venv/bin/python bench/emulator.py --quick         # 200 and 2,000 articles, 10 rounds
    .venv/bin/python bench/emulator.py --sizes 500,5000 --repeats 50 --json figures.json
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

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
    run_main,
)

from publisher.emulator.app import DEFAULT_API_KEY, EmulatorApp, create_app
from publisher.emulator.graphql_endpoint import GRAPHQL_PATH
from publisher.emulator.models import SYSTEM
from publisher.emulator.pagination import encode_cursor, window

WORK_DIR = BENCH_DIR / ".work" / "emulator"
SIZES = (1000, 10_000)
QUICK_SIZES = (200, 2000)
GROUPS = 10
CONTENT_BYTES = 10_000
PAGE_SIZE = 100
REPEATS = 30
QUICK_REPEATS = 10
PAGE_TARGET_MS = 50.0
MAX_GROWTH = 1.15

# The fields the publisher's HelpCenterArticles query reads of each article (its
# ArticleFields), with `last` and `before` so the same query pages backward too.
PAGE_QUERY = """
query Page($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  helpCenter(id: $id) {
    id
    articles(first: $first, after: $after, last: $last, before: $before) {
      edges {
        node {
          id slug title description icon contentHtml status
          articleGroup { id }
          updatedAt { iso8601 }
          updatedBy {
            __typename
            ... on UserActor { userId user { fullName } }
            ... on MachineUserActor { machineUserId }
            ... on SystemActor { systemId }
          }
        }
      }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""

_VOCABULARY = (
    *("account", "billing", "invoice", "export", "report", "webhook", "token", "project"),
    *("member", "role", "workspace", "customer", "thread", "message", "label", "queue"),
    *("priority", "status", "archive", "search", "filter", "setting", "notification"),
    *("integration", "request", "response", "limit", "retry", "error", "page", "guide"),
)


def article_html(rng: random.Random, n: int) -> str:
    """About CONTENT_BYTES of HTML: a heading, then paragraphs of words."""
    parts = [f"<h2>Article {n}</h2>"]
    size = len(parts[0])
    while size < CONTENT_BYTES:
        words = " ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(40, 90)))
        paragraph = f"<p>{words.capitalize()}.</p>"
        parts.append(paragraph)
        size += len(paragraph)
    return "".join(parts)


def positions(ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The six full pages measured, as the connection's arguments."""
    middle = len(ids) // 2
    return {
        "forward from the start": {"first": PAGE_SIZE},
        "forward from the middle": {"first": PAGE_SIZE, "after": encode_cursor(ids[middle - 1])},
        "forward to the end": {"first": PAGE_SIZE, "after": encode_cursor(ids[-PAGE_SIZE - 1])},
        "backward from the end": {"last": PAGE_SIZE},
        "backward from the middle": {"last": PAGE_SIZE, "before": encode_cursor(ids[middle])},
        "backward to the start": {"last": PAGE_SIZE, "before": encode_cursor(ids[PAGE_SIZE])},
    }


def percentile(values: Sequence[float], percent: float) -> float:
    """Nearest rank: the smallest value with at least `percent` % of the values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def spread(samples: Sequence[float]) -> dict[str, Any]:
    return {
        "median_ms": statistics.median(samples),
        "p95_ms": percentile(samples, 95),
        "samples": len(samples),
    }


def fill(app: EmulatorApp, hc_id: str, articles: int, seed: int) -> dict[str, Any]:
    """Groups and articles through the service, timing each upsert; the ids in order."""
    service = app.emulator.service
    rng = random.Random(seed)
    groups = [
        service.create_group(SYSTEM, {"helpCenterId": hc_id, "name": f"Group {n}"}).id
        for n in range(GROUPS)
    ]
    ids: list[str] = []
    upserts: list[float] = []
    content_bytes = 0
    started = time.perf_counter()
    for n in range(articles):
        html = article_html(rng, n)
        content_bytes += len(html)
        began = time.perf_counter()
        article = service.upsert_article(
            SYSTEM,
            {
                "helpCenterId": hc_id,
                "helpCenterArticleGroupId": groups[n % GROUPS],
                "title": f"Article {n}",
                "slug": f"article-{n}",
                "contentHtml": html,
                "status": "PUBLISHED",
            },
        )
        upserts.append((time.perf_counter() - began) * 1000)
        ids.append(article.id)
    tenth = max(1, articles // 10)
    return {
        "ids": ids,
        "fill_s": time.perf_counter() - started,
        "content_bytes": content_bytes // articles,
        "upsert_first_tenth_ms": statistics.median(upserts[:tenth]),
        "upsert_last_tenth_ms": statistics.median(upserts[-tenth:]),
    }


async def measure_pages(
    app: EmulatorApp, hc_id: str, pages: dict[str, dict[str, Any]], repeats: int
) -> dict[str, list[float]]:
    """Each page `repeats` times through the whole application, in interleaved rounds (one
    unmeasured round first, to warm the caches); the wall time of each in ms."""
    samples: dict[str, list[float]] = {name: [] for name in pages}
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as client:
        for round_number in range(repeats + 1):
            for name, arguments in pages.items():
                body = {"query": PAGE_QUERY, "variables": {"id": hc_id, **arguments}}
                began = time.perf_counter()
                response = await client.post(GRAPHQL_PATH, json=body, headers=headers)
                took = (time.perf_counter() - began) * 1000
                check_page(name, response.status_code, response.json())
                if round_number:
                    samples[name].append(took)
    return samples


def check_page(name: str, status: int, payload: Any) -> None:
    if status != 200 or not isinstance(payload, dict) or payload.get("errors"):
        raise BenchError(f"the page {name!r} was answered with HTTP {status}: {payload!r:.300}")
    edges = payload["data"]["helpCenter"]["articles"]["edges"]
    if len(edges) != PAGE_SIZE:
        raise BenchError(f"the page {name!r} has {len(edges)} articles, not {PAGE_SIZE}")


def measure_store(
    app: EmulatorApp, hc_id: str, pages: dict[str, dict[str, Any]], repeats: int
) -> dict[str, list[float]]:
    """The same windows read from the store alone: the SQL of a page and its records."""
    store = app.emulator.store
    samples: dict[str, list[float]] = {name: [] for name in pages}
    for round_number in range(repeats + 1):
        for name, arguments in pages.items():
            asked = window(**arguments)
            began = time.perf_counter()
            found = store.articles_page(hc_id, asked)
            took = (time.perf_counter() - began) * 1000
            if len(found.items) != PAGE_SIZE:
                raise BenchError(f"the store read {len(found.items)} articles for {name!r}")
            if round_number:
                samples[name].append(took)
    return samples


def measure_size(articles: int, args: argparse.Namespace) -> dict[str, Any]:
    path = args.work_dir / f"{articles}.sqlite3"
    for stale in args.work_dir.glob(f"{articles}.sqlite3*"):
        stale.unlink()
    print(f"{articles:,} articles: filling {path} ...", flush=True)
    app = create_app(str(path), help_centers=["Benchmark"])
    try:
        hc_id = app.emulator.help_center_ids["Benchmark"]
        filled = fill(app, hc_id, articles, args.seed)
        pages = positions(filled.pop("ids"))
        print(f"{articles:,} articles: reading pages ...", flush=True)
        served = asyncio.run(measure_pages(app, hc_id, pages, args.repeats))
        read = measure_store(app, hc_id, pages, args.repeats)
    finally:
        app.emulator.store.close()
    return {
        "articles": articles,
        **filled,
        "pages": {name: spread(times) for name, times in served.items()},
        "all_pages": spread([t for times in served.values() for t in times]),
        "store_pages": {name: spread(times) for name, times in read.items()},
        "store_all_pages": spread([t for times in read.values() for t in times]),
    }


def growth_of(
    small: dict[str, Any], large: dict[str, Any], f_small: float, f_large: float
) -> dict[str, float]:
    """The ratio f(large) / f(small) and its exponent over the ratio of the sizes."""
    ratio = f_large / f_small
    sizes = large["articles"] / small["articles"]
    return {"ratio": ratio, "exponent": math.log(ratio) / math.log(sizes)}


def growth(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Median page times from the smallest to the largest size."""
    small, large = runs[0], runs[-1]

    def of(key: str, name: str | None = None) -> dict[str, Any]:
        a = small[key] if name is None else small[key][name]
        b = large[key] if name is None else large[key][name]
        return growth_of(small, large, a["median_ms"], b["median_ms"])

    return {
        "all_pages": of("all_pages"),
        "pages": {name: of("pages", name) for name in small["pages"]},
        "store_all_pages": of("store_all_pages"),
        "upsert": growth_of(
            small, large, small["upsert_last_tenth_ms"], large["upsert_last_tenth_ms"]
        ),
    }


def parse_sizes(value: str) -> list[int]:
    try:
        sizes = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 1000,10000, got {value!r}") from None
    if len(sizes) < 2 or sizes != sorted(set(sizes)) or sizes[0] < 2 * PAGE_SIZE + 2:
        raise argparse.ArgumentTypeError(
            f"need two or more increasing sizes, each {2 * PAGE_SIZE + 2} or more"
        )
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", type=parse_sizes, help="article counts (default 1000,10000; quick 200,2000)"
    )
    parser.add_argument("--repeats", type=int, help=f"rounds of pages (default {REPEATS})")
    parser.add_argument("--quick", action="store_true", help="smoke run: small sizes, 10 rounds")
    add_common_arguments(parser, WORK_DIR)
    args = parser.parse_args(argv)
    args.sizes = args.sizes or list(QUICK_SIZES if args.quick else SIZES)
    args.repeats = args.repeats or (QUICK_REPEATS if args.quick else REPEATS)
    if args.repeats < 1:
        parser.error("need --repeats >= 1")
    return args


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    shutil.rmtree(args.work_dir, ignore_errors=True)
    args.work_dir.mkdir(parents=True)
    runs = [measure_size(articles, args) for articles in args.sizes]
    shutil.rmtree(args.work_dir, ignore_errors=True)  # up to a gigabyte of articles
    content_bytes = runs[-1]["content_bytes"]
    return {
        "date": now(),
        "machine": machine(with_mkdocs=False),
        "corpus": {
            "sizes": args.sizes,
            "groups": GROUPS,
            "content_bytes": content_bytes,
            "words_per_article": content_bytes // 8,  # about 8 bytes a word in this HTML
            "seed": args.seed,
        },
        "page_size": PAGE_SIZE,
        "repeats": args.repeats,
        "runs": runs,
        "growth": growth(runs),
        "targets": {"page_ms": PAGE_TARGET_MS, "max_growth": MAX_GROWTH},
    }


def report(figures: dict[str, Any]) -> None:
    runs, grown, corpus = figures["runs"], figures["growth"], figures["corpus"]
    small, large = runs[0], runs[-1]
    targets = figures["targets"]

    def size(run: dict[str, Any]) -> str:
        return f"{run['articles']:,}"

    def times(entry: dict[str, Any]) -> str:
        return f"{entry['median_ms']:.2f} ms"

    def p95(entry: dict[str, Any]) -> str:
        return f"p95 {entry['p95_ms']:.2f} ms"

    def growth_note(entry: dict[str, Any]) -> str:
        return f"{entry['ratio']:.2f}x, exponent {entry['exponent']:.3f}"

    rows: list[Row] = []
    for run in runs:
        rows.append(
            (
                f"fill {size(run)} articles",
                f"{run['fill_s']:.1f} s",
                f"upsert median {run['upsert_first_tenth_ms']:.2f} ms (first tenth), "
                f"{run['upsert_last_tenth_ms']:.2f} ms (last tenth)",
            )
        )
    for name in small["pages"]:
        for run in (small, large):
            rows.append(
                (f"{name}, {size(run)}", times(run["pages"][name]), p95(run["pages"][name]))
            )
    for run in runs:
        everything = run["all_pages"]
        rows.append((f"all six pages, {size(run)}", times(everything), p95(everything)))
    for run in runs:
        rows.append(
            (
                f"store read alone, {size(run)}",
                times(run["store_all_pages"]),
                p95(run["store_all_pages"]),
            )
        )
    span = f"{size(small)} → {size(large)}"
    rows.append(
        (
            f"page growth {span}",
            f"{grown['all_pages']['ratio']:.2f}x",
            growth_note(grown["all_pages"]),
        )
    )
    rows.append(
        (
            f"store read growth {span}",
            f"{grown['store_all_pages']['ratio']:.2f}x",
            growth_note(grown["store_all_pages"]),
        )
    )
    rows.append(
        (
            f"upsert growth {span}",
            f"{grown['upsert']['ratio']:.2f}x",
            growth_note(grown["upsert"]) + " (last tenth of each fill)",
        )
    )
    worst_name, worst = max(grown["pages"].items(), key=lambda item: item[1]["ratio"])
    page_ms = large["all_pages"]["median_ms"]
    checks: list[Check] = [
        (
            f"page of {figures['page_size']} at {size(large)} ≤ {targets['page_ms']:.0f} ms",
            page_ms <= targets["page_ms"],
            f"median {page_ms:.2f} ms",
        ),
        (
            f"page time growth {span} ≤ {targets['max_growth']}x",
            grown["all_pages"]["ratio"] <= targets["max_growth"],
            growth_note(grown["all_pages"]),
        ),
        (
            f"every page's growth ≤ {targets['max_growth']}x",
            worst["ratio"] <= targets["max_growth"],
            f"worst: {worst_name}, {growth_note(worst)}",
        ),
    ]
    header = [
        f"Emulator: one page of {figures['page_size']} articles, {figures['date']}",
        machine_line(figures["machine"]),
        f"{corpus['groups']} groups, ~{corpus['content_bytes']:,} bytes of HTML per article;"
        f" {figures['repeats']} rounds of six pages, through the whole application in process",
    ]
    print_report(header, rows, checks)


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(argv, parse_args, benchmark, report)


if __name__ == "__main__":
    sys.exit(main())
