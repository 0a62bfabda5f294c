"""Default slugs are made for the writer from file and folder names (transliterated,
lowercased, punctuation dropped), while a slug written in front-matter or `_group.yml` stays
strict; default group and heading names keep the writer's own text."""

from __future__ import annotations

import random
import re
import unicodedata
from pathlib import Path

import pytest
from content_factory import PNG, article, write_tree

from publisher.content.loader import ORDER_PREFIX_RE, SLUG_RE, load_content, slug_from_name
from publisher.content.model import HelpCenterContent, Problem
from publisher.pull import _file_stem
from publisher.sync.images import local_image


def load(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[HelpCenterContent, list[Problem]]:
    return load_content(write_tree(tmp_path, files))


@pytest.mark.parametrize(
    ("file_name", "slug"),
    [
        ("Set up SSO (SAML).md", "set-up-sso-saml"),
        ("Billing & Plans.md", "billing-plans"),
        ("Café menü.md", "cafe-menu"),
        ("Ünïcödé.md", "unicode"),
        ("C++ tips.md", "c-tips"),
        ("Q&A.md", "q-a"),
        ("  spaced  .md", "spaced"),
        ("日本語.md", "ri-ben-yu"),  # CJK by its Mandarin reading: valid and stable
        ("Привет мир.md", "privet-mir"),
        ("Straße.md", "strasse"),
        ("🎉 Launch party.md", "launch-party"),  # emoji dropped, the words kept
        ("What's new.md", "whats-new"),  # apostrophes dropped, not made a dash
        ("Don’t panic.md", "dont-panic"),
        ("v2.0 release notes.md", "v2-0-release-notes"),
        ("x--y__z.md", "x-y-z"),  # runs of dashes collapse
        ("-leading and trailing-.md", "leading-and-trailing"),
        ("03-Set up SSO (SAML).md", "set-up-sso-saml"),  # the numeric prefix still goes
        ("install-the-app.md", "install-the-app"),  # an already valid name is unchanged
        (unicodedata.normalize("NFD", "Café menü.md"), "cafe-menu"),  # as macOS spells it
    ],
)
def test_file_names_writers_use_give_valid_slugs(tmp_path: Path, file_name: str, slug: str) -> None:
    content, problems = load(tmp_path, {file_name: article("Title")})
    assert problems == []
    assert list(content.articles) == [slug]


def test_the_numeric_prefix_orders_and_is_dropped(tmp_path: Path) -> None:
    content, problems = load(tmp_path, {"07-Billing & Plans.md": article("B")})
    assert problems == []
    assert content.articles["billing-plans"].order == 7


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("影師嗎", ("ying-shi-ma", None)),  # pinned backend: text-unidecode's reading
        ("01-Ελληνικά", ("ellenika", 1)),
        ("12_Ça va", ("ca-va", 12)),
        ("10.Release notes", ("release-notes", 10)),
        ("🎉", ("", None)),
        ("!!!", ("", None)),
    ],
)
def test_slug_from_name_keeps_its_contract(name: str, expected: tuple[str, int | None]) -> None:
    assert slug_from_name(name) == expected


@pytest.mark.parametrize(
    ("folder", "slug", "name"),
    [
        ("Billing & Plans", "billing-plans", "Billing & Plans"),
        ("02-Billing & Plans", "billing-plans", "Billing & Plans"),
        ("Set up SSO (SAML)", "set-up-sso-saml", "Set up SSO (SAML)"),
        ("Café menü", "cafe-menu", "Café menü"),
        (unicodedata.normalize("NFD", "Café menü"), "cafe-menu", "Café menü"),
        ("日本語", "ri-ben-yu", "日本語"),
        ("Q&A", "q-a", "Q&A"),
        ("01-getting-started", "getting-started", "Getting started"),  # slug-style: words
        ("getting_started", "getting-started", "Getting started"),
        ("iOS-setup", "ios-setup", "iOS setup"),  # capitals as written
        ("  faq  ", "faq", "Faq"),
    ],
)
def test_folder_names_give_a_slug_and_keep_their_text_as_the_group_name(
    tmp_path: Path, folder: str, slug: str, name: str
) -> None:
    content, problems = load(tmp_path, {f"{folder}/a.md": article("A")})
    assert problems == []
    group = content.groups[slug]
    assert group.name == name


def test_group_yml_name_and_slug_win_over_the_folder_name(tmp_path: Path) -> None:
    content, problems = load(
        tmp_path,
        {
            "Billing & Plans/_group.yml": "name: Billing\nslug: money\n",
            "Billing & Plans/a.md": article("A"),
        },
    )
    assert problems == []
    assert content.groups["money"].name == "Billing"


@pytest.mark.parametrize(
    ("file_name", "title", "entity_id"),
    [
        ("02-Advanced Settings.heading.yml", "Advanced Settings", "heading_advanced-settings"),
        ("02-advanced-settings.heading.yml", "Advanced settings", "heading_advanced-settings"),
        ("Café & más.heading.yml", "Café & más", "heading_cafe-mas"),
    ],
)
def test_heading_file_names_are_made_into_ids_and_keep_their_text(
    tmp_path: Path, file_name: str, title: str, entity_id: str
) -> None:
    content, problems = load(tmp_path, {"a.md": article("A"), file_name: ""})
    assert problems == []
    assert list(content.headings) == [entity_id]
    assert content.headings[entity_id].title == title


