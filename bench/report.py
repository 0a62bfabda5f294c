"""Every benchmark, and one Markdown report of their figures: bench/REPORT.md.

Runs bench/render.py, bench/publish.py, bench/preview.py, bench/startup.py and
bench/scale.py one after the other, each as a subprocess of this interpreter with `--json`,
and writes one report from their figures:

- the date (UTC), the machine, the Python, publisher and mkdocs versions, and the command;
- the side-by-side comparisons: `publisher build` (cold and no-op) against `mkdocs build`,
  the preview's save-to-reload latency against `mkdocs serve`, `publisher publish` against
  the naive delete-and-recreate-everything publisher of bench/publish.py, and a first
  publish at concurrency 1 against concurrency 8;
- one section per benchmark, with the figures and targets it prints itself (taken from its
  own `report`, so the two never disagree; the scale benchmark's figures as one table per
  phase, a row per size and the growth exponents below), then how to reproduce the report.

The report is written only when every benchmark succeeded. If one fails, this exits with
status 1, naming it and showing the end of its error output, and the previous report stays
as it was. A missed target is not a failure (the benchmarks exit 0 then): the report shows
it as MISSED. The figures of the last successful run are kept as JSON in
bench/.work/report/, with run.json saying how they were produced, so the report can be
written again from them with `--from-json` without measuring again.

Run it from the repository root; the full run takes 20 minutes or more:

    .venv/bin/python bench/report.py                                # the full run
    .venv/bin/python bench/report.py --quick --out /tmp/report.md    # smoke run, small corpus
    .venv/bin/python bench/report.py --only render,publish
    .venv/bin/python bench/report.py --from-json bench/.work/report --out /tmp/report.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import patch

from common import BENCH_DIR, Check, Row, machine_line, verdict

ROOT = BENCH_DIR.parent
BENCHES = ("render", "publish", "preview", "startup", "scale", "emulator")
TITLES = {
    "render": "Render and build: `publisher build` vs `mkdocs build`",
    "publish": "Publish: `publisher publish` vs a naive publisher",
    "preview": "Preview: save to reload, `publisher preview` vs `mkdocs serve`",
    "startup": "Start-up: `publisher --help` and `check` as whole processes",
    "scale": "Scale: build, preview and publish as the help center grows",
    "emulator": "Emulator: a page of 100 articles at 1,000 and 10,000 articles",
}
DEFAULT_OUT = BENCH_DIR / "REPORT.md"
KEPT_JSON = BENCH_DIR / ".work" / "report"
RUN_FILE = "run.json"
STDERR_TAIL_LINES = 30

Figures = dict[str, Any]


class ReportError(Exception):
    """A benchmark failed or its figures cannot be read; no report is written."""


@dataclass
class RunInfo:
    """How the figures were produced: kept beside them as run.json."""

    command: str
    quick: bool
    seconds: dict[str, float] = field(default_factory=dict)  # per benchmark, wall time

    def as_dict(self) -> dict[str, Any]:
        return {"command": self.command, "quick": self.quick, "seconds": self.seconds}

    @classmethod
    def read(cls, folder: Path) -> RunInfo | None:
        path = folder / RUN_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["command"]), bool(data["quick"]), dict(data.get("seconds", {})))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ReportError(f"cannot read {path}: {error!r}") from None


@dataclass(frozen=True)
class Run:
    """This report's run: its command, and where its figures came from."""

    command: str
    quick: bool
    info: RunInfo | None  # how the figures were produced, if recorded
    source: Path | None  # the --from-json folder, or None when measured just now


@dataclass(frozen=True)
class Printed:
    """What a benchmark's own `report` prints: header lines, figures and targets."""

    header: list[str]
    rows: list[Row]
    checks: list[Check]


# Running the benchmarks ----------------------------------------------------------------------


def shown(path: Path) -> str:
    """A path as typed from the repository root (symbolic links kept, as in a venv)."""
    full = Path(os.path.abspath(path))
    return str(full.relative_to(ROOT)) if full.is_relative_to(ROOT) else str(path)


def this_command(argv: Sequence[str]) -> str:
    return shlex.join([shown(Path(sys.executable)), shown(Path(__file__).resolve()), *argv])


# Beyond --json and --quick: the preview is also compared with mkdocs' fastest mode.
EXTRA_FLAGS = {"preview": ["--mkdocs-dirty"]}


