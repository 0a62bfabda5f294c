"""`pull`: HTML back to Markdown, the content layout, and round trips through the emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from conftest import Emulator

from publisher.config import load_settings
from publisher.html_to_markdown import html_to_markdown
from publisher.pipeline import compile_project
from publisher.plain import IndexEntry, PlainClient, RemoteArticle, RemoteGroup, RemoteIndex
from publisher.pull import (
    EMPTY_BODY,
    PullConflictError,
    plan_layout,
    pull_files,
    pull_help_center,
)
from publisher.render.canonical import canonical_html, same_content
from publisher.render.markdown import render_body
from publisher.site.compiler import CompiledSite
from publisher.sync.plan import Plan
from publisher.sync.publish import PublishOptions, publish, read_and_plan
from publisher.sync.state import RemoteState

SAMPLE = Path(__file__).resolve().parents[1] / "content"

# --- HTML -> Markdown -> the same HTML ------------------------------------------------------

ROUND_TRIP_MARKDOWN = [
    'Text with **bold**, *em*, ~~gone~~, `code`, [a link](https://x.example/a_b "Title") and <https://x.example>.',
    "## Step 2: Invite your team\n\n### C# and \\#",
    "- a\n- b\n    - nested\n\n1. one\n2. two\n\n3) three",
    "- loose\n\n- list\n\n  with a second paragraph",
    "- a\n- b\n\n* c\n* d",
    "- [x] done\n- [ ] todo",
    "| Plan | Price | Seats |\n| :--- | :---: | ---: |\n| Growth | $20 \\| month | 5 |\n| | | |",
    "```python\nprint('```')\n\n\nprint(2)\n```\n\n```\nno language\n```",
    "- item\n\n  ```bash\n  echo hi\n\n  echo there\n  ```",
    "> quote\n>\n> - list\n>\n> > nested",
    "Term\n: definition\n\nOther term\n: one\n: two",
    "Term\n\n: loose definition\n\n    second paragraph",
    '!!! note\n    Body.\n\n!!! tip ""\n    No title.\n\n!!! warning "Careful *now*"\n    - a\n    - b',
    "Text[^1] and again[^1] and [^n].\n\n[^1]: First.\n[^n]: Second,\n    in two paragraphs.\n\n    The other one.",
    'line\\\nbreak and ![alt text](https://files.example/a.png "title") and ![](https://files.example/b.png)',
    "[![alt](https://x.example/i.png)](https://x.example/link)",
    "***both*** **_nested_** snake_case 2*3*4 a ~ b \\*not em\\* \\[not a link\\](x) &amp; \\&copy; a \\<b\\> 1 < 2",
    "# 1\\. not a list\n\n\\- not a list\n\n\\+ plus\n\n1\\. one\n\n\\> not a quote\n\n\\: not a definition\n\n\\!!! not an admonition",
    "Keys: <kbd>Ctrl</kbd>, H<sub>2</sub>O, <span>span</span>",
    "<details>\n<summary>More</summary>\n\nHidden *text*.\n\n</details>",
    "---\n\nafter a rule",
]


@pytest.mark.parametrize("markdown", ROUND_TRIP_MARKDOWN)
def test_our_html_comes_back_as_markdown_that_renders_the_same(markdown: str) -> None:
    html = render_body(markdown, "group/page.md").html
    pulled = html_to_markdown(html)
    again = render_body(pulled, "group/page.md").html
    assert canonical_html(again) == canonical_html(html), pulled


PLAIN_WRITTEN = [
    '<h2>Title</h2><p>Text with <strong>bold</strong>, <em>em</em>, <a href="https://x.example">links</a> and <code>code</code></p>',
    "<ul><li>a</li><li>b</li></ul><ol><li>one</li><li>two</li></ol>",
    "<ul><li><p>a</p></li><li><p>b</p></li></ul>",
    "<table><thead><tr><th>Name</th><th>Value</th></tr></thead><tbody><tr><td>a</td><td>1</td></tr></tbody></table>",
    "<blockquote><p>Quoted</p></blockquote><blockquote>Bare <b>quote</b></blockquote>",
    '<img src="https://files.example/x.png" alt="x"><p><img src="https://files.example/y.png"></p>',
    "<p><b>b</b> <i>i</i> <u>u</u> <del>d</del> <mark>m</mark></p>",
    "<table><thead><tr><th>only a header</th></tr></thead></table>",
    "<p>Multi\nline    text and &lt;tags&gt; &amp; entities&nbsp;kept</p>",
]


@pytest.mark.parametrize("html", PLAIN_WRITTEN)
def test_html_written_in_plain_round_trips(html: str) -> None:
    pulled = html_to_markdown(html)
    again = render_body(pulled, "page.md").html
    assert same_content(again, html), pulled


def test_chosen_markdown_spelling() -> None:
    html = render_body(
        '| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n\n!!! note "Note"\n    x\n\n'
        "```python\nx = 1\n```\n\n* star\n\n1. one\n\n- [x] done",
        "page.md",
    ).html
    pulled = html_to_markdown(html)
    assert "| :-- | :-: | --: |" in pulled
    assert "!!! note\n    x\n" in pulled  # a title equal to the kind is left out
    assert "```python\nx = 1\n```" in pulled  # Pygments' spans dropped
    assert "- star" in pulled and "- [x] done" in pulled and "1. one" in pulled
    assert "<span" not in pulled and "style=" not in pulled


def test_links_between_articles_become_relative_paths() -> None:
    html = (
        '<p><a href="/article/refunds#how-refunds-work">Refunds</a>, '
        '<a href="/article/faq">FAQ</a>, <a href="/article/elsewhere">gone</a>, '
        '<a href="/article/refunds#nowhere">bad anchor</a>, '
        '<a href="/article/setup#top">self</a>, <a href="#intro">here</a></p>'
    )
    paths = {
        "refunds": "02-billing/03-refunds.md",
        "faq": "03-faq.md",
        "setup": "01-start/01-setup.md",
    }
    anchors = {"refunds": ["how-refunds-work"], "faq": [], "setup": ["top"]}
    pulled = html_to_markdown(
        html, article_paths=paths, source_path="01-start/01-setup.md", anchors=anchors
    )
    assert "[Refunds](../02-billing/03-refunds.md#how-refunds-work)" in pulled
    assert "[FAQ](../03-faq.md)" in pulled
    assert "[gone](/article/elsewhere)" in pulled  # not pulled: the URL stays
    assert "[bad anchor](/article/refunds#nowhere)" in pulled  # no such heading: as it was
    assert "[self](01-setup.md#top)" in pulled
    assert '<a href="#intro">here</a>' in pulled  # not a heading of this article


def test_unsafe_html_is_dropped_as_publishing_would() -> None:
    pulled = html_to_markdown(
        '<p onclick="x()">Hi <a href="javascript:alert(1)">there</a></p><script>alert(1)</script>'
    )
    assert "script" not in pulled and "onclick" not in pulled and "javascript" not in pulled
    assert pulled.startswith("Hi ")


def test_empty_html_gives_no_markdown() -> None:
    assert html_to_markdown("") == ""
    assert html_to_markdown("  \n") == ""


# --- Layout ---------------------------------------------------------------------------------


def _article(id: str, slug: str, group: str | None = None, **fields: object) -> RemoteArticle:
    values: dict[str, object] = {
        "title": slug.replace("-", " ").title(),
        "description": None,
        "icon": None,
        "content_html": f"<p>{slug}</p>",
        "status": "PUBLISHED",
    }
    values.update(fields)
    return RemoteArticle(id=id, slug=slug, group_id=group, **values)  # type: ignore[arg-type]


def test_layout_follows_the_index_and_puts_the_rest_after() -> None:
    remote = RemoteState(
        "hc",
        articles=[
            _article("a1", "first", "g1"),
            _article("a2", "second"),
            _article("a3", "nested", "g2"),
            _article("a4", "unindexed-b", "g1", title="B late"),
            _article("a5", "unindexed-a", "g1", title="A late"),
            _article("a6", "draft", status="DRAFT", description="Why", icon="book"),
        ],
        groups=[
            RemoteGroup("g1", "guides", "Guides", None),
            RemoteGroup("g2", "deep", "Deep", "g1"),
        ],
        index=RemoteIndex(
            "hc",
            "h",
            (
                IndexEntry("ARTICLE", "a2"),
                IndexEntry("ARTICLE_GROUP", "g1"),
                IndexEntry("ARTICLE_GROUP", "g2", "g1"),
                IndexEntry("ARTICLE", "a3", "g2"),
                IndexEntry("ARTICLE", "a1", "g1"),
                IndexEntry("ARTICLE", "a6"),
                IndexEntry("ARTICLE", "gone"),
            ),
        ),
    )
    layout = plan_layout(remote)
    assert layout.group_dirs == {"g1": "02-guides", "g2": "02-guides/01-deep"}
    assert layout.article_files == {
        "a2": "01-second.md",
        "a3": "02-guides/01-deep/01-nested.md",
        "a1": "02-guides/02-first.md",
        "a5": "02-guides/03-unindexed-a.md",
        "a4": "02-guides/04-unindexed-b.md",
        "a6": "03-draft.md",
    }
    files, _, _ = pull_files(remote)
    assert yaml.safe_load(files["02-guides/_group.yml"]) == {
        "name": "Guides",
        "slug": "guides",
        "id": "g1",
    }
    meta = yaml.safe_load(files["03-draft.md"].split("---\n")[1])
    assert meta == {
        "title": "Draft",
        "description": "Why",
        "icon": "book",
        "status": "draft",
        "id": "a6",
    }
    assert files["01-second.md"] == "---\ntitle: Second\nid: a2\n---\n\nsecond\n"


# --- Against the emulator -------------------------------------------------------------------


def _compiled(project: Path) -> CompiledSite:
    result = compile_project(load_settings(project), use_cache=False, workers=1)
    assert [p.format() for p in result.errors] == []
    return result.site


def _publish(emulator: Emulator, project: Path) -> None:
    with PlainClient(emulator.url, emulator.api_key) as client:
        publish(
            client,
            _compiled(project),
            emulator.help_center_id,
            PublishOptions(backups_dir=project / "backups"),
        )


def _pull(emulator: Emulator, project: Path, *, force: bool = False) -> Path:
    with PlainClient(emulator.url, emulator.api_key) as client:
        pull_help_center(client, emulator.help_center_id, project / "content", force=force)
    return project


def _plan(emulator: Emulator, project: Path) -> Plan:
    with PlainClient(emulator.url, emulator.api_key) as client:
        plan, _ = read_and_plan(client, _compiled(project), emulator.help_center_id)
    return plan


def _assert_nothing_to_change(plan: Plan) -> None:
    assert [
        (a.desired.slug, a.kind, a.changed) for a in plan.articles if a.kind != "unchanged"
    ] == []
    assert [g.desired.slug for g in plan.groups if g.kind != "unchanged"] == []
    assert plan.orphan_articles == [] and plan.orphan_groups == []
    assert plan.uploads == []
    assert not plan.nav_changed
    assert not plan.has_changes


def test_published_sample_pulls_back_unchanged(tmp_path: Path, emulator: Emulator) -> None:
    source = tmp_path / "source"
    shutil.copytree(SAMPLE, source / "content")
    _publish(emulator, source)

    pulled = _pull(emulator, tmp_path / "pulled")
    plan = _plan(emulator, pulled)
    _assert_nothing_to_change(plan)
    assert len(plan.articles) == 24 and len(plan.groups) == 6

    content = pulled / "content"
    draft = next(p for p in content.rglob("*.md") if "status: draft" in p.read_text())
    assert "id: " in draft.read_text()
    # Prefixes number siblings as the index orders them (the sample's `order: 5` is now 04).
    assert (content / "02-invoicing/04-recurring-invoices/_group.yml").is_file()
    faq = (content / "07-frequently-asked-questions.md").read_text()
    assert "[contact support](06-contact-support.md)" in faq
    assert "(04-integrations/03-accounting-export.md#whats-included-in-each-export)" in faq


PLAIN_BODY = (
    "<h2>Title</h2>"
    '<p>Text with <strong>bold</strong>, <em>em</em>, <a href="https://x.example">links</a> and <code>code</code></p>'
    "<ul><li>a</li><li>b</li></ul><ol><li>one</li><li>two</li></ol>"
    "<table><thead><tr><th>Plan</th><th>Price</th></tr></thead>"
    "<tbody><tr><td>Growth</td><td>$20</td></tr></tbody></table>"
    "<blockquote><p>Quoted text</p></blockquote>"
    '<img src="https://files.example/x.png" alt="x">'
)


def test_articles_written_in_plain_pull_back_unchanged(tmp_path: Path, emulator: Emulator) -> None:
    guides = emulator.create_group("Guides", slug="guides")
    deep = emulator.create_group(
        "Deep dives", slug="deep-dives", parentHelpCenterArticleGroupId=guides["id"]
    )
    emulator.upsert_article(
        title="Nested",
        slug="nested",
        contentHtml='<p>Deep <a href="/article/everything#title">link</a></p>',
        helpCenterArticleGroupId=deep["id"],
    )
    emulator.upsert_article(
        title="Everything",
        slug="everything",
        contentHtml=PLAIN_BODY,
        helpCenterArticleGroupId=guides["id"],
    )
    emulator.upsert_article(
        title="Described",
        slug="described",
        contentHtml="<p>Has a description.</p>",
        description="A summary",
        icon="book-open",
    )
    emulator.upsert_article(
        title="Work in progress",
        slug="wip",
        contentHtml='<h3>Soon</h3><p>Not <a href="/article/unknown">ready</a>.</p>',
        status="DRAFT",
    )
    emulator.upsert_article(title="Blank", slug="blank", contentHtml="")

    project = _pull(emulator, tmp_path)
    _assert_nothing_to_change(_plan(emulator, project))

    content = project / "content"
    assert sorted(str(p.relative_to(content)) for p in content.rglob("*") if p.is_file()) == [
        "01-guides/01-deep-dives/01-nested.md",
        "01-guides/01-deep-dives/_group.yml",
        "01-guides/02-everything.md",
        "01-guides/_group.yml",
        "02-described.md",
        "03-wip.md",
        "04-blank.md",
    ]
    everything = (content / "01-guides/02-everything.md").read_text()
    assert everything.split("---\n", 2)[2] == (
        "\n## Title\n\n"
        "Text with **bold**, *em*, [links](https://x.example) and `code`\n\n"
        "- a\n- b\n\n1. one\n2. two\n\n"
        "| Plan | Price |\n| --- | --- |\n| Growth | $20 |\n\n"
        "> Quoted text\n\n"
        '<img src="https://files.example/x.png" alt="x">\n'
    )
    assert (
        "[link](../02-everything.md#title)"
        in (content / "01-guides/01-deep-dives/01-nested.md").read_text()
    )
    assert "[ready](/article/unknown)" in (content / "03-wip.md").read_text()
    assert "status: draft" in (content / "03-wip.md").read_text()
    described = yaml.safe_load((content / "02-described.md").read_text().split("---\n")[1])
    assert described["description"] == "A summary" and described["icon"] == "book-open"
    assert (content / "04-blank.md").read_text().endswith("---\n\n" + EMPTY_BODY)


def _tree(entries: list[IndexEntry]) -> dict[str | None, list[str]]:
    children: dict[str | None, list[str]] = {}
    for entry in entries:
        children.setdefault(entry.parent_id, []).append(entry.entity_id)
    return children


def test_index_not_in_tree_order_is_the_same_navigation(tmp_path: Path, emulator: Emulator) -> None:
    # Made in this order, Plain's flat index lists the nested group's article after its
    # parent's: [Guides, Deep, Top of guides, Nested]. Content can only say the tree, whose
    # flat form is [Guides, Deep, Nested, Top of guides]: same siblings, same order.
    guides = emulator.create_group("Guides", slug="guides")
    deep = emulator.create_group("Deep", slug="deep", parentHelpCenterArticleGroupId=guides["id"])
    emulator.upsert_article(
        title="Top of guides",
        slug="top",
        contentHtml="<p>t</p>",
        helpCenterArticleGroupId=guides["id"],
    )
    emulator.upsert_article(
        title="Nested", slug="nested", contentHtml="<p>n</p>", helpCenterArticleGroupId=deep["id"]
    )
    with PlainClient(emulator.url, emulator.api_key) as client:
        before = list(client.get_index(emulator.help_center_id).entries)

    project = _pull(emulator, tmp_path)
    assert (project / "content/01-guides/01-deep/01-nested.md").is_file()
    assert (project / "content/01-guides/02-top.md").is_file()
    # The flat lists differ, the trees do not: nothing to change, nothing written.
    _assert_nothing_to_change(_plan(emulator, project))
    _publish(emulator, project)
    with PlainClient(emulator.url, emulator.api_key) as client:
        after = list(client.get_index(emulator.help_center_id).entries)
    assert after == before and _tree(after) == _tree(before)


def test_plain_code_block_round_trips(tmp_path: Path, emulator: Emulator) -> None:
    # Plain's own <pre><code> has no inline styles and no final newline; the Markdown is a
    # fenced block with the language. Highlighting is derived, so this is no change.
    emulator.upsert_article(
        title="Code",
        slug="code",
        contentHtml='<pre><code class="language-python">print(1)</code></pre>',
    )
    project = _pull(emulator, tmp_path)
    assert "```python\nprint(1)\n```" in (project / "content/01-code.md").read_text()
    _assert_nothing_to_change(_plan(emulator, project))


def test_pull_refuses_to_overwrite_unless_forced(tmp_path: Path, emulator: Emulator) -> None:
    emulator.upsert_article(title="One", slug="one", contentHtml="<p>Version 1</p>")
    emulator.upsert_article(title="Two", slug="two", contentHtml="<p>Two</p>")
    content = tmp_path / "content"
    content.mkdir()
    (content / "notes.txt").write_text("mine")
    _pull(emulator, tmp_path)
    one, two = content / "01-one.md", content / "02-two.md"
    one.write_text(one.read_text().replace("Version 1", "Local edit"))
    two.unlink()

    with pytest.raises(PullConflictError, match=r"01-one\.md exists already") as refused:
        _pull(emulator, tmp_path)
    assert refused.value.path == one
    assert "Local edit" in one.read_text() and not two.exists()  # nothing written

    _pull(emulator, tmp_path, force=True)
    assert "Version 1" in one.read_text() and two.is_file()
    assert (content / "notes.txt").read_text() == "mine"


def test_pinned_ids_make_a_slug_change_update_the_same_article(
    tmp_path: Path, emulator: Emulator
) -> None:
    created = emulator.upsert_article(title="Setup", slug="setup", contentHtml="<p>Install it.</p>")
    project = _pull(emulator, tmp_path)
    path = project / "content/01-setup.md"
    path.write_text(
        path.read_text().replace("title: Setup\n", "title: Setup\nslug: installation\n")
    )

    plan = _plan(emulator, project)
    assert [(a.kind, a.renamed_from, a.changed) for a in plan.articles] == [
        ("update", "setup", ("slug",))
    ]
    _publish(emulator, project)
    with PlainClient(emulator.url, emulator.api_key) as client:
        articles = client.list_articles(emulator.help_center_id)
    assert [(a.id, a.slug) for a in articles] == [(created["id"], "installation")]
