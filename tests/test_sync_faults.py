"""Publishing through trouble: injected faults at 20% and 50%, responses lost after commit,
the emulator restarting mid-publish, two publishes at once, and a SIGKILL at every phase
boundary. After each, one clean re-run must reach exactly the content (nothing left to
change, nothing duplicated) and another writer's hand-made entries must still be in the
navigation where that writer put them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Emulator, EmulatorFactory
from content_factory import PNG, article, write_tree

from publisher.config import load_settings
from publisher.pipeline import compile_project
from publisher.plain import PlainClient, PlainError, RetryPolicy
from publisher.site.compiler import CompiledSite
from publisher.sync.apply import PublishError
from publisher.sync.navigation import IndexConflictError, tree_order
from publisher.sync.publish import PublishOptions, publish, read_and_plan

pytestmark = pytest.mark.slow

FAST_RETRIES = RetryPolicy(max_attempts=10, initial_backoff=0.01, max_backoff=0.2, max_total=60)
FEW_RETRIES = RetryPolicy(max_attempts=5, initial_backoff=0.01, max_backoff=0.05, max_total=10)
CLI_TIMEOUT = 120

Placement = dict[str, str | None]  # entity id -> parent id in the navigation


def many_articles(count: int, prefix: str = "page", images: int = 3) -> dict[str, str | bytes]:
    """`count` articles in six groups (some nested), every fifth showing one of `images`."""
    files: dict[str, str | bytes] = {}
    for i in range(images):
        files[f"images/{prefix}-shot-{i}.png"] = PNG + prefix.encode() + bytes([i])
    for i in range(count):
        group = f"{i % 6:02d}-{prefix}-section-{i % 6}"
        if i % 7 == 0:
            group += f"/{prefix}-nested-{i % 6}"
        depth = group.count("/") + 1
        body = f"## Part {i}\n\nText of {prefix} {i}."
        if images and i % 5 == 0:
            body += f"\n\n![shot]({'../' * depth}images/{prefix}-shot-{i % images}.png)"
        files[f"{group}/{i:03d}-{prefix}.md"] = article(
            f"{prefix.title()} {i}", body, slug=f"{prefix}-{i}"
        )
    return files


def add_other_writer(emulator: Emulator) -> Placement:
    """Entries made by hand in Plain, which no content folder manages."""
    group = emulator.create_group("Partner notes", slug="partner-notes")
    emulator.upsert_article(
        title="Partner FAQ", slug="partner-faq", helpCenterArticleGroupId=group["id"]
    )
    emulator.upsert_article(title="Status page", slug="status-page")
    return {entry["id"]: entry["parentId"] for entry in emulator.index()["navIndex"]}


def compiled(project: Path) -> CompiledSite:
    result = compile_project(load_settings(project), use_cache=False, workers=1)
    assert result.errors == []
    return result.site


def assert_converged(
    emulator: Emulator, projects: list[Path], other: Placement, *, shared_root: bool = False
) -> None:
    """Each project's content is there exactly once, a fresh plan has nothing to do, and
    the other writer's entries keep their places. With `shared_root` (two projects in one
    help center) each wants its own entries first, so only its own order is compared."""
    with PlainClient(emulator.url, emulator.api_key, retry=FAST_RETRIES) as client:
        articles = client.list_articles(emulator.help_center_id)
        groups = client.list_groups(emulator.help_center_id)
        index = client.get_index(emulator.help_center_id)
        sites = [compiled(project) for project in projects]
        for project, site in zip(projects, sites, strict=True):
            plan, _ = read_and_plan(client, site, emulator.help_center_id)
            left = [a.desired.slug for a in plan.articles if a.kind != "unchanged"]
            left += [g.desired.slug for g in plan.groups if g.kind != "unchanged"]
            left += [u.image.rel_path for u in plan.uploads]
            assert left == [], f"{project.name}: still to do after the re-run: {left}"
            assert shared_root or not plan.nav_changed, "\n".join(plan.nav_after)

    expected_articles = Counter(slug for site in sites for slug in site.content.articles)
    expected_groups = Counter(slug for site in sites for slug in site.content.groups)
    assert Counter(a.slug for a in articles) == expected_articles + Counter(
        ["partner-faq", "status-page"]
    )
    assert Counter(g.slug for g in groups) == expected_groups + Counter(["partner-notes"])

    placed = {entry.entity_id: entry.parent_id for entry in index.entries}
    assert len(placed) == len(index.entries), "an entry is in the navigation twice"
    assert set(placed) == {a.id for a in articles} | {g.id for g in groups}
    for entity_id, parent_id in other.items():
        assert placed.get(entity_id, "missing") == parent_id, "the other writer's entry moved"

    key_of = {a.id: ("article", a.slug) for a in articles} | {
        g.id: ("group", g.slug) for g in groups
    }
    order = [
        (key_of[e.entity_id], key_of[e.parent_id] if e.parent_id else None)
        for e in tree_order(index.entries)
    ]
    for site in sites:
        expected = []
        for node in site.content.walk():
            is_group = hasattr(node, "children")
            parent = node.parent if is_group else node.group  # type: ignore[union-attr]
            key = ("group" if is_group else "article", node.slug)
            expected.append((key, ("group", parent.slug) if parent else None))
        own = {key for key, _ in expected}
        assert [item for item in order if item[0] in own] == expected


def publish_in_process(
    emulator: Emulator, project: Path, retry: RetryPolicy = FAST_RETRIES
) -> None:
    with PlainClient(emulator.url, emulator.api_key, retry=retry) as client:
        publish(client, compiled(project), emulator.help_center_id, PublishOptions(concurrency=8))


def cli_env(emulator: Emulator) -> dict[str, str]:
    return {
        **os.environ,
        "PLAIN_API_KEY": emulator.api_key,
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": emulator.help_center_id,
    }


def start_cli_publish(emulator: Emulator, project: Path) -> subprocess.Popen[str]:
    """`publisher publish` as CI runs it; its stderr has one line per write."""
    return subprocess.Popen(
        [sys.executable, "-m", "publisher", "publish", str(project)],
        env=cli_env(emulator),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def clean_rerun(emulator: Emulator, project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "publisher", "publish", str(project)],
        env=cli_env(emulator),
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr


# --- Injected faults -------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.2, 0.5])
@pytest.mark.parametrize(
    "kinds", ["rate_limit", "server_error", "disconnect", "lost_response", "mixed"]
)
def test_faults_then_one_clean_rerun_reach_the_exact_content(
    tmp_path: Path, emulator_factory: EmulatorFactory, kinds: str, rate: float
) -> None:
    write_tree(tmp_path, many_articles(40))
    emulator = emulator_factory()
    other = add_other_writer(emulator)
    faults = ["--fail-rate", str(rate), "--seed", "7"]
    if kinds != "mixed":
        faults += ["--fault-kinds", kinds]
    emulator.restart(*faults)
    if rate <= 0.2:
        publish_in_process(emulator, tmp_path)  # retries absorb one failure in five
    else:
        # One in two: a write may run out of attempts. That must fail cleanly, naming it.
        with contextlib.suppress(PublishError, PlainError, IndexConflictError):
            publish_in_process(emulator, tmp_path, retry=FEW_RETRIES)
    emulator.restart()  # the faults stop
    publish_in_process(emulator, tmp_path)
    assert_converged(emulator, [tmp_path], other)


@pytest.mark.parametrize("kinds", ["lost_response", "disconnect", "mixed"])
def test_batched_writes_through_faults_converge_without_duplicates(
    tmp_path: Path, emulator_factory: EmulatorFactory, kinds: str
) -> None:
    """Enough articles that writes go several to a request: a batch whose answer is lost
    is sent again (its creates then meet their own slugs, and are taken over one by one),
    and the help center ends exactly as the content says."""
    write_tree(tmp_path, many_articles(120, images=0))
    emulator = emulator_factory()
    other = add_other_writer(emulator)
    faults = ["--fail-rate", "0.3", "--seed", "5"]
    if kinds != "mixed":
        faults += ["--fault-kinds", kinds]
    emulator.restart(*faults)
    with PlainClient(emulator.url, emulator.api_key, retry=FAST_RETRIES) as client:
        options = PublishOptions(concurrency=8)
        publish(client, compiled(tmp_path), emulator.help_center_id, options)
        assert client.stats.by_operation().get("UpsertHelpCenterArticleBatch", 0) > 0
    emulator.restart()
    publish_in_process(emulator, tmp_path)
    assert_converged(emulator, [tmp_path], other)


def test_300_articles_through_20_percent_mixed_faults(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    write_tree(tmp_path, many_articles(300))
    emulator = emulator_factory()
    other = add_other_writer(emulator)
    emulator.restart("--fail-rate", "0.2", "--seed", "11")
    publish_in_process(emulator, tmp_path)
    emulator.restart()
    assert_converged(emulator, [tmp_path], other)


# --- The server goes away --------------------------------------------------------------


def wait_for_line(
    process: subprocess.Popen[str], matches: Callable[[str], bool], what: str
) -> list[str]:
    """Read the publish's stderr until a line matches; all lines read so far."""
    assert process.stderr is not None
    seen: list[str] = []
    for line in process.stderr:
        seen.append(line.rstrip("\n"))
        if matches(seen[-1]):
            return seen
    process.wait(CLI_TIMEOUT)
    raise AssertionError(f"publish ended before {what}:\n" + "\n".join(seen))