def bench_command(name: str, json_path: Path, quick: bool) -> list[str]:
    command = [sys.executable, str(BENCH_DIR / f"{name}.py"), *EXTRA_FLAGS.get(name, [])]
    command += ["--json", str(json_path)]
    return [*command, "--quick"] if quick else command


def run_bench(name: str, json_path: Path, quick: bool) -> float:
    """Run one benchmark, its output passing through; its wall time in seconds."""
    command = bench_command(name, json_path, quick)
    print(f"\n=== bench/{name}.py: {shlex.join(shown(Path(part)) for part in command)}", flush=True)
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, stderr=subprocess.PIPE, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0 or not json_path.exists():
        tail = "\n".join(proc.stderr.rstrip().splitlines()[-STDERR_TAIL_LINES:])
        why = f"exited with status {proc.returncode}" if proc.returncode else "wrote no JSON"
        raise ReportError(
            f"bench/{name}.py {why}; the report was not written. "
            f"The end of its error output:\n{tail or '(nothing on stderr)'}"
        )
    if proc.stderr:
        sys.stderr.write(proc.stderr)
    return seconds


def run_all(names: Sequence[str], quick: bool, command: str) -> tuple[Path, RunInfo]:
    """Run the benchmarks into a fresh folder, then keep their figures in bench/.work/report/;
    a failure leaves the figures kept from the last run untouched."""
    info = RunInfo(command, quick)
    with tempfile.TemporaryDirectory(prefix="bench-report-") as scratch:
        for name in names:
            info.seconds[name] = run_bench(name, Path(scratch) / f"{name}.json", quick)
        (Path(scratch) / RUN_FILE).write_text(
            json.dumps(info.as_dict(), indent=2) + "\n", encoding="utf-8"
        )
        if KEPT_JSON.exists():
            shutil.rmtree(KEPT_JSON)
        shutil.copytree(scratch, KEPT_JSON)
    return KEPT_JSON, info


def load_figures(folder: Path, names: Sequence[str]) -> dict[str, Figures]:
    figures = {}
    for name in names:
        path = folder / f"{name}.json"
        try:
            figures[name] = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ReportError(f"cannot read the {name} figures: {error}") from None
        except ValueError as error:
            raise ReportError(f"{path} is not valid JSON: {error}") from None
    return figures


def printed_by(name: str, figures: Figures) -> Printed:
    """Call the benchmark's own `report` on its figures and keep what it would print."""
    module = importlib.import_module(name)
    kept: list[Printed] = []

    def keep(header: Sequence[str], rows: Sequence[Row], checks: Sequence[Check]) -> None:
        kept.append(Printed(list(header), list(rows), list(checks)))

    with patch.object(module, "print_report", keep):
        module.report(figures)
    if len(kept) != 1:
        raise ReportError(f"bench/{name}.py's report printed {len(kept)} tables, not one")
    return kept[0]


