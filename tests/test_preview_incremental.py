"""The preview's rebuilds: what a save changes, and that the result always equals a full build."""

from __future__ import annotations

import os
import random
from pathlib import Path

from content_factory import PNG, article, write_tree

from publisher.config import load_settings
from publisher.pipeline import build_project
from publisher.preview.live import LiveSite

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
    assert "Other questions." in live.page("article/faq/index.html")


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
    assert 'href="/article/setup#steps"' in live.page("article/login/index.html")
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
    assert "<p>Log in</p>" in live.page("article/login/index.html")


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
