"""YAML parsed in earlier runs: used only when this machine signed it, exactly as parsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from content_factory import article, write_tree

from publisher.config import load_settings
from publisher.content import loader
from publisher.content.parsed_yaml import ParsedYaml
from publisher.pipeline import build_project, compile_project
from publisher.signing import mac

SECRET = bytes(range(32))
OTHER = bytes(range(1, 33))

TEXTS = [
    "title: Getting started\nslug: getting-started\norder: 3\n",
    'title: "Ünïcödé – 日本語"\naliases: [one, two]\nstatus: draft\n',
    "title: yes\nicon: null\norder: -2.5\n",
    "nested:\n  a: [1, {b: c}]\n",
    "",
]


@pytest.fixture(autouse=True)
def _own_key_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def parse_all(memo: ParsedYaml, texts: list[str]) -> list[object]:
    token = loader._PARSED.set(memo)
    try:
        return [loader._load_yaml(text) for text in texts]
    finally:
        loader._PARSED.reset(token)


def test_texts_parse_the_same_from_the_memo_as_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "parsed.json"
    first = ParsedYaml(path, secret=SECRET)
    values = parse_all(first, TEXTS)
    assert values == [loader._parse_yaml(text) for text in TEXTS] and first.hits == 0
    first.save()
    again = ParsedYaml(path, secret=SECRET)
    assert parse_all(again, TEXTS) == values and again.hits == len(TEXTS)
    values[0]["title"] = "changed by a caller"  # type: ignore[index]
    assert parse_all(again, TEXTS[:1]) == [loader._parse_yaml(TEXTS[0])]


def test_values_json_does_not_hold_exactly_are_parsed_every_time(tmp_path: Path) -> None:
    path = tmp_path / "parsed.json"
    texts = ["date: 2024-02-29\n", "1: numbered key\n", "x: .nan\n"]
    memo = ParsedYaml(path, secret=SECRET)
    parse_all(memo, texts)
    memo.save()
    again = ParsedYaml(path, secret=SECRET)
    assert parse_all(again, texts)[0] == loader._parse_yaml(texts[0])
    assert again.hits == 0


@pytest.mark.parametrize("tamper", ["other key", "value changed", "no signature", "garbage"])
def test_a_memo_this_machine_did_not_sign_is_not_used(tmp_path: Path, tamper: str) -> None:
    path = tmp_path / "parsed.json"
    memo = ParsedYaml(path, secret=OTHER if tamper == "other key" else SECRET)
    parse_all(memo, TEXTS)
    memo.save()
    signature, _, body = path.read_text().partition("\n")
    if tamper == "value changed":
        path.write_text(signature + "\n" + body.replace("Getting started", "Evil"))
    elif tamper == "no signature":
        path.write_text(body)
    elif tamper == "garbage":
        path.write_bytes(b"\xff" * 100)
    again = ParsedYaml(path, secret=SECRET)
    assert parse_all(again, TEXTS) == [loader._parse_yaml(text) for text in TEXTS]
    assert again.hits == 0


def test_a_forged_memo_never_changes_what_an_article_says(tmp_path: Path) -> None:
    """Even a memo in the right shape, signed with a key that is not this machine's (one a
    restored CI cache could hold), is not read: the title stays the file's."""
    write_tree(tmp_path, {"a.md": article("Real title", "Text.")})
    settings = load_settings(tmp_path)
    assert build_project(settings, tmp_path / "site", workers=1).written
    path = settings.cache_dir / "parsed-yaml.json"
    body = path.read_text().partition("\n")[2]
    forged = body.replace("Real title", "Forged title")
    path.write_text(mac(OTHER, "parsed-yaml", forged) + "\n" + forged)
    build_project(settings, tmp_path / "site", workers=1)
    assert "Real title" in (tmp_path / "site/article/a/index.html").read_text()


def test_a_second_load_parses_only_what_changed(tmp_path: Path) -> None:
    content = write_tree(
        tmp_path,
        {f"a{n}.md": article(f"A {n}", "Text.", order=n) for n in range(20)}
        | {"g/_group.yml": "name: G\n", "g/b.md": article("B", "Text.")},
    )
    settings = load_settings(tmp_path)
    compile_project(settings, workers=1)
    (content / "a3.md").write_text(article("A three", "Text.", order=3))
    memo = ParsedYaml(settings.cache_dir / "parsed-yaml.json")
    result = compile_project(settings, workers=1, parsed_yaml=memo)
    assert memo.hits == 21  # all but a3.md's front-matter (the group file counts)
    assert result.site.content.articles["a3"].title == "A three"
    saved = json.loads(memo.path.read_text().partition("\n")[2]) if memo.path else {}
    assert len(saved["parsed"]) == 22
