"""Security end to end: the API key never leaves the process except in the Authorization
header (not in output, logs, written files or error text, even when a server echoes it),
and the preview and the emulator's web view and file routes serve nothing outside their
roots, whatever the request path says."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import traceback
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from click.testing import CliRunner
from conftest import Emulator, EmulatorFactory, _SharedEmulators
from content_factory import PNG, article, write_tree
from preview_process import running_preview

from publisher.cli import main
from publisher.plain import PlainClient, PlainError, RetryPolicy

# Distinctive keys; each has a long random-looking tail that is searched for on its own, so
# a partial or re-encoded leak (a repr, an escaped control character) is caught as well.
KEY = "plainApiKey_sectest_4f9b2c7d1e8a6350"
WRONG_KEY = "plainApiKey_wrong_b83e5a1f0c7d9264"
LINE_BREAK_KEY = "plainApiKey_nl_61d0c3\n9ae27f4b58"
NON_ASCII_KEY = "plainApiKey_ü_0d7c4e92b1a3f856"
FRAGMENTS = {
    KEY: (KEY, "4f9b2c7d1e8a6350"),
    WRONG_KEY: (WRONG_KEY, "b83e5a1f0c7d9264"),
    LINE_BREAK_KEY: ("plainApiKey_nl_61d0c3", "9ae27f4b58"),
    NON_ASCII_KEY: ("plainApiKey_ü_0d", "0d7c4e92b1a3f856"),
}

CLI_TIMEOUT = 120


# --- Running the CLI and looking for the key ------------------------------------------------


def cli_env(key: str, url: str, help_center_id: str, summary: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PLAIN_", "GITHUB_"))
    }
    return {
        **env,
        "PLAIN_API_KEY": key,
        "PLAIN_API_URL": url,
        "PLAIN_HELP_CENTER_ID": help_center_id,
        "GITHUB_STEP_SUMMARY": str(summary),
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",
    }


def run_cli(
    args: Iterable[str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )


def leaks(key: str, outputs: dict[str, str], roots: Iterable[Path]) -> list[str]:
    """Every place (output stream, file name, file content) that shows part of ``key``."""
    fragments = FRAGMENTS[key]
    found = [
        f"{where} shows {fragment!r}"
        for where, text in outputs.items()
        for fragment in fragments
        if fragment in text
    ]
    for root in roots:
        paths = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in paths:
            found += [f"file name {path}" for f in fragments if f in str(path)]
            if path.is_file():
                data = path.read_bytes()
                found += [f"{path} holds {f!r}" for f in fragments if f.encode() in data]
    return found


def test_the_leak_finder_finds_the_key(tmp_path: Path) -> None:
    """The checks below mean something only if this one finds what it looks for."""
    (tmp_path / ".publisher/cache").mkdir(parents=True)
    (tmp_path / ".publisher/cache/x.json").write_text(json.dumps({"k": KEY}))
    assert leaks(KEY, {"stderr": "nothing"}, [tmp_path]) == [
        f"{tmp_path}/.publisher/cache/x.json holds {KEY!r}",
        f"{tmp_path}/.publisher/cache/x.json holds '4f9b2c7d1e8a6350'",
    ]
    assert leaks(LINE_BREAK_KEY, {"stderr": "b'Bearer plainApiKey_nl_61d0c3\\n9ae27f4b58'"}, [])


# --- The key in a whole publish life cycle -----------------------------------------------------


def test_key_stays_out_of_output_and_files_across_commands(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    emulator = emulator_factory(api_keys=(KEY,), db=False)
    project = tmp_path / "project"
    write_tree(
        project,
        {
            "guide/intro.md": article("Intro", "![Shot](img/shot.png)\n\nWelcome."),
            "guide/img/shot.png": PNG,
            "guide/setup.md": article("Setup"),
            "faq.md": article("FAQ", "Questions."),
            "old.md": article("Old", "Going away."),
        },
    )
    summary = tmp_path / "step-summary.md"
    env = cli_env(KEY, emulator.url, emulator.help_center_id, summary)
    outputs: dict[str, str] = {}

    def step(name: str, *args: str, cwd: Path = project) -> subprocess.CompletedProcess[str]:
        result = run_cli(args, env, cwd)
        outputs[f"{name} stdout"] = result.stdout
        outputs[f"{name} stderr"] = result.stderr
        assert result.returncode == 0, (name, result.stdout, result.stderr)
        return result

    step("publish", "publish", str(project))
    (project / "content/faq.md").write_text(article("FAQ", "More questions."))
    verbose = step("publish --verbose", "publish", str(project), "--verbose")
    # The debug log is on, so its absence of the key below is not for want of logging.
    assert "publisher.plain: UpsertHelpCenterArticle: HTTP 200" in verbose.stderr
    planned = step("plan --json", "plan", str(project), "--json", "--verbose")
    assert json.loads(planned.stdout)["articles"]
    (project / "content/old.md").unlink()
    step("publish --prune", "publish", str(project), "--prune", "--yes", "--verbose")
    snapshots = list((project / ".publisher/backups").glob("*.json"))
    assert len(snapshots) == 1
    restored = step("restore", "restore", str(snapshots[0]), "--verbose")
    assert "restored 1 article" in restored.stdout
    pulled = tmp_path / "pulled"
    pulled.mkdir()
    (pulled / "publisher.toml").write_text("")
    step("pull", "pull", str(pulled), "--verbose", cwd=pulled)

    # Everything the commands wrote is there to be searched.
    written = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
    assert ".publisher/cache/uploads.json" in written
    assert any(p.startswith(".publisher/cache/render/") for p in written)
    assert "### Help center published" in summary.read_text()
    assert (pulled / "content").is_dir()
    assert leaks(KEY, outputs, [project, pulled, summary]) == []


def test_no_command_takes_the_key_as_an_argument() -> None:
    """README: the key comes only from PLAIN_API_KEY (an argument would show in `ps`)."""
    runner = CliRunner()
    for command in ("publish", "plan", "pull", "restore"):
        options = {opt for param in main.commands[command].params for opt in param.opts}
        assert not any("key" in opt or "token" in opt for opt in options), (command, options)
        text = runner.invoke(main, [command, "--help"]).output
        assert "--api-url" in text and "--api-key" not in text and "--token" not in text
    # A key passed as an option anyway is refused without being repeated.
    for args in (["--api-key", KEY], [f"--api-key={KEY}"]):
        result = runner.invoke(main, ["publish", *args], env={"PLAIN_API_KEY": ""})
        assert result.exit_code == 2 and "No such option" in result.output
        assert leaks(KEY, {"output": result.output}, []) == []


# --- The key when things go wrong --------------------------------------------------------------


class EchoServer:
    """A GraphQL endpoint that puts the Authorization header it got into its answers, in
    several ways. The first path segment picks the way; the second names the caller, and
    the headers each caller sent are recorded under it."""

    def __init__(self) -> None:
        #: Authorization headers received, by caller.
        self.seen: dict[str, list[str]] = {}
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                mode, caller, *_ = self.path.strip("/").split("/")
                auth = self.headers.get("Authorization", "")
                seen.setdefault(caller, []).append(auth)
                status, headers, body = EchoServer.answer(mode, auth)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, mode: str, caller: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{mode}/{caller}/graphql/v1"

    @staticmethod
    def answer(mode: str, auth: str) -> tuple[int, dict[str, str], bytes]:
        as_json = {"Content-Type": "application/json"}
        if mode == "message":  # a GraphQL error quoting the header, in text and extensions
            body = {"errors": [{"message": f"you sent {auth}", "extensions": {"header": auth}}]}
            return 200, as_json, json.dumps(body).encode()
        if mode == "escaped":  # the same, every character as a JSON \u escape
            escaped = "".join(f"\\u{ord(c):04x}" for c in f"you sent {auth}")
            return 200, as_json, ('{"errors": [{"message": "' + escaped + '"}]}').encode()
        if mode == "unauthenticated":  # a gateway's auth failure as a GraphQL error
            body = {
                "errors": [
                    {"message": f"{auth} is revoked", "extensions": {"code": "UNAUTHENTICATED"}}
                ]
            }
            return 200, as_json, json.dumps(body).encode()
        if mode == "header":  # a 401 whose response headers repeat the key
            headers = {
                **as_json,
                "X-Echo-Authorization": auth,
                "WWW-Authenticate": f'Bearer error="invalid_token", token="{auth}"',
            }
            return 401, headers, b'{"errors": [{"message": "invalid token"}]}'
        if mode == "text":  # an unavailable proxy's plain-text page, retried and then given up
            headers = {"Content-Type": "text/plain", "Retry-After": "0"}
            return 503, headers, f"upstream refused {auth}".encode()
        raise AssertionError(f"unknown mode {mode}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    yield server
    server.close()


@pytest.mark.parametrize("mode", ["message", "escaped", "unauthenticated", "header", "text"])
def test_errors_from_an_echoing_server_hold_no_key(mode: str, echo: EchoServer) -> None:
    """The exception itself, as a traceback would print it, chained exceptions included."""
    caller = f"client-{mode}"
    client = PlainClient(
        echo.url(mode, caller),
        KEY,
        retry=RetryPolicy(max_attempts=2, jitter=False),
        sleep=lambda _: None,
    )
    with client, pytest.raises(PlainError) as info:
        client.list_articles("hc_echo")
    assert echo.seen[caller] == [f"Bearer {KEY}"] * (2 if mode == "text" else 1)
    error = info.value
    texts = {
        "traceback": "".join(traceback.format_exception(error)),
        "repr": repr(error),
        "args": repr(error.args),
        "context": repr(error.__context__) + str(error.__context__),
        "attributes": repr(vars(error)),
    }
    assert leaks(KEY, texts, []) == []
    assert "[redacted]" in str(error) or mode == "header"


@dataclass(frozen=True)
class Failure:
    command: tuple[str, ...]
    server: str  # "faults", "emulator", "nothing" or "echo/<mode>"
    key: str
    exit_code: int
    says: str  # the output must say this, so we know the failure we meant happened


FAILURES: dict[str, Failure] = {
    "server-faults": Failure(("publish", "--verbose"), "faults", KEY, 3, "retry 1 of 5"),
    "wrong-key-publish": Failure(("publish", "--verbose"), "emulator", WRONG_KEY, 3, "HTTP 401"),
    "wrong-key-plan-json": Failure(("plan", "--json"), "emulator", WRONG_KEY, 3, "HTTP 401"),
    "wrong-key-pull": Failure(("pull", "--verbose"), "emulator", WRONG_KEY, 3, "HTTP 401"),
    "wrong-key-restore": Failure(("restore", "--verbose"), "emulator", WRONG_KEY, 3, "HTTP 401"),
    "nothing-listening": Failure(("publish", "--verbose"), "nothing", KEY, 3, "ConnectError"),
    "echo-in-error": Failure(("publish", "--verbose"), "echo/message", KEY, 3, "[redacted]"),
    "echo-in-error-plan-json": Failure(("plan", "--json"), "echo/message", KEY, 3, "[redacted]"),
    "echo-escaped": Failure(("publish", "--verbose"), "echo/escaped", KEY, 3, "[redacted]"),
    "echo-escaped-pull": Failure(("pull",), "echo/escaped", KEY, 3, "[redacted]"),
    "echo-escaped-restore": Failure(("restore",), "echo/escaped", KEY, 3, "[redacted]"),
    "echo-unauthenticated": Failure(
        ("plan", "--verbose"),
        "echo/unauthenticated",
        KEY,
        3,
        "authentication failed: Bearer [redacted]",
    ),
    "echo-in-headers": Failure(("publish", "--verbose"), "echo/header", KEY, 3, "HTTP 401"),
    "echo-in-text-body": Failure(("publish",), "echo/text", KEY, 3, "HTTP 503"),
    # Keys that cannot go into a header: httpx's error would quote the header, key and all.
    "key-with-line-break": Failure(
        ("publish", "--verbose"), "echo/message", LINE_BREAK_KEY, 2, "PLAIN_API_KEY: "
    ),
    "key-not-ascii": Failure(("plan",), "echo/message", NON_ASCII_KEY, 2, "PLAIN_API_KEY: "),
}


@dataclass
class FailedRun:
    failure: Failure
    result: subprocess.CompletedProcess[str]
    project: Path


@dataclass
class FailedRuns:
    runs: dict[str, FailedRun]
    #: The Authorization headers the echo server got, by scenario.
    echo_saw: dict[str, list[str]]


def _prepare(failure: Failure, project: Path, help_center_id: str) -> list[str]:
    command, *flags = failure.command
    if command == "pull":
        project.mkdir(parents=True)
        (project / "publisher.toml").write_text("")
        return [command, str(project), *flags]
    if command == "restore":
        project.mkdir(parents=True)
        snapshot = {
            "version": 1,
            "helpCenterId": help_center_id,
            "groups": [],
            "articles": [
                {
                    "id": "ha_gone",
                    "slug": "gone",
                    "title": "Gone",
                    "description": None,
                    "icon": None,
                    "contentHtml": "<p>Gone</p>",
                    "status": "PUBLISHED",
                    "groupSlug": None,
                    "place": None,
                }
            ],
        }
        (project / "snapshot.json").write_text(json.dumps(snapshot))
        return [command, "snapshot.json", *flags]
    write_tree(project, {"a.md": article("A", "![x](x.png)"), "x.png": PNG, "g/b.md": article("B")})
    return [command, str(project), *flags]


@pytest.fixture(scope="module")
def failed_runs(
    tmp_path_factory: pytest.TempPathFactory,
    _shared_emulators: _SharedEmulators,
    echo: EchoServer,
) -> Iterator[FailedRuns]:
    """Every failure at once: most of their time is spent waiting for retries."""
    tmp = tmp_path_factory.mktemp("failures")
    shared = _shared_emulators.lease()
    faulty = Emulator(
        [
            *("--host", "127.0.0.1", "--port", "0", "--retry-after", "0"),
            *("--help-center", "Docs", "--api-key", KEY, "--fail-rate", "1.0", "--seed", "7"),
        ],
        tmp / "faulty.log",
        ["Docs"],
        None,
    )
    # Bound but not listening: connections are refused, and no one else can take the port.
    nothing = socket.socket()
    nothing.bind(("127.0.0.1", 0))
    urls = {
        "faults": (faulty.url, faulty.help_center_id),
        "emulator": (shared.url, shared.help_center_id),
        "nothing": (f"http://127.0.0.1:{nothing.getsockname()[1]}/graphql/v1", "hc_nothing"),
    }

    def run(name: str) -> FailedRun:
        failure = FAILURES[name]
        url, hc = urls.get(failure.server) or (
            echo.url(failure.server.removeprefix("echo/"), name),
            "hc_echo",
        )
        project = tmp / name
        args = _prepare(failure, project, hc)
        env = cli_env(failure.key, url, hc, project / "step-summary.md")
        return FailedRun(failure, run_cli(args, env, project), project)

    try:
        with ThreadPoolExecutor(max_workers=len(FAILURES)) as pool:
            runs = dict(zip(FAILURES, pool.map(run, FAILURES), strict=True))
        yield FailedRuns(runs, echo.seen)
    finally:
        nothing.close()
        faulty.stop()


@pytest.mark.parametrize("name", list(FAILURES))
def test_failures_never_show_the_key(name: str, failed_runs: FailedRuns) -> None:
    run = failed_runs.runs[name]
    failure, result = run.failure, run.result
    output = result.stdout + result.stderr
    outputs = {"stdout": result.stdout, "stderr": result.stderr}
    assert leaks(failure.key, outputs, [run.project]) == [], output
    assert result.returncode == failure.exit_code, output
    assert failure.says in output, output
    if failure.server.startswith("echo/"):
        sent = failed_runs.echo_saw.get(name, [])
        if failure.exit_code == 3:
            # The server really had the key to echo.
            assert f"Bearer {failure.key}" in sent
        else:
            assert not any(FRAGMENTS[failure.key][1] in header for header in sent)
    if "--verbose" in failure.command and failure.exit_code == 3:
        assert "publisher.plain: " in result.stderr  # the debug log was on
        # Libraries' debug logs are not ours to vet: httpcore's quotes every response header.
        assert "httpcore" not in result.stderr


# --- Nothing outside the roots: raw requests ---------------------------------------------------


def raw_request(base_url: str, target: bytes | str, method: str = "GET") -> tuple[int, bytes]:
    """Send the request target byte for byte (HTTP clients normalise `..` and encodings)."""
    if isinstance(target, str):
        target = target.encode()
    parts = urlsplit(base_url)
    host = parts.netloc.encode()  # the servers answer only for the host they were started on
    request = b"%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (
        method.encode(),
        target,
        host,
    )
    data = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        try:
            sock.sendall(request)
            while chunk := sock.recv(65536):
                data += chunk
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may refuse a huge request before reading all of it
    assert data.startswith(b"HTTP/1.1 "), (target[:120], data[:200])
    return int(data.split(b" ", 2)[1]), data


# Ways to write "the folder above": plain, percent-encoded (once, twice, in either case),
# with backslashes, half-encoded, and with a path parameter.
UP = (
    "../",
    "%2e%2e/",
    "%2e%2e%2f",
    "..%2f",
    "%2E%2E%2F",
    "%252e%252e/",
    "%252e%252e%252f",
    "..%5c",
    "..\\",
    ".%2e/",
    "..;/",
)


def escape_attempts(prefix: str, name: str, absolute: Path) -> list[str]:
    """Paths under ``prefix`` that try to reach ``name`` in a folder above (at any depth up
    to 6), or the file at ``absolute`` by its absolute path."""
    attempts = [f"{prefix}{up * depth}{name}" for up in UP for depth in range(1, 7)]
    return [
        *attempts,
        f"{prefix}{absolute}",
        f"{prefix}/{absolute}",
        f"{prefix}{quote(str(absolute), safe='')}",
        f"{prefix}%2f{quote(str(absolute), safe='')}",
        f"{prefix}{'../' * 12}etc/passwd",
        f"{prefix}/etc/passwd",
        f"{prefix}..%2f{name}%00",
        f"{prefix}..%2f{name}%00.png",
        f"{prefix}../{name}\0.png",  # a raw NUL byte in the request line
        f"{prefix}{'../' * 5000}{name}",  # very long
        f"{prefix}{'a' * 60_000}",
    ]


def assert_refused(
    base_url: str, targets: Iterable[bytes | str], secrets: Iterable[bytes], method: str = "GET"
) -> None:
    secrets = list(secrets)
    for target in targets:
        status, data = raw_request(base_url, target, method)
        shown = target[:120]
        head, _, body = data.partition(b"\r\n\r\n")
        if status == 307:
            # Starlette's trailing-slash redirect: same server, no content.
            origin = f"http://{urlsplit(base_url).netloc}/".encode()
            assert b"\r\nlocation: " + origin in head.lower() and body == b"", (shown, head)
        else:
            assert status in (400, 404, 405), (shown, data[:200])
        for secret in secrets:
            assert secret not in data, (shown, secret)


# Whatever these roots hold, none of it may come back: /etc/passwd, SQLite databases (the
# emulator's holds the API keys) and Jinja template sources.
SYSTEM_SECRETS = (b"root:x:0:0", b"SQLite format 3", b"{%")


def _upload(emulator: Emulator, name: str, content: bytes, visibility: str) -> dict[str, Any]:
    created = emulator.gql(
        """
        mutation($input: CreateWorkspaceFileUploadUrlInput!) {
          createWorkspaceFileUploadUrl(input: $input) {
            workspaceFileUploadUrl { uploadFormUrl uploadFormData { key value } workspaceFile { id } }
            error { message }
          }
        }
        """,
        {"input": {"fileName": name, "fileSizeBytes": len(content), "visibility": visibility}},
    )["createWorkspaceFileUploadUrl"]
    assert created["error"] is None
    upload: dict[str, Any] = created["workspaceFileUploadUrl"]
    return upload


def _post(upload: dict[str, Any], name: str, content: bytes) -> None:
    fields = {pair["key"]: pair["value"] for pair in upload["uploadFormData"]}
    response = httpx.post(
        upload["uploadFormUrl"], data=fields, files={"file": (name, content)}, timeout=10
    )
    assert response.status_code == 204, response.text


def _download_url(emulator: Emulator, file_id: str) -> str:
    result = emulator.gql(
        """
        mutation($id: ID!) {
          createWorkspaceFileDownloadUrl(input: {workspaceFileId: $id}) {
            workspaceFileDownloadUrl { downloadUrl }
          }
        }
        """,
        {"id": file_id},
    )
    url: str = result["createWorkspaceFileDownloadUrl"]["workspaceFileDownloadUrl"]["downloadUrl"]
    return url


@pytest.fixture
def named_urls_emulator(emulator_factory: EmulatorFactory) -> Emulator:
    """An emulator whose download URLs are `/files/<id>/<name>` (the opaque default has its
    own containment test in test_emulator_files.py)."""
    return emulator_factory(extra_args=("--download-urls", "named"))


@contextlib.contextmanager
def _canary_beside(emulator: Emulator) -> Iterator[tuple[Path, bytes]]:
    """A secret file next to the emulator's SQLite file, which is outside anything it serves."""
    assert emulator.db_path is not None
    secret = f"CANARY-{uuid.uuid4().hex}".encode()
    path = emulator.db_path.parent / f"canary-{uuid.uuid4().hex[:8]}.txt"
    path.write_bytes(secret)
    yield path, secret
    path.unlink()


