"""Slugs that move between pinned articles (swaps, rotations, chains) converge in one run,
against the emulator (which, like Plain, refuses a slug another article holds), and a run
interrupted at any write converges when run again."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Emulator
from content_factory import article, write_tree
from test_sync_publish import compiled, read_back, run

from publisher.plain import NetworkError, PlainClient, RemoteArticle
from publisher.sync.apply import Applier, PublishError, rename_order, temporary_slug
from publisher.sync.publish import PublishOptions, publish, read_and_plan

#: Each scenario: the slugs published first (file stem -> slug), then the slug each of those
#: files has afterwards (the same article, pinned by id), and new files (slug -> title).
SCENARIOS: dict[str, tuple[dict[str, str], dict[str, str], dict[str, str]]] = {
    "swap": ({"x": "a", "y": "b"}, {"x": "b", "y": "a"}, {}),
    "rotation of three": ({"x": "a", "y": "b", "z": "c"}, {"x": "b", "y": "c", "z": "a"}, {}),
    "chain of three": ({"x": "a", "y": "b", "z": "c"}, {"x": "b", "y": "c", "z": "d"}, {}),
    "chain and a new article on the freed slug": (
        {"x": "a", "y": "b"},
        {"x": "b", "y": "c"},
        {"a": "Newcomer"},
    ),
    "two swaps and a chain at once": (
        {"p": "p1", "q": "q1", "r": "r1", "s": "s1", "t": "t1", "u": "u1"},
        {"p": "q1", "q": "p1", "r": "s1", "s": "r1", "t": "u1", "u": "u2"},
        {},
    ),
}


def _publish_first(
    tmp_path: Path, emulator: Emulator, slugs: dict[str, str]
) -> dict[str, RemoteArticle]:
    write_tree(
        tmp_path, {f"{stem}.md": article(stem.upper(), slug=slug) for stem, slug in slugs.items()}
    )
    run(emulator, tmp_path)
    articles = read_back(emulator)[0]
    return {stem: articles[slug] for stem, slug in slugs.items()}


def _move(
    tmp_path: Path,
    first: dict[str, RemoteArticle],
    after: dict[str, str],
    new: dict[str, str],
    body: str = "Some text.",
) -> None:
    for stem, slug in after.items():
        (tmp_path / f"content/{stem}.md").write_text(
            article(stem.upper(), body, slug=slug, id=first[stem].id)
        )
    for slug, title in new.items():
        (tmp_path / f"content/new-{slug}.md").write_text(article(title, slug=slug))


def _assert_converged(
    tmp_path: Path,
    emulator: Emulator,
    first: dict[str, RemoteArticle],
    after: dict[str, str],
    new: dict[str, str],
) -> None:
    articles = read_back(emulator)[0]
    assert {stem: articles[slug].id for stem, slug in after.items()} == {
        stem: first[stem].id for stem in after
    }
    for slug, title in new.items():
        assert articles[slug].title == title
        assert articles[slug].id not in {a.id for a in first.values()}
    assert set(articles) == set(after.values()) | set(new)  # no temporary slug is left
    again, sent = run(emulator, tmp_path)
    assert not again.plan.has_changes
    assert sent == {}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_slugs_moving_between_pinned_articles_converge_in_one_run(
    name: str, tmp_path: Path, emulator: Emulator
) -> None:
    before, after, new = SCENARIOS[name]
    first = _publish_first(tmp_path, emulator, before)
    _move(tmp_path, first, after, new)
    outcome, sent = run(emulator, tmp_path)
    assert outcome.applied is not None
    _assert_converged(tmp_path, emulator, first, after, new)
    # Every article is written once; only a cycle costs one more write (its temporary slug).
    moved = sum(1 for stem in after if after[stem] != before[stem])
    cycles = {"swap": 1, "rotation of three": 1, "two swaps and a chain at once": 2}
    assert sent["UpsertHelpCenterArticle"] == moved + len(new) + cycles.get(name, 0)


def test_a_swap_that_also_changes_both_articles(tmp_path: Path, emulator: Emulator) -> None:
    first = _publish_first(tmp_path, emulator, {"x": "a", "y": "b"})
    _move(tmp_path, first, {"x": "b", "y": "a"}, {}, body="Rewritten **text**.")
    outcome, _ = run(emulator, tmp_path)
    articles = read_back(emulator)[0]
    for slug in ("a", "b"):
        assert "<strong>text</strong>" in articles[slug].content_html
    assert {a.desired.slug: a.renamed_from for a in outcome.plan.articles} == {"b": "a", "a": "b"}
    _assert_converged(tmp_path, emulator, first, {"x": "b", "y": "a"}, {})


class _Interrupted(PlainClient):
    """A client whose connection drops before its `fail_at`-th article write (1-based)."""

    def __init__(self, *args: object, fail_at: int, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fail_at = fail_at
        self.writes = 0

    def upsert_article(self, *args: object, **kwargs: object) -> RemoteArticle:
        self.writes += 1
        if self.writes == self.fail_at:
            raise NetworkError("connection dropped (test)", transient=False)
        return super().upsert_article(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    ["swap", "rotation of three", "chain of three", "chain and a new article on the freed slug"],
)
@pytest.mark.parametrize("fail_at", [1, 2, 3, 4])
def test_a_run_interrupted_at_any_write_converges_when_run_again(
    name: str, fail_at: int, tmp_path: Path, emulator: Emulator
) -> None:
    before, after, new = SCENARIOS[name]
    first = _publish_first(tmp_path, emulator, before)
    _move(tmp_path, first, after, new)
    site = compiled(tmp_path)
    with _Interrupted(emulator.url, emulator.api_key, fail_at=fail_at) as client:
        try:
            publish(
                client,
                site,
                emulator.help_center_id,
                PublishOptions(backups_dir=tmp_path / "backups", concurrency=1),
            )
        except PublishError:
            pass
        else:
            assert client.writes < fail_at  # fewer writes than that: nothing to interrupt
    run(emulator, tmp_path)
    _assert_converged(tmp_path, emulator, first, after, new)


def test_rename_order_waits_for_each_slug_to_be_freed() -> None:
    # (slug now or None for a new article, slug wanted)
    moves = {"x": ("a", "b"), "y": ("b", "c"), "z": ("c", "d"), "n": (None, "a")}
    waves = rename_order(moves)
    assert waves == [[("z", "d")], [("y", "c")], [("x", "b")], [("n", "a")]]
    swap = rename_order({"x": ("a", "b"), "y": ("b", "a")})
    assert len(swap) == 3
    (first,) = swap[0]
    assert first[1].startswith(("a-tmp-", "b-tmp-"))
    assert [len(w) for w in swap[1:]] == [1, 1]
    independent = rename_order({"x": ("a", "b"), "y": ("c", "d"), "n": (None, "e")})
    assert [sorted(w) for w in independent] == [[("n", "e"), ("x", "b"), ("y", "d")]]


def test_a_temporary_slug_is_stable_valid_and_bounded() -> None:
    slug = temporary_slug("getting-started", "ha_01")
    assert slug == temporary_slug("getting-started", "ha_01")
    assert slug != temporary_slug("getting-started", "ha_02")
    assert slug.startswith("getting-started-tmp-")
    assert len(temporary_slug("x" * 300, "ha_01")) <= 80
    assert all(c.isalnum() or c == "-" for c in slug) and slug == slug.lower()


def test_a_create_never_takes_over_an_article_another_file_stands_for(
    tmp_path: Path, emulator: Emulator
) -> None:
    first = _publish_first(tmp_path, emulator, {"x": "x"})
    _move(tmp_path, first, {"x": "x"}, {"n": "New"})
    site = compiled(tmp_path)
    with PlainClient(emulator.url, emulator.api_key) as client:
        plan, _ = read_and_plan(client, site, emulator.help_center_id)
        assert [a.kind for a in plan.articles if a.desired.slug == "n"] == ["create"]
        # After the read, someone moves the pinned article to the new article's slug.
        emulator.upsert_article(
            helpCenterArticleId=first["x"].id, title="X", slug="n", status="PUBLISHED"
        )
        with pytest.raises(PublishError, match="already used"):
            Applier(client, site, plan, concurrency=1).apply()
    # It was not overwritten with the new article's content.
    assert read_back(emulator)[0]["n"].title == "X"
