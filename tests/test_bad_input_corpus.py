"""Every case in tests/corpus/bad/ through the real CLI: a clear `file:line: message` and
exit 1 with nothing sent, or (for input that can be made safe) a build whose page is safe.
Never a traceback, and always within TIME_LIMIT.

A case is a folder: `content/` (plus any files beside it) and `case.toml` saying what to
expect; `bad_corpus.py` reads it. Huge inputs are generated from `[[generate]]` rather than
stored, and symlinks come from `[[symlink]]` so that no tool walking the repo meets a loop.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bad_corpus import BAD_CASES, BadCase, materialise

# every corpus case through the real CLI: minutes, run by `make test-slow`
pytestmark = pytest.mark.slow

TIME_LIMIT = 60.0  # seconds for one CLI run, generous for a 2-core CI machine
ERROR_LINE = re.compile(r"^content/.+?:\d+: (?!warning:)", re.MULTILINE)


class ConnectionCounter:
    """A TCP listener standing in for Plain: it only counts who connects."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._server.close()


@pytest.fixture(scope="module")
def plain_stand_in() -> Iterator[ConnectionCounter]:
    counter = ConnectionCounter()
    yield counter
    counter.close()


def run_cli(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str, float]:
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "publisher", *args],
            cwd=cwd,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=TIME_LIMIT,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"publisher {' '.join(args)} ran over {TIME_LIMIT:.0f} s")
    output = done.stdout + done.stderr
    return done.returncode, output, time.monotonic() - started


def test_the_corpus_has_every_kind_of_case() -> None:
    assert len(BAD_CASES) >= 40
    assert sum(1 for case in BAD_CASES if case.safe is None) >= 40
    assert any(case.generate for case in BAD_CASES)
    assert any(case.symlinks for case in BAD_CASES)


@pytest.mark.parametrize("case", [c for c in BAD_CASES if c.safe is None], ids=lambda c: c.name)
def test_bad_input_is_named_and_nothing_is_sent(
    case: BadCase, tmp_path: Path, plain_stand_in: ConnectionCounter
) -> None:
    project = materialise(case, tmp_path / "project")
    before = plain_stand_in.connections
    code, output, _ = run_cli(
        ["publish", "."],
        project,
        {
            "PLAIN_API_KEY": "plainApiKey_corpus_never_used",
            "PLAIN_API_URL": f"http://127.0.0.1:{plain_stand_in.port}/graphql/v1",
            "PLAIN_HELP_CENTER_ID": "hc_corpus",
        },
    )
    assert "Traceback" not in output, output
    assert code == 1, output
    for expected in case.errors:
        line = f"content/{expected.file}:{expected.line}: "
        found = [
            row for row in output.splitlines() if row.startswith(line) and expected.message in row
        ]
        assert found, f"expected {line}…{expected.message}… in:\n{output}"
    assert len(ERROR_LINE.findall(output)) == len(case.errors), output
    assert "nothing was sent" in output
    assert plain_stand_in.connections == before, "a request was sent for invalid content"


@pytest.mark.parametrize("case", [c for c in BAD_CASES if c.safe], ids=lambda c: c.name)
def test_input_that_can_be_made_safe_builds_a_safe_page(case: BadCase, tmp_path: Path) -> None:
    assert case.safe is not None
    project = materialise(case, tmp_path / "project")
    code, output, _ = run_cli(["build", ".", "--out", "site"], project, {})
    assert "Traceback" not in output, output
    assert code == 0, output
    page = (project / "site" / case.safe.page).read_text(encoding="utf-8")
    body = page.partition('<article class="article-body">')[2].partition("</article>")[0]
    for text in case.safe.contains:
        assert text in page, text
    for text in case.safe.absent:
        assert text not in body, text
    for text, count in case.safe.counts.items():
        assert body.count(text) == count, text