@pytest.fixture
def canary_beside_the_database(emulator: Emulator) -> Iterator[tuple[Path, bytes]]:
    with _canary_beside(emulator) as canary:
        yield canary


@pytest.fixture
def canary_beside_named_urls(named_urls_emulator: Emulator) -> Iterator[tuple[Path, bytes]]:
    with _canary_beside(named_urls_emulator) as canary:
        yield canary


def test_emulator_file_routes_serve_only_the_named_uploaded_file(
    named_urls_emulator: Emulator, canary_beside_named_urls: tuple[Path, bytes]
) -> None:
    emulator = named_urls_emulator
    canary, canary_secret = canary_beside_named_urls
    private_secret = f"PRIVATE-{uuid.uuid4().hex}".encode()
    public = _upload(emulator, "shot.png", PNG, "PUBLIC")
    _post(public, "shot.png", PNG)
    private = _upload(emulator, "notes.txt", private_secret, "PRIVATE")
    _post(private, "notes.txt", private_secret)
    reserved = _upload(emulator, "never.png", PNG, "PUBLIC")  # never uploaded
    pub = public["workspaceFile"]["id"]
    priv = private["workspaceFile"]["id"]
    signed = _download_url(emulator, priv)
    token = signed.split("?token=")[1]
    base = emulator.base_url
    # The routes work, so the refusals below are refusals.
    assert raw_request(base, f"/files/{pub}/shot.png")[1].endswith(PNG)
    assert raw_request(base, signed.removeprefix(base))[1].endswith(private_secret)

    targets: list[str] = [
        *escape_attempts(f"/files/{pub}/", canary.name, canary),
        *escape_attempts(f"/files/{pub}/shot.png/", canary.name, canary),
        *escape_attempts("/files/", canary.name, canary),
        *escape_attempts("/", canary.name, canary),
        f"/files/{pub}/../{priv}/notes.txt",
        f"/files/{pub}/..%2f{priv}%2fnotes.txt",
        f"/files/{pub}/./shot.png/../notes.txt",
        # Another file's name, an unknown id, an id that looks like SQL.
        f"/files/{pub}/notes.txt",
        f"/files/{priv}/shot.png?token={token}",
        "/files/wf_01UNKNOWN0000000000000000/shot.png",
        f"/files/{quote(pub + chr(39) + ' OR 1=1 --', safe='')}/shot.png",
        f"/files/{pub.lower()}/shot.png",
        f"/files/{reserved['workspaceFile']['id']}/never.png",
        # The private file without its token, with a wrong or empty one, or by traversal.
        f"/files/{priv}/notes.txt",
        f"/files/{priv}/notes.txt?token=",
        f"/files/{priv}/notes.txt?token={token[:-1]}",
        f"/files/{priv}/notes.txt?token={token.upper()}",
        f"/files/{priv}/notes.txt%3Ftoken={token}",
        f"/files/{pub}/../{priv}/notes.txt?token=x",
        f"/files/{pub}/shot.png/../../{priv}/notes.txt",
        # The upload target is not a download route.
        f"/uploads/{priv}",
        f"/uploads/{priv}/../../files/{priv}/notes.txt",
    ]
    assert_refused(base, targets, [canary_secret, private_secret, *SYSTEM_SECRETS])
    assert_refused(base, targets[:8], [canary_secret, private_secret], method="HEAD")


