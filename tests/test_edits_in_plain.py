"""Edits people make in Plain's app: told apart from this tool's own writes, shown with a
Markdown diff, never overwritten silently, and brought back into the files. Pure parts;
the whole round trip against the emulator is in tests/test_edits_round_trip.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import frontmatter
import pytest
from content_factory import article, write_tree
from test_headings_and_unknown_entries import site_of

from publisher.config import load_settings
from publisher.pipeline import compile_project
from publisher.plain import Actor, IndexEntry, RemoteArticle, RemoteGroup, RemoteIndex
from publisher.site.compiler import CompiledSite
from publisher.sync.edits import (
    PublishedRecord,
    bring_home,
    find_edits,
    fingerprint,
    is_ours,
    needs_identity,
)
from publisher.sync.plan import Plan, make_plan
from publisher.sync.state import RemoteState

ME = "mu_publisher"
PERSON = Actor("user", "u_grace", "Grace Hopper")
OTHER_KEY = Actor("machine_user", "mu_other")
OUR_KEY = Actor("machine_user", ME)
SYSTEM = Actor("system", "system")


def test_who_counts_as_this_tool() -> None:
    assert is_ours(OUR_KEY, ME)
    assert not is_ours(OUR_KEY, None)  # identity unknown: nobody is us
    for actor in (PERSON, OTHER_KEY, SYSTEM, Actor("unknown", "x")):
        assert not is_ours(actor, ME)
    assert is_ours(None, ME)  # a server that does not say: nothing to tell apart


@pytest.mark.parametrize(
    ("typename", "kind"),
    [
        ("UserActor", "user"),
        ("MachineUserActor", "machine_user"),
        ("SystemActor", "system"),
        ("CustomerActor", "unknown"),
    ],
)
def test_actors_are_read_whatever_their_type(typename: str, kind: str) -> None:
    node = {
        "__typename": typename,
        "userId": "u_1" if typename == "UserActor" else None,
        "machineUserId": "mu_1" if typename == "MachineUserActor" else None,
        "systemId": "sys" if typename == "SystemActor" else None,
        "user": {"fullName": "Grace Hopper"} if typename == "UserActor" else None,
    }
    actor = Actor.from_graphql(node)
    assert actor is not None and actor.kind == kind
    assert Actor.from_graphql(None) is None
    if kind == "user":
        assert actor.name == "Grace Hopper"
        assert actor.describe() == "Grace Hopper in Plain's app"


def content(tmp_path: Path, body: str = "Hello from git.") -> CompiledSite:
    return site_of(
        tmp_path,
        {
            "01-a.md": article("A", body=body),
            "02-g/b.md": article("B", body="Group text."),
        },
    )


def remote_for(site: CompiledSite, **changes: object) -> RemoteState:
    """The help center as this content published it, with `changes` applied to article a:
    `html`, `by`, `at`, and `group_name`/`group_by` for the group."""
    html = {slug: site.article_html(a, lambda _: "") for slug, a in site.content.articles.items()}
    group = RemoteGroup("gid", "g", str(changes.get("group_name", "G")), None, None)
    group = replace(group, updated_by=changes.get("group_by", OUR_KEY))  # type: ignore[arg-type]
    a = RemoteArticle("id_a", "a", "A", None, None, html["a"], "PUBLISHED", None)
    a = replace(
        a,
        content_html=str(changes.get("html", html["a"])),
        updated_by=changes.get("by", OUR_KEY),  # type: ignore[arg-type]
        updated_at=changes.get("at"),  # type: ignore[arg-type]
    )
    b = RemoteArticle("id_b", "b", "B", None, None, html["b"], "PUBLISHED", "gid", None, OUR_KEY)
    entries = (
        IndexEntry("ARTICLE", "id_a"),
        IndexEntry("ARTICLE_GROUP", "gid"),
        IndexEntry("ARTICLE", "id_b", "gid"),
    )
    index = RemoteIndex("hc", "h", entries, None, changes.get("index_by", OUR_KEY))  # type: ignore[arg-type]
    return RemoteState("hc", [a, b], [group], index)


def planned(site: CompiledSite, remote: RemoteState, published: dict[str, str]) -> Plan:
    plan = make_plan(site, remote, {})
    find_edits(plan, remote, ME, published)
    return plan


@pytest.mark.parametrize("by", [PERSON, OTHER_KEY, SYSTEM], ids=["person", "other-key", "system"])
def test_an_article_changed_by_anyone_else_is_an_edit_with_a_markdown_diff(
    tmp_path: Path, by: Actor
) -> None:
    site = content(tmp_path)
    remote = remote_for(site, html="<p>Hello from <strong>support</strong>.</p>", by=by, at="T1")
    plan = planned(site, remote, {})
    [edit] = plan.edits
    assert (edit.kind, edit.item, edit.by, edit.at, edit.conflict) == (
        "article",
        "a",
        by,
        "T1",
        False,
    )
    assert edit.source == site.content.articles["a"].path
    assert "-Hello from **support**." in edit.diff and "+Hello from git." in edit.diff
    assert plan.articles[0].edit is edit
    assert plan.to_json()["editedInPlain"][0]["by"]["kind"] == by.kind


def test_our_own_writes_are_ordinary_updates(tmp_path: Path) -> None:
    site = content(tmp_path)
    plan = planned(site, remote_for(site, html="<p>Old text.</p>", by=OUR_KEY), {})
    assert plan.edits == []
    assert [a.kind for a in plan.articles] == ["update", "unchanged"]


def test_an_edit_that_matches_the_content_is_nothing_to_do(tmp_path: Path) -> None:
    site = content(tmp_path)
    plan = planned(site, remote_for(site, by=PERSON), {})  # a person saved it unchanged
    assert plan.edits == [] and not plan.has_changes


def test_both_sides_changed_is_a_conflict_only_when_the_base_is_known(tmp_path: Path) -> None:
    old = content(tmp_path / "old", body="Hello from git, first version.")
    site = content(tmp_path / "new")  # the writer changed the text since
    edited = remote_for(site, html="<p>Typo fixed in Plain.</p>", by=PERSON)
    assert planned(site, edited, {"id_a": published_a(old)}).edits[0].conflict
    # No record of the last publish: an edit, never silently a conflict-free one.
    assert not planned(site, edited, {}).edits[0].conflict
    # The content is what was last published: only Plain changed.
    assert not planned(site, edited, {"id_a": published_a(site)}).edits[0].conflict


def published_a(site: CompiledSite) -> str:
    """The fingerprint a publish of `site` records for article a."""
    action = make_plan(site, remote_for(site), {}).articles[0]
    return fingerprint(action.desired, action.html)


def test_a_group_renamed_and_a_sidebar_reordered_in_the_app_are_reported(tmp_path: Path) -> None:
    site = content(tmp_path)
    remote = remote_for(site, group_name="Renamed in app", group_by=PERSON)
    # The person also moved B out of its group to the top.
    index = RemoteIndex(
        "hc",
        "h",
        (
            IndexEntry("ARTICLE", "id_b"),
            IndexEntry("ARTICLE", "id_a"),
            IndexEntry("ARTICLE_GROUP", "gid"),
        ),
        "T2",
        PERSON,
    )
    remote = RemoteState("hc", remote.articles, remote.groups, index)
    plan = planned(site, remote, {})
    kinds = {e.kind: e for e in plan.edits}
    assert set(kinds) == {"group", "navigation"}
    assert "- name: Renamed in app" in kinds["group"].diff
    assert kinds["navigation"].at == "T2" and "+" in kinds["navigation"].diff
    assert plan.groups[0].edit is kinds["group"]


def test_identity_is_asked_only_when_a_machine_user_wrote_what_would_change(
    tmp_path: Path,
) -> None:
    site = content(tmp_path)
    unchanged = make_plan(site, remote_for(site), {})
    assert not needs_identity(unchanged, remote_for(site))
    by_person = remote_for(site, html="<p>x</p>", by=PERSON)
    assert not needs_identity(make_plan(site, by_person, {}), by_person)
    by_key = remote_for(site, html="<p>x</p>", by=OTHER_KEY)
    assert needs_identity(make_plan(site, by_key, {}), by_key)


def test_the_published_record_is_kept_per_help_center(tmp_path: Path) -> None:
    path = tmp_path / "published.json"
    PublishedRecord(path, "api hc1").save({"id_a": "f1"})
    PublishedRecord(path, "api hc2").save({"id_a": "f2"})
    PublishedRecord(path, "api hc1").save({"id_b": "f3"})
    assert PublishedRecord(path, "api hc1").load() == {"id_a": "f1", "id_b": "f3"}
    path.write_text("not json")
    assert PublishedRecord(path, "api hc1").load() == {}


def test_bring_home_writes_the_edit_into_the_file_and_keeps_its_keys(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "01-a.md": article("A", body="Hello from git.", aliases="[old-a]", id="id_a"),
            "02-g/_group.yml": "name: G\norder: 2\n",
            "02-g/b.md": article("B", body="See [A](../01-a.md)."),
        },
    )
    site = compile_project(load_settings(tmp_path), use_cache=False).site
    edited_html = '<p>Hello from <strong>support</strong>, see <a href="/article/b">B</a>.</p>'
    remote = remote_for(site, html=edited_html, by=PERSON, group_name="Guides", group_by=PERSON)
    remote.article_by_id["id_a"] = replace(
        remote.article_by_id["id_a"], title="A, retitled", description="Now described"
    )
    plan = planned(site, remote, {})
    home = bring_home(plan, remote, site.content)
    assert sorted(p.name for p in home.written) == ["01-a.md", "_group.yml"]
    post = frontmatter.load(str(tmp_path / "content/01-a.md"))
    assert post["title"] == "A, retitled" and post["description"] == "Now described"
    assert post["id"] == "id_a" and post["aliases"] == ["old-a"]
    assert post.content == "Hello from **support**, see [B](02-g/b.md)."
    group = (tmp_path / "content/02-g/_group.yml").read_text()
    assert "name: Guides" in group and "order: 2" in group


@pytest.mark.parametrize("by", [SYSTEM, PERSON], ids=["system", "person"])
def test_a_sidebar_this_content_never_had_is_no_edit(tmp_path: Path, by: Actor) -> None:
    site = content(tmp_path)
    empty = RemoteState("hc", [], [], RemoteIndex("hc", "h", (), "T0", by))
    plan = planned(site, empty, {})
    assert plan.nav_changed and plan.edits == []


def test_plain_re_indexing_by_itself_is_no_edit(tmp_path: Path) -> None:
    site = content(tmp_path)
    remote = remote_for(site, index_by=SYSTEM)
    moved = RemoteIndex("hc", "h", tuple(reversed(remote.index.entries)), "T1", SYSTEM)
    plan = planned(site, RemoteState("hc", remote.articles, remote.groups, moved), {})
    assert plan.nav_changed and plan.edits == []
