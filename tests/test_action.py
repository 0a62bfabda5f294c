"""action.yml, the help-center-publisher GitHub Action.

It is validated against GitHub's action schema (check-jsonschema's copy), its rules are
asserted, and its steps are run the way a runner runs a composite action: each `run:` script
with `bash -eo pipefail`, its `env:` and `if:` evaluated from the inputs, the earlier steps'
outputs and the event, and fresh GITHUB_OUTPUT files. `publisher` comes from this checkout
(the install step, which needs the release on PyPI, runs in tests/test_wheel.py against the
wheel built there). Plain is the emulator; GitHub's comment API is the fake from
tests/test_plan_comment.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from conftest import Emulator
from content_factory import article, write_tree
from test_ci_workflow import (
    SHA,
    as_text,
    evaluate,
    load_yaml,
    schema_errors,
    substitute,
    truthy,
)
from test_plan_comment import MARKER, FakeGitHub, github

import publisher

__all__ = ["github"]  # the fake GitHub fixture, used here too

ROOT = Path(__file__).resolve().parents[1]
ACTION_FILE = ROOT / "action.yml"
ACTION: dict[str, Any] = load_yaml(ACTION_FILE.read_text(encoding="utf-8"))
REPOSITORY = "acme/help-center"
TOKEN = "ghs_Secret0Token1That2Must3Never4Show"


def steps() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ACTION["runs"]["steps"]
    return found


def step(step_id: str) -> dict[str, Any]:
    [found] = [s for s in steps() if s.get("id") == step_id]
    return found


def comment_step() -> dict[str, Any]:
    [found] = [s for s in steps() if "plan_comment.py" in s.get("run", "")]
    return found


# Running the action ------------------------------------------------------------------------------


@dataclass
class StepRun:
    name: str
    skipped: bool
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""


@dataclass
class ActionRun:
    steps: list[StepRun]
    outputs: dict[str, dict[str, str]]
    summary: str

    @property
    def ran(self) -> list[StepRun]:
        return [s for s in self.steps if not s.skipped]

    @property
    def returncode(self) -> int:
        return next((s.returncode for s in self.steps if s.returncode), 0)

    @property
    def log(self) -> str:
        return "\n".join(s.stdout + s.stderr for s in self.steps)

    def step(self, name: str) -> StepRun:
        [found] = [s for s in self.steps if s.name == name]
        return found


@dataclass
class Runner:
    """Runs action.yml's steps in a workspace, as GitHub's runner would."""

    workspace: Path
    tmp: Path
    env: dict[str, str] = field(default_factory=dict)  # the caller's `env:` (secrets, vars)
    event_name: str = "pull_request"
    event: dict[str, Any] = field(default_factory=dict)
    github_api: str = "http://127.0.0.1:9"
    token: str = TOKEN

    def run(self, **with_: str) -> ActionRun:
        inputs = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
        unknown = set(with_) - set(inputs)
        assert not unknown, f"action.yml has no input {unknown}"
        event_path = self.tmp / "event.json"
        event_path.write_text(json.dumps(self.event), encoding="utf-8")
        summary = self.tmp / "step_summary.md"
        summary.write_text("", encoding="utf-8")
        runner_temp = self.tmp / "runner_temp"
        runner_temp.mkdir(exist_ok=True)
        context: dict[str, Any] = {
            "github": {
                "event_name": self.event_name,
                "event": self.event,
                "repository": REPOSITORY,
                "action_path": str(ROOT),
                "token": self.token,
            },
            "runner": {"os": "Linux", "temp": str(runner_temp)},
            "steps": {
                # The uses: steps and the install step are not run here: their outputs.
                "python": {"outputs": {"python-path": sys.executable, "python-version": "3.11"}},
                "install": {"outputs": {"bin": str(Path(sys.executable).parent)}},
            },
        }
        context["inputs"] = {k: as_text(substitute(v, context)) for k, v in inputs.items()}
        context["inputs"].update(with_)
        base = {
            # The system's tools only: python and publisher come from the install step's bin.
            "PATH": os.pathsep.join(
                p
                for p in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
                if Path(p) != Path(sys.executable).parent
            ),
            "HOME": os.environ.get("HOME", str(self.tmp)),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": self.event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_API_URL": self.github_api,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "42",
            "GITHUB_SHA": "f" * 40,
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_PATH": str(self.tmp / "github_path"),
            "RUNNER_TEMP": str(runner_temp),
            **self.env,
        }
        runs: list[StepRun] = []
        for index, spec in enumerate(steps()):
            name = spec.get("id") or spec.get("name") or str(index)
            if "uses" in spec or spec.get("id") == "install":
                continue
            if "if" in spec and not truthy(evaluate(spec["if"], context)):
                runs.append(StepRun(name, skipped=True))
                continue
            outputs_file = self.tmp / f"output-{index}"
            outputs_file.write_text("", encoding="utf-8")
            env = {k: as_text(substitute(v, context)) for k, v in spec.get("env", {}).items()}
            script = self.tmp / f"step-{index}.sh"
            script.write_text(spec["run"], encoding="utf-8")
            done = subprocess.run(
                [spec["shell"], "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace,
                env={**base, **env, "GITHUB_OUTPUT": str(outputs_file)},
                capture_output=True,
                text=True,
                timeout=180,
            )
            runs.append(StepRun(name, False, done.returncode, done.stdout, done.stderr))
            written = dict(
                line.split("=", 1)
                for line in outputs_file.read_text(encoding="utf-8").splitlines()
                if "=" in line
            )
            if "id" in spec:
                context["steps"][spec["id"]] = {"outputs": written}
            if done.returncode != 0:
                break  # later steps have no if: always()
        outputs: dict[str, dict[str, str]] = {k: v["outputs"] for k, v in context["steps"].items()}
        return ActionRun(runs, outputs, summary.read_text(encoding="utf-8"))


def pr_event(*, fork: bool = False, number: int = 7) -> dict[str, Any]:
    head_repo = "someone/help-center" if fork else REPOSITORY
    return {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": "0123456789abcdef" * 2 + "01234567", "repo": {"full_name": head_repo}},
        },
    }


def plain_env(emulator: Emulator, **extra: str) -> dict[str, str]:
    return {
        "PLAIN_API_KEY": emulator.api_key,
        "PLAIN_API_URL": emulator.url,
        "PLAIN_HELP_CENTER_ID": emulator.help_center_id,
        **extra,
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    write_tree(workspace, {"01-start/01-welcome.md": article("Welcome"), "faq.md": article("FAQ")})
    return workspace


def runner(repo: Path, tmp_path: Path, **kwargs: Any) -> Runner:
    scratch = tmp_path / "runner"
    scratch.mkdir(exist_ok=True)
    return Runner(workspace=repo, tmp=scratch, **kwargs)


# The file --------------------------------------------------------------------------------------


def test_action_matches_githubs_action_schema() -> None:
    assert schema_errors("github-actions.json", ACTION) == []


def test_the_schema_check_catches_a_broken_action() -> None:
    broken = json.loads(json.dumps(ACTION))
    del broken["runs"]["steps"][2]["shell"]  # a composite run step must name its shell
    broken["inputs"]["command"]["defualt"] = "plan"
    assert len(schema_errors("github-actions.json", broken)) >= 2


def test_inputs_and_their_defaults() -> None:
    inputs = ACTION["inputs"]
    assert set(inputs) == {
        "command",
        "path",
        "target",
        "version",
        "prune",
        "prune-yes",
        "comment",
        "python-version",
        "github-token",
    }
    assert inputs["command"]["default"] == "plan"
    assert inputs["path"]["default"] == "."
    assert inputs["comment"]["default"] == "true"
    assert inputs["prune"]["default"] == inputs["prune-yes"]["default"] == "false"
    assert inputs["github-token"]["default"] == "${{ github.token }}"
    assert all(not spec.get("required", False) for spec in inputs.values())


def test_the_default_version_is_this_release() -> None:
    # Bump both together: the release workflow refuses a tag that differs from __version__.
    assert ACTION["inputs"]["version"]["default"] == publisher.__version__


def test_it_is_a_composite_action_whose_actions_are_pinned() -> None:
    assert ACTION["runs"]["using"] == "composite"
    for spec in steps():
        if "uses" in spec:
            assert SHA.fullmatch(spec["uses"].partition("@")[2]), spec["uses"]
    for line in ACTION_FILE.read_text(encoding="utf-8").splitlines():
        if "uses:" in line:
            assert line.rstrip().split("#")[-1].strip().startswith("v"), line


def test_run_scripts_take_no_expressions() -> None:
    # Inputs and event fields reach scripts only through env, so none can inject shell code.
    for spec in steps():
        assert "${{" not in spec.get("run", ""), spec.get("name")
        assert spec.get("shell", "bash") == "bash"


def test_installs_the_pinned_release_into_its_own_environment() -> None:
    install = step("install")
    assert install["env"]["PUBLISHER_VERSION"] == "${{ inputs.version }}"
    assert '"help-center-publisher==$PUBLISHER_VERSION"' in install["run"]
    assert "-m venv" in install["run"]
    setup = next(s for s in steps() if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"
    assert setup["with"]["update-environment"] is False  # the caller's Python stays as it was


def test_the_publisher_cache_is_kept_per_runner_os_and_content() -> None:
    [cache] = [
        s
        for s in steps()
        if s.get("uses", "").startswith("actions/cache@") and ".publisher" in s["with"]["path"]
    ]
    context = {"inputs": {"path": "docs-site", "target": ""}, "runner": {"os": "Linux"}}
    assert substitute(cache["with"]["path"], context) == "docs-site/.publisher/cache"
    key = substitute(cache["with"]["key"], context)
    assert "Linux" in key and "HASH(docs-site/content/**)" in key
    restore = substitute(cache["with"]["restore-keys"], context).strip()
    assert key.startswith(restore) and restore.endswith("-")


def test_the_version_is_checked_before_pip_sees_it(tmp_path: Path) -> None:
    script = tmp_path / "install.sh"
    script.write_text(step("install")["run"], encoding="utf-8")
    for bad in ("1.0; rm -rf /", "latest", ">=1.0", ""):
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env={
                "PATH": os.environ["PATH"],
                "PUBLISHER_VERSION": bad,
                "RUNNER_TEMP": str(tmp_path),
            },
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 2, bad
        assert "version must be a release number" in done.stdout
    assert not (tmp_path / "help-center-publisher").exists()


@pytest.mark.parametrize(
    ("event_name", "ran", "comment", "posts"),
    [
        ("pull_request", "plan", "true", True),
        ("pull_request_target", "plan", "true", True),
        ("pull_request", "plan", "false", False),
        ("pull_request", "check", "true", False),  # a fork: no key, no plan
        ("push", "plan", "true", False),
    ],
)
def test_the_comment_is_posted_only_for_a_plan_on_a_pull_request(
    event_name: str, ran: str, comment: str, posts: bool
) -> None:
    context = {
        "inputs": {"comment": comment},
        "github": {"event_name": event_name},
        "steps": {"run": {"outputs": {"ran": ran}}},
    }
    assert truthy(evaluate(comment_step()["if"], context)) is posts


def test_the_comment_script_is_the_one_inside_the_action() -> None:
    spec = comment_step()
    assert spec["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"$ACTION_PATH/scripts/plan_comment.py"' in spec["run"]
    assert (ROOT / "scripts" / "plan_comment.py").is_file()


def test_fork_detection() -> None:
    expression = step("run")["env"]["FROM_FORK"]
    context: dict[str, Any] = {"github": {"repository": REPOSITORY, "event": pr_event(fork=True)}}
    assert substitute(expression, context) is True
    context["github"]["event"] = pr_event(fork=False)
    assert substitute(expression, context) is False
    context["github"]["event"] = {"ref": "refs/heads/main"}  # a push
    assert substitute(expression, context) is False


# The steps, run against the emulator and a fake GitHub ---------------------------------------


def test_plan_comment_publish_then_nothing_to_change(
    repo: Path, tmp_path: Path, emulator: Emulator, github: FakeGitHub
) -> None:
    pull = runner(repo, tmp_path, env=plain_env(emulator), event=pr_event(), github_api=github.url)
    planned = pull.run(command="plan")
    assert planned.returncode == 0, planned.log
    run = planned.outputs["run"]
    assert run["ran"] == "plan" and run["exit-code"] == "0" and run["changes"] == "true"
    assert "Welcome" in planned.log and "FAQ" in planned.log  # the plan in the job log
    assert "### What publishing this would change" in planned.summary
    assert "Welcome" in planned.summary
    [comment] = github.ours(7)
    assert (
        "What publishing commit `0123456789ab` would change" in comment["body"]
        and "Welcome" in comment["body"]
    )
    assert planned.step("Fail when check or plan failed").skipped
    assert emulator.index()["navIndex"] == []  # a plan sends nothing

    push = runner(repo, tmp_path, env=plain_env(emulator), event_name="push", event={})
    published = push.run(command="publish")
    assert published.returncode == 0, published.log
    assert published.outputs["run"]["ran"] == "publish"
    assert "### Help center published" in published.summary
    assert "created 2" in published.log
    assert published.step("Post the plan on the pull request").skipped

    again = pull.run(command="plan")
    assert again.returncode == 0, again.log
    assert again.outputs["run"]["changes"] == "false"
    assert [c["id"] for c in github.ours(7)] == [comment["id"]]  # the same comment, edited
    assert "Nothing to change" in github.ours(7)[0]["body"]
    assert github.count("POST") == 1


def test_nothing_to_change_and_no_comment_posts_nothing(
    repo: Path, tmp_path: Path, emulator: Emulator, github: FakeGitHub
) -> None:
    env = plain_env(emulator)
    assert runner(repo, tmp_path, env=env, event_name="push").run(command="publish").returncode == 0
    planned = runner(repo, tmp_path, env=env, event=pr_event(), github_api=github.url).run()
    assert planned.returncode == 0, planned.log
    assert planned.outputs["run"]["changes"] == "false"
    assert github.count("POST") == 0 and github.ours(7) == []


def test_a_fork_runs_check_and_says_why(
    repo: Path, tmp_path: Path, emulator: Emulator, github: FakeGitHub
) -> None:
    env = plain_env(emulator, PLAIN_API_KEY="")
    done = runner(repo, tmp_path, env=env, event=pr_event(fork=True), github_api=github.url).run()
    assert done.returncode == 0, done.log
    assert done.outputs["run"]["ran"] == "check" and done.outputs["run"]["exit-code"] == "0"
    assert (
        "::notice title=help-center-publisher::Plan skipped: a pull request from a fork" in done.log
    )
    assert "ok: 2 articles" in done.log  # publisher check ran
    assert "Plan skipped" in done.summary
    assert done.step("Post the plan on the pull request").skipped
    assert github.requests == []


def test_a_missing_secret_outside_forks_says_how_to_add_it(
    repo: Path, tmp_path: Path, emulator: Emulator
) -> None:
    env = plain_env(emulator, PLAIN_API_KEY="")
    done = runner(repo, tmp_path, env=env, event=pr_event()).run(comment="false")
    assert done.returncode == 0, done.log
    assert "Add it as a repository secret" in done.log
    assert "env: PLAIN_API_KEY: ${{ secrets.PLAIN_API_KEY }}" in done.log


def test_publish_without_the_key_fails(repo: Path, tmp_path: Path, emulator: Emulator) -> None:
    env = plain_env(emulator, PLAIN_API_KEY="")
    done = runner(repo, tmp_path, env=env, event_name="push").run(command="publish")
    assert done.returncode == 2
    assert "::error title=help-center-publisher::PLAIN_API_KEY is empty" in done.log
    assert emulator.index()["navIndex"] == []


def test_content_errors_are_posted_and_fail_the_action(
    tmp_path: Path, emulator: Emulator, github: FakeGitHub
) -> None:
    repo = tmp_path / "workspace"
    write_tree(repo, {"a.md": article("A", titel="x")})
    done = runner(
        repo, tmp_path, env=plain_env(emulator), event=pr_event(), github_api=github.url
    ).run()
    assert done.returncode == 1
    assert done.step("run").returncode == 0  # the comment still runs, then the last step fails
    assert done.outputs["run"]["failed"] == "check"
    assert "content/a.md:3: unknown key 'titel'" in done.log
    [comment] = github.ours(7)
    assert "`publisher check` found problems" in comment["body"]
    assert "content/a.md:3: unknown key 'titel'" in comment["body"]
    assert "publisher check failed (exit 1)" in done.summary
    assert done.step("Fail when check or plan failed").returncode == 1


def test_a_failed_plan_is_posted_without_the_key(
    repo: Path, tmp_path: Path, emulator: Emulator, github: FakeGitHub
) -> None:
    wrong = "plainApiKey_wrong_but_secret_1234"
    env = plain_env(emulator, PLAIN_API_KEY=wrong)
    done = runner(repo, tmp_path, env=env, event=pr_event(), github_api=github.url).run()
    assert done.returncode == 3
    assert done.outputs["run"]["failed"] == "plan"
    [comment] = github.ours(7)
    assert "`publisher plan` failed" in comment["body"] and "(exit 3)" in comment["body"]
    assert "publisher plan failed (exit 3)" in done.summary
    for text in (done.log, done.summary, comment["body"]):
        assert wrong not in text and TOKEN not in text


def test_a_comment_github_refuses_is_a_warning(
    repo: Path, tmp_path: Path, emulator: Emulator, github: FakeGitHub
) -> None:
    from test_plan_comment import Failure

    github.failures.append(Failure("GET", 403, '{"message": "Resource not accessible"}'))
    done = runner(
        repo, tmp_path, env=plain_env(emulator), event=pr_event(), github_api=github.url
    ).run()
    assert done.returncode == 0, done.log
    assert "::warning title=help-center-publisher::the plan was not posted" in done.log
    assert "pull-requests: write" in done.log


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"command": "deploy"}, "command must be check, plan or publish, not 'deploy'"),
        ({"command": "publish", "prune": "yes"}, "prune must be true or false, not 'yes'"),
    ],
)
def test_bad_inputs_exit_2(
    repo: Path, tmp_path: Path, emulator: Emulator, inputs: dict[str, str], message: str
) -> None:
    done = runner(repo, tmp_path, env=plain_env(emulator), event_name="push").run(**inputs)
    assert done.returncode == 2
    assert message in done.log
    assert emulator.index()["navIndex"] == []


def test_check_command(repo: Path, tmp_path: Path) -> None:
    done = runner(repo, tmp_path, event_name="push").run(command="check")
    assert done.returncode == 0, done.log
    assert done.outputs["run"]["ran"] == "check" and "ok: 2 articles" in done.log


def test_a_target_uses_its_own_key_variable(
    repo: Path, tmp_path: Path, emulator: Emulator, github: FakeGitHub
) -> None:
    (repo / "publisher.toml").write_text(
        "[targets.staging]\n"
        f'help_center_id = "{emulator.help_center_id}"\n'
        'api_key_env = "PLAIN_API_KEY_STAGING"\n',
        encoding="utf-8",
    )
    env = {"PLAIN_API_URL": emulator.url, "PLAIN_API_KEY": "", "PLAIN_API_KEY_STAGING": ""}
    pull = runner(repo, tmp_path, env=env, event=pr_event(), github_api=github.url)
    skipped = pull.run(target="staging")
    assert skipped.outputs["run"]["ran"] == "check"
    assert "PLAIN_API_KEY_STAGING is empty" in skipped.log

    pull.env["PLAIN_API_KEY_STAGING"] = emulator.api_key
    planned = pull.run(target="staging")
    assert planned.returncode == 0, planned.log
    assert planned.outputs["run"]["ran"] == "plan"
    assert "(target staging)" in planned.summary
    [comment] = github.ours(7, "<!-- help-center-publisher:plan target=staging -->")
    assert "Welcome" in comment["body"]
    assert github.ours(7, MARKER) == []


def test_publish_with_prune_deletes_what_the_content_lacks(
    repo: Path, tmp_path: Path, emulator: Emulator
) -> None:
    env = plain_env(emulator)
    push = runner(repo, tmp_path, env=env, event_name="push")
    assert push.run(command="publish").returncode == 0
    emulator.upsert_article(title="Old", slug="old", status="PUBLISHED")
    kept = push.run(command="publish")
    assert kept.returncode == 0, kept.log
    assert "old" in slugs(emulator)
    pruned = push.run(command="publish", prune="true", **{"prune-yes": "true"})
    assert pruned.returncode == 0, pruned.log
    assert slugs(emulator) == {"welcome", "faq"}
    assert "old" in pruned.log and "deleted" in pruned.log.lower()


def slugs(emulator: Emulator) -> set[str]:
    data = emulator.gql(
        "query($id: ID!) { helpCenter(id: $id) { articles(first: 100) { edges { node { slug } } } } }",
        {"id": emulator.help_center_id},
    )
    return {edge["node"]["slug"] for edge in data["helpCenter"]["articles"]["edges"]}