def test_emulator_web_view_serves_only_published_articles_of_that_help_center(
    emulator: Emulator, canary_beside_the_database: tuple[Path, bytes]
) -> None:
    canary, canary_secret = canary_beside_the_database
    draft_secret = f"DRAFT-{uuid.uuid4().hex}"
    title = f"Visible {uuid.uuid4().hex}"
    emulator.upsert_article(title=title, slug="visible", status="PUBLISHED")
    emulator.upsert_article(title="Draft", slug="hidden", contentHtml=f"<p>{draft_secret}</p>")
    hc = emulator.help_center_id
    other = next(i for i in emulator.help_center_ids.values() if i != hc)
    base = emulator.base_url
    status, page = raw_request(base, f"/help-centers/{hc}/article/visible")
    assert status == 200 and title.encode() in page

    article_url = f"/help-centers/{hc}/article/"
    targets: list[str] = [
        *escape_attempts(article_url, canary.name, canary),
        *escape_attempts(f"/help-centers/{hc}/", canary.name, canary),
        *escape_attempts("/help-centers/", canary.name, canary),
        *escape_attempts("/", canary.name, canary),
        # The draft, by traversal, encodings, case and SQL.
        f"{article_url}visible/../hidden",
        f"{article_url}visible%2f..%2fhidden",
        f"{article_url}.%2fhidden",
        f"{article_url}hidden%00",
        f"{article_url}HIDDEN",
        f"{article_url}{quote(chr(39) + ' OR status=' + chr(39) + 'DRAFT', safe='')}",
        f"{article_url}{quote(chr(39) + ' OR 1=1 --', safe='')}",
        f"{article_url}%25",
        f"/help-centers/{other}/article/../../{hc}/article/hidden",
        f"/help-centers/{other}%2f..%2f{hc}/article/hidden",
        # The emulator's own files.
        "/templates/article.html",
        "/publisher/emulator/templates/article.html",
        "/schema.graphql",
        "/graphql/v1/../../etc/passwd",
        "/help-centers/../pyproject.toml",
    ]
    assert_refused(base, targets, [canary_secret, draft_secret.encode(), *SYSTEM_SECRETS])
    # A published article is not shown under another help center's address.
    for target in (f"/help-centers/{other}/article/visible", f"/help-centers/{other}"):
        status, page = raw_request(base, target)
        assert status in (200, 404) and title.encode() not in page, target
    assert raw_request(base, f"/help-centers/{other}/article/visible")[0] == 404


