"""`restore` never silently overwrites a live article or group that took a deleted slug, and
reads only well-formed snapshots: a malformed one is a usage error naming the file and the
first bad field, never a traceback."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import Emulator
from content_factory import article, write_tree
from test_sync_publish import read_back, run

from publisher.cli import main
from publisher.errors import EXIT_USAGE, RefusedError, UsageError
from publisher.plain import PlainClient
from publisher.sync.prune import (
    MAX_SNAPSHOT_BYTES,
    RestoreRefusedError,
    Snapshot,
    SnapshotError,
    load_snapshot,
    read_snapshot,
    restore,
)

GOOD_ARTICLE: dict[str, Any] = {
    "id": "ha_gone",
    "slug": "gone",
    "title": "Gone",
    "description": None,
    "icon": None,
    "status": "PUBLISHED",
    "contentHtml": "<p>Gone</p>",
    "groupSlug": None,
    "place": {"parentId": None, "position": 0},
}
GOOD_GROUP: dict[str, Any] = {
    "id": "hg_gone",
    "slug": "old-group",
    "name": "Old group",
    "parentSlug": None,
    "place": None,
}


def good_snapshot() -> dict[str, Any]:
    return {
        "version": 1,
        "helpCenterId": "hc_1",
        "takenAt": "2026-01-01T00:00:00Z",
        "groups": [copy.deepcopy(GOOD_GROUP)],
        "articles": [copy.deepcopy(GOOD_ARTICLE)],
    }


def _with(path: str, value: Any) -> dict[str, Any]:
    """The good snapshot with the field at `path` (dots; `-` deletes it) set to `value`."""
    data = good_snapshot()
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return data


_DELETE = object()

# (case, file text, the field or words the error must name)
MALFORMED: list[tuple[str, str | bytes, str]] = [
    ("missing help center", json.dumps(_with("helpCenterId", _DELETE)), "helpCenterId is missing"),
    ("missing version", json.dumps(_with("version", _DELETE)), "version is missing"),
    (
        "missing article slug",
        json.dumps(_with("articles.0.slug", _DELETE)),
        "articles[0].slug is missing",
    ),
    (
        "missing article html",
        json.dumps(_with("articles.0.contentHtml", _DELETE)),
        "articles[0].contentHtml is missing",
    ),
    (
        "missing group name",
        json.dumps(_with("groups.0.name", _DELETE)),
        "groups[0].name is missing",
    ),
    ("missing groups", json.dumps(_with("groups", _DELETE)), "groups is missing"),
    ("title a number", json.dumps(_with("articles.0.title", 7)), "articles[0].title must be text"),
    (
        "description a list",
        json.dumps(_with("articles.0.description", ["x"])),
        "articles[0].description must be text or null, not a list",
    ),
    (
        "status null",
        json.dumps(_with("articles.0.status", None)),
        "articles[0].status must be text, not null",
    ),
    ("empty slug", json.dumps(_with("articles.0.slug", " ")), "articles[0].slug must not be empty"),
    (
        "id an object",
        json.dumps(_with("groups.0.id", {"a": 1})),
        "groups[0].id must be text, not an object",
    ),
    (
        "articles an object",
        json.dumps(_with("articles", {"0": GOOD_ARTICLE})),
        "articles must be a list, not an object",
    ),
    ("articles text", json.dumps(_with("articles", "none")), 'articles must be a list, not "none"'),
    (
        "an article that is text",
        json.dumps(_with("articles", ["gone"])),
        "articles[0] must be a JSON object",
    ),
    (
        "position as text",
        json.dumps(_with("articles.0.place.position", "3")),
        "articles[0].place.position must be a whole number",
    ),
    (
        "position a fraction",
        json.dumps(_with("articles.0.place.position", 1.5)),
        "articles[0].place.position must be a whole number, not 1.5",
    ),
    (
        "position true",
        json.dumps(_with("articles.0.place.position", True)),
        "articles[0].place.position must be a whole number, not true",
    ),
    (
        "position negative",
        json.dumps(_with("articles.0.place.position", -1)),
        "articles[0].place.position must not be negative",
    ),
    (
        "place a list",
        json.dumps(_with("articles.0.place", [0])),
        "articles[0].place must be an object or null",
    ),
    (
        "place parent a number",
        json.dumps(_with("groups.0.place", {"parentId": 5, "position": 0})),
        "groups[0].place.parentId must be text or null, not 5",
    ),
    (
        "version 2",
        json.dumps(_with("version", 2)),
        "version is 2; this publisher reads snapshots of version 1",
    ),
    (
        "version as text",
        json.dumps(_with("version", "1")),
        'version must be a whole number, not "1"',
    ),
    ("a JSON array", "[1, 2]", "the file must be a JSON object, not a list"),
    ("a JSON string", '"snapshot"', "the file must be a JSON object"),
    ("not JSON", "version: 1\n", "not valid JSON (line 1, column 1)"),
    ("cut short", json.dumps(good_snapshot())[:-20], "not valid JSON"),
    ("empty file", "", "not valid JSON"),
    ("not UTF-8", b"\xff\xfe{\x00}\x00", "not UTF-8"),
    ("nested too deeply", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("a number too long", '{"version": ' + "9" * 5000 + "}", "not valid JSON"),
    (
        "a long bad value",
        json.dumps(_with("articles.0.title", 10**80)),
        "articles[0].title must be text, not 1000000000",
    ),
]


@pytest.mark.parametrize(
    ("text", "named"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_a_malformed_snapshot_names_the_file_and_the_first_bad_field(
    tmp_path: Path, text: str | bytes, named: str
) -> None:
    path = tmp_path / "snap.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    for read in (load_snapshot, read_snapshot):
        with pytest.raises(SnapshotError) as info:
            read(path)
        message = str(info.value)
        assert isinstance(info.value, UsageError)
        assert message.startswith(f"{path}: ")
        assert named in message
        assert len(message) < 400 + len(str(path))


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as handle:  # sparse: nothing is really written
        handle.truncate(MAX_SNAPSHOT_BYTES + 1)
    with pytest.raises(SnapshotError, match="more than any snapshot holds"):
        load_snapshot(path)


def test_a_good_snapshot_reads_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(good_snapshot()))
    snapshot = load_snapshot(path)
    assert snapshot.articles[0].place is not None and snapshot.articles[0].place.position == 0
    assert snapshot.to_json() == good_snapshot()
    # Nullable fields may be left out (hand-written snapshots), and unknown keys are ignored.
    data = good_snapshot()
    for key in ("description", "icon", "groupSlug", "place"):
        del data["articles"][0][key]
    del data["takenAt"]
    data["articles"][0]["extra"] = 1
    assert Snapshot.from_json(data).articles[0].description is None


def test_a_malformed_snapshot_from_the_command_line_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLAIN_API_KEY", emulator.api_key)
    monkeypatch.setenv("PLAIN_API_URL", emulator.url)
    for name, text, named in MALFORMED[:: len(MALFORMED) // 6]:
        path = tmp_path / "snap.json"
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        result = CliRunner().invoke(main, ["restore", str(path)])
        assert result.exit_code == EXIT_USAGE, (name, result.output)
        assert named in result.output and str(path) in result.output
        assert "Traceback" not in result.output


# -- slugs taken since the prune ----------------------------------------------------------


def _writes(client: PlainClient) -> int:
    return client.stats.writes


def _pruned(tmp_path: Path, emulator: Emulator, files: dict[str, str], remove: list[str]) -> Path:
    write_tree(tmp_path, files)
    run(emulator, tmp_path)
    for rel in remove:
        target = tmp_path / "content" / rel
        if target.is_dir():
            for child in sorted(target.rglob("*"), reverse=True):
                child.unlink() if child.is_file() else child.rmdir()
            target.rmdir()
        else:
            target.unlink()
    outcome, _ = run(emulator, tmp_path, prune=True, yes=True)
    assert outcome.pruned is not None
    return outcome.pruned.snapshot


def _refused(emulator: Emulator, snapshot: Path, *named: str) -> None:
    with PlainClient(emulator.url, emulator.api_key) as client:
        with pytest.raises(RestoreRefusedError) as info:
            restore(client, load_snapshot(snapshot))
        assert _writes(client) == 0  # nothing was sent
    assert isinstance(info.value, RefusedError)
    for words in named:
        assert words in str(info.value)
    assert "--overwrite" in str(info.value)


def test_a_slug_taken_by_a_new_article_is_refused_then_overwritten_with_a_snapshot(
    tmp_path: Path, emulator: Emulator
) -> None:
    snapshot = _pruned(
        tmp_path, emulator, {"a.md": article("Old A", "Old."), "b.md": article("B")}, ["a.md"]
    )
    write_tree(tmp_path, {"a2.md": article("New A", "New.", slug="a")})
    run(emulator, tmp_path)
    new_a = read_back(emulator)[0]["a"]
    _refused(emulator, snapshot, "article 'a'", '"New A"', new_a.id)
    assert read_back(emulator)[0]["a"].title == "New A"

    with PlainClient(emulator.url, emulator.api_key) as client:
        with pytest.raises(ValueError, match="backups_dir"):
            restore(client, load_snapshot(snapshot), overwrite=True)
        result = restore(
            client, load_snapshot(snapshot), overwrite=True, backups_dir=tmp_path / "saved"
        )
    assert read_back(emulator)[0]["a"].title == "Old A"
    assert result.overwritten == [f"article 'a' is now \"New A\" (id {new_a.id})"]
    assert result.overwritten_snapshot is not None
    saved = load_snapshot(result.overwritten_snapshot)  # the same format as a prune's
    assert [(a.slug, a.title, a.content_html) for a in saved.articles] == [
        ("a", "New A", new_a.content_html)
    ]
    assert saved.articles[0].place is not None
    # What was overwritten can be put back the same way.
    with PlainClient(emulator.url, emulator.api_key) as client:
        restore(client, saved, overwrite=True, backups_dir=tmp_path / "saved")
    assert read_back(emulator)[0]["a"].content_html == new_a.content_html


def test_a_slug_taken_by_a_renamed_article_is_refused(tmp_path: Path, emulator: Emulator) -> None:
    snapshot = _pruned(
        tmp_path, emulator, {"a.md": article("Old A"), "b.md": article("B")}, ["a.md"]
    )
    b = read_back(emulator)[0]["b"]
    (tmp_path / "content/b.md").write_text(article("B", slug="a", id=b.id))
    run(emulator, tmp_path)
    _refused(emulator, snapshot, "article 'a'", '"B"', b.id)
    assert read_back(emulator)[0]["a"].id == b.id


def test_a_group_slug_taken_by_a_new_group_is_refused_then_overwritten(
    tmp_path: Path, emulator: Emulator
) -> None:
    snapshot = _pruned(
        tmp_path,
        emulator,
        {"guides/x.md": article("X"), "guides/_group.yml": "name: Guides\n", "y.md": article("Y")},
        ["guides"],
    )
    write_tree(
        tmp_path, {"other/_group.yml": "name: Other\nslug: guides\n", "other/z.md": article("Z")}
    )
    run(emulator, tmp_path)
    _refused(emulator, snapshot, "group 'guides'", '"Other"')
    with PlainClient(emulator.url, emulator.api_key) as client:
        result = restore(
            client, load_snapshot(snapshot), overwrite=True, backups_dir=tmp_path / "saved"
        )
        groups = {g.slug: g for g in client.list_groups(emulator.help_center_id)}
    assert groups["guides"].name == "Guides"
    assert result.overwritten_snapshot is not None
    saved = load_snapshot(result.overwritten_snapshot)
    assert [(g.slug, g.name) for g in saved.groups] == [("guides", "Other")]


def test_restoring_again_is_not_refused(tmp_path: Path, emulator: Emulator) -> None:
    snapshot = _pruned(
        tmp_path,
        emulator,
        {"g/a.md": article("A"), "g/_group.yml": "name: G\n", "b.md": article("B")},
        ["g"],
    )
    with PlainClient(emulator.url, emulator.api_key) as client:
        first = restore(client, load_snapshot(snapshot))
        again = restore(client, load_snapshot(snapshot))
    assert first.articles == again.articles == ["a"]
    assert again.overwritten == [] and again.overwritten_snapshot is None
    assert not os.path.exists(tmp_path / "saved")


def test_a_refused_restore_from_the_command_line_exits_1_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    snapshot = _pruned(
        tmp_path, emulator, {"a.md": article("Old A"), "b.md": article("B")}, ["a.md"]
    )
    write_tree(tmp_path, {"a2.md": article("New A", slug="a")})
    run(emulator, tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLAIN_API_KEY", emulator.api_key)
    monkeypatch.setenv("PLAIN_API_URL", emulator.url)
    before = read_back(emulator)
    result = CliRunner().invoke(main, ["restore", str(snapshot)])
    assert result.exit_code == 1, result.output
    assert "restore refused" in result.output and "nothing was sent" in result.output
    assert "article 'a'" in result.output and '"New A"' in result.output
    assert "--overwrite" in result.output and "Traceback" not in result.output
    assert read_back(emulator) == before
