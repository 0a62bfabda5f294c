"""Publishing against the real emulator over HTTP: exact end state, minimal edits, safety."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import Emulator
from content_factory import article, write_tree

from publisher.config import load_settings
from publisher.pipeline import compile_project
from publisher.plain import IndexEntry, PlainClient, RemoteArticle, RemoteGroup
from publisher.site.compiler import CompiledSite
from publisher.sync.navigation import tree_order
from publisher.sync.publish import PublishOptions, PublishOutcome, publish, read_and_plan

SAMPLE = Path(__file__).resolve().parents[1] / "content"
MUTATIONS = {
    "UpsertHelpCenterArticle",
    "DeleteHelpCenterArticle",
    "CreateHelpCenterArticleGroup",
    "UpdateHelpCenterArticleGroup",
    "DeleteHelpCenterArticleGroup",
    "UpdateHelpCenterIndex",
    "CreateWorkspaceFileUploadUrl",
    "CreateWorkspaceFileDownloadUrl",
}


def compiled(project: Path) -> CompiledSite:
    result = compile_project(load_settings(project), use_cache=False, workers=1)
    assert result.errors == []
    return result.site


def run(
    emulator: Emulator, project: Path, **options: object
) -> tuple[PublishOutcome, dict[str, int]]:
    """Publish `project` with a fresh client; returns the outcome and mutations sent by name."""
    site = compiled(project)
    with PlainClient(emulator.url, emulator.api_key) as client:
        outcome = publish(
            client,
            site,
            emulator.help_center_id,
            PublishOptions(backups_dir=project / "backups", **options),  # type: ignore[arg-type]
        )
        sent = {k: v for k, v in client.stats.by_operation().items() if k in MUTATIONS}
    return outcome, sent


def copy_sample(tmp_path: Path) -> Path:
    shutil.copytree(SAMPLE, tmp_path / "content")
    return tmp_path


def read_back(
    emulator: Emulator,
) -> tuple[dict[str, RemoteArticle], dict[str, RemoteGroup], list[IndexEntry]]:
    with PlainClient(emulator.url, emulator.api_key) as client:
        articles = {a.slug: a for a in client.list_articles(emulator.help_center_id)}
        groups = {g.id: g for g in client.list_groups(emulator.help_center_id)}
        # Plain may list a new entry at the very end: the same tree, which is what counts.
        index = tree_order(client.get_index(emulator.help_center_id).entries)
    return articles, groups, index


def test_first_publish_reproduces_the_content_exactly(tmp_path: Path, emulator: Emulator) -> None:
    project = copy_sample(tmp_path)
    outcome, _ = run(emulator, project)
    site = compiled(project)
    content = site.content
    articles, groups, index = read_back(emulator)

    assert set(articles) == set(content.articles)
    groups_by_slug = {g.slug: g for g in groups.values()}
    assert set(groups_by_slug) == set(content.groups)
    for slug, local in content.articles.items():
        remote = articles[slug]
        assert remote.title == local.title
        assert remote.description == local.description
        assert remote.icon == local.icon
        assert remote.status == ("DRAFT" if local.status == "draft" else "PUBLISHED")
        expected_group = groups_by_slug[local.group.slug].id if local.group else None
        assert remote.group_id == expected_group
        assert "pending-upload:" not in remote.content_html
        assert "/__publisher__/" not in remote.content_html
    for slug, local_group in content.groups.items():
        parent = local_group.parent
        assert groups_by_slug[slug].name == local_group.name
        assert groups_by_slug[slug].parent_id == (
            groups_by_slug[parent.slug].id if parent else None
        )

    ids = {("article", s): a.id for s, a in articles.items()}
    ids |= {("group", g.slug): g.id for g in groups.values()}
    expected_index = []
    for node in content.walk():
        kind = "group" if hasattr(node, "children") else "article"
        parent = node.parent if kind == "group" else node.group  # type: ignore[union-attr]
        expected_index.append(
            IndexEntry(
                "ARTICLE_GROUP" if kind == "group" else "ARTICLE",
                ids[(kind, node.slug)],
                ids[("group", parent.slug)] if parent else None,
            )
        )
    assert index == expected_index
    assert len(outcome.applied.images_uploaded) == len(content.images) > 0  # type: ignore[union-attr]
    # Images point at the uploaded files, which serve the same bytes.
    refunds_html = articles["connect-your-bank"].content_html
    assert 'src="http://127.0.0.1' in refunds_html


def test_second_publish_sends_no_mutation_and_few_reads(tmp_path: Path, emulator: Emulator) -> None:
    project = copy_sample(tmp_path)
    run(emulator, project)
    outcome, sent = run(emulator, project)
    assert sent == {}
    assert outcome.applied is not None and outcome.applied.unchanged == 24
    # One page of articles, one of groups, and the index: nothing to write, so no re-read.
    assert outcome.requests == 3


def test_one_edited_article_is_one_upsert_and_no_index_call(
    tmp_path: Path, emulator: Emulator
) -> None:
    project = copy_sample(tmp_path)
    run(emulator, project)
    refunds = project / "content/03-billing-and-plans/03-refunds.md"
    refunds.write_text(refunds.read_text().replace("Annual plans", "Yearly plans"))
    outcome, sent = run(emulator, project)
    assert sent == {"UpsertHelpCenterArticle": 1}
    assert outcome.plan.articles and [
        a.desired.slug for a in outcome.plan.articles if a.kind == "update"
    ] == ["refunds"]
    assert "Yearly plans" in read_back(emulator)[0]["refunds"].content_html


def test_reorder_is_only_an_index_call(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"01-a.md": article("A"), "02-b.md": article("B")})
    run(emulator, tmp_path)
    (tmp_path / "content/01-a.md").rename(tmp_path / "content/03-a.md")
    _, sent = run(emulator, tmp_path)
    assert sent == {"UpdateHelpCenterIndex": 1}
    articles, _, index = read_back(emulator)
    assert [e.entity_id for e in index] == [articles["b"].id, articles["a"].id]


def test_move_between_groups_and_rename_group(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(
        tmp_path,
        {
            "one/_group.yml": "name: One\n",
            "one/a.md": article("A"),
            "two/b.md": article("B"),
        },
    )
    run(emulator, tmp_path)
    (tmp_path / "content/one/a.md").rename(tmp_path / "content/two/a.md")
    (tmp_path / "content/one/c.md").write_text(article("C"))
    (tmp_path / "content/one/_group.yml").write_text("name: Number one\n")
    _, sent = run(emulator, tmp_path)
    # The index is written only if Plain did not already put the moved and the new article
    # where the content wants them (that depends on the order the two upserts landed in).
    assert sent.pop("UpdateHelpCenterIndex", 0) <= 1
    assert sent == {
        "UpdateHelpCenterArticleGroup": 1,
        "UpsertHelpCenterArticle": 2,  # a moves, c is new
    }
    articles, groups, index = read_back(emulator)
    by_slug = {g.slug: g for g in groups.values()}
    assert by_slug["one"].name == "Number one"
    assert articles["a"].group_id == by_slug["two"].id
    assert [(e.entity_id, e.parent_id) for e in index] == [
        (by_slug["one"].id, None),
        (articles["c"].id, by_slug["one"].id),
        (by_slug["two"].id, None),
        (articles["a"].id, by_slug["two"].id),
        (articles["b"].id, by_slug["two"].id),
    ]


def test_deleted_file_is_orphaned_and_removed_only_with_prune(
    tmp_path: Path, emulator: Emulator
) -> None:
    write_tree(tmp_path, {"a.md": article("A"), "b.md": article("B"), "c.md": article("C")})
    run(emulator, tmp_path)
    (tmp_path / "content/c.md").unlink()
    outcome, sent = run(emulator, tmp_path)
    assert [a.slug for a in outcome.plan.orphan_articles] == ["c"]
    assert sent == {}
    assert "c" in read_back(emulator)[0]
    outcome, sent = run(emulator, tmp_path, prune=True)
    assert sent == {"UpdateHelpCenterIndex": 1, "DeleteHelpCenterArticle": 1}
    assert outcome.pruned is not None and outcome.pruned.snapshot.exists()
    assert set(read_back(emulator)[0]) == {"a", "b"}


def test_hand_made_article_survives_and_keeps_its_place(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(
        tmp_path, {"g/01-a.md": article("A"), "g/02-b.md": article("B"), "z.md": article("Z")}
    )
    run(emulator, tmp_path)
    articles, groups, index = read_back(emulator)
    group_id = next(iter(groups))
    manual = emulator.upsert_article(
        title="Written in Plain", slug="manual", helpCenterArticleGroupId=group_id
    )
    # The writer puts it first in the group by hand.
    current = emulator.index()
    entries = [e for e in current["navIndex"] if e["id"] != manual["id"]]
    position = next(i for i, e in enumerate(entries) if e["parentId"] == group_id)
    entries.insert(position, {"type": "ARTICLE", "id": manual["id"], "parentId": group_id})
    emulator.gql(
        "mutation($input: UpdateHelpCenterIndexInput!) { updateHelpCenterIndex(input: $input) { error { message } } }",
        {
            "input": {
                "helpCenterId": emulator.help_center_id,
                "hash": current["hash"],
                "helpCenterIndex": [
                    {"type": e["type"], "entityId": e["id"], "parentId": e["parentId"]}
                    for e in entries
                ],
            }
        },
    )
    (tmp_path / "content/g/02-b.md").rename(tmp_path / "content/g/00-b.md")  # and we reorder
    outcome, sent = run(emulator, tmp_path)
    assert sent == {"UpdateHelpCenterIndex": 1}
    assert [a.slug for a in outcome.plan.orphan_articles] == ["manual"]
    articles, _, index = read_back(emulator)
    assert "manual" in articles
    assert [(e.entity_id, e.parent_id) for e in index] == [
        (group_id, None),
        (articles["b"].id, group_id),
        (articles["a"].id, group_id),
        (manual["id"], group_id),  # unmanaged entries come after the managed ones
        (articles["z"].id, None),
    ]


def test_concurrent_index_change_is_retried_and_merged(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"01-a.md": article("A"), "02-b.md": article("B")})
    run(emulator, tmp_path)
    (tmp_path / "content/01-a.md").rename(tmp_path / "content/03-a.md")
    real_update = PlainClient.update_index
    calls = {"n": 0}

    def racing_update(self: PlainClient, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 1:  # another writer adds an entry just before our write lands
            emulator.upsert_article(title="Other writer", slug="other")
        return real_update(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PlainClient, "update_index", racing_update)
    outcome, _ = run(emulator, tmp_path)
    assert outcome.applied is not None and outcome.applied.index_attempts == 2
    articles, _, index = read_back(emulator)
    assert [e.entity_id for e in index] == [
        articles["b"].id,
        articles["a"].id,
        articles["other"].id,
    ]


def test_alias_and_pinned_id_renames_keep_the_article(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"old-name.md": article("Guide"), "x.md": article("X")})
    run(emulator, tmp_path)
    before = read_back(emulator)[0]
    (tmp_path / "content/old-name.md").unlink()
    (tmp_path / "content/new-name.md").write_text(article("Guide", aliases="[old-name]"))
    (tmp_path / "content/x.md").write_text(article("X", slug="x-renamed", id=before["x"].id))
    outcome, sent = run(emulator, tmp_path)
    renames = {a.desired.slug: a.renamed_from for a in outcome.plan.articles}
    assert renames == {"new-name": "old-name", "x-renamed": "x"}
    assert outcome.plan.orphan_articles == []
    assert sent == {"UpsertHelpCenterArticle": 2}
    after = read_back(emulator)[0]
    assert after["new-name"].id == before["old-name"].id
    assert after["x-renamed"].id == before["x"].id
    assert set(after) == {"new-name", "x-renamed"}


def test_create_that_meets_an_existing_slug_becomes_an_update(
    tmp_path: Path, emulator: Emulator
) -> None:
    write_tree(tmp_path, {"a.md": article("A", "Ours.")})
    site = compiled(tmp_path)
    with PlainClient(emulator.url, emulator.api_key) as client:
        plan, _ = read_and_plan(client, site, emulator.help_center_id)
        assert [a.kind for a in plan.articles] == ["create"]
    # Another run creates the same slug after we read: our create must not fail or duplicate.
    theirs = emulator.upsert_article(title="Theirs", slug="a")
    outcome, _ = run(emulator, tmp_path)
    articles = read_back(emulator)[0]
    assert list(articles) == ["a"]
    assert articles["a"].id == theirs["id"]
    assert "Ours." in articles["a"].content_html
    assert outcome.plan.articles[0].kind == "update"  # the new read saw it


def test_prune_refusals(tmp_path: Path, emulator: Emulator) -> None:
    from publisher.sync.prune import PruneRefusedError

    write_tree(tmp_path, {f"a{i}.md": article(f"A{i}") for i in range(4)})
    run(emulator, tmp_path)
    for i in range(3):
        (tmp_path / f"content/a{i}.md").unlink()
    with pytest.raises(PruneRefusedError, match="3 of 4 articles"):
        run(emulator, tmp_path, prune=True)
    assert len(read_back(emulator)[0]) == 4  # nothing was sent
    outcome, _ = run(emulator, tmp_path, prune=True, yes=True)
    assert outcome.pruned is not None and len(outcome.pruned.deleted_articles) == 3


def test_prune_then_restore_brings_articles_back(tmp_path: Path, emulator: Emulator) -> None:
    from publisher.sync.prune import read_snapshot, restore

    write_tree(
        tmp_path,
        {
            "g/01-a.md": article("A", "Alpha body."),
            "g/02-b.md": article("B", "Beta body.", status="draft", description="Bee"),
            "g/03-c.md": article("C"),
            "z.md": article("Z"),
        },
    )
    run(emulator, tmp_path)
    before_articles, _, before_index = read_back(emulator)
    (tmp_path / "content/g/02-b.md").unlink()
    outcome, _ = run(emulator, tmp_path, prune=True)
    assert outcome.pruned is not None
    assert "b" not in read_back(emulator)[0]
    with PlainClient(emulator.url, emulator.api_key) as client:
        restore(client, read_snapshot(outcome.pruned.snapshot))
    after_articles, _, after_index = read_back(emulator)
    b_before, b_after = before_articles["b"], after_articles["b"]
    assert (
        b_after.title,
        b_after.status,
        b_after.description,
        b_after.content_html,
        b_after.group_id,
    ) == (
        b_before.title,
        b_before.status,
        b_before.description,
        b_before.content_html,
        b_before.group_id,
    )
    slug_of = {a.id: s for s, a in after_articles.items()}
    old_slug_of = {a.id: s for s, a in before_articles.items()}
    assert [slug_of.get(e.entity_id, "group") for e in after_index] == [
        old_slug_of.get(e.entity_id, "group") for e in before_index
    ]


def test_empty_content_refuses_prune(tmp_path: Path, emulator: Emulator) -> None:
    from publisher.sync.plan import make_plan
    from publisher.sync.prune import PruneRefusedError, check_prune
    from publisher.sync.state import read_remote

    write_tree(tmp_path, {"a.md": article("A")})
    run(emulator, tmp_path)
    site = compiled(tmp_path)
    site.content.articles.clear()
    site.content.top.clear()
    with PlainClient(emulator.url, emulator.api_key) as client:
        remote = read_remote(client, emulator.help_center_id)
    with pytest.raises(PruneRefusedError, match="no articles"):
        check_prune(make_plan(site, remote, {}), remote, yes=True, max_share=1.0)


def test_dry_run_sends_nothing(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    outcome, sent = run(emulator, tmp_path, dry_run=True)
    assert sent == {}
    assert [a.kind for a in outcome.plan.articles] == ["create"]
    assert read_back(emulator)[0] == {}


def test_group_slug_change_makes_a_new_group_and_orphans_the_old(
    tmp_path: Path, emulator: Emulator
) -> None:
    write_tree(tmp_path, {"guides/a.md": article("A"), "guides/b.md": article("B")})
    run(emulator, tmp_path)
    _, groups, _ = read_back(emulator)
    old = next(iter(groups.values()))
    (tmp_path / "content/guides/_group.yml").write_text(f"slug: handbook\nid: {old.id}\n")
    outcome, sent = run(emulator, tmp_path)
    assert [(g.kind, g.replaces.id if g.replaces else None) for g in outcome.plan.groups] == [
        ("create", old.id)
    ]
    assert [g.slug for g in outcome.plan.orphan_groups] == ["guides"]
    assert sent["CreateHelpCenterArticleGroup"] == 1 and "DeleteHelpCenterArticleGroup" not in sent
    articles, groups, _ = read_back(emulator)
    new = next(g for g in groups.values() if g.slug == "handbook")
    assert {a.group_id for a in articles.values()} == {new.id}
    assert old.id in groups  # kept until --prune
    outcome, sent = run(emulator, tmp_path, prune=True)
    assert sent == {"UpdateHelpCenterIndex": 1, "DeleteHelpCenterArticleGroup": 1}
    assert [g.slug for g in read_back(emulator)[1].values()] == ["handbook"]


def test_changed_image_is_uploaded_again_and_unchanged_ones_are_not(
    tmp_path: Path, emulator: Emulator
) -> None:
    from content_factory import PNG

    write_tree(
        tmp_path,
        {
            "a.md": article("A", "![one](img/one.png) ![two](img/two.png)"),
            "img/one.png": PNG,
            "img/two.png": PNG + b"2",
        },
    )
    first, _ = run(emulator, tmp_path)
    assert first.applied is not None and sorted(first.applied.images_uploaded) == [
        "img/one.png",
        "img/two.png",
    ]
    (tmp_path / "content/img/two.png").write_bytes(PNG + b"changed")
    second, sent = run(emulator, tmp_path)
    assert second.applied is not None and second.applied.images_uploaded == ["img/two.png"]
    assert sent["UpsertHelpCenterArticle"] == 1
    html = read_back(emulator)[0]["a"].content_html
    import hashlib
    import re

    import httpx

    urls = re.findall(r'src="([^"]+)"', html)
    assert [httpx.get(u.replace("&amp;", "&")).content for u in urls] == [PNG, PNG + b"changed"]
    assert hashlib.sha256(PNG).hexdigest()[:16] in urls[0]


def test_upload_cache_recognises_images_whose_url_hides_the_name(
    tmp_path: Path, emulator: Emulator
) -> None:
    from content_factory import PNG

    from publisher.sync.images import UploadCache, local_image

    write_tree(tmp_path, {"a.md": article("A", "![one](one.png)"), "one.png": PNG})
    cache_path = tmp_path / "uploads.json"
    image = local_image("one.png", tmp_path / "content/one.png")
    with PlainClient(emulator.url, emulator.api_key) as client:
        hidden = f"{emulator.base_url}/files/elsewhere"  # a URL with no file name in it
        UploadCache(cache_path, f"{client.api_url} {emulator.help_center_id}").save(
            {image.digest: hidden}
        )
        plan, _ = read_and_plan(client, compiled(tmp_path), emulator.help_center_id, cache_path)
    assert plan.uploads == []
    assert f'src="{hidden}#publisher-image={image.digest}"' in plan.articles[0].html


def test_index_that_keeps_changing_fails_after_the_bound(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publisher.sync.navigation import IndexConflictError

    write_tree(tmp_path, {"01-a.md": article("A"), "02-b.md": article("B")})
    run(emulator, tmp_path)
    (tmp_path / "content/01-a.md").rename(tmp_path / "content/03-a.md")
    real_update = PlainClient.update_index
    writes = {"n": 0}

    def always_raced(self: PlainClient, *args: object, **kwargs: object) -> object:
        writes["n"] += 1
        emulator.upsert_article(title=f"Other {writes['n']}", slug=f"other-{writes['n']}")
        return real_update(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(PlainClient, "update_index", always_raced)
    with pytest.raises(IndexConflictError, match="changed 5 times"):
        run(emulator, tmp_path)
    assert writes["n"] == 5


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("Click **Save**now.", "Click **Save** now."),
        ("Click**Save** now.", "Click **Save** now."),
        ("Run`ls`first.", "Run `ls` first."),
        ("See [the guide](https://example.com)now.", "See [the guide](https://example.com) now."),
        ("*a*_b_", "*a* _b_"),
    ],
)
def test_a_whitespace_fix_next_to_inline_markup_is_published(
    tmp_path: Path, emulator: Emulator, before: str, after: str
) -> None:
    write_tree(tmp_path, {"a.md": article("A", before)})
    run(emulator, tmp_path)
    (tmp_path / "content/a.md").write_text(article("A", after))
    outcome, sent = run(emulator, tmp_path)
    assert [(a.kind, a.changed) for a in outcome.plan.articles] == [("update", ("contentHtml",))]
    assert sent.get("UpsertHelpCenterArticle") == 1
    again, sent = run(emulator, tmp_path)
    assert not again.plan.has_changes and sent == {}
