"""What the benchmarks share: the bench folders, the mkdocs baseline, the machine line,
the printed report and the `main` that writes figures as JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from corpus import DEFAULT_SEED

import publisher

BENCH_DIR = Path(__file__).resolve().parent
MKDOCS_VENV = BENCH_DIR / ".venv-mkdocs"
# The Markdown features the corpus uses, so mkdocs does comparable work.
MKDOCS_EXTENSIONS = ("tables", "admonition", "fenced_code", "toc", "footnotes", "def_list")

Row = tuple[str, str, str]  # name, value, note
Check = tuple[str, bool, str]  # target, met, detail


class BenchError(Exception):
    """The benchmark cannot go on: its input, a server or a measured command is broken."""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def publisher_command() -> Path:
    beside = Path(sys.executable).parent / "publisher"
    found = beside if beside.exists() else shutil.which("publisher")
    if found is None:
        raise BenchError("the `publisher` command is not installed in this environment")
    return Path(found)


def write_project_config(project: Path, *, mkdocs: bool) -> None:
    """A publisher.toml (and an mkdocs.yml for the same content) in the bench project."""
    project.mkdir(parents=True, exist_ok=True)
    (project / "publisher.toml").write_text(
        'content = "content"\nsite_name = "Benchmark help center"\n', encoding="utf-8"
    )
    if mkdocs:
        extensions = "".join(f"  - {name}\n" for name in MKDOCS_EXTENSIONS)
        (project / "mkdocs.yml").write_text(
            "site_name: Benchmark help center\ndocs_dir: content\n"
            f"markdown_extensions:\n{extensions}",
            encoding="utf-8",
        )


def ensure_mkdocs() -> Path:
    """mkdocs in the bench's own venv: a baseline to measure against, not a dependency."""
    mkdocs = MKDOCS_VENV / "bin" / "mkdocs"
    if not mkdocs.exists():
        print(f"installing mkdocs into {MKDOCS_VENV} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(MKDOCS_VENV)], check=True)
        subprocess.run(
            [str(MKDOCS_VENV / "bin" / "python"), "-m", "pip", "install", "-q", "mkdocs"],
            check=True,
        )
    return mkdocs


def mkdocs_version() -> str:
    proc = subprocess.run(
        [str(MKDOCS_VENV / "bin" / "python"), "-c", "import mkdocs; print(mkdocs.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() or "unknown"


def machine(*, with_mkdocs: bool) -> dict[str, Any]:
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "publisher": publisher.__version__,
    }
    if with_mkdocs:
        info["mkdocs"] = mkdocs_version()
    return info


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_report(header: Sequence[str], rows: Sequence[Row], checks: Sequence[Check]) -> None:
    """The header lines, the figures as an aligned table, then each target met or MISSED."""
    print()
    for line in header:
        print(line)
    print()
    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>{value_width}}  {note}".rstrip())
    print()
    target_width = max(len(name) for name, _, _ in checks)
    for name, ok, detail in checks:
        print(f"  {name:<{target_width}}  {verdict(ok):<6}  {detail}")
    missed = [name for name, ok, _ in checks if not ok]
    print()
    print(f"MISSED: {len(missed)} of {len(checks)} targets" if missed else "all targets met")


def machine_line(info: dict[str, Any]) -> str:
    return (
        f"machine: {info['cores']} cores ({info['usable_cores']} usable), "
        f"Python {info['python']}, {info['platform']}"
    )


def add_common_arguments(parser: argparse.ArgumentParser, work_dir: Path) -> None:
    """--seed, --json and --work-dir, which every benchmark takes."""
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="corpus seed")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write figures as JSON")
    parser.add_argument(
        "--work-dir", type=Path, default=work_dir, help=f"benchmark project (default {work_dir})"
    )


def run_main(
    argv: Sequence[str] | None,
    parse_args: Callable[[Sequence[str] | None], argparse.Namespace],
    benchmark: Callable[[argparse.Namespace], dict[str, Any]],
    report: Callable[[dict[str, Any]], None],
    failures: tuple[type[Exception], ...] = (BenchError,),
) -> int:
    """Measure, print, and write the figures as JSON with `--json PATH`; 1 if it broke."""
    args = parse_args(argv)
    try:
        figures = benchmark(args)
    except failures as exc:
        print(f"benchmark failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    report(figures)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0
