#!/usr/bin/env python3
"""Post `publisher plan` on a GitHub pull request as one comment, edited on every push.

Used by the help-center-publisher GitHub Action (action.yml); it runs anywhere Python 3.11+
runs and needs nothing but the standard library.

    python scripts/plan_comment.py --plan plan.txt [--pr N] [--target NAME]
                                   [--command plan|check] [--exit-code N] [--print-body]

The plan is read from --plan FILE (or standard input with `--plan -` or no --plan). The pull
request is --pr, else the `pull_request.number` (or `number`) of the event JSON in
GITHUB_EVENT_PATH. The comment goes to GITHUB_REPOSITORY through GITHUB_API_URL (default
https://api.github.com) with GITHUB_TOKEN, which needs `pull-requests: write`.

The comment starts with a hidden marker, `<!-- help-center-publisher:plan -->` (with
` target=NAME` before the `-->` when --target is given, so each target has its own comment).
The script reads every comment of the pull request (all pages), and then:

- no marked comment yet: creates one, unless the plan says `Nothing to change` (nothing to
  tell reviewers; nothing is posted);
- a marked comment: edits that same comment (PATCH) to show this plan, a plan with nothing to
  change included; a comment that already says exactly this is left alone.

So a pull request never gets two plan comments from it. --command check --exit-code N says the
text is the output of a `publisher check` that failed (nothing was planned); --exit-code N
alone, that `publisher plan` failed with that code. The comment then says so, and is posted
even when there was none. --print-body prints the comment and contacts nobody.

Exit codes:
  0  done: the comment was created or edited, was already up to date, or was not needed
  1  GitHub failed: a network error, a server error, or a request it refused other than 401
     and 403 (the message names the request and GitHub's reason)
  2  usage: a missing setting (GITHUB_REPOSITORY, GITHUB_TOKEN, the pull request number), a
     bad option, or a plan file that cannot be read
  3  the token may not read or write the comments (HTTP 401 or 403): give the workflow
     `permissions: pull-requests: write`; pull requests from forks only get a read-only token

The token is never printed: not in messages, and not when GitHub's answer repeats it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, NoReturn

MARKER_PREFIX = "<!-- help-center-publisher:plan"
DEFAULT_API_URL = "https://api.github.com"
# GitHub refuses comment bodies over 65,536 characters; the plan gets at most this many.
MAX_PLAN_CHARS = 60_000
PER_PAGE = 100
MAX_PAGES = 100  # 10,000 comments: far more than any pull request has
TIMEOUT = 30.0
ATTEMPTS = 3  # for 5xx answers and network errors
USER_AGENT = "help-center-publisher-plan-comment"

EXIT_OK = 0
EXIT_GITHUB = 1
EXIT_USAGE = 2
EXIT_FORBIDDEN = 3


class Failure(Exception):
    """Ends the script with `code` after printing `message` (already free of the token)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# Marker and body -------------------------------------------------------------------------------


def marker(target: str | None) -> str:
    if not target:
        return f"{MARKER_PREFIX} -->"
    # Target names come from publisher.toml; keep the marker a valid, unambiguous comment.
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", target)
    return f"{MARKER_PREFIX} target={safe} -->"


def is_ours(body: str | None, wanted: str) -> bool:
    """A comment is this script's when its first line is exactly the marker."""
    if not body:
        return False
    return body.lstrip("\ufeff").split("\n", 1)[0].strip() == wanted


def nothing_to_change(plan: str) -> bool:
    """`publisher plan` prints `Nothing to change in help center …` when it has nothing to do
    (change lines are indented, so a title cannot start a line with it)."""
    return any(line.startswith("Nothing to change") for line in plan.splitlines())


def fence_for(text: str) -> str:
    """A `~~~` fence longer than any run of tildes or backticks the text starts a line with."""
    longest = 0
    for line in text.splitlines():
        run = re.match(r"\s*(~+|`+)", line)
        if run:
            longest = max(longest, len(run.group(1)))
    return "~" * max(3, longest + 1)


def clip(plan: str) -> str:
    if len(plan) <= MAX_PLAN_CHARS:
        return plan
    kept = plan[:MAX_PLAN_CHARS].rsplit("\n", 1)[0]
    dropped = plan[len(kept) :].count("\n") + 1
    return kept + f"\n… {dropped} more lines: the whole plan is in the job log and step summary"


@dataclass
class Context:
    target: str | None = None
    command: str = "plan"
    exit_code: int = 0
    commit: str | None = None
    run_url: str | None = None


