"""scripts/plan_comment.py against a fake GitHub REST API on 127.0.0.1.

The fake keeps the comments of pull requests, pages them with Link headers as GitHub does,
checks the bearer token, and can be told to fail a request with a body that repeats the
token, as a misbehaving proxy or API might. Each test runs the script as the action does:
a subprocess with GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN and GITHUB_EVENT_PATH.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "plan_comment.py"
REPOSITORY = "acme/help-center"
TOKEN = "ghs_Secret0Token1That2Must3Never4Show"
MARKER = "<!-- help-center-publisher:plan -->"

PLAN_CHANGES = """\
Plan for help center hc_01:
  create    article  welcome  (Welcome)
  create    article  faq  (FAQ)
Plan: 2 to create, 0 to update, 0 edited in Plain, 0 unchanged, 0 groups to create
"""
PLAN_OTHER = """\
Plan for help center hc_01:
  update    article  welcome  (title)
Plan: 0 to create, 1 to update, 0 edited in Plain, 1 unchanged, 0 groups to create
"""
PLAN_NOTHING = """\
Nothing to change in help center hc_01.
Plan: 0 to create, 0 to update, 0 edited in Plain, 2 unchanged, 0 groups to create
"""


@dataclass
class Failure:
    method: str
    status: int
    body: str  # "{token}" is replaced by the Authorization header's token
    times: int = 1


@dataclass
class FakeGitHub:
    """The issue-comments endpoints of GitHub's REST API, in memory."""

    token: str = TOKEN
    page_size: int = 100
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    next_link_host: str | None = None  # a Link rel="next" to another host, when set
    url: str = ""
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def seed(self, pr: int, body: str, login: str = "someone") -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            comment = {
                "id": self._next_id,
                "body": body,
                "user": {"login": login},
                "html_url": f"https://github.example/{REPOSITORY}/pull/{pr}#issuecomment-{self._next_id}",
            }
            self.comments.setdefault(pr, []).append(comment)
            return comment

    def ours(self, pr: int, marker: str = MARKER) -> list[dict[str, Any]]:
        return [c for c in self.comments.get(pr, []) if c["body"].split("\n", 1)[0] == marker]

    def count(self, method: str) -> int:
        return sum(1 for m, _ in self.requests if m == method)


