"""Edits made in Plain's app, end to end against the emulator: a person key edits an article,
renames a group and reorders the sidebar; git changes another article. The plan shows each,
publish writes only the ordinary update and exits 4, `pull --edited` brings the edits home,
and after that there is nothing to do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import Emulator, EmulatorFactory
from content_factory import article, write_tree

from publisher.cli import main
from publisher.errors import EXIT_EDITS_KEPT

PERSON_KEY = "plainApiKey_person_grace"
PERSON = "Grace Hopper"


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory) -> Emulator:
    return emulator_factory(extra_args=("--person-key", f"{PERSON_KEY}={PERSON}"))


def cli(emulator: Emulator, *args: str, **env: str) -> Result:
    environment = {
        "PLAIN_API_KEY": emulator.api_key,
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": emulator.help_center_id,
        "GITHUB_STEP_SUMMARY": "",
        **env,
    }
    return CliRunner().invoke(main, list(args), env=environment)


def as_person(emulator: Emulator, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = emulator.post(query, variables, api_key=PERSON_KEY)
    payload = response.json()
    assert response.status_code == 200 and not payload.get("errors"), payload
    data: dict[str, Any] = payload["data"]
    for output in data.values():
        assert not (isinstance(output, dict) and output.get("error")), output
    return data


def ids(emulator: Emulator) -> dict[str, str]:
    """slug -> id of every article and group."""
    data = emulator.gql(
        """
        query($id: ID!) {
          helpCenter(id: $id) {
            articles(first: 100) { edges { node { id slug } } }
            articleGroups(first: 100) { edges { node { id slug } } }
          }
        }
        """,
        {"id": emulator.help_center_id},
    )["helpCenter"]
    nodes = [e["node"] for e in data["articles"]["edges"] + data["articleGroups"]["edges"]]
    return {node["slug"]: node["id"] for node in nodes}


def edit_article_as_person(emulator: Emulator, article_id: str, html: str) -> None:
    current = emulator.gql(
        "query($id: ID!) { helpCenterArticle(id: $id) { title slug status articleGroup { id } } }",
        {"id": article_id},
    )["helpCenterArticle"]
    as_person(
        emulator,
        """
        mutation($input: UpsertHelpCenterArticleInput!) {
          upsertHelpCenterArticle(input: $input) { helpCenterArticle { id } error { message } }
        }
        """,
        {
            "input": {
                "helpCenterId": emulator.help_center_id,
                "helpCenterArticleId": article_id,
                "helpCenterArticleGroupId": (current["articleGroup"] or {}).get("id"),
                "title": current["title"],
                "slug": current["slug"],
                "status": current["status"],
                "contentHtml": html,
            }
        },
    )


def project(tmp_path: Path) -> Path:
    write_tree(
        tmp_path,
        {
            "01-intro.md": article("Intro", body="Welcome to the help center."),
            "02-billing/_group.yml": "name: Billing\n",
            "02-billing/01-refunds.md": article("Refunds", body="Refunds take five days."),
            "02-billing/02-invoices.md": article("Invoices", body="Invoices are monthly."),
            "03-faq.md": article("FAQ", body="Ask us anything."),
        },
    )
    return tmp_path


def test_edits_in_plain_are_shown_kept_and_brought_home(tmp_path: Path, emulator: Emulator) -> None:
    root = project(tmp_path)
    first = cli(emulator, "publish", str(root))
    assert first.exit_code == 0, first.output
    assert "created: https://" in first.output and "/article/refunds" in first.output
    known = ids(emulator)

    # In the app: a typo fix, a group renamed, the sidebar reordered.
    edit_article_as_person(emulator, known["refunds"], "<p>Refunds take five working days.</p>")
    as_person(
        emulator,
        """
        mutation($input: UpdateHelpCenterArticleGroupInput!) {
          updateHelpCenterArticleGroup(input: $input) { helpCenterArticleGroup { id } error { message } }
        }
        """,
        {"input": {"helpCenterArticleGroupId": known["billing"], "name": "Billing & payments"}},
    )
    index = emulator.index()
    reordered = [i for i in index["navIndex"] if i["slug"] == "faq"] + [
        i for i in index["navIndex"] if i["slug"] != "faq"
    ]
    as_person(
        emulator,
        """
        mutation($input: UpdateHelpCenterIndexInput!) {
          updateHelpCenterIndex(input: $input) { helpCenterIndex { hash } error { message } }
        }
        """,
        {
            "input": {
                "helpCenterId": emulator.help_center_id,
                "hash": index["hash"],
                "helpCenterIndex": [
                    {"type": i["type"], "entityId": i["id"], "parentId": i["parentId"]}
                    for i in reordered
                ],
            }
        },
    )
    page = emulator.client().get(
        f"{emulator.base_url}/help-centers/{emulator.help_center_id}/article/refunds"
    )
    assert page.status_code == 200 and f"Last edited by {PERSON}" in page.text
    # In git: an ordinary change to another article.
    (root / "content/03-faq.md").write_text(article("FAQ", body="Ask us anything, any time."))

    plan = cli(emulator, "plan", str(root), "--json")
    assert plan.exit_code == 0, plan.output
    data = json.loads(plan.output)
    edits = {(e["kind"], e["item"]): e for e in data["editedInPlain"]}
    assert set(edits) == {
        ("article", "refunds"),
        ("group", "billing"),
        ("navigation", "navigation"),
    }
    refunds = edits[("article", "refunds")]
    assert refunds["by"]["kind"] == "user" and refunds["by"]["name"] == PERSON
    assert refunds["at"] and not refunds["conflict"]
    assert "-Refunds take five working days." in refunds["diff"]
    assert "+Refunds take five days." in refunds["diff"]
    updates = [a["slug"] for a in data["articles"] if a["action"] == "update"]
    assert sorted(updates) == ["faq", "refunds"]  # refunds is marked by its edit entry
    text = cli(emulator, "plan", str(root))
    assert text.output.index("Edited in Plain") < text.output.index("Plan for help center")
    assert f"by {PERSON} in Plain's app" in text.output

    summary = tmp_path / "summary.md"
    published = cli(emulator, "publish", str(root), GITHUB_STEP_SUMMARY=str(summary))
    assert published.exit_code == EXIT_EDITS_KEPT, published.output
    assert "updated 1" in published.output and "kept (edited in Plain) 2" in published.output
    assert "article refunds" in published.output and "group billing" in published.output
    assert "pull --edited" in published.output and "--overwrite-edits" in published.output
    assert summary.read_text().index("Edited in Plain") < summary.read_text().index("| created")
    after = emulator.gql(
        "query($id: ID!) { helpCenterArticle(id: $id) { contentHtml } }", {"id": known["refunds"]}
    )["helpCenterArticle"]
    assert "five working days" in after["contentHtml"]  # not overwritten
    group = emulator.gql(
        "query($id: ID!) { helpCenterArticleGroup(id: $id) { name } }", {"id": known["billing"]}
    )["helpCenterArticleGroup"]
    assert group["name"] == "Billing & payments"

    home = cli(emulator, "pull", str(root), "--edited")
    assert home.exit_code == 0, home.output
    assert "01-refunds.md" in home.output and "_group.yml" in home.output
    assert "working days" in (root / "content/02-billing/01-refunds.md").read_text()
    assert "Billing & payments" in (root / "content/02-billing/_group.yml").read_text()
    assert "Welcome" in (root / "content/01-intro.md").read_text()  # untouched

    clean = json.loads(cli(emulator, "plan", str(root), "--json").output)
    assert clean["editedInPlain"] == []
    assert {a["action"] for a in clean["articles"]} == {"unchanged"}
    assert not clean["navigation"]["changed"]


def test_both_sides_changed_is_a_conflict_and_overwrite_writes_git(
    tmp_path: Path, emulator: Emulator
) -> None:
    root = project(tmp_path)
    assert cli(emulator, "publish", str(root)).exit_code == 0
    known = ids(emulator)
    edit_article_as_person(emulator, known["invoices"], "<p>Invoices are sent monthly.</p>")
    (root / "content/02-billing/02-invoices.md").write_text(
        article("Invoices", body="Invoices are sent every month, by email.")
    )
    data = json.loads(cli(emulator, "plan", str(root), "--json").output)
    [edit] = data["editedInPlain"]
    assert edit["item"] == "invoices" and edit["conflict"]
    assert "conflict" in cli(emulator, "plan", str(root)).output

    kept = cli(emulator, "publish", str(root))
    assert (
        kept.exit_code == EXIT_EDITS_KEPT and "changed in Plain and in the content" in kept.output
    )
    forced = cli(emulator, "publish", str(root), "--overwrite-edits")
    assert forced.exit_code == 0, forced.output
    html = emulator.gql(
        "query($id: ID!) { helpCenterArticle(id: $id) { contentHtml } }", {"id": known["invoices"]}
    )["helpCenterArticle"]["contentHtml"]
    assert "by email" in html
    again = json.loads(cli(emulator, "plan", str(root), "--json").output)
    assert again["editedInPlain"] == [] and {a["action"] for a in again["articles"]} == {
        "unchanged"
    }


def test_faults_during_a_publish_with_kept_edits_never_overwrite_them(
    tmp_path: Path, emulator_factory: EmulatorFactory
) -> None:
    emulator = emulator_factory(extra_args=("--person-key", f"{PERSON_KEY}={PERSON}"))
    root = project(tmp_path)
    for n in range(20):
        (root / f"content/1{n:02d}-extra-{n}.md").write_text(article(f"Extra {n}", body="Text."))
    assert cli(emulator, "publish", str(root)).exit_code == 0
    known = ids(emulator)
    edit_article_as_person(emulator, known["refunds"], "<p>Edited by a person.</p>")
    for n in range(20):
        (root / f"content/1{n:02d}-extra-{n}.md").write_text(article(f"Extra {n}", body="Changed."))
    for attempt in range(4):
        emulator.restart("--fail-rate", "0.2", "--seed", str(11 + attempt))
        result = cli(emulator, "publish", str(root))
        assert result.exit_code in (EXIT_EDITS_KEPT, 3), result.output
        emulator.restart()  # faults off, to read what Plain has
        html = emulator.gql(
            "query($id: ID!) { helpCenterArticle(id: $id) { contentHtml } }",
            {"id": known["refunds"]},
        )["helpCenterArticle"]["contentHtml"]
        assert "Edited by a person" in html
        if result.exit_code == EXIT_EDITS_KEPT:
            break
    assert result.exit_code == EXIT_EDITS_KEPT
