"""Every default of the SPEC's front-matter table, and the group defaults."""

from __future__ import annotations

from pathlib import Path

from content_factory import article, write_tree

from publisher.content.loader import load_content
from publisher.content.model import Article, Group, HelpCenterContent


def load(tmp_path: Path, files: dict[str, str | bytes]) -> HelpCenterContent:
    content, problems = load_content(write_tree(tmp_path, files))
    assert problems == []
    return content


def test_title_defaults_to_first_h1_which_leaves_the_body(tmp_path: Path) -> None:
    content = load(tmp_path, {"intro.md": "# Welcome aboard\n\nFirst paragraph.\n"})
    intro = content.articles["intro"]
    assert intro.title == "Welcome aboard"
    assert "Welcome aboard" not in intro.body
    assert "First paragraph." in intro.body


def test_front_matter_title_wins_and_body_h1_stays(tmp_path: Path) -> None:
    content = load(tmp_path, {"intro.md": article("Explicit", "# Heading\n\nText.")})
    assert content.articles["intro"].title == "Explicit"
    assert "# Heading" in content.articles["intro"].body


def test_h1_inside_a_code_fence_is_not_a_title(tmp_path: Path) -> None:
    content, problems = load_content(
        write_tree(tmp_path, {"x.md": "```bash\n# not a title\n```\n\n# Real title\n\nText.\n"})
    )
    assert problems == []
    assert content.articles["x"].title == "Real title"


def test_slug_defaults_to_file_name_without_numeric_prefix(tmp_path: Path) -> None:
    content = load(tmp_path, {"01-install-the-app.md": article("Install")})
    assert set(content.articles) == {"install-the-app"}
    assert content.articles["install-the-app"].order == 1


def test_explicit_slug_and_order_override_the_file_name(tmp_path: Path) -> None:
    content = load(tmp_path, {"05-x.md": article("X", slug="custom-slug", order=2)})
    art = content.articles["custom-slug"]
    assert art.order == 2


def test_status_description_icon_id_aliases_defaults(tmp_path: Path) -> None:
    content = load(tmp_path, {"a.md": article("A")})
    art = content.articles["a"]
    assert art.status == "published"
    assert art.description is None
    assert art.icon is None
    assert art.id is None
    assert art.aliases == ()


def test_all_keys_are_read(tmp_path: Path) -> None:
    text = article(
        "A",
        description="Short summary",
        icon="rocket",
        status="draft",
        id="hca_123",
        aliases="[old-a, older-a]",
    )
    art = load(tmp_path, {"a.md": text}).articles["a"]
    assert (art.description, art.icon, art.status, art.id) == (
        "Short summary",
        "rocket",
        "draft",
        "hca_123",
    )
    assert art.aliases == ("old-a", "older-a")


def test_order_is_prefix_then_title(tmp_path: Path) -> None:
    content = load(
        tmp_path,
        {
            "zeta.md": article("Zeta"),
            "alpha.md": article("Alpha"),
            "02-second.md": article("Second"),
            "01-first.md": article("First"),
            "explicit.md": article("Explicit", order=0),
        },
    )
    assert [node.slug for node in content.top] == [
        "explicit",
        "first",
        "second",
        "alpha",
        "zeta",
    ]


def test_folders_are_groups_with_nesting_and_defaults(tmp_path: Path) -> None:
    content = load(
        tmp_path,
        {
            "02-billing-and-plans/refunds.md": article("Refunds"),
            "02-billing-and-plans/invoices/vat.md": article("VAT"),
            "01-start/_group.yml": "name: Getting started\nslug: get-started\n",
            "01-start/hello.md": article("Hello"),
            "01-start/images/pic.png": b"",
        },
    )
    start, billing = content.top
    assert isinstance(start, Group) and isinstance(billing, Group)
    assert (start.slug, start.name, start.order) == ("get-started", "Getting started", 1)
    assert (billing.slug, billing.name, billing.order) == (
        "billing-and-plans",
        "Billing and plans",
        2,
    )
    nested = billing.children[0]  # "Invoices" sorts before "Refunds"
    assert isinstance(nested, Group) and nested.slug == "invoices" and nested.parent is billing
    vat = content.articles["vat"]
    assert vat.group is nested
    # A folder with only images is not a group.
    assert set(content.groups) == {"get-started", "billing-and-plans", "invoices"}
    assert isinstance(content.articles["hello"], Article)


def test_editor_temp_and_hidden_files_are_ignored(tmp_path: Path) -> None:
    content = load(
        tmp_path,
        {
            "a.md": article("A"),
            ".a.md.swp": "x",
            "a.md~": "x",
            "4913": "",
            "b.md___jb_tmp___": "x",
            ".hidden/x.md": article("Hidden"),
        },
    )
    assert set(content.articles) == {"a"}


def test_body_line_points_into_the_file(tmp_path: Path) -> None:
    content = load(tmp_path, {"a.md": "---\ntitle: A\nicon: x\n---\nBody starts here\n"})
    art = content.articles["a"]
    # Body lines count from body_line, which is the line of the closing `---`.
    assert art.body_line + art.body.split("\n").index("Body starts here") == 5


def test_crlf_and_bom_are_accepted(tmp_path: Path) -> None:
    raw = "\ufeff---\r\ntitle: Windows\r\n---\r\n\r\nText.\r\n".encode()
    content = load(tmp_path, {"w.md": raw})
    assert content.articles["w"].title == "Windows"