def drain(process: subprocess.Popen[str]) -> list[str]:
    """Keep reading stderr in the background so the publish never blocks on the pipe."""
    rest: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        rest.extend(line.rstrip("\n") for line in process.stderr)

    threading.Thread(target=read, daemon=True).start()
    return rest


def test_emulator_restarted_mid_publish(tmp_path: Path, emulator_factory: EmulatorFactory) -> None:
    write_tree(tmp_path, many_articles(60))
    emulator = emulator_factory(latency_ms=20)
    other = add_other_writer(emulator)
    port = emulator.url.split(":")[2].split("/")[0]
    process = start_cli_publish(emulator, tmp_path)
    wait_for_line(process, lambda line: line.startswith("article:"), "the first article")
    rest = drain(process)
    assert process.poll() is None, "the publish ended before the restart"
    emulator.restart("--port", port)  # SIGTERM, then up again on the same address
    # The client retries through the outage, so this very publish completes.
    assert process.wait(CLI_TIMEOUT) == 0, "\n".join(rest)
    clean_rerun(emulator, tmp_path)
    assert_converged(emulator, [tmp_path], other)


def test_two_publishes_of_different_content_at_once(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_tree(first, many_articles(40, prefix="alpha"))
    write_tree(second, many_articles(40, prefix="beta"))
    emulator = emulator_factory(latency_ms=10)
    other = add_other_writer(emulator)
    processes = [start_cli_publish(emulator, first), start_cli_publish(emulator, second)]
    outputs = [drain(process) for process in processes]
    codes = [process.wait(CLI_TIMEOUT) for process in processes]
    # Each index write is hash-guarded and merged again on a conflict, so both complete.
    assert codes == [0, 0], outputs
    for project in (first, second):
        clean_rerun(emulator, project)
    assert_converged(emulator, [first, second], other, shared_root=True)


# --- SIGKILL ---------------------------------------------------------------------------


def edit_content(project: Path) -> None:
    """A second publish with work in every phase: a new group, a new image, new and changed
    articles, and a new order."""
    content = project / "content"
    (content / "images/page-shot-new.png").write_bytes(PNG + b"new")
    (content / "99-added").mkdir()
    for i in range(3):
        (content / f"99-added/{i}.md").write_text(
            article(f"Added {i}", "New.\n\n![n](../images/page-shot-new.png)", slug=f"added-{i}")
        )
    for path in sorted(content.rglob("*.md"))[:8]:
        path.write_text(path.read_text().replace("Text of", "Changed text of"))
    first = sorted(p for p in content.iterdir() if p.is_dir() and p.name[:2].isdigit())[0]
    first.rename(content / ("98" + first.name[2:]))


def writes_planned(emulator: Emulator, project: Path) -> int:
    with PlainClient(emulator.url, emulator.api_key) as client:
        plan, _ = read_and_plan(client, compiled(project), emulator.help_center_id)
    return sum(1 for action in plan.articles if action.kind != "unchanged")


BOUNDARIES: dict[str, Callable[[int], Callable[[str], bool]]] = {
    # name -> (article writes planned) -> "kill when this stderr line appears"
    "first group written": lambda n: lambda line: line.startswith("group:"),
    "groups done, first image written": lambda n: lambda line: line.startswith("image:"),
    "images done, first article written": lambda n: lambda line: line.startswith("article:"),
    "articles done, index not yet written": lambda n: _nth("article:", n),
    "index written, before exit": lambda n: lambda line: line.startswith("index:"),
}


def _nth(prefix: str, n: int) -> Callable[[str], bool]:
    seen = [0]

    def matches(line: str) -> bool:
        seen[0] += line.startswith(prefix)
        return seen[0] == n

    return matches


@pytest.mark.parametrize("boundary", list(BOUNDARIES))
def test_kill_at_a_phase_boundary_then_one_rerun_converges(
    tmp_path: Path, emulator_factory: EmulatorFactory, boundary: str
) -> None:
    write_tree(tmp_path, many_articles(40))
    emulator = emulator_factory(latency_ms=5, db=False)
    other = add_other_writer(emulator)
    for stage in ("first publish", "publish of an edit"):
        if stage != "first publish":
            edit_content(tmp_path)
        trigger = BOUNDARIES[boundary](writes_planned(emulator, tmp_path))
        process = start_cli_publish(emulator, tmp_path)
        wait_for_line(process, trigger, f"{boundary} ({stage})")
        process.send_signal(signal.SIGKILL)
        process.wait(CLI_TIMEOUT)
        clean_rerun(emulator, tmp_path)
        assert_converged(emulator, [tmp_path], other)


def test_sigkill_at_ten_moments_then_rerun_converges(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    """Kills at moments spread over a whole publish, wherever they fall inside a phase."""
    project = tmp_path / "project"
    write_tree(project, many_articles(120))
    timing = emulator_factory(latency_ms=10, help_centers=("Timing",), db=False)
    started = time.monotonic()
    process = start_cli_publish(timing, project)
    drain(process)
    assert process.wait(CLI_TIMEOUT) == 0
    duration = time.monotonic() - started
    timing.stop()

    names = tuple(f"Kill {i}" for i in range(10))
    emulator = emulator_factory(latency_ms=10, help_centers=names, db=False)
    for i, name in enumerate(names):
        emulator.help_center_id = emulator.help_center_ids[name]
        other = add_other_writer(emulator)
        process = start_cli_publish(emulator, project)
        drain(process)
        time.sleep(duration * (i + 0.5) / 10)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        clean_rerun(emulator, project)
        assert_converged(emulator, [project], other)
