"""The promises of the README that span the whole tool, checked against a running emulator
over HTTP: sidebar headings end to end (plan, publish, pull, rename, delete), the key's
permissions checked before the first write, the new fault kinds, a fresh CI machine against
opaque download URLs, index types and article statuses newer than this version, and a
`--strict` contract run of the sample content."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from click.testing import Result
from conftest import Emulator, EmulatorFactory
from content_factory import PNG, article, write_tree
from test_cli_publish import invoke
from test_sync_publish import MUTATIONS

from publisher.config import load_settings
from publisher.errors import RemoteError
from publisher.pipeline import compile_project
from publisher.plain import PlainClient, RetryPolicy
from publisher.site.compiler import CompiledSite
from publisher.sync.publish import PublishOptions, PublishOutcome, publish, read_and_plan

SAMPLE = Path(__file__).resolve().parents[1] / "content"
#: Retries that keep fault runs short (the emulator's Retry-After is 0 in the fixtures).
FAST_RETRIES = RetryPolicy(max_attempts=10, initial_backoff=0.01, max_backoff=0.2, max_total=60)
FEW_RETRIES = RetryPolicy(max_attempts=5, initial_backoff=0.01, max_backoff=0.05, max_total=10)

Node = tuple[str, str, str | None, str]  # (type, id, parent id, title) of an index entry

# --- helpers --------------------------------------------------------------------------------


def compiled(project: Path) -> CompiledSite:
    result = compile_project(load_settings(project), use_cache=False, workers=1)
    assert result.errors == [], result.errors
    return result.site


class Published(NamedTuple):
    outcome: PublishOutcome
    sent: dict[str, int]  # mutations sent, by operation name
    retries: int


def publish_in_process(
    emulator: Emulator,
    project: Path,
    *,
    key: str | None = None,
    retry: RetryPolicy | None = None,
    upload_cache: Path | None = None,
) -> Published:
    """Publish with a fresh client (no upload cache unless given, as on a fresh machine)."""
    site = compiled(project)
    kwargs: dict[str, Any] = {} if retry is None else {"retry": retry}
    with PlainClient(emulator.url, key or emulator.api_key, **kwargs) as client:
        outcome = publish(
            client,
            site,
            emulator.help_center_id,
            PublishOptions(backups_dir=project / "backups", upload_cache=upload_cache),
        )
        sent = {k: v for k, v in client.stats.by_operation().items() if k in MUTATIONS}
        return Published(outcome, sent, client.stats.retries)


def set_index(emulator: Emulator, items: list[dict[str, Any]]) -> None:
    """Write the navigation index as the app would: items are `{type, id, parentId, title}`."""
    current = emulator.index()
    data = emulator.gql(
        """
        mutation($input: UpdateHelpCenterIndexInput!) {
          updateHelpCenterIndex(input: $input) { error { message code fields { field message } } }
        }
        """,
        {
            "input": {
                "helpCenterId": emulator.help_center_id,
                "hash": current["hash"],
                "helpCenterIndex": [
                    {
                        "type": item["type"],
                        "entityId": item["id"],
                        "parentId": item.get("parentId"),
                        **({"title": item["title"]} if item.get("title") else {}),
                    }
                    for item in items
                ],
            }
        },
    )
    assert data["updateHelpCenterIndex"]["error"] is None, data


def tree(emulator: Emulator) -> list[Node]:
    """The index as a tree walked depth first (Plain may list a new entry at the very end of
    the flat list: the same tree, which is what counts)."""
    items = emulator.index()["navIndex"]
    ids = {item["id"] for item in items}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        children[item["parentId"] if item["parentId"] in ids else None].append(item)
    out: list[Node] = []

    def walk(parent: str | None) -> None:
        for item in children.get(parent, []):
            out.append((item["type"], item["id"], item["parentId"], item["title"]))
            walk(item["id"])

    walk(None)
    assert len(out) == len(items), f"entries outside the tree: {items}"
    return out


def article_by_slug(emulator: Emulator, slug: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = emulator.gql(
        """
        query($hc: ID!, $slug: String!) {
          helpCenterArticleBySlug(helpCenterId: $hc, slug: $slug) {
            id title slug status contentHtml articleGroup { id }
          }
        }
        """,
        {"hc": emulator.help_center_id, "slug": slug},
    )["helpCenterArticleBySlug"]
    return found


def remote_counts(emulator: Emulator) -> tuple[Counter[str], Counter[str]]:
    """Articles and groups in the help center, counted by slug."""
    with PlainClient(emulator.url, emulator.api_key, retry=FAST_RETRIES) as client:
        articles = Counter(a.slug for a in client.list_articles(emulator.help_center_id))
        groups = Counter(g.slug for g in client.list_groups(emulator.help_center_id))
    return articles, groups


def assert_matches_content(
    emulator: Emulator, project: Path, *, extra_articles: tuple[str, ...] = ()
) -> None:
    """Everything in the content is in Plain exactly once, and a fresh plan has nothing to do."""
    site = compiled(project)
    with PlainClient(emulator.url, emulator.api_key, retry=FAST_RETRIES) as client:
        plan, _ = read_and_plan(client, site, emulator.help_center_id)
    left = [f"article {a.desired.slug}" for a in plan.articles if a.kind != "unchanged"]
    left += [f"group {g.desired.slug}" for g in plan.groups if g.kind != "unchanged"]
    left += [f"heading {h.desired.title}" for h in plan.headings if h.kind != "unchanged"]
    left += [f"image {u.image.rel_path}" for u in plan.uploads]
    assert left == [], f"still to do: {left}"
    assert not plan.nav_changed, "\n".join([*plan.nav_before, "→", *plan.nav_after])
    articles, groups = remote_counts(emulator)
    assert articles == Counter([*site.content.articles.keys(), *extra_articles])
    assert groups == Counter(site.content.groups.keys())
    entries = [node[1] for node in tree(emulator)]
    assert len(entries) == len(set(entries)), "an entry is in the navigation twice"


def plan_json(emulator: Emulator, project: Path, key: str | None = None) -> dict[str, Any]:
    result = invoke(emulator, "plan", str(project), "--json", key=key)
    assert result.exit_code == 0, result.output
    plan: dict[str, Any] = json.loads(result.stdout)
    return plan


def summary_counts(result: Result) -> dict[str, str]:
    """The `Published: created 1, updated 0, …` line of a publish, as a dict."""
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("Published: "))
    pairs = (part.rsplit(" ", 1) for part in line.removeprefix("Published: ").split(", "))
    return {name: value for name, value in pairs}


def assert_nothing_to_do(plan: dict[str, Any]) -> None:
    actions = [(a["action"], a["slug"]) for a in plan["articles"] if a["action"] != "unchanged"]
    actions += [(g["action"], g["slug"]) for g in plan["groups"] if g["action"] != "unchanged"]
    actions += [(h["action"], h["title"]) for h in plan["headings"] if h["action"] != "unchanged"]
    actions += [("upload", i["file"]) for i in plan["images"] if i["upload"]]
    assert actions == []
    assert plan["navigation"]["changed"] is False
    assert plan["navigation"]["after"] == plan["navigation"]["before"]


def many_articles(count: int) -> dict[str, str | bytes]:
    """`count` articles in five groups (one nested), a heading, and two images."""
    files: dict[str, str | bytes] = {
        "images/one.png": PNG + b"one",
        "images/two.png": PNG + b"two",
        "02-section-1/05-later.heading.yml": "title: Later\n",
    }
    for i in range(count):
        folder = f"{i % 5:02d}-section-{i % 5}"
        if i % 9 == 0:
            folder += f"/inner-{i % 5}"
        depth = folder.count("/") + 1
        body = f"## Part {i}\n\nText {i}."
        if i % 10 == 0:
            body += f"\n\n![shot]({'../' * depth}images/{'one' if i % 20 else 'two'}.png)"
        files[f"{folder}/{i:02d}-page.md"] = article(f"Page {i}", body, slug=f"page-{i}")
    return files


# --- 1. Sidebar headings, end to end -------------------------------------------------------


def test_headings_end_to_end(tmp_path: Path, emulator: Emulator) -> None:
    # In the app: a group, an article written there, one heading at the top, one in the group.
    group = emulator.create_group("Guides", slug="guides")
    gid = group["id"]
    hand = emulator.upsert_article(
        title="Written in Plain", slug="written-in-plain", helpCenterArticleGroupId=gid
    )
    set_index(
        emulator,
        [
            {"type": "HEADING", "id": "hdg_app_top", "title": "Start here"},
            {"type": "ARTICLE_GROUP", "id": gid},
            {"type": "ARTICLE", "id": hand["id"], "parentId": gid},
            {"type": "HEADING", "id": "hdg_app_in", "parentId": gid, "title": "Reference"},
        ],
    )
    project = tmp_path / "project"
    write_tree(
        project,
        {
            "01-guides/_group.yml": "name: Guides\nslug: guides\n",
            "01-guides/01-install.md": article("Install"),
            "01-guides/02-configure.md": article("Configure"),
            "02-more.heading.yml": "title: More\n",
            "03-faq.md": article("FAQ"),
        },
    )

    plan = plan_json(emulator, project)
    assert [(h["action"], h["id"], h["title"]) for h in plan["headings"]] == [
        ("create", "heading_more", "More")
    ]
    assert sorted(plan["orphans"]["headings"], key=lambda h: h["id"]) == [
        {"id": "hdg_app_in", "title": "Reference"},
        {"id": "hdg_app_top", "title": "Start here"},
    ]
    assert [a["slug"] for a in plan["orphans"]["articles"]] == ["written-in-plain"]
    assert [(g["action"], g["slug"]) for g in plan["groups"]] == [("unchanged", "guides")]
    assert plan["navigation"]["before"] == [
        "§ Start here",
        "▸ Guides",
        "  - Written in Plain",
        "  § Reference",
    ]
    # The content's entries first, then what the app made, in its old order, under its old
    # parent.
    expected_outline = [
        "▸ Guides",
        "  - Install",
        "  - Configure",
        "  - Written in Plain",
        "  § Reference",
        "§ More",
        "- FAQ",
        "§ Start here",
    ]
    assert plan["navigation"]["changed"] is True
    assert plan["navigation"]["after"] == expected_outline
    text = invoke(emulator, "plan", str(project))
    assert text.exit_code == 0, text.output
    assert re.search(r"create\s+heading\s+More\b", text.output), text.output
    assert re.search(r"kept\s+heading\s+Start here\b", text.output), text.output
    assert re.search(r"kept\s+heading\s+Reference\b", text.output), text.output
    assert "§ Start here" in text.output and "  § Reference" in text.output

    published = invoke(emulator, "publish", str(project))
    assert published.exit_code == 0, published.output
    ids: dict[str, str] = {}
    for slug in ("install", "configure", "faq"):
        found = article_by_slug(emulator, slug)
        assert found is not None, slug
        ids[slug] = found["id"]
    after = tree(emulator)
    assert after == [
        ("ARTICLE_GROUP", gid, None, "Guides"),
        ("ARTICLE", ids["install"], gid, "Install"),
        ("ARTICLE", ids["configure"], gid, "Configure"),
        ("ARTICLE", hand["id"], gid, "Written in Plain"),
        ("HEADING", "hdg_app_in", gid, "Reference"),
        ("HEADING", "heading_more", None, "More"),
        ("ARTICLE", ids["faq"], None, "FAQ"),
        ("HEADING", "hdg_app_top", None, "Start here"),
    ]
    # Spelled out: the app's entries kept their parents and their relative order.
    position = {node[1]: i for i, node in enumerate(after)}
    assert position[hand["id"]] < position["hdg_app_in"]
    assert {node[1]: node[2] for node in after if node[1] in (hand["id"], "hdg_app_in")} == {
        hand["id"]: gid,
        "hdg_app_in": gid,
    }
    assert article_by_slug(emulator, "written-in-plain") is not None

    _, sent, _ = publish_in_process(emulator, project)
    assert sent == {}, "a second publish of the same content wrote something"

    # A fresh checkout made by `pull` plans nothing.
    pulled = tmp_path / "pulled"
    done = invoke(emulator, "pull", str(pulled))
    assert done.exit_code == 0, done.output
    assert (pulled / "publisher.toml").is_file()
    heading_files = {
        p.relative_to(pulled / "content").as_posix(): p.read_text()
        for p in (pulled / "content").rglob("*.heading.yml")
    }
    assert len(heading_files) == 3, heading_files
    assert any("id: hdg_app_in" in t for f, t in heading_files.items() if "/" in f)
    assert any("id: hdg_app_top" in t for f, t in heading_files.items() if "/" not in f)
    planned = invoke(emulator, "plan", str(pulled))
    assert planned.exit_code == 0, planned.output
    assert "Nothing to change" in planned.output, planned.output
    assert_nothing_to_do(plan_json(emulator, pulled))

    # A new title is one index write of the same heading.
    (project / "content/02-more.heading.yml").write_text("title: More topics\n")
    _, sent, _ = publish_in_process(emulator, project)
    assert sent == {"UpdateHelpCenterIndex": 1}
    renamed = tree(emulator)
    assert ("HEADING", "heading_more", None, "More topics") in renamed
    assert [n[1] for n in renamed] == [n[1] for n in after]

    # Deleting the file removes the heading; the app's stay where they were.
    (project / "content/02-more.heading.yml").unlink()
    _, sent, _ = publish_in_process(emulator, project)
    assert sent == {"UpdateHelpCenterIndex": 1}
    final = tree(emulator)
    assert [n for n in final if n[1] == "heading_more"] == []
    assert [n for n in final if n[0] == "HEADING"] == [
        ("HEADING", "hdg_app_in", gid, "Reference"),
        ("HEADING", "hdg_app_top", None, "Start here"),
    ]
    assert [n for n in after if n[1] != "heading_more"] == final


# --- 2. The key's permissions ---------------------------------------------------------------

FULL = "plainApiKey_full"  # the default permissions
LIMITED = "plainApiKey_limited"  # no workspaceFile:create
READ_ONLY = "plainApiKey_read_only"


def test_permissions_are_checked_before_the_first_write(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    emulator = emulator_factory(
        api_keys=(FULL,),  # named first, so it is `emulator.api_key`
        extra_args=(
            "--key-permissions",
            f"{LIMITED}=helpCenter:read,helpCenter:edit",
            "--key-permissions",
            f"{READ_ONLY}=helpCenter:read",
        ),
    )
    assert emulator.api_key == FULL
    hand = emulator.upsert_article(title="Written in Plain", slug="hand-made")
    before = emulator.index()
    assert [item["id"] for item in before["navIndex"]] == [hand["id"]]
    write_tree(
        tmp_path,
        {
            "01-a.md": article("A", "![shot](shot.png)"),
            "02-g/b.md": article("B"),
            "shot.png": PNG,
        },
    )

    refused = invoke(emulator, "publish", str(tmp_path), key=LIMITED)
    assert refused.exit_code == 3, refused.output
    assert "workspaceFile:create" in refused.output
    assert "lacks workspaceFile:create" in refused.output
    assert "helpCenter:edit (for" not in refused.output  # it has that one
    # Not one write reached Plain: nothing made, the index not even rewritten.
    articles, groups = remote_counts(emulator)
    assert articles == Counter(["hand-made"]) and groups == Counter()
    assert emulator.index() == before

    text = invoke(emulator, "plan", str(tmp_path), key=LIMITED)
    assert text.exit_code == 0, text.output
    assert "missing permission: workspaceFile:create" in text.output
    assert "missing permission: helpCenter:edit" not in text.output
    as_json = plan_json(emulator, tmp_path, key=LIMITED)
    assert [m["permission"] for m in as_json["missingPermissions"]] == ["workspaceFile:create"]
    assert "image" in as_json["missingPermissions"][0]["neededFor"]
    assert plan_json(emulator, tmp_path)["missingPermissions"] == []

    done = invoke(emulator, "publish", str(tmp_path))
    assert done.exit_code == 0, done.output
    assert summary_counts(done)["created"] == "2"
    assert summary_counts(done)["images uploaded"] == "1"

    # A key that can only read: a publish with nothing to write needs nothing more …
    noop = invoke(emulator, "publish", str(tmp_path), key=READ_ONLY)
    assert noop.exit_code == 0, noop.output
    assert summary_counts(noop)["updated"] == "0"
    # … but one that writes is refused, naming helpCenter:edit, and writes nothing.
    (tmp_path / "content/02-g/b.md").write_text(article("B", "Changed."))
    snapshot = (emulator.index(), article_by_slug(emulator, "b"))
    read_only = invoke(emulator, "publish", str(tmp_path), key=READ_ONLY)
    assert read_only.exit_code == 3, read_only.output
    assert "lacks helpCenter:edit" in read_only.output
    assert (emulator.index(), article_by_slug(emulator, "b")) == snapshot
    planned = plan_json(emulator, tmp_path, key=READ_ONLY)
    assert [m["permission"] for m in planned["missingPermissions"]] == ["helpCenter:edit"]


# --- 3. Faults ------------------------------------------------------------------------------


def test_graphql_level_faults_at_20_percent_converge_in_one_publish(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    write_tree(tmp_path, many_articles(30))
    emulator = emulator_factory(
        fail_rate=0.2, fault_kinds="graphql_internal,graphql_rate_limit", seed=4
    )
    done = invoke(emulator, "publish", str(tmp_path))
    assert done.exit_code == 0, done.output
    notes = [line for line in done.output.splitlines() if line.startswith("note:")]
    # Faults were met (the first retry is announced), and they were the GraphQL-level ones.
    assert notes and all(("RATE_LIMITED" in n or "INTERNAL" in n) for n in notes), notes
    emulator.restart("--fail-rate", "0")
    assert_matches_content(emulator, tmp_path)


def test_half_the_requests_failing_then_one_clean_rerun(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    write_tree(tmp_path, many_articles(30))
    emulator = emulator_factory()
    emulator.restart(
        "--fail-rate",
        "0.5",
        "--seed",
        "9",
        "--fault-kinds",
        "rate_limit,server_error,disconnect,lost_response,graphql_internal,graphql_rate_limit",
    )
    # One in two: a write may run out of attempts. That must fail cleanly (a RemoteError).
    site = compiled(tmp_path)
    with PlainClient(emulator.url, emulator.api_key, retry=FEW_RETRIES) as client:
        with contextlib.suppress(RemoteError):
            publish(client, site, emulator.help_center_id, PublishOptions(concurrency=8))
        assert client.stats.retries > 0
    emulator.restart()  # the faults stop
    rerun = invoke(emulator, "publish", str(tmp_path))
    assert rerun.exit_code == 0, rerun.output
    assert_matches_content(emulator, tmp_path)


def test_a_long_retry_after_is_waited_out_and_announced(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    write_tree(tmp_path, {f"{i:02d}-p.md": article(f"P {i}", slug=f"p-{i}") for i in range(6)})
    emulator = emulator_factory(
        fail_rate=0.15,
        fault_kinds="long_retry_after",
        seed=2,
        extra_args=("--long-retry-after", "2"),
    )
    started = time.monotonic()
    done = invoke(emulator, "publish", str(tmp_path))
    took = time.monotonic() - started
    assert done.exit_code == 0, done.output
    notes = [line for line in done.output.splitlines() if line.startswith("note:")]
    assert notes, done.output
    assert any(re.search(r"waiting 2 s\b", n) and "Plain asked" in n for n in notes), notes
    assert took >= 2.0  # it really waited
    emulator.restart("--fail-rate", "0")
    assert_matches_content(emulator, tmp_path)


# --- 4. A fresh machine, opaque download URLs -----------------------------------------------


def two_images(root: Path) -> None:
    write_tree(
        root,
        {
            "01-a.md": article("A", "![one](img/screen-one.png)"),
            "02-b.md": article("B", "![two](img/screen-two.png) ![one](img/screen-one.png)"),
            "img/screen-one.png": PNG + b"one",
            "img/screen-two.png": PNG + b"two",
        },
    )


def test_fresh_machine_with_opaque_urls_writes_nothing(tmp_path: Path, emulator: Emulator) -> None:
    two_images(tmp_path)
    first = invoke(emulator, "publish", str(tmp_path))
    assert first.exit_code == 0, first.output
    assert summary_counts(first)["images uploaded"] == "2"
    srcs = re.findall(r'src="([^"]+)"', (article_by_slug(emulator, "b") or {})["contentHtml"])
    assert len(srcs) == 2
    for src in srcs:
        url, _, fragment = src.partition("#")
        assert "screen-" not in url and ".png" not in url, url  # the URL hides the name
        assert fragment.startswith("publisher-image="), src
    assert (tmp_path / ".publisher").is_dir()

    shutil.rmtree(tmp_path / ".publisher")  # a fresh CI machine: no upload cache
    again = invoke(emulator, "publish", str(tmp_path))
    assert again.exit_code == 0, again.output
    counts = summary_counts(again)
    assert (counts["images uploaded"], counts["updated"], counts["created"]) == ("0", "0", "0")
    assert counts["navigation"] == "unchanged"
    assert counts["requests"] == "3"  # articles, groups, index: reads only
    shutil.rmtree(tmp_path / ".publisher", ignore_errors=True)
    outcome, sent, _ = publish_in_process(emulator, tmp_path)
    assert sent == {}
    assert outcome.applied is not None and outcome.applied.images_uploaded == []


def test_fresh_machine_against_a_strict_emulator_writes_nothing(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    two_images(tmp_path)
    emulator = emulator_factory(fail_rate=0, extra_args=("--strict",))
    first = invoke(emulator, "publish", str(tmp_path))
    assert first.exit_code == 0, first.output
    src = re.findall(r'src="([^"]+)"', (article_by_slug(emulator, "a") or {})["contentHtml"])[0]
    assert "/cdn/" in src and "screen-one" not in src.partition("#")[0]
    # --strict with its faults on (an explicit --fail-rate wins, so the preset's is named).
    emulator.restart("--fail-rate", "0.2", "--seed", "3")
    retries = 0
    for _ in range(3):  # a few fresh machines, so that the faults surely meet some
        shutil.rmtree(tmp_path / ".publisher", ignore_errors=True)
        outcome, sent, retried = publish_in_process(emulator, tmp_path, retry=FAST_RETRIES)
        assert sent == {}, "a publish with nothing changed wrote something"
        assert outcome.applied is not None
        assert outcome.applied.images_uploaded == [] and outcome.applied.updated == []
        assert not outcome.applied.index_written
        retries += retried
    assert retries > 0, "no fault was met: is --strict injecting any?"


# --- 5. Newer than this version -------------------------------------------------------------


def test_unknown_index_type_and_article_status_are_left_alone(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    emulator = emulator_factory(
        extra_args=("--extra-index-type", "SECTION_BREAK", "--extra-article-status", "ARCHIVED")
    )
    old = emulator.upsert_article(
        title="Old", slug="old", status="ARCHIVED", contentHtml="<p>Archived by hand.</p>"
    )
    kept = emulator.upsert_article(
        title="Kept", slug="kept", status="ARCHIVED", contentHtml="<p>Original body.</p>"
    )
    set_index(
        emulator,
        [
            {"type": "ARTICLE", "id": old["id"]},
            {"type": "SECTION_BREAK", "id": "sb_1", "title": "Archive below"},
            {"type": "ARTICLE", "id": kept["id"]},
        ],
    )
    before = {slug: article_by_slug(emulator, slug) for slug in ("old", "kept")}
    write_tree(
        tmp_path,
        {
            "01-a.md": article("A"),
            "02-kept.md": article("Kept", "A different body."),
            "03-g/b.md": article("B"),
        },
    )
    done = invoke(emulator, "publish", str(tmp_path))
    assert done.exit_code == 0, done.output
    after = {slug: article_by_slug(emulator, slug) for slug in ("old", "kept")}
    assert after == before  # status and body as they were, for both
    nodes = tree(emulator)
    a, b = article_by_slug(emulator, "a"), article_by_slug(emulator, "b")
    assert a is not None and b is not None
    group_id = b["articleGroup"]["id"]
    assert [(n[0], n[1], n[2]) for n in nodes] == [
        ("ARTICLE", a["id"], None),
        ("ARTICLE", kept["id"], None),
        ("ARTICLE_GROUP", group_id, None),
        ("ARTICLE", b["id"], group_id),
        ("ARTICLE", old["id"], None),
        ("SECTION_BREAK", "sb_1", None),
    ]
    assert ("SECTION_BREAK", "sb_1", None, "Archive below") in nodes
    again = invoke(emulator, "publish", str(tmp_path))
    assert again.exit_code == 0, again.output
    assert summary_counts(again)["navigation"] == "unchanged"
    assert tree(emulator) == nodes
    # The plan says so; so must the publish that acted on it (README, "Newer than this
    # version": kept "with a warning").
    planned = invoke(emulator, "plan", str(tmp_path))
    assert "SECTION_BREAK" in planned.output and "ARCHIVED" in planned.output, planned.output
    warnings = [line for line in done.output.splitlines() if "warning" in line.lower()]
    assert any("SECTION_BREAK" in w for w in warnings), done.output
    assert any("ARCHIVED" in w for w in warnings), done.output


# --- 6. A strict contract run of the sample -------------------------------------------------


def test_strict_contract_run_of_the_sample(  # 2 to 12 s, depending on the faults met
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    shutil.copytree(SAMPLE, tmp_path / "content")
    emulator = emulator_factory(seed=21, extra_args=("--strict",))
    outputs = []
    for _ in range(3):
        result = invoke(emulator, "publish", str(tmp_path))
        outputs.append(result.output)
        if result.exit_code == 0:
            break
        assert result.exit_code == 3, result.output  # Plain failed: a re-run is safe
    else:
        pytest.fail("three publishes through --strict faults all failed:\n" + "\n".join(outputs))
    assert any(line.startswith("note:") for o in outputs for line in o.splitlines()), outputs
    emulator.restart("--fail-rate", "0")
    plan = plan_json(emulator, tmp_path)
    assert_nothing_to_do(plan)
    assert plan["warnings"] == []
    outcome, sent, _ = publish_in_process(emulator, tmp_path)
    assert sent == {}
    assert outcome.applied is not None and outcome.applied.unchanged == 24
    assert_matches_content(emulator, tmp_path)


# --- `plan --json` is a JSON document, whatever else there is to say ------------------------


def test_plan_json_stays_json_when_the_content_has_warnings(
    tmp_path: Path, emulator: Emulator
) -> None:
    # docs/ci.md: `publisher plan --json > plan.json`, then json.load(open("plan.json")).
    write_tree(
        tmp_path, {"a.md": article("A", "See [D](d.md)."), "d.md": article("D", status="draft")}
    )
    checked = invoke(emulator, "plan", str(tmp_path))
    assert "goes to a draft" in checked.output  # the content has a warning
    result = invoke(emulator, "plan", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    first_line = result.stdout.splitlines()[0]
    assert first_line == "{", f"stdout is not only the JSON; it starts with: {first_line}"
    plan = json.loads(result.stdout)
    assert sorted(a["slug"] for a in plan["articles"]) == ["a", "d"]
