"""`publisher plan`, `publish` and `restore` from the command line, against the emulator."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import Emulator
from content_factory import article, write_tree

from publisher.cli import main

SAMPLE = Path(__file__).resolve().parents[1] / "content"


def invoke(emulator: Emulator, *args: str, key: str | None = None, **env: str) -> Result:
    environment = {
        "PLAIN_API_KEY": key if key is not None else emulator.api_key,
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": emulator.help_center_id,
        "GITHUB_STEP_SUMMARY": "",
        **env,
    }
    return CliRunner().invoke(main, list(args), env=environment)


def test_publish_then_nothing_to_do(tmp_path: Path, emulator: Emulator) -> None:
    shutil.copytree(SAMPLE, tmp_path / "content")
    summary = tmp_path / "summary.md"
    first = invoke(emulator, "publish", str(tmp_path), GITHUB_STEP_SUMMARY=str(summary))
    assert first.exit_code == 0, first.output
    assert "created 24" in first.output and "images uploaded 6" in first.output
    assert "### Help center published" in summary.read_text()
    assert "| created | 24 |" in summary.read_text()
    second = invoke(emulator, "publish", str(tmp_path))
    assert second.exit_code == 0
    assert "created 0, updated 0, unchanged 24" in second.output
    assert "requests 3" in second.output


def test_plan_json_lists_actions_and_sends_nothing(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"g/a.md": article("A"), "b.md": article("B")})
    result = invoke(emulator, "plan", str(tmp_path), "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert [(a["action"], a["slug"]) for a in plan["articles"]] == [
        ("create", "b"),
        ("create", "a"),
    ]
    assert plan["groups"] == [{"action": "create", "slug": "g", "name": "G", "id": None}]
    assert plan["navigation"]["changed"] is True
    assert plan["navigation"]["after"] == ["- B", "▸ G", "  - A"]
    assert emulator.index()["navIndex"] == []


def test_plan_table_shows_changed_fields(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"a.md": article("A"), "b.md": article("B")})
    assert invoke(emulator, "publish", str(tmp_path)).exit_code == 0
    (tmp_path / "content/a.md").write_text(article("A again", description="New"))
    result = invoke(emulator, "plan", str(tmp_path))
    assert result.exit_code == 0
    assert "update" in result.output and "title, description" in result.output
    assert "Plan: 0 to create, 1 to update, 1 unchanged" in result.output


def test_content_errors_exit_1_and_send_nothing(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"a.md": article("A"), "b.md": article("B", "[x](missing.md)")})
    result = invoke(emulator, "publish", str(tmp_path))
    assert result.exit_code == 1
    assert "link to missing article" in result.output
    assert "nothing was sent" in result.output
    assert emulator.index()["navIndex"] == []


def test_missing_key_or_help_center_is_a_usage_error(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    no_key = invoke(emulator, "publish", str(tmp_path), key="")
    assert no_key.exit_code == 2 and "PLAIN_API_KEY" in no_key.output
    no_hc = invoke(emulator, "plan", str(tmp_path), PLAIN_HELP_CENTER_ID="")
    assert no_hc.exit_code == 2 and "--help-center-id" in no_hc.output


def test_rejected_key_exits_3_without_showing_it(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    secret = "plainApiKey_not_valid_SECRET123"
    result = invoke(emulator, "publish", str(tmp_path), "--verbose", key=secret)
    assert result.exit_code == 3
    assert "401" in result.output or "authent" in result.output.lower()
    # Nothing was written, so there is nothing to pick up again: no "safe to re-run" line.
    assert "again is safe" not in result.output
    assert secret not in result.output
    assert "SECRET123" not in result.output


def test_prune_refusal_exits_1(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"a.md": article("A"), "b.md": article("B"), "c.md": article("C")})
    assert invoke(emulator, "publish", str(tmp_path)).exit_code == 0
    (tmp_path / "content/b.md").unlink()
    (tmp_path / "content/c.md").unlink()
    refused = invoke(emulator, "publish", str(tmp_path), "--prune")
    assert refused.exit_code == 1
    assert "prune refused" in refused.output and "--yes" in refused.output


def test_prune_and_restore_from_the_command_line(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"a.md": article("A"), "b.md": article("B"), "c.md": article("C")})
    assert invoke(emulator, "publish", str(tmp_path)).exit_code == 0
    (tmp_path / "content/c.md").unlink()
    pruned = invoke(emulator, "publish", str(tmp_path), "--prune")
    assert pruned.exit_code == 0, pruned.output
    assert "deleted 1" in pruned.output
    snapshot = next((tmp_path / ".publisher/backups").glob("*.json"))
    monkeypatch.chdir(tmp_path)
    restored = invoke(emulator, "restore", str(snapshot))
    assert restored.exit_code == 0, restored.output
    assert "restored 1 article" in restored.output
    # The file is still gone from the content: the next prune would delete it again.
    assert "the content still lacks article c" in restored.output
    slugs = [item["slug"] for item in emulator.index()["navIndex"]]
    assert slugs == ["a", "b", "c"]


def test_dry_run_prints_the_plan(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    result = invoke(emulator, "publish", str(tmp_path), "--dry-run")
    assert result.exit_code == 0
    assert "Plan: 1 to create" in result.output
    assert emulator.index()["navIndex"] == []


def test_refused_write_names_the_file_and_what_plain_said(
    tmp_path: Path, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publisher.plain import ArticleWrite, FieldError, MutationError, PlainClient

    write_tree(tmp_path, {"a.md": article("A"), "b.md": article("B")})

    def refuse(self: PlainClient, help_center_id: str, write: ArticleWrite) -> object:
        if write.slug == "b":
            raise MutationError(
                "Title is too long",
                operation="UpsertHelpCenterArticle",
                type="VALIDATION",
                code="input_validation",
                fields=(FieldError("title", "too long", "VALIDATION"),),
            )
        return real(self, help_center_id, write)

    real = PlainClient.write_article
    monkeypatch.setattr(PlainClient, "write_article", refuse)
    result = invoke(emulator, "publish", str(tmp_path), "--concurrency", "1")
    assert result.exit_code == 3
    assert "b.md: Plain said:" in result.output
    assert "title: too long" in result.output
    assert "again is safe" in result.output


def test_target_selects_help_center_and_key_variable(tmp_path: Path, emulator: Emulator) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    (tmp_path / "publisher.toml").write_text(
        f'[targets.staging]\nhelp_center_id = "{emulator.help_center_id}"\n'
        f'api_url = "{emulator.url}"\napi_key_env = "STAGING_KEY"\n'
    )
    missing = invoke(emulator, "plan", str(tmp_path), "--target", "staging", key="")
    assert missing.exit_code == 2 and "targets.staging.api_key_env" in missing.output
    result = invoke(
        emulator,
        "publish",
        str(tmp_path),
        "--target",
        "staging",
        key="",
        STAGING_KEY=emulator.api_key,
        PLAIN_HELP_CENTER_ID="hc_somewhere_else",
        PLAIN_API_URL="http://127.0.0.1:9/graphql/v1",
    )
    assert result.exit_code == 0, result.output
    assert [e["slug"] for e in emulator.index()["navIndex"]] == ["a"]


def test_pull_writes_content_and_refuses_to_overwrite(tmp_path: Path, emulator: Emulator) -> None:
    emulator.upsert_article(title="Written in Plain", slug="in-plain", contentHtml="<p>Hi</p>")
    (tmp_path / "publisher.toml").write_text("")
    first = invoke(emulator, "pull", str(tmp_path))
    assert first.exit_code == 0, first.output
    assert "pulled 1 article and 0 groups" in first.output
    pulled = (tmp_path / "content/01-in-plain.md").read_text()
    assert "title: Written in Plain" in pulled and "Hi" in pulled
    again = invoke(emulator, "pull", str(tmp_path))
    assert again.exit_code == 1 and "01-in-plain.md" in again.output
    assert invoke(emulator, "pull", str(tmp_path), "--force").exit_code == 0
    planned = invoke(emulator, "plan", str(tmp_path))
    assert "Plan: 0 to create, 0 to update, 1 unchanged" in planned.output


@pytest.mark.parametrize("url", ["http://[::1", "ftp://example.com/graphql", "core-api.plain.com"])
def test_an_api_url_that_is_not_http_is_a_usage_error(
    tmp_path: Path, emulator: Emulator, url: str
) -> None:
    write_tree(tmp_path, {"a.md": article("A")})
    result = invoke(emulator, "publish", str(tmp_path), PLAIN_API_URL=url)
    assert result.exit_code == 2, result.output
    assert "is not an http or https URL" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