# --- The preview: what tests/test_preview_server.py does not try -------------------------------


def test_preview_serves_no_file_it_was_not_given(tmp_path: Path) -> None:
    outside_secret = f"OUTSIDE-{uuid.uuid4().hex}"
    root_secret = f"ROOT-{uuid.uuid4().hex}"
    source_secret = f"SOURCE-{uuid.uuid4().hex}"
    unused_secret = f"UNUSED-{uuid.uuid4().hex}"
    notes_secret = f"NOTES-{uuid.uuid4().hex}"
    project = tmp_path / "project"
    write_tree(
        project,
        {
            "guide/intro.md": article(
                "Intro", f"![Shot](img/shot.png)\n\n<!-- {source_secret} -->\n\nHello."
            ),
            "guide/img/shot.png": PNG,
            # In the content, but used by no article: not served either.
            "guide/img/unused.png": PNG + unused_secret.encode(),
            "guide/notes.txt": notes_secret,
            "faq.md": article("FAQ", "Questions."),
        },
    )
    (project / "publisher.toml").write_text(f'site_name = "Docs"\n# {root_secret}\n')
    (project / "secret.txt").write_text(root_secret)
    (tmp_path / "outside.txt").write_text(outside_secret)
    secrets = [
        s.encode()
        for s in (outside_secret, root_secret, source_secret, unused_secret, notes_secret)
    ]
    with running_preview(project) as preview:
        url = preview.url
        status, page = raw_request(url, "/article/intro/")
        assert status == 200 and b"Hello." in page and source_secret.encode() not in page
        assert raw_request(url, "/assets/guide/img/shot.png")[1].endswith(PNG)
        targets: list[str] = [
            *escape_attempts("/assets/", "outside.txt", tmp_path / "outside.txt"),
            *escape_attempts("/assets/guide/img/", "secret.txt", project / "secret.txt"),
            *escape_attempts("/article/", "outside.txt", tmp_path / "outside.txt"),
            *escape_attempts("/__publisher__/", "secret.txt", project / "secret.txt"),
            "/__publisher__/live.js/../../secret.txt",
            "/__publisher__/events/..%2f..%2fsecret.txt",
            # Files in the project and content that are no page and no used image.
            "/assets/guide/img/unused.png",
            "/assets/guide/notes.txt",
            "/assets/guide/intro.md",
            "/assets/guide/img/../intro.md",
            "/assets/guide/img/shot.png/../../intro.md",
            "/assets/guide/img/shot.png%00/../../intro.md",
            "/assets/guide/img/shot.png%2f..%2f..%2fintro.md",
            "/guide/intro.md",
            "/content/guide/intro.md",
            "/publisher.toml",
            "/assets/../publisher.toml",
            "/secret.txt",
            "/.publisher/cache/uploads.json",
            "/assets/.publisher/cache/render",
        ]
        assert_refused(url, targets, [*secrets, *SYSTEM_SECRETS])
        assert_refused(url, targets[:30], [*secrets, *SYSTEM_SECRETS], method="HEAD")


