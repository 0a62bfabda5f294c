"""Publishing through faults: injected errors, lost responses and a SIGKILL at any moment
must all end in exactly the content, with no duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import Emulator, EmulatorFactory
from content_factory import article, write_tree

from publisher.config import load_settings
from publisher.pipeline import compile_project
from publisher.plain import PlainClient, RetryPolicy
from publisher.sync.navigation import tree_order
from publisher.sync.publish import PublishOptions, publish

FAST_RETRIES = RetryPolicy(max_attempts=10, initial_backoff=0.01, max_backoff=0.2, max_total=60)


def many_articles(count: int, groups: int = 6) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for i in range(count):
        group = f"{i % groups:02d}-section-{i % groups}"
        if i % 7 == 0:
            group += f"/nested-{i % groups}"
        files[f"{group}/{i:03d}-page.md"] = article(
            f"Page {i}", f"## Part {i}\n\nText of page {i}.", slug=f"page-{i}"
        )
    return files


def assert_exact_state(emulator: Emulator, project: Path) -> None:
    """Everything in the content is there once, with the right place; nothing else is."""
    site = compile_project(load_settings(project), use_cache=False, workers=1).site
    with PlainClient(emulator.url, emulator.api_key) as client:
        articles = client.list_articles(emulator.help_center_id)
        groups = client.list_groups(emulator.help_center_id)
        index = client.get_index(emulator.help_center_id)
    assert Counter(a.slug for a in articles) == Counter(list(site.content.articles))
    assert Counter(g.slug for g in groups) == Counter(list(site.content.groups))
    slug_of = {a.id: ("article", a.slug) for a in articles} | {
        g.id: ("group", g.slug) for g in groups
    }
    actual = [
        (slug_of[e.entity_id], slug_of[e.parent_id] if e.parent_id else None)
        for e in tree_order(index.entries)
    ]
    expected = []
    for node in site.content.walk():
        is_group = hasattr(node, "children")
        parent = node.parent if is_group else node.group  # type: ignore[union-attr]
        expected.append(
            (
                ("group" if is_group else "article", node.slug),
                ("group", parent.slug) if parent else None,
            )
        )
    assert actual == expected
    for remote in articles:
        local = site.content.articles[remote.slug]
        assert remote.title == local.title
        assert f"Text of page {remote.slug.removeprefix('page-')}." in remote.content_html


def publish_with(emulator: Emulator, project: Path, retry: RetryPolicy = FAST_RETRIES) -> None:
    compiled = compile_project(load_settings(project), use_cache=False, workers=1)
    assert compiled.errors == []
    site = compiled.site
    with PlainClient(emulator.url, emulator.api_key, retry=retry) as client:
        publish(client, site, emulator.help_center_id, PublishOptions(concurrency=8))


@pytest.mark.slow
@pytest.mark.parametrize(
    "kinds", ["rate_limit", "server_error", "disconnect", "lost_response", None]
)
def test_each_fault_kind_alone_at_20_percent(
    tmp_path: Path, emulator_factory: EmulatorFactory, kinds: str | None
) -> None:
    emulator = emulator_factory(fail_rate=0.2, fault_kinds=kinds, seed=7, db=False)
    write_tree(tmp_path, many_articles(60))
    publish_with(emulator, tmp_path)
    assert_exact_state(emulator, tmp_path)


@pytest.mark.slow
def test_300_articles_through_20_percent_mixed_faults(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    emulator = emulator_factory(fail_rate=0.2, seed=11, db=False)
    write_tree(tmp_path, many_articles(300))
    publish_with(emulator, tmp_path)
    assert_exact_state(emulator, tmp_path)


def _publish_process(emulator: Emulator, project: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PLAIN_API_KEY": emulator.api_key,
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": emulator.help_center_id,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "publisher", "publish", str(project)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_sigkill_at_ten_points_then_rerun_converges(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    project = tmp_path / "project"
    write_tree(project, many_articles(120))
    # Measure how long a whole publish takes, to spread the kills over all its phases.
    timing = emulator_factory(latency_ms=10, help_centers=("Timing",), db=False)
    started = time.monotonic()
    assert _publish_process(timing, project).wait(120) == 0
    duration = time.monotonic() - started
    timing.stop()

    names = tuple(f"Kill {i}" for i in range(10))
    emulator = emulator_factory(latency_ms=10, help_centers=names, db=False)
    for i, name in enumerate(names):
        emulator.help_center_id = emulator.help_center_ids[name]
        process = _publish_process(emulator, project)
        time.sleep(duration * (i + 0.5) / 10)
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        rerun = _publish_process(emulator, project)
        assert rerun.wait(120) == 0, f"re-run after kill {i} failed"
        assert_exact_state(emulator, project)
