"""The navigation each page carries: a window per level of its trail, whatever the size of
the help center, and the one document that holds the whole tree."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from content_factory import article, write_tree

from publisher.config import load_settings
from publisher.content.loader import load_content
from publisher.pipeline import build_project
from publisher.site.navigation import WINDOW, Level, Navigation

SIZE = 2 * WINDOW + 1


def group_of(count: int, *, nested: int = 0) -> dict[str, str]:
    files = {"big/_group.yml": "name: Big\n", "faq.md": article("FAQ", "Questions.")}
    for number in range(count):
        files[f"big/{number:04d}.md"] = article(f"Article {number:04d}", "Text.", order=number)
    for number in range(nested):
        files[f"big/inner/i{number:04d}.md"] = article(f"Inner {number:04d}", "Text.")
    if nested:
        files["big/inner/_group.yml"] = "name: Inner\norder: 5000\n"
    return files


def navigation_of(tmp_path: Path, files: dict[str, str]) -> Navigation:
    content, problems = load_content(write_tree(tmp_path, files))
    assert [p for p in problems if p.severity == "error"] == []
    return Navigation(content)


def titles(level: Level) -> list[str]:
    return [item.entry.title for item in level.items]


def inner(level: Level, title: str) -> Level:
    item = next(item for item in level.items if item.entry.title == title)
    assert item.open and item.children is not None
    return item.children


@pytest.mark.parametrize(
    ("position", "first", "before"),
    [
        (0, 0, 0),
        (3, 0, 0),
        (WINDOW, 0, 0),
        (15, 15 - WINDOW, 15 - WINDOW),
        (29, 30 - SIZE, 30 - SIZE),
    ],
)
def test_a_trail_shows_a_window_around_the_way_to_the_page(
    tmp_path: Path, position: int, first: int, before: int
) -> None:
    navigation = navigation_of(tmp_path, group_of(30))
    level = inner(navigation.sidebar(f"article:{position:04d}"), "Big")
    assert titles(level) == [f"Article {n:04d}" for n in range(first, first + SIZE)]
    assert (level.before, level.after) == (before, 30 - first - SIZE)
    assert level.before_url == ("/group/big/" if before else None)
    assert level.after_url == ("/group/big/" if level.after else None)


def test_a_small_group_is_shown_whole_and_a_group_page_from_its_start(tmp_path: Path) -> None:
    navigation = navigation_of(tmp_path, group_of(4))
    level = inner(navigation.sidebar("article:0002"), "Big")
    assert titles(level) == [f"Article {n:04d}" for n in range(4)]
    assert (level.before, level.after) == (0, 0)
    big = navigation_of(tmp_path / "big", group_of(40))
    own = inner(big.sidebar("group:big"), "Big")
    assert titles(own) == [f"Article {n:04d}" for n in range(SIZE)] and own.after == 40 - SIZE
    home = big.sidebar(None)
    assert titles(home) == ["Big", "FAQ"] and not any(item.open for item in home.items)


def test_every_page_that_shows_an_entry_is_among_those_it_names(tmp_path: Path) -> None:
    """`showing(key)` is what the preview compares when an entry's title changes: it must
    name every page whose sidebar or cards show that entry."""
    navigation = navigation_of(tmp_path, group_of(40, nested=30))
    pages: list[str | None] = [None, *navigation.entries]
    for page in pages:
        shown = _shown_keys(navigation.sidebar(page))
        if page is not None and page.startswith("group:"):
            shown |= {child.key for child in navigation.entries[page].children}
        if page is None:
            shown |= {entry.key for entry in navigation.top}
        for key in shown - {page}:
            assert (page or "") in navigation.showing(key), (page, key)


def _shown_keys(level: Level) -> set[str]:
    keys = set()
    for item in level.items:
        keys.add(item.entry.key)
        if item.children is not None:
            keys |= _shown_keys(item.children)
    return keys


def sidebar_links(html: str) -> int:
    nav = html.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    return nav.count("<a ")


def test_a_page_is_the_same_size_in_a_small_and_a_large_help_center(tmp_path: Path) -> None:
    sizes = {}
    for count in (30, 300, 1200):
        project = tmp_path / str(count)
        write_tree(project, group_of(count))
        out = project / "site"
        assert build_project(load_settings(project), out, workers=1).written
        page = (out / "article/0020/index.html").read_text()
        # Only the counts in the "N more" links may differ.
        same = re.sub(r">\d+ more<", ">N more<", page)
        sizes[count] = (len(same.encode()), sidebar_links(page))
        # The whole tree is in the one navigation document, in publish order.
        document = (out / "_publisher/nav.html").read_text()
        keys = re.findall(r'data-key="article:(\d+)"', document)
        assert keys == [f"{n:04d}" for n in range(count)]
    assert sizes[30] == sizes[300] == sizes[1200]
    # Its trail: the top level (two entries), the window in Big and the two "more" links.
    assert sizes[30][1] == 2 + SIZE + 2


def test_the_trail_works_without_javascript(tmp_path: Path) -> None:
    """The sidebar in the page itself (what a browser without JavaScript shows) links to
    the neighbours, marks the way, and says how many more there are and where."""
    project = tmp_path / "p"
    write_tree(project, group_of(50))
    out = project / "site"
    build_project(load_settings(project), out, workers=1)
    page = (out / "article/0025/index.html").read_text()
    nav = page.split('<nav class="sidebar"', 1)[1].split("</nav>", 1)[0]
    assert 'data-current="article:0025"' in nav and 'data-open="group:big"' in nav
    assert '<li class="group open"><a href="/group/big/" data-key="group:big">Big</a>' in nav
    assert nav.count('<li class="more"><a href="/group/big/">') == 2  # all on its first page
    assert ">20 more<" in nav and ">19 more<" in nav
    assert 'nav.sidebar a[data-key="article:0025"]' in page  # the current page is marked
    assert '<script src="/_publisher/nav.js" defer></script>' in page


def test_random_trees_keep_every_window_within_its_bound(tmp_path: Path) -> None:
    rng = random.Random(7)
    files: dict[str, str] = {}
    for group in range(4):
        files[f"g{group}/_group.yml"] = f"name: G{group}\n"
        for number in range(rng.randint(1, 40)):
            files[f"g{group}/g{group}a{number}.md"] = article(f"A{group}-{number}", "Text.")
        for number in range(rng.randint(0, 20)):
            files[f"g{group}/sub{group}/g{group}b{number}.md"] = article(
                f"B{group}-{number}", "Text."
            )
    navigation = navigation_of(tmp_path, files)
    for key in [None, *navigation.entries]:
        level: Level | None = navigation.sidebar(key)
        listed = navigation.top
        while level is not None:
            assert len(level.items) == min(SIZE, len(listed))
            assert level.before + len(level.items) + level.after == len(listed)
            assert [item.entry for item in level.items] == listed[
                level.before : level.before + len(level.items)
            ]
            opened = next((item for item in level.items if item.open), None)
            level = opened.children if opened is not None else None
            listed = opened.entry.children if opened is not None else []


def test_long_listings_are_paged_and_the_trail_links_to_the_right_page(tmp_path: Path) -> None:
    project = tmp_path / "p"
    write_tree(project, group_of(250))
    out = project / "site"
    result = build_project(load_settings(project), out, workers=1)
    assert result.written
    pages = [out / "group/big/index.html", out / "group/big/page/2/index.html"]
    pages.append(out / "group/big/page/3/index.html")
    cards = [re.findall(r'<a href="/article/(\d+)">', page.read_text()) for page in pages]
    assert cards == [
        [f"{n:04d}" for n in range(0, 100)],
        [f"{n:04d}" for n in range(100, 200)],
        [f"{n:04d}" for n in range(200, 250)],
    ]
    second = pages[1].read_text()
    assert (
        'href="/group/big/" rel="prev"' in second
        and 'href="/group/big/page/3/" rel="next"' in second
    )
    assert "101–200 of 250" in second
    assert not (out / "group/big/page/4").exists() and not (out / "page/2").exists()
    # The trail of article 150 leaves out 0..144 and 156..249; the nearest of each (144
    # and 156) are both on the group's second page.
    trail = (out / "article/0150/index.html").read_text().split("</nav>", 1)[0]
    assert '<a href="/group/big/page/2/">145 more</a>' in trail
    assert '<a href="/group/big/page/2/">94 more</a>' in trail
    trail = (out / "article/0120/index.html").read_text().split("</nav>", 1)[0]
    assert '<a href="/group/big/page/2/">115 more</a>' in trail  # 114 is on page 2
    trail = (out / "article/0098/index.html").read_text().split("</nav>", 1)[0]
    assert '<a href="/group/big/">93 more</a>' in trail
    assert '<a href="/group/big/page/2/">146 more</a>' in trail  # 104 is on page 2


def test_a_retitled_article_reloads_the_listing_page_that_shows_it(tmp_path: Path) -> None:
    from publisher.preview.live import LiveSite

    content = write_tree(tmp_path, group_of(250))
    live = LiveSite(load_settings(tmp_path))
    assert live.rebuild().errors == []
    path = content / "big/0150.md"
    path.write_text(article("Renamed", "Text.", order=150))
    changed = live.rebuild({path}).changed
    assert "/group/big/page/2/" in changed and "/article/0150/" in changed
    assert "/group/big/page/3/" not in changed and "/group/big/" not in changed
    assert "Renamed" in (live.page("group/big/page/2/index.html") or "")
    # The navigation document (made once, then kept) shows it as well.
    assert "/_publisher/nav.html" in changed
    assert ">Renamed</a>" in (live.page("_publisher/nav.html") or "")