def make_handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def answer(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            raw = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def handle_any(self, method: str) -> None:
            split = urlsplit(self.path)
            fake.requests.append((method, self.path))
            sent = self.headers.get("Authorization", "")
            sent_token = sent.removeprefix("Bearer ")
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            for failure in fake.failures:
                if failure.method == method and failure.times > 0:
                    failure.times -= 1
                    self.answer(failure.status, failure.body.replace("{token}", sent_token))
                    return
            if sent != f"Bearer {fake.token}":
                # As a careless server might: the credentials it got, repeated back.
                self.answer(401, {"message": f"Bad credentials: {sent}"})
                return
            base = f"/repos/{REPOSITORY}/issues"
            listing = re.fullmatch(re.escape(base) + r"/(\d+)/comments", split.path)
            single = re.fullmatch(re.escape(base) + r"/comments/(\d+)", split.path)
            if listing and method == "GET":
                self.list_comments(int(listing.group(1)), parse_qs(split.query))
            elif listing and method == "POST":
                assert body is not None
                made = fake.seed(int(listing.group(1)), body["body"], login="github-actions[bot]")
                self.answer(201, made)
            elif single and method == "PATCH":
                assert body is not None
                for comments in fake.comments.values():
                    for comment in comments:
                        if comment["id"] == int(single.group(1)):
                            comment["body"] = body["body"]
                            self.answer(200, comment)
                            return
                self.answer(404, {"message": "Not Found"})
            else:
                self.answer(404, {"message": "Not Found"})

        def list_comments(self, pr: int, query: dict[str, list[str]]) -> None:
            size = min(int(query.get("per_page", ["30"])[0]), fake.page_size)
            page = int(query.get("page", ["1"])[0])
            comments = fake.comments.get(pr, [])
            chunk = comments[(page - 1) * size : page * size]
            headers = {}
            if page * size < len(comments):
                host = fake.next_link_host or fake.url
                link = f"{host}/repos/{REPOSITORY}/issues/{pr}/comments?per_page={size}&page={page + 1}"
                headers["Link"] = f'<{link}>; rel="next", <{link}>; rel="last"'
            self.answer(200, chunk, headers)

        def do_GET(self) -> None:
            self.handle_any("GET")

        def do_POST(self) -> None:
            self.handle_any("POST")

        def do_PATCH(self) -> None:
            self.handle_any("PATCH")

    return Handler


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    fake = FakeGitHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def pr_event(tmp_path: Path, number: int = 7, fork: bool = False) -> Path:
    event = {
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": "0123456789abcdef0123456789abcdef01234567", "repo": {"fork": fork}},
        },
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    return path


def run_script(
    github: FakeGitHub,
    tmp_path: Path,
    plan: str,
    *args: str,
    token: str = TOKEN,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "GITHUB_API_URL": github.url,
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_TOKEN": token,
        "GITHUB_EVENT_PATH": str(pr_event(tmp_path)),
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_RUN_ID": "42",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        input=plan,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


# One comment, created once and then edited ---------------------------------------------------


def test_creates_one_comment_then_edits_the_same_one(github: FakeGitHub, tmp_path: Path) -> None:
    github.seed(7, "LGTM")
    first = run_script(github, tmp_path, PLAN_CHANGES)
    assert first.returncode == 0, first.stderr
    [comment] = github.ours(7)
    assert comment["body"].startswith(MARKER + "\n")
    assert "create    article  welcome  (Welcome)" in comment["body"]
    assert "0123456789ab" in comment["body"]  # the pull request's head commit
    assert "created the plan comment" in first.stdout

    second = run_script(github, tmp_path, PLAN_OTHER)
    assert second.returncode == 0, second.stderr
    assert [c["id"] for c in github.ours(7)] == [comment["id"]]
    assert "update    article  welcome  (title)" in github.ours(7)[0]["body"]
    assert "welcome  (Welcome)" not in github.ours(7)[0]["body"]
    assert "updated the plan comment" in second.stdout
    assert (github.count("POST"), github.count("PATCH")) == (1, 1)
    assert len(github.comments[7]) == 2  # the reviewer's comment and ours, never a second


def test_an_unchanged_plan_edits_nothing(github: FakeGitHub, tmp_path: Path) -> None:
    assert run_script(github, tmp_path, PLAN_CHANGES).returncode == 0
    again = run_script(github, tmp_path, PLAN_CHANGES)
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout
    assert (github.count("POST"), github.count("PATCH")) == (1, 0)


def test_nothing_is_posted_when_there_is_nothing_to_change_and_no_comment(
    github: FakeGitHub, tmp_path: Path
) -> None:
    done = run_script(github, tmp_path, PLAN_NOTHING)
    assert done.returncode == 0, done.stderr
    assert "nothing posted" in done.stdout
    assert github.count("POST") == 0 and github.count("PATCH") == 0
    assert github.ours(7) == []


def test_an_existing_comment_is_updated_to_say_nothing_to_change(
    github: FakeGitHub, tmp_path: Path
) -> None:
    assert run_script(github, tmp_path, PLAN_CHANGES).returncode == 0
    done = run_script(github, tmp_path, PLAN_NOTHING)
    assert done.returncode == 0, done.stderr
    [comment] = github.ours(7)
    assert "Nothing to change" in comment["body"]
    assert "welcome" not in comment["body"]
    assert github.count("POST") == 1 and github.count("PATCH") == 1


def test_the_marker_comment_is_found_on_the_second_page(github: FakeGitHub, tmp_path: Path) -> None:
    github.page_size = 2
    github.seed(7, "first")
    github.seed(7, "second")
    ours = github.seed(7, f"{MARKER}\n### Help center plan\n\nold plan\n", "github-actions[bot]")
    github.seed(7, "fourth")
    github.seed(7, "fifth")
    done = run_script(github, tmp_path, PLAN_CHANGES)
    assert done.returncode == 0, done.stderr
    assert github.count("POST") == 0
    assert [c["id"] for c in github.ours(7)] == [ours["id"]]
    assert "welcome" in github.ours(7)[0]["body"]
    pages = [path for method, path in github.requests if method == "GET"]
    assert len(pages) == 3 and "page=2" in pages[1] and "page=3" in pages[2], pages


def test_a_next_page_on_another_host_is_not_followed(github: FakeGitHub, tmp_path: Path) -> None:
    github.page_size = 1
    github.next_link_host = "http://203.0.113.9"  # never contacted: the script refuses first
    github.seed(7, "first")
    github.seed(7, "second")
    done = run_script(github, tmp_path, PLAN_CHANGES)
    assert done.returncode == 1
    assert "another host" in done.stderr
    assert github.count("POST") == 0


def test_each_target_has_its_own_comment(github: FakeGitHub, tmp_path: Path) -> None:
    assert run_script(github, tmp_path, PLAN_CHANGES).returncode == 0
    staging = run_script(github, tmp_path, PLAN_OTHER, "--target", "staging")
    assert staging.returncode == 0, staging.stderr
    assert len(github.ours(7)) == 1
    [other] = github.ours(7, "<!-- help-center-publisher:plan target=staging -->")
    assert "(target `staging`)" in other["body"]
    assert run_script(github, tmp_path, PLAN_OTHER, "--target", "staging").returncode == 0
    assert github.count("POST") == 2


def test_a_quoted_marker_is_not_our_comment(github: FakeGitHub, tmp_path: Path) -> None:
    github.seed(7, f"> {MARKER}\n> quoted by a reviewer")
    github.seed(7, f"About the plan:\n{MARKER}")
    assert run_script(github, tmp_path, PLAN_CHANGES).returncode == 0
    assert github.count("POST") == 1 and github.count("PATCH") == 0


def test_the_plan_comes_from_a_file_and_the_number_from_an_argument(
    github: FakeGitHub, tmp_path: Path
) -> None:
    plan = tmp_path / "plan.txt"
    plan.write_text(PLAN_CHANGES, encoding="utf-8")
    done = run_script(
        github, tmp_path, "", "--plan", str(plan), "--pr", "12", env={"GITHUB_EVENT_PATH": ""}
    )
    assert done.returncode == 0, done.stderr
    assert len(github.ours(12)) == 1 and github.ours(7) == []


# Failed checks and plans are posted too ---------------------------------------------------


def test_a_failed_check_is_posted_even_without_an_earlier_comment(
    github: FakeGitHub, tmp_path: Path
) -> None:
    problems = "content/a.md:3: unknown key 'titel' (did you mean 'title'?)\n"
    done = run_script(github, tmp_path, problems, "--command", "check", "--exit-code", "1")
    assert done.returncode == 0, done.stderr
    [comment] = github.ours(7)
    assert "`publisher check` found problems" in comment["body"]
    assert "content/a.md:3: unknown key 'titel'" in comment["body"]
    assert "https://github.example/acme/help-center/actions/runs/42" in comment["body"]


def test_a_failed_plan_replaces_the_last_plan(github: FakeGitHub, tmp_path: Path) -> None:
    assert run_script(github, tmp_path, PLAN_CHANGES).returncode == 0
    done = run_script(github, tmp_path, "", "--exit-code", "3")
    assert done.returncode == 0, done.stderr
    [comment] = github.ours(7)
    assert "`publisher plan` failed" in comment["body"] and "(exit 3)" in comment["body"]
    assert "welcome" not in comment["body"]


# The body --------------------------------------------------------------------------------------


def test_the_fence_outlasts_tildes_in_the_plan(github: FakeGitHub, tmp_path: Path) -> None:
    plan = "Plan for help center hc_01:\n~~~~~\n```\n  create    article  x\n"
    done = run_script(github, tmp_path, plan, "--print-body")
    assert done.returncode == 0
    assert "\n~~~~~~text\n" in done.stdout and done.stdout.rstrip().endswith("\n~~~~~~")
    assert github.requests == []  # --print-body contacts nobody


def test_a_huge_plan_is_cut_below_githubs_limit(github: FakeGitHub, tmp_path: Path) -> None:
    plan = "".join(f"  create    article  article-{n}\n" for n in range(20_000))
    done = run_script(github, tmp_path, plan)
    assert done.returncode == 0, done.stderr
    [comment] = github.ours(7)
    assert len(comment["body"]) < 65_536
    assert "more lines: the whole plan is in the job log" in comment["body"]


# Errors: exit codes, and never the token -----------------------------------------------------


def assert_no_token(done: subprocess.CompletedProcess[str], token: str = TOKEN) -> None:
    assert token not in done.stdout + done.stderr
    assert token[4:20] not in done.stdout + done.stderr


def test_a_refused_token_exits_3_without_showing_it(github: FakeGitHub, tmp_path: Path) -> None:
    wrong = "ghp_Wrong0Token1Echoed2Back3ByTheServer"
    done = run_script(github, tmp_path, PLAN_CHANGES, token=wrong)
    assert done.returncode == 3
    assert "HTTP 401" in done.stderr and "Bad credentials" in done.stderr
    assert "pull-requests: write" in done.stderr
    assert_no_token(done, wrong)


@pytest.mark.parametrize(
    ("status", "code"),
    [(403, 3), (422, 1), (404, 1)],
)
def test_an_error_body_repeating_the_token_is_redacted(
    github: FakeGitHub, tmp_path: Path, status: int, code: int
) -> None:
    github.failures.append(
        Failure("POST", status, json.dumps({"message": "refused for token {token}"}))
    )
    done = run_script(github, tmp_path, PLAN_CHANGES)
    assert done.returncode == code
    assert f"HTTP {status}" in done.stderr and "refused for token ***" in done.stderr
    assert_no_token(done)
    assert github.ours(7) == []


def test_a_non_json_error_body_is_redacted_too(github: FakeGitHub, tmp_path: Path) -> None:
    github.failures.append(Failure("GET", 400, "<html>Authorization: Bearer {token}</html>"))
    done = run_script(github, tmp_path, PLAN_CHANGES)
    assert done.returncode == 1
    assert "HTTP 400" in done.stderr
    assert_no_token(done)


def test_a_server_error_is_retried(github: FakeGitHub, tmp_path: Path) -> None:
    github.failures.append(Failure("POST", 502, "bad gateway for {token}"))
    done = run_script(github, tmp_path, PLAN_CHANGES)
    assert done.returncode == 0, done.stderr
    assert len(github.ours(7)) == 1 and github.count("POST") == 2
    assert_no_token(done)


def test_github_unreachable_exits_1(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake = FakeGitHub(url=f"http://127.0.0.1:{port}")
    done = run_script(fake, tmp_path, PLAN_CHANGES)
    assert done.returncode == 1
    assert "GET /repos/acme/help-center/issues/7/comments" in done.stderr
    assert_no_token(done)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GITHUB_TOKEN": ""}, "GITHUB_TOKEN is empty"),
        ({"GITHUB_REPOSITORY": ""}, "GITHUB_REPOSITORY must be OWNER/NAME"),
        ({"GITHUB_EVENT_PATH": ""}, "no pull request number"),
    ],
)
def test_missing_settings_exit_2(
    github: FakeGitHub, tmp_path: Path, env: dict[str, str], message: str
) -> None:
    done = run_script(github, tmp_path, PLAN_CHANGES, env=env)
    assert done.returncode == 2
    assert message in done.stderr
    assert github.requests == []


def test_an_unreadable_plan_file_exits_2(github: FakeGitHub, tmp_path: Path) -> None:
    done = run_script(github, tmp_path, "", "--plan", str(tmp_path / "missing.txt"))
    assert done.returncode == 2 and "cannot read the plan" in done.stderr
