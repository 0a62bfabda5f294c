"""The preview's rebuilds: what a save changes, and that the result always equals a full build."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any

import pytest
from content_factory import PNG, article, write_tree

from publisher.config import load_settings
from publisher.pipeline import build_project, compile_project
from publisher.preview import live as live_module
from publisher.preview.live import LiveSite, Update, page_url
from publisher.site.builder import SitePages
from publisher.site.navigation import WINDOW

FILES: dict[str, str | bytes] = {
    "01-start/_group.yml": "name: Start here\n",
    "01-start/01-install.md": article("Install", "## Steps\n\n![Shot](img/shot.png)"),
    "01-start/02-login.md": article("Log in", "See [install](01-install.md#steps)."),
    "01-start/img/shot.png": PNG,
    "02-billing/refunds.md": article("Refunds", "Money back."),
    "02-billing/plans.md": article("Plans", "Prices."),
    "faq.md": article("FAQ", "Questions."),
}


def full_build(project: Path, out: Path) -> dict[str, bytes]:
    result = build_project(load_settings(project), out, use_cache=False, workers=1)
    assert result.compiled.errors == []
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and p.name != ".publisher-site"
    }


def live_files(live: LiveSite) -> dict[str, bytes]:
    files = live.files()
    pages = {path: html.encode() for path, html in files.pages.items()}
    copies = {path: source.read_bytes() for path, source in files.copies.items()}
    return {**pages, **copies}


def served_page(live: LiveSite, path: str) -> str:
    page = live.page(path)
    assert page is not None, path
    return page


def atomic_write(path: Path, text: str) -> None:
    """How vim and many editors save: write a temp file, then rename it over the original."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(text)
    os.replace(temp, path)