def render(plan: str, ctx: Context) -> str:
    title = "Help center plan" + (f" (target `{ctx.target}`)" if ctx.target else "")
    log = f"[the job log]({ctx.run_url})" if ctx.run_url else "the job log"
    commit = f"commit `{ctx.commit[:12]}`" if ctx.commit else "this"
    if ctx.command == "check" and ctx.exit_code:
        lead = (
            f"`publisher check` found problems in {commit} (exit {ctx.exit_code}), so nothing"
            f" was planned. Every problem is in {log}."
        )
    elif ctx.exit_code:
        lead = (
            f"`publisher plan` failed for {commit} (exit {ctx.exit_code}); the reason is in"
            f" {log}. Nothing was changed in Plain."
        )
    elif nothing_to_change(plan):
        lead = f"Nothing to change: publishing {commit} would leave the help center as it is."
    else:
        lead = f"What publishing {commit} would change in Plain:"
    parts = [marker(ctx.target), f"### {title}", "", lead]
    text = clip(plan.strip("\n"))
    if text.strip():
        fence = fence_for(text)
        parts += ["", f"{fence}text", text, fence]
    return "\n".join(parts) + "\n"


# GitHub REST ------------------------------------------------------------------------------------


class GitHub:
    def __init__(self, api_url: str, repository: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.repository = repository
        self.token = token
        origin = urllib.parse.urlsplit(self.api_url)
        self.origin = (origin.scheme, origin.netloc)

    def redact(self, text: str) -> str:
        return text.replace(self.token, "***") if self.token else text

    def request(
        self, method: str, url: str, body: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, str]]:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self.token}",
            "User-Agent": USER_AGENT,
            "X-GitHub-Api-Version": "2022-11-28",
        }
        if data is not None:
            headers["Content-Type"] = "application/json"
        where = f"{method} {urllib.parse.urlsplit(url).path}"
        for attempt in range(1, ATTEMPTS + 1):
            request = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                    raw = response.read()
                    answer = json.loads(raw) if raw.strip() else None
                    return answer, {k.lower(): v for k, v in response.headers.items()}
            except urllib.error.HTTPError as error:
                reason = self.reason(error)
                if error.code >= 500 and attempt < ATTEMPTS:
                    time.sleep(attempt)
                    continue
                code = EXIT_FORBIDDEN if error.code in (401, 403) else EXIT_GITHUB
                hint = (
                    " (the token needs `pull-requests: write`; a pull request from a fork gets a"
                    " read-only token)"
                    if code == EXIT_FORBIDDEN
                    else ""
                )
                raise Failure(
                    code, self.redact(f"{where}: HTTP {error.code}: {reason}{hint}")
                ) from None
            except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
                if attempt < ATTEMPTS:
                    time.sleep(attempt)
                    continue
                why = getattr(error, "reason", None) or error
                raise Failure(EXIT_GITHUB, self.redact(f"{where}: {why}")) from None
            except json.JSONDecodeError:
                raise Failure(EXIT_GITHUB, f"{where}: GitHub's answer is not JSON") from None
        raise AssertionError("unreachable")

    @staticmethod
    def reason(error: urllib.error.HTTPError) -> str:
        """GitHub's `message` from an error body, else the start of the body."""
        try:
            raw = error.read().decode("utf-8", "replace")
        except OSError:
            raw = ""
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("message"), str):
            return str(payload["message"])[:500]
        return (raw.strip() or str(error.reason))[:500]

    def next_page(self, headers: dict[str, str]) -> str | None:
        """The `rel="next"` URL of a Link header, if it stays on the API's own origin."""
        for part in headers.get("link", "").split(","):
            found = re.match(r"\s*<([^>]+)>\s*;(.*)$", part)
            if found and re.search(r'rel="?next"?', found.group(2)):
                url = found.group(1)
                parsed = urllib.parse.urlsplit(url)
                if (parsed.scheme, parsed.netloc) != self.origin:
                    raise Failure(EXIT_GITHUB, "the next page is on another host: not followed")
                return url
        return None

    def comments(self, number: int) -> list[dict[str, Any]]:
        url: str | None = (
            f"{self.api_url}/repos/{self.repository}/issues/{number}/comments?per_page={PER_PAGE}"
        )
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            if url is None:
                return found
            page, headers = self.request("GET", url)
            if not isinstance(page, list):
                raise Failure(EXIT_GITHUB, "GitHub's list of comments is not a list")
            found.extend(item for item in page if isinstance(item, dict))
            url = self.next_page(headers)
        raise Failure(EXIT_GITHUB, f"more than {MAX_PAGES} pages of comments: stopped")

    def create(self, number: int, body: str) -> dict[str, Any]:
        url = f"{self.api_url}/repos/{self.repository}/issues/{number}/comments"
        made, _ = self.request("POST", url, {"body": body})
        return made if isinstance(made, dict) else {}

    def edit(self, comment_id: int, body: str) -> dict[str, Any]:
        url = f"{self.api_url}/repos/{self.repository}/issues/comments/{comment_id}"
        edited, _ = self.request("PATCH", url, {"body": body})
        return edited if isinstance(edited, dict) else {}