# Markdown ------------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str) -> list[str]:
    """A Markdown table; `align` has one letter per column, l(eft) or r(ight)."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    rule = "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"
    return [line(header), rule, *(line(row) for row in rows), ""]


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value:.0f} ms"


def ratio(top: float, bottom: float) -> str:
    if not bottom:
        return "-"
    return f"{top / bottom:.2f}x" if top / bottom < 10 else f"{top / bottom:.1f}x"


def count(value: int) -> str:
    return f"{value:,}"


def elapsed(value: float) -> str:
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def utc(iso: str) -> str:
    when = dt.datetime.fromisoformat(iso).astimezone(dt.UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def runs_of(repeats: int) -> str:
    return "one run" if repeats == 1 else f"median of {repeats} runs"


def corpus_line(corpus: dict[str, Any]) -> str:
    if "sizes" in corpus:  # one corpus per size
        sizes = [count(size) for size in corpus["sizes"]]
        return (
            f"{', '.join(sizes[:-1])} and {sizes[-1]} articles of "
            f"~{count(corpus['words_per_article'])} words in {corpus['groups']} groups"
        )
    return (
        f"{count(corpus['articles'])} articles of ~{count(corpus['words_per_article'])} words "
        f"({count(corpus['words'])} in all) in {corpus['groups']} groups"
    )


# The comparisons -----------------------------------------------------------------------------


def build_vs_mkdocs(f: Figures) -> list[str]:
    mkdocs = f["mkdocs_build_s"]
    rows = [
        (
            "`publisher build`, cold (no render cache)",
            seconds(f["cold_build_s"]),
            ratio(mkdocs, f["cold_build_s"]),
        ),
        (
            "`publisher build`, no-op (nothing changed)",
            seconds(f["noop_build_s"]),
            ratio(mkdocs, f["noop_build_s"]),
        ),
        ("`mkdocs build`", seconds(mkdocs), ratio(mkdocs, mkdocs)),
    ]
    return [
        "### `publisher build` vs `mkdocs build`",
        "",
        f"The same {corpus_line(f['corpus'])}; wall time of the command, end to end, "
        f"{runs_of(f['repeats'])} each. The cold build used {seconds(f['cold_build_cpu_s'])} "
        f"of CPU, {f['cold_build_cpu_per_wall']:.1f}x its wall time.",
        "",
        *table(("command", "wall time", "faster than mkdocs"), rows, "lrr"),
    ]


def preview_vs_mkdocs(f: Figures) -> list[str]:
    ours = f["publisher"]
    servers = [
        ("`publisher preview`", f["saves"], ours),
        ("`mkdocs serve`", f["mkdocs_saves"], f["mkdocs"]),
    ]
    if f.get("mkdocs_dirty"):
        servers.append(("`mkdocs serve --dirty`", f["mkdocs_saves"], f["mkdocs_dirty"]))
    rows = [
        (
            name,
            count(saves),
            ms(measured["median_ms"]),
            ms(measured["p95_ms"]),
            ratio(measured["median_ms"], ours["median_ms"]),
        )
        for name, saves, measured in servers
    ]
    return [
        "### Preview save to reload: `publisher preview` vs `mkdocs serve`",
        "",
        f"From writing an article to the reload signal an open page gets, on the same "
        f"{corpus_line(f['corpus'])}; p95 is nearest rank.",
        "",
        *table(("server", "saves", "median", "p95", "median vs publisher"), rows, "lrrrr"),
    ]


def publish_vs_naive(f: Figures) -> list[str]:
    noop, naive = f["noop_publish"], f["naive_unchanged"]
    first, naive_first = f["first_publish_c8"], f["naive_first_run"]
    rows = [
        (
            "nothing changed: requests",
            count(noop["requests"]),
            count(naive["requests"]),
            ratio(naive["requests"], noop["requests"]),
        ),
        ("nothing changed: writes", count(noop["writes"]), count(naive["writes"]), "-"),
        (
            "nothing changed: wall time",
            seconds(noop["seconds"]),
            seconds(naive["seconds"]),
            ratio(naive["seconds"], noop["seconds"]),
        ),
        (
            "first publish: requests",
            count(first["requests"]),
            count(naive_first["requests"]),
            ratio(naive_first["requests"], first["requests"]),
        ),
        (
            "first publish: wall time",
            seconds(first["seconds"]),
            seconds(naive_first["seconds"]),
            ratio(naive_first["seconds"], first["seconds"]),
        ),
    ]
    return [
        "### `publisher publish` vs the naive publisher",
        "",
        f"{corpus_line(f['corpus'])}, published to the local Plain emulator with "
        f"{f['latency_ms']} ms added to every request, both at concurrency 8. The naive "
        "publisher (in bench/publish.py) deletes every article and group and creates them "
        f"again. Nothing changed: {runs_of(f['repeats'])}; first publish: into an empty help "
        "center.",
        "",
        *table(("", "`publisher publish`", "naive publisher", "naive / publisher"), rows, "lrrr"),
        f"The same no-op through the `publisher publish` command, end to end (process start, "
        f"render from the warm cache): {seconds(f['noop_publish_cli_s'])}.",
        "",
    ]


def concurrency(f: Figures) -> list[str]:
    serial, parallel = f["first_publish_c1"], f["first_publish_c8"]
    rows = [
        (
            f"concurrency {n}",
            seconds(run["seconds"]),
            count(run["requests"]),
            f"{run['requests'] / run['seconds']:.0f}",
            ratio(serial["seconds"], run["seconds"]),
        )
        for n, run in ((1, serial), (8, parallel))
    ]
    return [
        "### Publish at concurrency 1 vs 8",
        "",
        f"First publish of {corpus_line(f['corpus'])} into an empty help center, "
        f"{f['latency_ms']} ms emulator latency per request. Both send many article writes "
        "several to a request, so the time left is mostly what does not run in parallel "
        "(rendering, reading, the navigation).",
        "",
        *table(("", "wall time", "requests", "requests/s", "speed-up"), rows, "lrrrr"),
    ]


COMPARISONS = {
    "render": (build_vs_mkdocs,),
    "publish": (publish_vs_naive, concurrency),
    "preview": (preview_vs_mkdocs,),
    "startup": (),
    "scale": (),
    "emulator": (),
}


# The scale benchmark: a table per phase -------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A figure measured at every size, with its growth exponent below the sizes."""

    header: str
    get: Callable[[Figures], float | None]  # from one size's figures
    shown: Callable[[float], str]