def test_first_rebuild_equals_a_full_build(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    live = LiveSite(load_settings(tmp_path))
    update = live.rebuild()
    assert update.errors == []
    assert live_files(live) == full_build(tmp_path, tmp_path / "out")


def test_body_edit_changes_one_page(tmp_path: Path) -> None:
    content = write_tree(tmp_path, FILES)
    live = LiveSite(load_settings(tmp_path))
    live.rebuild()
    path = content / "faq.md"
    atomic_write(path, article("FAQ", "Other questions."))
    update = live.rebuild({path})
    assert update.changed == ["/article/faq/"]
    assert "Other questions." in served_page(live, "article/faq/index.html")


def test_title_edit_changes_the_pages_whose_sidebar_shows_it(tmp_path: Path) -> None:
    content = write_tree(tmp_path, FILES)
    live = LiveSite(load_settings(tmp_path))
    live.rebuild()
    path = content / "02-billing/plans.md"
    path.write_text(article("Plans and prices", "Prices."))
    update = live.rebuild({path})
    # The billing group's pages show its articles; pages elsewhere show the group closed.
    # The navigation document that every page's script shows changed too.
    assert update.changed == [
        "/_publisher/nav.html",
        "/article/plans/",
        "/article/refunds/",
        "/group/billing/",
    ]


def test_top_level_title_edit_changes_every_page(tmp_path: Path) -> None:
    content = write_tree(tmp_path, FILES)
    live = LiveSite(load_settings(tmp_path))
    live.rebuild()
    (content / "faq.md").write_text(article("Questions", "Questions."))
    update = live.rebuild({content / "faq.md"})
    # Every page but the navigation script (which never changes).
    assert len(update.changed) == len(live.page_paths()) - 1


def test_slug_change_updates_the_pages_linking_to_it(tmp_path: Path) -> None:
    content = write_tree(tmp_path, FILES)
    live = LiveSite(load_settings(tmp_path))
    live.rebuild()
    path = content / "01-start/01-install.md"
    path.write_text(article("Install", "## Steps\n\n![Shot](img/shot.png)", slug="setup"))
    update = live.rebuild({path})
    assert "/article/login/" in update.changed  # its link now points at /article/setup
    assert 'href="/article/setup#steps"' in served_page(live, "article/login/index.html")
    assert live.page("article/install/index.html") is None


def test_image_saved_in_place_reloads_the_pages_showing_it(tmp_path: Path) -> None:
    content = write_tree(tmp_path, FILES)
    live = LiveSite(load_settings(tmp_path))
    live.rebuild()
    image = content / "01-start/img/shot.png"
    image.write_bytes(PNG + b"x")
    assert live.rebuild({image}).changed == ["/article/install/"]


def test_error_keeps_the_last_good_site_and_clears_on_the_next_good_save(tmp_path: Path) -> None:
    content = write_tree(tmp_path, FILES)
    live = LiveSite(load_settings(tmp_path))
    live.rebuild()
    good = live.files().pages
    path = content / "faq.md"
    path.write_text("---\ntitle: [broken\n---\nText\n")
    broken = live.rebuild({path})
    assert [p.format(relative_to=content) for p in broken.errors] == [
        "faq.md:2: invalid YAML: the `[` on this line is never closed: end the list with `]`, "
        'or put the title in quotes if the `[` is part of the text: title: "[broken"'
    ]
    assert broken.changed == []
    assert live.files().pages == good
    path.write_text(article("FAQ", "Fixed."))
    fixed = live.rebuild({path})
    assert fixed.errors == [] and fixed.changed == ["/article/faq/"]


def test_template_change_rebuilds_every_page(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    (tmp_path / "templates").mkdir()
    live = LiveSite(load_settings(tmp_path))
    live.rebuild()
    override = tmp_path / "templates/article.html"
    override.write_text(
        '{% extends "base.html" %}{% block main %}<p>{{ article.title }}</p>{% endblock %}'
    )
    update = live.rebuild({override}, templates_changed=True)
    assert {u for u in update.changed if u.startswith("/article/")} == {
        "/article/install/",
        "/article/login/",
        "/article/refunds/",
        "/article/plans/",
        "/article/faq/",
    }
    assert "<p>Log in</p>" in served_page(live, "article/login/index.html")


def test_broken_template_is_an_error_not_a_crash(tmp_path: Path) -> None:
    write_tree(tmp_path, FILES)
    (tmp_path / "templates").mkdir()
    live = LiveSite(load_settings(tmp_path))
    live.rebuild()
    (tmp_path / "templates/article.html").write_text("{% block main %}{% endblok %}")
    update = live.rebuild({tmp_path / "templates/article.html"}, templates_changed=True)
    assert update.errors and "template error" in update.errors[0].message


def test_random_edits_always_match_a_full_build(tmp_path: Path) -> None:
    """Creates, edits, atomic saves, renames, moves, deletes and new folders, in a random
    order; after each rebuild the preview serves exactly what `build` writes."""
    project = tmp_path / "project"
    # No links between articles here: a random delete or rename would break them.
    files = {**FILES, "01-start/02-login.md": article("Log in", "Use your email.")}
    content = write_tree(project, files)
    live = LiveSite(load_settings(project))
    live.rebuild()
    rng = random.Random(1234)

    def articles() -> list[Path]:
        return sorted(content.rglob("*.md"))

    for step in range(40):
        counter = step + 1
        action = rng.choice(
            ["edit", "atomic", "title", "create", "rename", "delete", "folder", "order"]
        )
        existing = articles()
        changed: set[Path] = set()
        if action in ("edit", "atomic", "title", "order") and existing:
            path = rng.choice(existing)
            text = path.read_text()
            if action == "edit":
                text += f"\nMore text {counter}.\n"
                path.write_text(text)
            elif action == "atomic":
                atomic_write(path, text + f"\nSaved atomically {counter}.\n")
            elif action == "title":
                path.write_text(article(f"Title {counter}", f"Body {counter}."))
            else:
                path.write_text(article(f"Ordered {counter}", "Body.", order=rng.randint(0, 5)))
            changed.add(path)
        elif action == "create":
            folder = rng.choice([content, content / "01-start", content / "02-billing"])
            path = folder / f"new-{counter}.md"
            path.write_text(article(f"New {counter}", "Fresh."))
            changed.add(path)
        elif action == "rename" and existing:
            path = rng.choice(existing)
            target = path.with_name(f"renamed-{counter}.md")
            path.rename(target)
            changed |= {path, target}
        elif action == "delete" and len(existing) > 2:
            path = rng.choice(existing)
            path.unlink()
            changed.add(path)
        elif action == "folder":
            folder = content / f"section-{counter}"
            folder.mkdir()
            (folder / f"inside-{counter}.md").write_text(article(f"Inside {counter}", "Nested."))
            changed.add(folder)
        update = live.rebuild(changed)
        assert update.errors == [], (step, action, update.errors)
        assert live_files(live) == full_build(project, tmp_path / f"out-{step}"), (step, action)


def larger_help_center() -> dict[str, str | bytes]:
    """About 120 articles: groups larger than a sidebar window, a nested group, unordered
    titles, headings, drafts, and links to headings of other articles."""
    files: dict[str, str | bytes] = {
        "01-guides/_group.yml": "name: Guides\n",
        "01-guides/05-basics.heading.yml": "title: Basics\norder: 5\n",
        "01-guides/inner/_group.yml": "name: Inner\norder: 90\n",
        "02-reference/_group.yml": "name: Reference\n",
        "top-a.md": article("Top A", "See [guide 3](01-guides/guide-3.md#steps)."),
        "top-b.md": article("Top B", "Text.", order=2),
    }
    for number in range(50):
        target = f"guide-{(number + 1) % 50}.md#steps"
        status = "draft" if number % 17 == 0 else "published"
        files[f"01-guides/guide-{number}.md"] = article(
            f"Guide {number}",
            f"## Steps\n\nStep one.\n\nNext: [more]({target}).",
            order=number,
            status=status,
        )
    for number in range(15):
        files[f"01-guides/inner/inner-{number}.md"] = article(
            f"Inner {number}", "## Steps\n\nInside.", order=number
        )
    for number in range(50):
        link = f"../01-guides/guide-{number}.md#steps"
        files[f"02-reference/ref-{number}.md"] = article(
            f"Reference {number:02d}", f"## Steps\n\nSee [the guide]({link})."
        )
    return files


def test_random_edits_at_a_larger_size_match_a_full_build(tmp_path: Path) -> None:
    """Saves of every kind over a help center larger than a sidebar window, most taking the
    short way (body, title, status, description, headings), some the whole way (new,
    deleted, renamed files, order): the served site and the problems always equal what a
    full build of the same files gives, errors included, and every page that shows
    something else is named in the update (so an open page reloads)."""
    project = tmp_path / "project"
    content = write_tree(project, larger_help_center())
    settings = load_settings(project)
    live = LiveSite(settings)
    assert live.rebuild().errors == []
    rng = random.Random(16)
    served = live_files(live)
    ways: list[bool] = []
    real_short_way = live._save_of_articles

    def short_way(update: Update, paths: list[Path]) -> bool:
        ways.append(real_short_way(update, paths))
        return ways[-1]

    live._save_of_articles = short_way  # type: ignore[method-assign,assignment]

    def check(update: Update, step: int, action: str) -> None:
        nonlocal served
        compiled = compile_project(settings, workers=1)
        assert [p.format() for p in update.problems] == [p.format() for p in compiled.problems], (
            step,
            action,
        )
        if update.errors:
            return
        now = live_files(live)
        assert now == full_build(project, tmp_path / f"out-{step}"), (step, action)
        differ = {page for page in now.keys() | served.keys() if now.get(page) != served.get(page)}
        named = {page_url(page) for page in differ if page.endswith(".html")}
        assert named <= set(update.changed), (step, action, named - set(update.changed))
        served = now

    actions = ["body", "atomic", "title", "status", "description", "heading"] * 3
    actions += ["create", "create", "delete", "rename", "order"]
    for step in range(80):
        action = rng.choice(actions)
        path = rng.choice(sorted(content.rglob("*.md")))
        text = path.read_text()
        changed = {path}
        if action in ("delete", "rename") and not path.name.startswith(("new-", "renamed-")):
            action = "body"  # others link to it: removing it would break them for good
        if action == "body":
            path.write_text(text + f"\nMore text {step}.\n")
        elif action == "atomic":
            atomic_write(path, text + f"\nSaved atomically {step}.\n")
        elif action == "title":
            path.write_text(re.sub(r"^title: .*$", f"title: Title {step}", text, flags=re.M))
        elif action == "status":
            flipped = text.replace("status: draft", "status: x").replace(
                "status: published", "status: draft"
            )
            path.write_text(flipped.replace("status: x", "status: published"))
        elif action == "description":
            path.write_text(text.replace("---\n\n", f"description: Said {step}\n---\n\n", 1))
        elif action == "heading":  # the links to `#steps` break (checked here), then mend
            path.write_text(text.replace("## Steps", "## Stages"))
            check(live.rebuild(changed), step, "heading broken")
            path.write_text(text)
        elif action == "create":
            new = path.with_name(f"new-{step}.md")
            new.write_text(article(f"New {step}", "## Steps\n\nFresh."))
            changed = {new}
        elif action == "delete":
            path.unlink()
        elif action == "rename":
            target = path.with_name(f"renamed-{step}.md")
            path.rename(target)
            changed.add(target)
        else:
            order = f"order: {rng.randint(0, 60)}"
            path.write_text(re.sub(r"^order: .*$", order, text, flags=re.M))
        check(live.rebuild(changed), step, action)
    assert ways.count(True) >= 40  # most saves took the short way, and it held


def test_a_saved_article_costs_what_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save of one article reads no other file and compares only the pages that show it:
    counted, not timed."""
    content = write_tree(tmp_path, larger_help_center())
    live = LiveSite(load_settings(tmp_path))
    assert live.rebuild().errors == []
    compiled: list[int] = []
    real_compile = compile_project

    def counted_compile(*args: Any, **kwargs: Any) -> Any:
        compiled.append(1)
        return real_compile(*args, **kwargs)

    monkeypatch.setattr(live_module, "compile_project", counted_compile)
    compared: list[str] = []
    real_signature = SitePages.signature

    def counted_signature(self: SitePages, path: str) -> tuple[object, ...]:
        compared.append(path)
        return real_signature(self, path)

    monkeypatch.setattr(SitePages, "signature", counted_signature)
    guide = content / "01-guides/guide-20.md"
    guide.write_text(guide.read_text() + "\nOne more line.\n")
    assert live.rebuild({guide}).changed == ["/article/guide-20/"]
    # Its page alone, as served before and as it is now.
    assert compiled == [] and compared == ["article/guide-20/index.html"] * 2

    guide.write_text(guide.read_text().replace("title: Guide 20", "title: Guide twenty"))
    update = live.rebuild({guide})
    assert compiled == []
    # Its own page, its group's, the navigation document, and the pages of the neighbours
    # whose windows may show it (within one window on either side).
    assert len(set(compared)) <= 1 + 1 + 1 + 1 + 2 * (2 * WINDOW + 1) + 1
    assert "/_publisher/nav.html" in update.changed and "/group/guides/" in update.changed
    assert "/article/guide-0/" not in update.changed  # too far away to show it

    new = content / "01-guides/guide-new.md"
    new.write_text(article("Guide new", "Text."))
    live.rebuild({new})
    assert compiled == [1]  # a new file: the whole way