def post(github: GitHub, number: int, body: str, wanted: str, plan_is_empty: bool) -> str:
    """Create or edit the one marked comment; what was done, as a line for the log."""
    ours = [c for c in github.comments(number) if is_ours(c.get("body"), wanted)]
    if not ours:
        if plan_is_empty:
            return "nothing to change and no plan comment yet: nothing posted"
        made = github.create(number, body)
        return f"created the plan comment {made.get('html_url') or made.get('id', '')}".rstrip()
    first = ours[0]  # the oldest; a second one is never made, but would be left alone
    where = first.get("html_url") or first.get("id", "")
    if first.get("body") == body:
        return f"the plan comment {where} is up to date"
    github.edit(int(first["id"]), body)
    return f"updated the plan comment {where}"


# Command line ---------------------------------------------------------------------------------


def fail(code: int, message: str) -> NoReturn:
    print(f"plan_comment: {message}", file=sys.stderr)
    sys.exit(code)


def read_event() -> dict[str, Any]:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            event = json.load(handle)
    except (OSError, ValueError) as error:
        fail(EXIT_USAGE, f"cannot read the event in GITHUB_EVENT_PATH: {error}")
    return event if isinstance(event, dict) else {}


def pull_request_number(event: dict[str, Any]) -> int | None:
    pull = event.get("pull_request")
    for value in (pull.get("number") if isinstance(pull, dict) else None, event.get("number")):
        if isinstance(value, int) and value > 0:
            return value
    return None


def head_commit(event: dict[str, Any]) -> str | None:
    pull = event.get("pull_request")
    head = pull.get("head") if isinstance(pull, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    return sha if isinstance(sha, str) and sha else os.environ.get("GITHUB_SHA") or None


def run_url() -> str | None:
    server = os.environ.get("GITHUB_SERVER_URL")
    repository = os.environ.get("GITHUB_REPOSITORY")
    run_id = os.environ.get("GITHUB_RUN_ID")
    if server and repository and run_id:
        return f"{server.rstrip('/')}/{repository}/actions/runs/{run_id}"
    return None


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="plan_comment.py",
        description="Post `publisher plan` on a pull request as one comment, edited on later"
        " pushes. Exit codes: 0 done, 1 GitHub failed, 2 usage, 3 the token may not comment.",
    )
    parser.add_argument("--plan", default="-", help="the plan's text: a file, or - for stdin")
    parser.add_argument("--pr", type=int, help="pull request number (default: from the event)")
    parser.add_argument("--target", default="", help="the publisher target; one comment each")
    parser.add_argument(
        "--command",
        choices=["plan", "check"],
        default="plan",
        help="which command printed the text (check: it failed, nothing was planned)",
    )
    parser.add_argument("--exit-code", type=int, default=0, help="that command's exit code")
    parser.add_argument(
        "--print-body", action="store_true", help="print the comment; contact nobody"
    )
    return parser.parse_args(argv)  # argparse exits 2, our usage code, on a bad option


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    try:
        if args.plan == "-":
            plan = sys.stdin.read()
        else:
            with open(args.plan, encoding="utf-8", errors="replace") as handle:
                plan = handle.read()
    except OSError as error:
        fail(EXIT_USAGE, f"cannot read the plan: {error}")

    event = read_event()
    ctx = Context(
        target=args.target or None,
        command=args.command,
        exit_code=args.exit_code,
        commit=head_commit(event),
        run_url=run_url(),
    )
    body = render(plan, ctx)
    if args.print_body:
        sys.stdout.write(body)
        return EXIT_OK

    token = os.environ.get("GITHUB_TOKEN", "")
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    api_url = os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    number = args.pr if args.pr is not None else pull_request_number(event)
    if not token:
        fail(EXIT_USAGE, "GITHUB_TOKEN is empty (pass the action's github-token)")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repository):
        fail(EXIT_USAGE, "GITHUB_REPOSITORY must be OWNER/NAME")
    if number is None or number <= 0:
        fail(EXIT_USAGE, "no pull request number: pass --pr N, or run on a pull_request event")
    if urllib.parse.urlsplit(api_url).scheme not in ("https", "http"):
        fail(EXIT_USAGE, "GITHUB_API_URL must be an http(s) URL")

    github = GitHub(api_url, repository, token)
    plan_is_empty = not ctx.exit_code and nothing_to_change(plan)
    try:
        done = post(github, number, body, marker(ctx.target), plan_is_empty)
    except Failure as failure:
        fail(failure.code, github.redact(failure.message))
    print(github.redact(f"plan_comment: {done}"))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
