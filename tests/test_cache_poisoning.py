"""The render cache folder is not trusted (CI restores it from caches other runs wrote): a
poisoned, garbage or linked entry never puts unsanitised HTML in a page or past `check`; it
is a miss, rendered again. Entries this machine signed are used as they are."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from content_factory import article, write_tree

from publisher.cli import main
from publisher.config import load_settings
from publisher.pipeline import compile_project
from publisher.render.markdown import render_body
from publisher.site.cache import (
    MAX_ENTRY_BYTES,
    CacheEntryGone,
    RenderCache,
    StoredBody,
    cache_key,
)

BODY = "Click **Save** to keep it.\n\n![shot](shot.png) and [the FAQ](faq.md)."
SECRET = bytes(range(32))

POISON = {
    "a script": "<p>Hi</p><script>alert(document.cookie)</script>",
    "an event handler": '<p><img src="x.png" onerror="alert(1)"></p>',
    "a javascript: link": '<p><a href="javascript:alert(1)">Save</a></p>',
    "an entity-encoded javascript: link": '<p><a href="&#106;avascript:alert(1)">x</a></p>',
    "an iframe": '<iframe src="https://evil.example"></iframe>',
    "a style element": "<style>body{display:none}</style><p>x</p>",
    "a form": '<form action="https://evil.example"><input name="password"></form>',
    "a positioned overlay": '<div style="position:fixed;top:0">Sign in again</div>',
}
GARBAGE: dict[str, str | bytes] = {
    "not JSON": "<html>",
    "cut short": '{"html": "<p>x</p>", "anchors": [',
    "empty": "",
    "a JSON list": "[]",
    "a field missing": '{"html": "<p>x</p>", "anchors": [], "links": [], "images": []}',
    "a field too many": json.dumps(
        {"html": "", "anchors": [], "links": [], "images": [], "issues": [], "x": 1}
    ),
    "a line number as text": json.dumps(
        {
            "html": "",
            "anchors": [],
            "links": [],
            "images": [],
            "issues": [{"line": "3", "message": "x"}],
        }
    ),
    "a line number true": json.dumps(
        {
            "html": "",
            "anchors": [],
            "links": [],
            "images": [{"target": "x.png", "line": True, "raw": "x"}],
            "issues": [],
        }
    ),
    "a link missing a field": json.dumps(
        {
            "html": "",
            "anchors": [],
            "links": [{"target": "x.md", "line": 1}],
            "images": [],
            "issues": [],
        }
    ),
    "anchors an object": json.dumps(
        {"html": "", "anchors": {}, "links": [], "images": [], "issues": []}
    ),
    "not UTF-8": b"\xff\xfe\x00",
    "nested too deeply": "[" * 100_000,
    "a forged signature": "mac:" + "0" * 64 + "\n" + "{}",
    "a signature and no body": "mac:" + "0" * 64,
}


@pytest.fixture(autouse=True)
def _own_key_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This machine's signing key lives in a folder of the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


def _project(tmp_path: Path) -> Path:
    from content_factory import PNG

    write_tree(
        tmp_path / "p",
        {"a.md": article("A", BODY), "shot.png": PNG, "faq.md": article("FAQ", "Answers.")},
    )
    return tmp_path / "p"


def _entry(project: Path) -> Path:
    """The cache file of a.md, after a first build made it."""
    settings = load_settings(project)
    compile_project(settings, workers=1)
    text = (project / "content/a.md").read_text()
    markdown = text.split("---\n", 2)[2]
    for line in (5, 4, 6, 3):  # where the body starts after the front-matter
        key = cache_key(markdown, "a.md", line)
        path = settings.render_cache_dir / key[:2] / f"{key}.json"
        if path.exists():
            return path
    raise AssertionError("no cache entry for a.md")


def _fresh_html(project: Path) -> str:
    site = compile_project(load_settings(project), use_cache=False, workers=1).site
    return site.article_html(site.content.articles["a"], lambda image: "x.png")


def _compiled_html(project: Path) -> tuple[str, RenderCache]:
    result = compile_project(load_settings(project), workers=1)
    assert result.cache is not None
    site = result.site
    return site.article_html(site.content.articles["a"], lambda image: "x.png"), result.cache


def _poisoned_json(entry: Path, html: str) -> str:
    """The entry as one unsigned JSON body (as another machine or version writes it), its
    HTML replaced."""
    text = entry.read_text()
    payload = text.split("\n", 1)[1] if text.startswith("mac:") else text
    meta, _, _ = payload.partition("\n")  # a signed entry: the meta line, then the HTML
    data = json.loads(meta)
    data.pop("html_sha256", None)
    data["html"] = html
    return json.dumps(data)


@pytest.mark.parametrize("html", POISON.values(), ids=POISON)
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "forged signature"])
def test_a_poisoned_entry_is_rendered_again(tmp_path: Path, html: str, signed: bool) -> None:
    project = _project(tmp_path)
    entry = _entry(project)
    poisoned = _poisoned_json(entry, html)
    entry.write_text(("mac:" + "ab" * 32 + "\n" if signed else "") + poisoned)
    compiled, cache = _compiled_html(project)
    assert compiled == _fresh_html(project)
    assert cache.rejected == 1
    # The entry was written over with the real one, which this machine then trusts.
    assert entry.read_text().startswith("mac:")
    again, cache = _compiled_html(project)
    assert again == compiled and cache.rejected == cache.checked == 0


def test_a_poisoned_entry_passes_neither_check_nor_build(tmp_path: Path) -> None:
    project = _project(tmp_path)
    entry = _entry(project)
    entry.write_text(_poisoned_json(entry, POISON["a script"] + POISON["an event handler"]))
    for command in ("check", "build"):
        result = CliRunner().invoke(main, [command, str(project)])
        assert result.exit_code == 0, result.output
    pages = list((project / "_site").rglob("*.html"))
    assert pages
    for page in pages:
        assert "alert(" not in page.read_text()


@pytest.mark.parametrize("text", GARBAGE.values(), ids=GARBAGE)
def test_a_garbage_entry_is_a_miss(tmp_path: Path, text: str | bytes) -> None:
    project = _project(tmp_path)
    entry = _entry(project)
    if isinstance(text, bytes):
        entry.write_bytes(text)
    else:
        entry.write_text(text)
    compiled, cache = _compiled_html(project)
    assert compiled == _fresh_html(project)
    assert cache.rejected == 1


def test_an_entry_that_is_a_symlink_is_not_followed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    entry = _entry(project)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(_poisoned_json(entry, POISON["a script"]))
    entry.unlink()
    entry.symlink_to(elsewhere)
    compiled, cache = _compiled_html(project)
    assert compiled == _fresh_html(project) and cache.rejected == 1
    assert not entry.is_symlink()  # written over by a real entry
    assert "alert" in elsewhere.read_text()  # and nothing written through the link


def test_a_cache_folder_that_is_a_symlink_is_neither_read_nor_written(tmp_path: Path) -> None:
    project = _project(tmp_path)
    entry = _entry(project)
    shard = entry.parent
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / entry.name).write_text(_poisoned_json(entry, POISON["an iframe"]))
    for child in shard.iterdir():
        child.unlink()
    shard.rmdir()
    shard.symlink_to(elsewhere, target_is_directory=True)
    compiled, cache = _compiled_html(project)
    assert compiled == _fresh_html(project) and cache.rejected == 1
    assert [p.name for p in elsewhere.iterdir()] == [entry.name]  # nothing written there
    assert "iframe" in (elsewhere / entry.name).read_text()


def test_a_fifo_or_a_huge_file_is_a_miss_without_waiting(tmp_path: Path) -> None:
    project = _project(tmp_path)
    entry = _entry(project)
    entry.unlink()
    os.mkfifo(entry)
    compiled, cache = _compiled_html(project)  # a FIFO with no writer would block a read
    assert compiled == _fresh_html(project) and cache.rejected == 1
    entry.unlink()
    with entry.open("wb") as handle:
        handle.truncate(MAX_ENTRY_BYTES + 1)
    compiled, cache = _compiled_html(project)
    assert compiled == _fresh_html(project) and cache.rejected == 1


def test_entries_from_another_machine_are_checked_then_signed(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    body = render_body(BODY, "a.md", 1)
    key = cache_key(BODY, "a.md", 1)
    RenderCache(cache_dir, secret=b"another machine's key, 32 bytes.").put(key, body)
    here = RenderCache(cache_dir, secret=SECRET)
    assert here.get(key) == body
    assert (here.checked, here.rejected) == (1, 0)
    again = RenderCache(cache_dir, secret=SECRET)
    assert again.get(key) == body
    assert (again.checked, again.rejected) == (0, 0)


def test_a_signed_entry_moved_to_another_key_is_checked(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    cache = RenderCache(cache_dir, secret=SECRET)
    body = render_body(BODY, "a.md", 1)
    key, other = cache_key(BODY, "a.md", 1), cache_key("Other.", "b.md", 1)
    cache.put(key, body)
    target = cache_dir / other[:2] / f"{other}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text((cache_dir / key[:2] / f"{key}.json").read_text())
    moved = RenderCache(cache_dir, secret=SECRET)
    assert moved.get(other) == body  # safe HTML, though not vouched for: checked in full
    assert moved.checked == 1


def test_every_rendered_body_survives_the_round_trip(tmp_path: Path) -> None:
    """Whatever fields RenderedBody has, the cache can check and read them back."""
    markdown = (
        "# Title\n\n## Same\n\n## Same\n\nText[^1] with `code`, <kbd>k</kbd>.\n\n"
        "[^1]: Note.\n\n- [x] done\n\n| a | b |\n|:-|-:|\n| 1 | 2 |\n\n```python\nx = 1\n```\n\n"
        '!!! warning "Careful"\n    Body.\n\n<script>alert(1)</script>\n\n[x](missing.md)\n'
    )
    body = render_body(markdown, "g/a.md", 7)
    key = cache_key(markdown, "g/a.md", 7)
    RenderCache(tmp_path, signed=False).put(key, body)  # unsigned: the full check
    cache = RenderCache(tmp_path, secret=SECRET)
    assert cache.get(key) == body
    assert (cache.checked, cache.rejected) == (1, 0)


def test_html_replaced_under_a_valid_signature_is_never_used(tmp_path: Path) -> None:
    """The signature covers the meta line, which names the HTML's digest: HTML swapped in
    after it (or an entry that went away after it was read) is rendered again instead."""
    project = _project(tmp_path)
    entry = _entry(project)
    mac, meta, _ = entry.read_text().split("\n", 2)
    for html in POISON.values():
        entry.write_text(f"{mac}\n{meta}\n{html}")
        compiled, cache = _compiled_html(project)
        assert compiled == _fresh_html(project)
        assert cache.rejected == 0  # the signed lines were good: only the HTML was not
    settings = load_settings(project)
    result = compile_project(settings, workers=1)
    site = result.site
    entry.unlink()
    assert site.article_html(site.content.articles["a"], lambda image: "x.png") == _fresh_html(
        project
    )


def test_a_signed_entry_is_read_without_its_html(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    body = render_body(BODY + "\n\n" + "Long text. " * 20_000, "a.md", 1)
    key = cache_key("x", "a.md", 1)
    RenderCache(cache_dir, secret=SECRET).put(key, body)
    entry = cache_dir / key[:2] / f"{key}.json"
    assert entry.read_text().count("\n") >= 2
    stored = RenderCache(cache_dir, secret=SECRET).get(key)
    assert isinstance(stored, StoredBody)
    assert stored.__dict__.get("html") is None  # not held: read from the entry when asked
    assert stored.html == body.html and stored == body
    missing = RenderCache(cache_dir, secret=SECRET).get(key)
    entry.unlink()
    assert isinstance(missing, StoredBody)
    with pytest.raises(CacheEntryGone):
        _ = missing.html  # no way to render it again was given