def megabytes(value: float) -> str:
    return f"{value:.0f} MB"


def data_size(value: float) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value:.0f} B"


def number(value: float) -> str:
    return count(round(value))


def of(*path: str) -> Callable[[Figures], float | None]:
    def get(run: Figures) -> float | None:
        value: Any = run
        for key in path:
            value = value[key]
        return None if value is None else float(value)

    return get


def process_columns(phase: str, time_header: str) -> list[Column]:
    return [
        Column(time_header, of(phase, "seconds"), seconds),
        Column("peak memory", of(phase, "peak_mb"), megabytes),
        Column("main process", of(phase, "main_mb"), megabytes),
        Column(
            "largest worker", of(phase, "worker_mb"), lambda mb: megabytes(mb) if mb else "none"
        ),
    ]


def publish_columns(phase: str) -> list[Column]:
    return [
        Column("wall time", of(phase, "seconds"), seconds),
        Column("requests", of(phase, "requests"), number),
        Column("peak memory", of(phase, "peak_mb"), megabytes),
    ]


def phase_table(runs: Sequence[Figures], columns: Sequence[Column]) -> list[str]:
    """A row per size, then the growth exponent of every column from the smallest to the
    largest size and, with more than two sizes, between neighbouring ones."""
    exponent = importlib.import_module("scale").exponent
    sizes = [run["articles"] for run in runs]
    rows = [
        [count(size), *("-" if (v := c.get(run)) is None else c.shown(v) for c in columns)]
        for size, run in zip(sizes, runs, strict=True)
    ]
    last = len(sizes) - 1
    spans = [(0, last)] + ([(i, i + 1) for i in range(last)] if last > 1 else [])
    for a, b in spans:
        exponents = [exponent(sizes[a], sizes[b], c.get(runs[a]), c.get(runs[b])) for c in columns]
        rows.append(
            [
                f"growth exponent {count(sizes[a])}→{count(sizes[b])}",
                *("-" if e is None else f"{e:.2f}" for e in exponents),
            ]
        )
    headers = ("articles", *(column.header for column in columns))
    return table(headers, rows, "l" + "r" * len(columns))


def scale_tables(f: Figures) -> list[str]:
    runs = f["runs"]
    largest_pages = ", ".join(f"{count(run['articles'])}: {run['largest_page']}" for run in runs)
    largest_others = ", ".join(f"{count(run['articles'])}: {run['largest_other']}" for run in runs)
    return [
        "### Build",
        "",
        "`publisher build PROJECT --out DIR`: cold (no cache, no output folder), then again "
        "with nothing changed. Peak memory is the process's `ru_maxrss` from `wait4`, the "
        "larger of the process and its largest render worker; main process and largest worker "
        "are their VmHWM, sampled every 50 ms.",
        "",
        "Cold build:",
        "",
        *phase_table(runs, process_columns("cold_build", "wall time")),
        "No-op build:",
        "",
        *phase_table(runs, process_columns("noop_build", "wall time")),
        "The built site (a page is an index.html; the largest should not grow with the help "
        "center):",
        "",
        *phase_table(
            runs,
            [
                Column("bytes on disk", of("site_bytes"), data_size),
                Column("pages", of("pages"), number),
                Column("largest page", of("largest_page_bytes"), data_size),
                Column("largest article page", of("largest_article_page_bytes"), data_size),
                Column("largest other file", of("largest_other_bytes"), data_size),
            ],
        ),
        f"The largest page at each size: {largest_pages}; the largest other file (not a page: "
        f"shared navigation, styles, images): {largest_others}.",
        "",
        "### Preview",
        "",
        f"`publisher preview PROJECT --port 0` with the cache warm: ready is from starting the "
        f"process to the first page served; then {f['saves']} saves, each to another article, "
        "alternating a plain write and an atomic replace, to the `update` event naming the "
        "page. Peak memory: VmHWM just before it is stopped, and `ru_maxrss` after.",
        "",
        *phase_table(
            runs,
            [
                Column("ready", of("preview", "ready_s"), seconds),
                Column("save → reload median", of("preview", "median_ms"), ms),
                Column("p95", of("preview", "p95_ms"), ms),
                Column("peak memory", of("preview", "peak_mb"), megabytes),
            ],
        ),
        "### Publish",
        "",
        f"`publisher publish PROJECT --yes --concurrency {f['concurrency']}` into an empty help "
        f"center of the local Plain emulator with {f['first_latency_ms']} ms added to every "
        f"request (first publish), then again with nothing changed after restarting the "
        f"emulator on the same database with {f['noop_latency_ms']} ms per request (no-op). "
        "Requests are as the command counts them.",
        "",
        "First publish:",
        "",
        *phase_table(runs, publish_columns("first_publish")),
        "No-op publish:",
        "",
        *phase_table(runs, publish_columns("noop_publish")),
    ]


