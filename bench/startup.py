"""How fast the command line answers: `publisher --help`, `--version` and `check` of the
sample content, each as a whole process, and what `check` loads.

A command that only reads files must not pay for the HTTP, GraphQL and HTML-parsing stack
that `plan` and `publish` need: the command line imports each command only when it runs.

    .venv/bin/python bench/startup.py            # 15 runs of each
    .venv/bin/python bench/startup.py --quick    # 5 runs
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import (
    BENCH_DIR,
    Check,
    Row,
    add_common_arguments,
    machine,
    machine_line,
    now,
    print_report,
    run_main,
)

ROOT = BENCH_DIR.parent
SAMPLE = ROOT / "content"
HELP_TARGET = 0.25  # seconds, median of `publisher --help`
HEAVY = ("httpx", "graphql", "bs4", "markdownify", "rich")


def timed(command: Sequence[str], cwd: Path, runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        walls.append(time.perf_counter() - started)
    return walls


def loaded_by_check(project: Path) -> list[str]:
    code = (
        "import sys\nfrom publisher.cli import main\n"
        "try:\n    main(['check'])\nexcept SystemExit:\n    pass\n"
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def sample_corpus() -> dict[str, int]:
    """The sample content, described as the other benchmarks describe their corpus."""
    articles = sorted(SAMPLE.rglob("*.md"))
    words = sum(len(path.read_text(encoding="utf-8").split()) for path in articles)
    groups = sum(1 for path in SAMPLE.rglob("*") if path.is_dir() and any(path.rglob("*.md")))
    return {
        "articles": len(articles),
        "words": words,
        "words_per_article": words // max(1, len(articles)),
        "groups": groups,
    }


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, BENCH_DIR / ".work" / "startup")
    parser.add_argument("--quick", action="store_true", help="5 runs instead of 15")
    return parser.parse_args(argv)


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    runs = 5 if args.quick else 15
    project = args.work_dir
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(SAMPLE, project / "content")
    exe = str(Path(sys.executable).parent / "publisher")
    subprocess.run([exe, "check"], cwd=project, capture_output=True, check=False)  # warm cache
    return {
        "date": now(),
        "machine": machine(with_mkdocs=False),
        "corpus": sample_corpus(),
        "runs": runs,
        "help": timed([exe, "--help"], project, runs),
        "version": timed([exe, "--version"], project, runs),
        "check": timed([exe, "check"], project, runs),
        "check_loads": loaded_by_check(project),
    }


def report(figures: dict[str, Any]) -> None:
    def spread(name: str) -> str:
        walls = figures[name]
        return f"{statistics.median(walls):.3f} s"

    def note(name: str) -> str:
        walls = figures[name]
        return f"min {min(walls):.3f} s, max {max(walls):.3f} s over {len(walls)} runs"

    rows: list[Row] = [
        ("publisher --help", spread("help"), note("help")),
        ("publisher --version", spread("version"), note("version")),
        ("publisher check (sample, warm cache)", spread("check"), note("check")),
        ("heavy modules `check` loads", " ".join(figures["check_loads"]) or "none", ""),
    ]
    help_median = statistics.median(figures["help"])
    checks: list[Check] = [
        (f"--help median ≤ {HELP_TARGET} s", help_median <= HELP_TARGET, f"{help_median:.3f} s"),
        ("check loads no HTTP, GraphQL or HTML parser", not figures["check_loads"], ""),
    ]
    print_report(["Start-up of the command line", machine_line(figures["machine"])], rows, checks)


def main(argv: Sequence[str] | None = None) -> int:
    return run_main(argv, parse_args, benchmark, report)


if __name__ == "__main__":
    sys.exit(main())