# --- Host names: DNS rebinding ------------------------------------------------------------------

# Names a web page could point at 127.0.0.1 (DNS rebinding) to read a local server as its own.
FOREIGN_HOSTS = [
    "evil.example",
    "evil.example:8000",
    "127.0.0.1.nip.io",
    "localhost.evil.example",
    "localhost.",
    "[2001:db8::1]",
]


def _with_host(
    method: str, url: str, host: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> httpx.Response:
    headers = {**(headers or {}), "Host": host}
    return httpx.request(method, url, headers=headers, timeout=10, **kwargs)


def test_the_emulator_answers_only_its_own_host_names(emulator: Emulator) -> None:
    title = f"Published {uuid.uuid4().hex}"
    emulator.upsert_article(title=title, slug="rebinding", status="PUBLISHED")
    upload = _upload(emulator, "shot.png", PNG, "PUBLIC")
    _post(upload, "shot.png", PNG)
    download = _download_url(emulator, upload["workspaceFile"]["id"])
    base = emulator.base_url
    port = urlsplit(base).port
    article_url = f"{base}/help-centers/{emulator.help_center_id}/article/rebinding"
    query = {
        "query": "query($hc: ID!) { helpCenterArticleBySlug(helpCenterId: $hc, slug: "
        '"rebinding") { title } }',
        "variables": {"hc": emulator.help_center_id},
    }
    auth = {"Authorization": f"Bearer {emulator.api_key}"}
    for host in ("127.0.0.1", f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST"):
        assert title in _with_host("GET", article_url, host).text, host
        assert _with_host("GET", download, host).content == PNG, host
        graphql = _with_host("POST", emulator.url, host, json=query, headers=auth)
        assert graphql.json()["data"]["helpCenterArticleBySlug"]["title"] == title, host
    secrets = [title.encode(), PNG, emulator.api_key.encode()]
    for host in FOREIGN_HOSTS:
        for method, url in (
            ("GET", f"{base}/"),
            ("GET", article_url),
            ("GET", download),
            ("POST", emulator.url),
            ("POST", f"{base}/uploads/{upload['workspaceFile']['id']}"),
        ):
            response = _with_host(method, url, host, auth, json=query)
            assert response.status_code == 421, (host, method, url, response.text)
            assert "answers only for" in response.text
            assert not any(secret in response.content for secret in secrets), (host, url)
    # The bare request line a rebinding page cannot shape: no Host, an empty one.
    for head in (b"GET / HTTP/1.0\r\n", b"GET / HTTP/1.1\r\nHost: \r\n"):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(head + b"Connection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert data.split(b" ", 2)[1] in (b"400", b"421"), data[:100]


def test_the_preview_answers_only_its_own_host_names_for_drafts(tmp_path: Path) -> None:
    draft = f"DRAFT-{uuid.uuid4().hex}"
    write_tree(tmp_path, {"faq.md": article("FAQ", draft, status="draft")})
    with running_preview(tmp_path) as preview:
        port = urlsplit(preview.url).port
        assert draft in _with_host("GET", preview.url + "article/faq/", f"localhost:{port}").text
        for host in FOREIGN_HOSTS:
            for path in ("article/faq/", "", "__publisher__/events", "__publisher__/live.js"):
                response = _with_host("GET", preview.url + path, host)
                assert response.status_code == 421, (host, path)
                assert draft not in response.text


def test_an_emulator_on_every_address_answers_addresses_and_this_machines_name(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(db=False, extra_args=("--host", "0.0.0.0"))
    port = urlsplit(emulator.base_url).port
    home = f"http://127.0.0.1:{port}/"
    for host in (socket.gethostname(), f"127.0.0.1:{port}", "localhost", "192.0.2.7"):
        assert _with_host("GET", home, host).status_code == 200, host
    for host in FOREIGN_HOSTS:  # names, that is: every IP address is this machine's here
        expected = 200 if host.startswith("[") else 421
        assert _with_host("GET", home, host).status_code == expected, host