# Benchmarks whose figures the report shows as their own tables instead of the printed ones.
OWN_TABLES = {"scale": scale_tables}


# The report ----------------------------------------------------------------------------------


def targets_line(checks: Sequence[Check]) -> str:
    missed = sum(1 for _, ok, _ in checks if not ok)
    return f"**MISSED: {missed} of {len(checks)} targets**" if missed else "all targets met"


def bench_section(name: str, f: Figures, printed: Printed, took: float | None) -> list[str]:
    module = importlib.import_module(name)
    summary = " ".join((module.__doc__ or "").split("\n\n")[0].split())
    rows = []
    parent = ""
    for label, value, note in printed.rows:
        if label.startswith(" "):
            label = f"{parent}: {label.strip()}"
        else:
            parent = label
        rows.append((label, value, note))
    checks = [
        (target, verdict(ok) if ok else f"**{verdict(ok)}**", detail)
        for target, ok, detail in printed.checks
    ]
    ran = f" It took {elapsed(took)}." if took is not None else ""
    own = OWN_TABLES.get(name)
    figures = own(f) if own else table(("figure", "value", "note"), rows, "lrl")
    return [
        f"## {TITLES[name]}",
        "",
        f"`bench/{name}.py`: {summary}{ran}",
        "",
        *(f"- {line}" for line in printed.header),
        "",
        *figures,
        *table(("target", "result", "measured"), checks, "lll"),
        targets_line(printed.checks),
        "",
    ]


def measured_dates(figures: dict[str, Figures]) -> str:
    """When the figures were measured: one minute, or a span within a day or across days."""
    dates = sorted(utc(f["date"]) for f in figures.values())
    first, last = dates[0], dates[-1]
    if first == last:
        return first
    if first[:10] == last[:10]:
        return f"{first.removesuffix(' UTC')} to {last[11:]}"
    return f"{first} to {last}"


def versions_line(figures: dict[str, Figures]) -> str:
    """Every version the figures record (Python, publisher, mkdocs), in the order given."""
    versions: dict[str, list[str]] = {}
    for f in figures.values():
        for key, value in f["machine"].items():
            if key not in ("cores", "usable_cores", "platform"):
                seen = versions.setdefault(key, [])
                if value not in seen:
                    seen.append(value)
    names = {"python": "Python"}
    notes = {"mkdocs": " (the baseline, in bench/.venv-mkdocs)"}
    return "versions: " + ", ".join(
        f"{names.get(key, key)} {' / '.join(values)}{notes.get(key, '')}"
        for key, values in versions.items()
    )


def header(
    figures: dict[str, Figures],
    printed: dict[str, Printed],
    run: Run,
) -> list[str]:
    lines = ["# Benchmark report", ""]
    if run.quick:
        lines += [
            "> **Quick smoke run: these are not the real figures.** Every benchmark ran with "
            "`--quick` (a corpus of 100 articles, and one of 300 for the scale benchmark; one "
            "repeat, a few saves) to check that the "
            "benchmarks and this report work. Run `make bench` for the real figures.",
            "",
        ]
    written = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    date = measured_dates(figures)
    if run.source is not None:
        date += f" (this report written {written})"
    machines = dict.fromkeys(machine_line(f["machine"]) for f in figures.values())
    lines += [
        f"- date: {date}",
        *(f"- {line}" for line in machines),
        f"- {versions_line(figures)}",
        f"- command: `{run.command}`",
    ]
    if run.source is not None:
        produced = f"measured by `{run.info.command}`" if run.info else "no run.json says how"
        lines.append(f"- figures read from {shown(run.source)}, {produced}")
    if run.info is not None and run.info.seconds:
        lines.append(f"- the benchmarks took {elapsed(sum(run.info.seconds.values()))} in all")
    left_out = [name for name in BENCHES if name not in figures]
    if left_out:
        lines.append(f"- not in this report: {', '.join(left_out)}")
    summary = [
        (f"bench/{name}.py", corpus_line(figures[name]["corpus"]), targets_line(p.checks))
        for name, p in printed.items()
    ]
    return [*lines, "", *table(("benchmark", "corpus", "targets"), summary, "lll")]