@pytest.mark.parametrize("file_name", ["🎉.md", "!!!.md", "01-???.md", "(—).md", "🎉🎉 🚀.md"])
def test_a_file_name_with_nothing_to_make_a_slug_from_is_an_error(
    tmp_path: Path, file_name: str
) -> None:
    _, problems = load(tmp_path, {"good.md": article("Good"), file_name: article("Party")})
    assert [(p.path.name, p.line) for p in problems] == [(file_name, 1)]
    assert file_name in problems[0].message
    assert "set `slug:`" in problems[0].message


def test_an_explicit_slug_rescues_such_a_file(tmp_path: Path) -> None:
    content, problems = load(tmp_path, {"🎉.md": article("Party", slug="party")})
    assert problems == []
    assert list(content.articles) == ["party"]


@pytest.mark.parametrize("folder", ["🎉", "???", "03-!!!"])
def test_a_folder_name_with_nothing_to_make_a_slug_from_is_an_error(
    tmp_path: Path, folder: str
) -> None:
    _, problems = load(tmp_path, {"good.md": article("Good"), f"{folder}/a.md": article("A")})
    assert len(problems) == 1, problems
    assert problems[0].path.name == "_group.yml"
    assert problems[0].path.parent.name == folder
    assert folder in problems[0].message and "set `slug:` in _group.yml" in problems[0].message


def test_a_slug_in_group_yml_rescues_such_a_folder(tmp_path: Path) -> None:
    content, problems = load(tmp_path, {"🎉/_group.yml": "slug: party\n", "🎉/a.md": article("A")})
    assert problems == []
    assert content.groups["party"].name == "🎉"


@pytest.mark.parametrize(
    "slug", ["Café", "Billing & Plans", "'Billing Plans'", "a--b", "-a", "b-", "a_b", "ÄBC"]
)
def test_an_explicit_front_matter_slug_stays_strict(tmp_path: Path, slug: str) -> None:
    _, problems = load(tmp_path, {"good.md": article("Good"), "bad.md": article("B", slug=slug)})
    assert [(p.path.name, p.line) for p in problems] == [("bad.md", 3)]
    assert "invalid slug" in problems[0].message


@pytest.mark.parametrize("slug", ["Café", "Billing & Plans", "a--b", "x_y"])
def test_an_explicit_group_slug_stays_strict(tmp_path: Path, slug: str) -> None:
    _, problems = load(
        tmp_path,
        {"good.md": article("Good"), "g/_group.yml": f"slug: {slug}\n", "g/a.md": "# A\n\nx\n"},
    )
    assert len(problems) == 1, problems
    assert problems[0].path.name == "_group.yml" and "invalid slug" in problems[0].message


@pytest.mark.parametrize(
    ("files", "slug"),
    [
        (("Q&A.md", "q-a.md"), "q-a"),
        (("Café.md", "cafe.md"), "cafe"),
        (("Billing & Plans.md", "Billing Plans.md"), "billing-plans"),
    ],
)
def test_names_that_make_the_same_slug_are_a_duplicate(
    tmp_path: Path, files: tuple[str, str], slug: str
) -> None:
    _, problems = load(tmp_path, {name: article(name) for name in files})
    assert len(problems) == 1, problems
    assert f"duplicate slug '{slug}'" in problems[0].message


@pytest.mark.parametrize(
    ("text", "key"),
    [("---\ntitle: A\nslug:\n---\n\nBody\n", "slug"), ("---\ntitle:\n---\n\nBody\n", "title")],
)
def test_a_key_with_no_value_is_empty_not_silently_ignored(
    tmp_path: Path, text: str, key: str
) -> None:
    _, problems = load(tmp_path, {"good.md": article("Good"), "bad.md": text})
    assert [p.path.name for p in problems] == ["bad.md"]
    assert f"'{key}' is empty" in problems[0].message


def test_an_empty_group_slug_is_reported(tmp_path: Path) -> None:
    _, problems = load(tmp_path, {"g/_group.yml": "slug:\n", "g/a.md": article("A")})
    assert [p.path.name for p in problems] == ["_group.yml"]
    assert "'slug' is empty" in problems[0].message


@pytest.mark.parametrize(
    ("image", "stem"),
    [
        ("Screen shot é.png", "screen-shot-e"),
        ("Billing & Plans.png", "billing-plans"),
        ("🎉.png", "image"),
        ("01-setup.png", "setup"),
    ],
)
def test_uploaded_image_names_use_the_same_slugs(tmp_path: Path, image: str, stem: str) -> None:
    path = tmp_path / image
    path.write_bytes(PNG)
    uploaded = local_image(image, path)
    assert uploaded.file_name == f"{stem}-{uploaded.digest}.png"


@pytest.mark.parametrize("slug", ["install", "2024-report", "a-b-c", "x1"])
def test_pulled_file_names_give_back_the_same_slug(slug: str) -> None:
    assert slug_from_name(f"01-{_file_stem(slug)}") == (slug, 1)


def _old_default_slug(name: str) -> str:
    """The default slug before names were transliterated (valid results only were used)."""
    match = ORDER_PREFIX_RE.match(name)
    if match:
        name = match.group(2)
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def test_every_name_that_gave_a_valid_slug_before_gives_the_same_one() -> None:
    # No published URL may move: names that were accepted keep their slug.
    rng = random.Random(1234)
    alphabet = "abcXYZ019 _-.K\u212a"  # the Kelvin sign lowercases to an ASCII k
    checked = 0
    for _ in range(5000):
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        old = _old_default_slug(name)
        if SLUG_RE.match(old):
            checked += 1
            assert slug_from_name(name)[0] == old, name
    assert checked > 500
