"""The CI setups this repository ships: the GitHub workflow template that uses the action, the
release workflow, and the GitLab CI example in docs/ci.md.

Each is validated against the JSON schemas that check-jsonschema ships (SchemaStore's, under
Apache-2.0), then its rules are asserted; the workflow's expressions are evaluated for a push
and a pull request with a small evaluator of GitHub's expression language. The action's own
steps (what used to be this workflow's shell steps) are run against the emulator in
tests/test_action.py; the release workflow's tag check is run here.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

import publisher

jsonschema = pytest.importorskip(
    "jsonschema", reason="jsonschema is not installed (pip install check-jsonschema)"
)
vendored_schemas = pytest.importorskip(
    "check_jsonschema.builtin_schemas.vendor",
    reason="check-jsonschema (which ships GitHub's and GitLab's CI schemas) is not installed",
)

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
ACTION = ROOT / "action.yml"
CI_DOC = ROOT / "docs" / "ci.md"
SHA = re.compile(r"[0-9a-f]{40}")
EXACT_TAG = re.compile(r"v\d+\.\d+\.\d+")
OUR_ACTION = "OWNER/publisher@v1"  # OWNER: the account that hosts this repository


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


# GitHub's expression language, as much of it as these files use -------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|&&|\|\||!|\(|\)|,)|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*))"
)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if text == "":
        return 0.0
    try:
        return float(text)
    except ValueError:
        return math.nan


def _equal(left: Any, right: Any) -> bool:
    """GitHub's loose equality: strings ignore case; other mixed types compare as numbers."""
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    if type(left) is type(right) and not isinstance(left, int | float):
        return bool(left == right)
    a, b = _number(left), _number(right)
    return not (math.isnan(a) or math.isnan(b)) and a == b


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "")


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _format(template: Any, *args: Any) -> str:
    return re.sub(r"\{(\d+)\}", lambda m: as_text(args[int(m.group(1))]), as_text(template))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "format": _format,
    "hashFiles": lambda *patterns: "HASH(" + ",".join(map(as_text, patterns)) + ")",
    "always": lambda: True,
    "success": lambda: True,
    "contains": lambda a, b: as_text(b).lower() in as_text(a).lower(),
    "startsWith": lambda a, b: as_text(a).lower().startswith(as_text(b).lower()),
}


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    """Evaluate one expression (without `${{ }}`) against contexts such as github, inputs."""
    tokens: list[tuple[str, str]] = []
    position = 0
    text = expression.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot read {text[position:]!r} in {expression!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    index = 0

    def peek() -> str | None:
        return tokens[index][1] if index < len(tokens) else None

    def take() -> tuple[str, str]:
        nonlocal index
        index += 1
        return tokens[index - 1]

    def either() -> Any:
        value = both()
        while peek() == "||":
            take()
            right = both()
            value = value if truthy(value) else right
        return value

    def both() -> Any:
        value = compare()
        while peek() == "&&":
            take()
            right = compare()
            value = right if truthy(value) else value
        return value

    def compare() -> Any:
        value = unary()
        while peek() in ("==", "!="):
            op = take()[1]
            same = _equal(value, unary())
            value = same if op == "==" else not same
        return value

    def unary() -> Any:
        if peek() == "!":
            take()
            return not truthy(unary())
        return primary()

    def primary() -> Any:
        kind, value = take()
        if value == "(":
            inner = either()
            assert take()[1] == ")"
            return inner
        if kind == "string":
            return value[1:-1].replace("''", "'")
        if kind == "number":
            return float(value)
        if value in ("true", "false"):
            return value == "true"
        if value == "null":
            return None
        if peek() == "(":
            take()
            args: list[Any] = []
            while peek() != ")":
                args.append(either())
                if peek() == ",":
                    take()
            take()
            return FUNCTIONS[value](*args)
        found: Any = context
        for part in value.split("."):
            found = found.get(part) if isinstance(found, dict) else None
        return found

    result = either()
    if index != len(tokens):
        raise ValueError(f"unexpected {tokens[index][1]!r} in {expression!r}")
    return result


def substitute(text: Any, context: dict[str, Any]) -> Any:
    """A value with every `${{ expression }}` in it evaluated, as the runner does."""
    if not isinstance(text, str):
        return text
    whole = re.fullmatch(r"\s*\$\{\{(.*?)\}\}\s*", text, re.DOTALL)
    if whole:
        return evaluate(whole.group(1), context)
    return re.sub(
        r"\$\{\{(.*?)\}\}", lambda m: as_text(evaluate(m.group(1), context)), text, flags=re.DOTALL
    )


def test_the_expression_evaluator() -> None:
    ctx = {"github": {"event_name": "push", "ref": "refs/pull/3/merge"}, "inputs": {"a": "True"}}
    assert evaluate("github.event_name == 'push' && 'publish' || 'plan'", ctx) == "publish"
    ctx["github"]["event_name"] = "pull_request"
    assert evaluate("github.event_name == 'push' && 'publish' || 'plan'", ctx) == "plan"
    assert evaluate("github.event_name == 'push' && 'x' || github.ref", ctx) == "refs/pull/3/merge"
    assert evaluate("inputs.a == 'true'", ctx) is True  # strings compare ignoring case
    assert evaluate("github.missing.deeper != ''", ctx) is False  # null == ''
    assert evaluate("!(inputs.a == 'x') && format('{0}-{1}', 'a', inputs.a)", ctx) == "a-True"
    assert substitute("k-${{ inputs.a }}-${{ github.nothing }}", ctx) == "k-True-"


# The workflow template -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = load_yaml(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    data = load_yaml(ACTION.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def only_job(workflow: dict[str, Any]) -> dict[str, Any]:
    [job] = workflow["jobs"].values()
    assert isinstance(job, dict)
    return job


def our_step(workflow: dict[str, Any]) -> dict[str, Any]:
    [step] = [s for s in only_job(workflow)["steps"] if s.get("uses", "") == OUR_ACTION]
    assert isinstance(step, dict)
    return step


def event(name: str, ref: str) -> dict[str, Any]:
    return {"github": {"event_name": name, "ref": ref, "repository": "acme/help"}}


PUSH = event("push", "refs/heads/main")
PULL = event("pull_request", "refs/pull/12/merge")


def test_workflow_matches_githubs_workflow_schema(workflow: dict[str, Any]) -> None:
    assert schema_errors("github-workflows.json", workflow) == []


def test_the_schema_check_catches_a_broken_workflow(workflow: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(workflow))
    job = only_job(broken)
    del job["runs-on"]
    job["steps"][0]["uses"] = 42
    broken["concurrency-typo"] = "x"
    errors = schema_errors("github-workflows.json", broken)
    assert any(e.startswith("<root>:") and "concurrency-typo" in e for e in errors), errors
    assert any(e.startswith("jobs/help-center") for e in errors), errors


def test_the_check_jsonschema_command_accepts_all_three_files() -> None:
    checks = [
        ("vendor.github-workflows", WORKFLOW),
        ("vendor.github-workflows", RELEASE),
        ("vendor.github-actions", ACTION),
    ]
    for schema, path in checks:
        done = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_yaml_reads_on_as_a_key_not_a_boolean(workflow: dict[str, Any]) -> None:
    assert "on" in workflow and True not in workflow  # type: ignore[comparison-overlap]


def test_the_template_is_short(workflow: dict[str, Any]) -> None:
    code = [
        line
        for line in WORKFLOW.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert len(code) <= 25, len(code)


def test_triggers_are_pull_requests_and_pushes_to_main(workflow: dict[str, Any]) -> None:
    triggers = workflow["on"]
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"]["branches"] == ["main"]


def test_pull_requests_plan_and_pushes_to_main_publish(workflow: dict[str, Any]) -> None:
    command = our_step(workflow)["with"]["command"]
    assert substitute(command, PULL) == "plan"
    assert substitute(command, PUSH) == "publish"


def test_publishes_share_one_group_and_are_never_cancelled(workflow: dict[str, Any]) -> None:
    concurrency = only_job(workflow)["concurrency"]
    publish_group = substitute(concurrency["group"], PUSH)
    # One fixed group for every push: publishes of different commits wait for each other.
    assert publish_group == substitute(concurrency["group"], event("push", "refs/heads/other"))
    assert substitute(concurrency["cancel-in-progress"], PUSH) is False
    # Checks of one pull request replace each other, and never queue behind a publish.
    pull_group = substitute(concurrency["group"], PULL)
    assert pull_group != publish_group and "refs/pull/12/merge" in pull_group
    assert pull_group != substitute(
        concurrency["group"], event("pull_request", "refs/pull/13/merge")
    )
    assert substitute(concurrency["cancel-in-progress"], PULL) is True
    assert "concurrency" not in workflow


def test_permissions_are_read_plus_the_plan_comment(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "permissions" not in only_job(workflow)


def test_the_job_has_a_timeout(workflow: dict[str, Any]) -> None:
    assert 0 < only_job(workflow)["timeout-minutes"] <= 60


def test_it_uses_the_action_with_inputs_the_action_has(
    workflow: dict[str, Any], action: dict[str, Any]
) -> None:
    step = our_step(workflow)
    assert set(step["with"]) <= set(action["inputs"])
    # Defaults do the rest: the project at the root, the plan posted as a comment.
    assert action["inputs"]["path"]["default"] == "."
    assert action["inputs"]["comment"]["default"] == "true"
    steps = only_job(workflow)["steps"]
    assert steps.index(step) == len(steps) - 1
    assert steps[0]["uses"].startswith("actions/checkout@")


def test_api_key_comes_only_from_the_secret_and_only_to_the_action(
    workflow: dict[str, Any],
) -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "plainApiKey_" not in text
    assert "env" not in workflow and "env" not in only_job(workflow)
    holders = [s for s in only_job(workflow)["steps"] if "PLAIN_API_KEY" in s.get("env", {})]
    assert holders == [our_step(workflow)]
    assert our_step(workflow)["env"]["PLAIN_API_KEY"] == "${{ secrets.PLAIN_API_KEY }}"


def test_help_center_id_comes_from_a_repository_variable(workflow: dict[str, Any]) -> None:
    assert our_step(workflow)["env"]["PLAIN_HELP_CENTER_ID"] == "${{ vars.PLAIN_HELP_CENTER_ID }}"


def assert_pinned(path: Path, uses: list[str], allowed: tuple[str, ...] = ()) -> None:
    assert uses
    for use in uses:
        if use in allowed:
            continue
        action, _, ref = use.partition("@")
        assert action and (SHA.fullmatch(ref) or EXACT_TAG.fullmatch(ref)), use
    # A SHA pin says which release it is, on the same line.
    for line in path.read_text(encoding="utf-8").splitlines():
        pinned = re.search(r"uses:\s*\S+@([0-9a-f]{40})(.*)$", line)
        if pinned:
            assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", pinned.group(2)), line


def test_every_other_action_is_pinned(workflow: dict[str, Any]) -> None:
    uses = [s["uses"] for s in only_job(workflow)["steps"] if "uses" in s]
    # Our own action follows its major tag, which moves with each 1.x release.
    assert_pinned(WORKFLOW, uses, allowed=(OUR_ACTION,))


def test_checkout_keeps_no_credentials(workflow: dict[str, Any]) -> None:
    for s in only_job(workflow)["steps"]:
        if s.get("uses", "").startswith("actions/checkout@"):
            assert s["with"]["persist-credentials"] is False


# The release workflow ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release() -> dict[str, Any]:
    data = load_yaml(RELEASE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def release_step(release: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    [found] = [s for s in release["jobs"][job]["steps"] if s.get("name") == name]
    assert isinstance(found, dict)
    return found


def test_release_matches_githubs_workflow_schema(release: dict[str, Any]) -> None:
    assert schema_errors("github-workflows.json", release) == []


def test_release_runs_on_version_tags_only(release: dict[str, Any]) -> None:
    assert release["on"] == {"push": {"tags": ["v*.*.*"]}}


def test_release_tests_then_builds_then_publishes(release: dict[str, Any]) -> None:
    jobs = release["jobs"]
    assert jobs["build"]["needs"] == "test" and jobs["pypi"]["needs"] == "build"
    tests = [s.get("run", "") for s in jobs["test"]["steps"]]
    assert any(".ci/run" in run for run in tests)  # installs chromium, then `make test`
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    build = release_step(release, "build", "python -m build, twine check")["run"]
    assert "python -m build" in build and "twine check --strict dist/*" in build
    uses = [s["uses"] for job in jobs.values() for s in job["steps"] if "uses" in s]
    assert_pinned(RELEASE, uses)


def test_only_the_pypi_job_gets_an_oidc_token(release: dict[str, Any]) -> None:
    assert release["permissions"] == {"contents": "read"}
    pypi = release["jobs"]["pypi"]
    assert pypi["permissions"] == {"id-token": "write"}
    assert pypi["environment"]["name"] == "pypi"
    [publish] = [s for s in pypi["steps"] if s.get("uses", "").startswith("pypa/gh-action-pypi-")]
    assert "with" not in publish or "password" not in publish["with"]  # trusted publishing
    for name, job in release["jobs"].items():
        if name != "pypi":
            assert "permissions" not in job, name
    assert "secrets." not in RELEASE.read_text(encoding="utf-8")


def test_release_checks_out_without_credentials(release: dict[str, Any]) -> None:
    for job in release["jobs"].values():
        for s in job["steps"]:
            if s.get("uses", "").startswith("actions/checkout@"):
                assert s["with"]["persist-credentials"] is False


@pytest.mark.parametrize(
    ("tag", "passes"),
    [(f"v{publisher.__version__}", True), ("v999.0.0", False), (publisher.__version__, False)],
)
def test_the_tag_must_equal_the_package_version(
    release: dict[str, Any], tmp_path: Path, tag: str, passes: bool
) -> None:
    step = release_step(release, "test", "The tag is the package's version")
    assert "${{" not in step["run"]
    script = tmp_path / "step.sh"
    script.write_text(step["run"], encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", ""),
        **{k: substitute(v, {"github": {"ref_name": tag}}) for k, v in step["env"].items()},
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode == 0) is passes, done.stdout + done.stderr
    if not passes:
        assert f'does not match __version__ = "{publisher.__version__}"' in done.stdout


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


def test_gitlab_example_installs_the_pinned_release_from_pypi() -> None:
    pipeline = gitlab_example()
    assert re.fullmatch(r"\d+\.\d+\.\d+", pipeline["variables"]["PUBLISHER_VERSION"])
    install = pipeline["default"]["before_script"]
    assert install == ['python -m pip install "help-center-publisher==$PUBLISHER_VERSION"']


def test_the_docs_show_the_workflow_as_it_is() -> None:
    text = CI_DOC.read_text(encoding="utf-8")
    section = text.split("## GitHub Actions", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert block
    workflow = WORKFLOW.read_text(encoding="utf-8")
    assert block.group(1).strip() == workflow[workflow.index("\nname:") :].strip()


def test_the_docs_name_every_input_of_the_action(action: dict[str, Any]) -> None:
    text = CI_DOC.read_text(encoding="utf-8")
    for name in action["inputs"]:
        assert f"| `{name}` |" in text, name
