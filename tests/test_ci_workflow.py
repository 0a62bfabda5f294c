"""The example CI setups: the GitHub Actions workflow and the GitLab CI example in docs/ci.md.

Both are validated against the JSON schemas that check-jsonschema ships (SchemaStore's, under
Apache-2.0), then the workflow's own rules are asserted, and its shell steps are run against
the Plain emulator the way a runner would run them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Emulator
from content_factory import article, write_tree

jsonschema = pytest.importorskip(
    "jsonschema", reason="jsonschema is not installed (pip install check-jsonschema)"
)
vendored_schemas = pytest.importorskip(
    "check_jsonschema.builtin_schemas.vendor",
    reason="check-jsonschema (which ships GitHub's and GitLab's CI schemas) is not installed",
)

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
CI_DOC = ROOT / "docs" / "ci.md"
SHA = re.compile(r"[0-9a-f]{40}")
EXACT_TAG = re.compile(r"v\d+\.\d+\.\d+")


class Yaml12Loader(yaml.SafeLoader):
    """YAML as GitHub reads it: only true/false are booleans, so `on:` stays a string key."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=Yaml12Loader)


def schema_errors(schema_file: str, document: Any) -> list[str]:
    schema = json.loads((files(vendored_schemas) / schema_file).read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    return [describe(error) for error in validator.iter_errors(document)]


def describe(error: Any) -> str:
    """`path: message`, for a failed anyOf/oneOf naming its closest alternative's problem."""
    while error.context:
        error = jsonschema.exceptions.best_match(error.context)
    where = "/".join(str(part) for part in error.absolute_path) or "<root>"
    return f"{where}: {error.message[:300]}"


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = load_yaml(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def all_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def step(workflow: dict[str, Any], job: str, step_id: str) -> dict[str, Any]:
    matches = [s for s in workflow["jobs"][job]["steps"] if s.get("id") == step_id]
    assert len(matches) == 1, f"job {job} has no single step with id {step_id}"
    step: dict[str, Any] = matches[0]
    return step


# The schema ------------------------------------------------------------------------------------


def test_workflow_matches_githubs_workflow_schema(workflow: dict[str, Any]) -> None:
    assert schema_errors("github-workflows.json", workflow) == []


def test_the_schema_check_catches_a_broken_workflow(workflow: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(workflow))
    del broken["jobs"]["publish"]["runs-on"]
    broken["jobs"]["check"]["steps"][0]["uses"] = 42
    broken["concurrency-typo"] = "x"
    errors = schema_errors("github-workflows.json", broken)
    assert any(e.startswith("<root>:") and "concurrency-typo" in e for e in errors), errors
    assert any(e.startswith("jobs/publish") for e in errors), errors
    assert any(e.startswith("jobs/check") for e in errors), errors


def test_yaml_reads_on_as_a_key_not_a_boolean(workflow: dict[str, Any]) -> None:
    assert "on" in workflow and True not in workflow  # type: ignore[comparison-overlap]


# Triggers, jobs and settings -----------------------------------------------------------------


def test_triggers_are_pull_requests_and_pushes_to_main(workflow: dict[str, Any]) -> None:
    triggers = workflow["on"]
    assert "pull_request" in triggers
    assert triggers["push"]["branches"] == ["main"]


def test_check_job_runs_on_pull_requests_and_publish_only_on_main(
    workflow: dict[str, Any],
) -> None:
    jobs = workflow["jobs"]
    assert jobs["check"]["if"] == "github.event_name == 'pull_request'"
    publish_if = jobs["publish"]["if"]
    assert "github.ref == 'refs/heads/main'" in publish_if
    assert "github.event_name == 'push'" in publish_if
    assert "pull_request" not in publish_if


def test_publishes_share_one_concurrency_group_and_are_never_cancelled(
    workflow: dict[str, Any],
) -> None:
    concurrency = workflow["jobs"]["publish"]["concurrency"]
    # One fixed group: runs for different commits must wait for each other.
    assert concurrency["group"] and "${{" not in concurrency["group"]
    assert concurrency["cancel-in-progress"] is False
    assert "concurrency" not in workflow, "a workflow-level group would also queue the checks"
    checks = workflow["jobs"]["check"]["concurrency"]
    assert checks["group"] != concurrency["group"]


def test_permissions_are_read_only(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        assert "permissions" not in job


def test_jobs_have_timeouts(workflow: dict[str, Any]) -> None:
    for name, job in workflow["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, name


def test_api_key_comes_only_from_the_secret_and_only_where_needed(
    workflow: dict[str, Any],
) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "plainApiKey_" not in text
    assert "PLAIN_API_KEY" not in workflow["env"]
    holders = []
    for job_name, job in workflow["jobs"].items():
        assert "PLAIN_API_KEY" not in job.get("env", {})
        for s in job["steps"]:
            if "PLAIN_API_KEY" in s.get("env", {}):
                assert s["env"]["PLAIN_API_KEY"] == "${{ secrets.PLAIN_API_KEY }}"
                holders.append((job_name, s["id"]))
    assert sorted(holders) == [("check", "plan"), ("publish", "publish")]


def test_help_center_id_comes_from_a_repository_variable(workflow: dict[str, Any]) -> None:
    assert workflow["env"]["PLAIN_HELP_CENTER_ID"] == "${{ vars.PLAIN_HELP_CENTER_ID }}"


def test_every_action_is_pinned(workflow: dict[str, Any]) -> None:
    uses = [s["uses"] for s in all_steps(workflow) if "uses" in s]
    assert uses
    for use in uses:
        action, _, ref = use.partition("@")
        assert action and (SHA.fullmatch(ref) or EXACT_TAG.fullmatch(ref)), use
    # A SHA pin says which release it is, on the same line.
    for line in WORKFLOW.read_text(encoding="utf-8").splitlines():
        pinned = re.search(r"uses:\s*\S+@([0-9a-f]{40})(.*)$", line)
        if pinned:
            assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", pinned.group(2)), line


def test_checkout_keeps_no_credentials(workflow: dict[str, Any]) -> None:
    for s in all_steps(workflow):
        if s.get("uses", "").startswith("actions/checkout@"):
            assert s["with"]["persist-credentials"] is False


def test_publisher_commands_are_run(workflow: dict[str, Any]) -> None:
    assert "publisher check" in step(workflow, "check", "check")["run"]
    plan = step(workflow, "check", "plan")["run"]
    assert "publisher plan" in plan and "$GITHUB_STEP_SUMMARY" in plan
    assert step(workflow, "publish", "publish")["run"].strip() == "publisher publish"
    # check fails the job before the plan runs.
    steps = workflow["jobs"]["check"]["steps"]
    assert steps.index(step(workflow, "check", "check")) < steps.index(
        step(workflow, "check", "plan")
    )


def test_every_job_installs_publisher_from_the_pinned_ref(workflow: dict[str, Any]) -> None:
    for name, job in workflow["jobs"].items():
        installs = [s["run"] for s in job["steps"] if "pip install" in s.get("run", "")]
        assert installs == [
            'python -m pip install "publisher @ git+https://github.com/${PUBLISHER_REPO}@${PUBLISHER_REF}"'
        ], name


def test_run_scripts_take_no_expressions(workflow: dict[str, Any]) -> None:
    # Values reach scripts through env, so nothing in an event can be injected into a script.
    for s in all_steps(workflow):
        assert "${{" not in s.get("run", ""), s.get("name")


def test_pip_and_the_publisher_cache_are_cached(workflow: dict[str, Any]) -> None:
    for name, job in workflow["jobs"].items():
        caches = {
            s["with"]["path"]: s["with"]
            for s in job["steps"]
            if s.get("uses", "").startswith("actions/cache@")
        }
        assert set(caches) == {"~/.cache/pip", ".publisher/cache"}, name
        assert "PUBLISHER_REF" in caches["~/.cache/pip"]["key"]
        content_key = caches[".publisher/cache"]["key"]
        assert "hashFiles(" in content_key and "content/**" in content_key
        assert caches[".publisher/cache"]["restore-keys"].strip()


# The steps' shell scripts, run as a runner runs them ------------------------------------------


def run_step(
    script: str, cwd: Path, env: dict[str, str], tmp: Path
) -> subprocess.CompletedProcess[str]:
    script_file = tmp / "step.sh"
    script_file.write_text(script, encoding="utf-8")
    environment = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(tmp)),
        "RUNNER_TEMP": str(tmp),
        **env,
    }
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_steps_check_plan_and_publish_against_the_emulator(
    workflow: dict[str, Any], tmp_path: Path, emulator: Emulator
) -> None:
    repo = tmp_path / "help"
    write_tree(repo, {"01-start/01-welcome.md": article("Welcome"), "faq.md": article("FAQ")})
    summary = tmp_path / "summary.md"
    env = {
        "PLAIN_API_KEY": emulator.api_key,
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": emulator.help_center_id,
        "GITHUB_STEP_SUMMARY": str(summary),
    }

    checked = run_step(step(workflow, "check", "check")["run"], repo, env, tmp_path)
    assert checked.returncode == 0, checked.stderr

    planned = run_step(step(workflow, "check", "plan")["run"], repo, env, tmp_path)
    assert planned.returncode == 0, planned.stderr
    posted = summary.read_text(encoding="utf-8")
    fenced = re.search(r"^~~~text\n(.*?)^~~~$", posted, re.DOTALL | re.MULTILINE)
    assert fenced, posted
    assert "Welcome" in fenced.group(1) and "FAQ" in fenced.group(1)
    assert fenced.group(1).strip() in planned.stdout  # also in the job log
    assert emulator.index()["navIndex"] == []  # a plan sends nothing

    published = run_step(step(workflow, "publish", "publish")["run"], repo, env, tmp_path)
    assert published.returncode == 0, published.stderr
    assert "### Help center published" in summary.read_text(encoding="utf-8")
    assert "created 2" in published.stdout


def test_a_failed_plan_fails_the_step_and_still_closes_the_summary(
    workflow: dict[str, Any], tmp_path: Path, emulator: Emulator
) -> None:
    repo = tmp_path / "help"
    write_tree(repo, {"a.md": article("A")})
    summary = tmp_path / "summary.md"
    env = {
        "PLAIN_API_KEY": "plainApiKey_wrong",
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": emulator.help_center_id,
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    planned = run_step(step(workflow, "check", "plan")["run"], repo, env, tmp_path)
    assert planned.returncode == 3
    posted = summary.read_text(encoding="utf-8")
    assert posted.count("~~~") == 2
    assert "publisher plan failed (exit 3)" in posted
    assert "plainApiKey_wrong" not in posted + planned.stdout + planned.stderr


def test_content_errors_stop_the_check_step(
    workflow: dict[str, Any], tmp_path: Path, emulator: Emulator
) -> None:
    repo = tmp_path / "help"
    write_tree(repo, {"a.md": article("A", titel="x")})
    checked = run_step(step(workflow, "check", "check")["run"], repo, {}, tmp_path)
    assert checked.returncode == 1
    assert "content/a.md:3: unknown key 'titel'" in checked.stdout + checked.stderr


# The GitLab CI example in docs/ci.md -----------------------------------------------------------


def gitlab_example() -> dict[str, Any]:
    text = CI_DOC.read_text(encoding="utf-8")
    section = text.split("## GitLab CI", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block, "no yaml block in the GitLab CI section"
    data = load_yaml(block.group(1))
    assert isinstance(data, dict)
    return data


def test_gitlab_example_matches_gitlabs_schema() -> None:
    assert schema_errors("gitlab-ci.json", gitlab_example()) == []


def test_gitlab_example_serialises_publishes_on_the_default_branch() -> None:
    pipeline = gitlab_example()
    publish = pipeline["publish"]
    assert publish["resource_group"]
    assert publish["script"] == ["publisher publish"]
    assert "$CI_DEFAULT_BRANCH" in publish["rules"][0]["if"]
    assert "merge_request_event" in pipeline["check"]["rules"][0]["if"]
    assert "publisher check" in pipeline["check"]["script"]
    # The key is a masked CI/CD variable, never written into the file.
    assert "PLAIN_API_KEY" not in pipeline["variables"]