def reproduce(names: Sequence[str], quick: bool) -> list[str]:
    flag = " --quick" if quick else ""
    benches = [
        f".venv/bin/python bench/{name}.py{flag} {' '.join(EXTRA_FLAGS.get(name, []))}"
        f" --json figures-{name}.json".replace("  ", " ")
        for name in names
    ]
    return [
        "## How to reproduce",
        "",
        "From the repository root, on an otherwise idle machine (timings depend on its load). "
        "`make bench` creates `.venv` when missing; mkdocs, the baseline, is installed into "
        "`bench/.venv-mkdocs` on first use. The corpus is generated from a fixed seed, so every "
        "run measures the same files.",
        "",
        "```sh",
        "make bench                          # all benchmarks, then bench/REPORT.md",
        ".venv/bin/python bench/report.py    # the same",
        ".venv/bin/python bench/report.py --quick --out /tmp/report.md   # a smoke run",
        f".venv/bin/python bench/report.py --from-json {shown(KEPT_JSON)}"
        "   # the report again from the last run's figures",
        "```",
        "",
        "Each benchmark also runs on its own, prints the same tables and writes its JSON:",
        "",
        "```sh",
        *benches,
        "```",
        "",
    ]


def build_report(figures: dict[str, Figures], run: Run) -> str:
    printed: dict[str, Printed] = {}
    comparisons: list[str] = []
    sections: list[str] = []
    for name, f in figures.items():
        try:
            printed[name] = printed_by(name, f)
            for compare in COMPARISONS[name]:
                comparisons += compare(f)
            took = run.info.seconds.get(name) if run.info else None
            sections += bench_section(name, f, printed[name], took)
        except KeyError as error:
            raise ReportError(
                f"the {name} figures have no {error}; are they from an older bench/{name}.py?"
            ) from None
        except (TypeError, ValueError, ArithmeticError) as error:
            raise ReportError(f"the {name} figures are malformed: {error!r}") from None
    lines = [
        *header(figures, printed, run),
        "## Comparisons",
        "",
        *comparisons,
        *sections,
        *reproduce(list(figures), run.quick),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


# Main ----------------------------------------------------------------------------------------


def benches(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in BENCHES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(BENCHES)}, got {value!r}"
        )
    return [name for name in BENCHES if name in names]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run every benchmark and write their figures as one Markdown report."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: pass --quick to every benchmark; the report says so at the top "
        "(with --from-json: label the figures as a quick run)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="PATH",
        help=f"the report to write (default {shown(DEFAULT_OUT)})",
    )
    parser.add_argument(
        "--only",
        type=benches,
        metavar="NAMES",
        help=f"comma-separated benchmarks to run (default all: {','.join(BENCHES)})",
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="DIR",
        help="write the report from DIR/<bench>.json without running anything "
        f"(the last run keeps its figures in {shown(KEPT_JSON)})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(given)
    command = this_command(given)
    try:
        if args.from_json:
            folder = args.from_json
            names = args.only or [n for n in BENCHES if (folder / f"{n}.json").exists()]
            if not names:
                raise ReportError(f"no {', '.join(f'{n}.json' for n in BENCHES)} in {folder}")
            info = RunInfo.read(folder)
            run = Run(command, args.quick or bool(info and info.quick), info, folder)
        else:
            names = args.only or list(BENCHES)
            folder, info = run_all(names, args.quick, command)
            run = Run(command, args.quick, info, None)
        report = build_report(load_figures(folder, names), run)
    except ReportError as error:
        print(f"\nreport failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; the report was not written", file=sys.stderr)
        return 130
    write_atomically(args.out, report)
    print(f"\nreport written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
