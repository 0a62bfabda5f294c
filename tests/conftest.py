"""Fixtures that run the Plain emulator as a real server in a subprocess."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

from publisher.emulator.launch import EmulatorStartError, RunningEmulator, start_emulator

DEFAULT_API_KEY = "plainApiKey_local_emulator"
START_TIMEOUT = 20.0


class GraphQLFailed(AssertionError):
    """A GraphQL request that did not come back as HTTP 200 without errors."""


def _start_process(args: list[str], log_path: Path) -> RunningEmulator:
    """Start an emulator (EmulatorStartError, with its log, if it cannot) and wait until
    it answers HTTP."""
    started = start_emulator(args, log_path, timeout=START_TIMEOUT)
    try:
        _wait_until_serving(started.base_url, time.monotonic() + START_TIMEOUT)
    except TimeoutError as error:
        started.stop()
        raise EmulatorStartError(f"{error}; emulator log:\n{started.log()}") from None
    return started


def _wait_until_serving(base_url: str, deadline: float) -> None:
    while True:
        try:
            if httpx.get(base_url + "/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the emulator did not answer in time")
        time.sleep(0.05)


class Emulator:
    """A running emulator, as tests see it: URLs, a key, a help center, GraphQL helpers."""

    def __init__(
        self,
        args: list[str],
        log_path: Path,
        help_centers: list[str],
        db_path: Path | None,
        *,
        shared: bool = False,
    ) -> None:
        self._args = args
        self._log_path = log_path
        self._help_centers = help_centers
        self.db_path = db_path
        self.shared = shared
        self.pool: list[str] = []  # help centers no test has used yet (shared emulator)
        self._client: httpx.Client | None = None
        self._proc = _start_process(args, log_path)
        self.help_center_id = self._proc.help_center_ids[help_centers[0]]

    @property
    def url(self) -> str:
        return self._proc.url

    @property
    def base_url(self) -> str:
        return self._proc.base_url

    @property
    def api_key(self) -> str:
        return self._proc.api_keys[0]

    @property
    def help_center_ids(self) -> dict[str, str]:
        return self._proc.help_center_ids

    @property
    def process(self) -> subprocess.Popen[str]:
        return self._proc.process

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        return self._log_path.read_text()

    def client(self) -> httpx.Client:
        """A keep-alive client for this emulator (re-made after a restart)."""
        if self._client is None:
            self._client = httpx.Client(timeout=10)
        return self._client

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        api_key: str | None = None,
        operation_name: str | None = None,
    ) -> httpx.Response:
        body: dict[str, Any] = {"query": query, "variables": variables or {}}
        if operation_name is not None:
            body["operationName"] = operation_name
        headers = {"Authorization": f"Bearer {api_key or self.api_key}"}
        return self.client().post(self.url, json=body, headers=headers)

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run an operation that must succeed; returns ``data``."""
        response = self.post(query, variables)
        payload = response.json()
        if response.status_code != 200 or payload.get("errors"):
            raise GraphQLFailed(f"HTTP {response.status_code}: {payload}")
        data: dict[str, Any] = payload["data"]
        return data

    # --- Shortcuts for common operations (each asserts success) ---------------------------

    def upsert_article(self, **fields: Any) -> dict[str, Any]:
        """Create or update an article in ``help_center_id``; returns its id, slug, group."""
        data = self.gql(
            """
            mutation($input: UpsertHelpCenterArticleInput!) {
              upsertHelpCenterArticle(input: $input) {
                helpCenterArticle { id slug title status articleGroup { id } }
                error { message code fields { field message type } }
              }
            }
            """,
            {"input": {"helpCenterId": self.help_center_id, "contentHtml": "<p>x</p>", **fields}},
        )["upsertHelpCenterArticle"]
        if data["error"] is not None:
            raise GraphQLFailed(str(data["error"]))
        article: dict[str, Any] = data["helpCenterArticle"]
        return article

    def create_group(self, name: str, **fields: Any) -> dict[str, Any]:
        data = self.gql(
            """
            mutation($input: CreateHelpCenterArticleGroupInput!) {
              createHelpCenterArticleGroup(input: $input) {
                helpCenterArticleGroup { id slug name parentArticleGroup { id } }
                error { message code fields { field message type } }
              }
            }
            """,
            {"input": {"helpCenterId": self.help_center_id, "name": name, **fields}},
        )["createHelpCenterArticleGroup"]
        if data["error"] is not None:
            raise GraphQLFailed(str(data["error"]))
        group: dict[str, Any] = data["helpCenterArticleGroup"]
        return group

    def index(self) -> dict[str, Any]:
        """The help center's index: ``hash`` and ``navIndex`` items."""
        index: dict[str, Any] = self.gql(
            """
            query($id: ID!) {
              helpCenterIndex(id: $id) {
                hash navIndex { type id title slug parentId status description icon }
              }
            }
            """,
            {"id": self.help_center_id},
        )["helpCenterIndex"]
        return index

    def stop(self) -> int:
        if self._client is not None:
            self._client.close()
            self._client = None
        return self._proc.stop()

    def restart(self, *extra_args: str) -> None:
        """Stop (SIGTERM) and start again with the same options plus ``extra_args``."""
        if self.shared:
            raise RuntimeError("the shared emulator cannot be restarted; use emulator_factory")
        self.stop()
        self._proc = _start_process([*self._args, *extra_args], self._log_path)


class EmulatorFactory(Protocol):
    def __call__(
        self,
        *,
        help_centers: tuple[str, ...] = ...,
        db: bool = ...,
        fail_rate: float | None = ...,
        fault_kinds: str | None = ...,
        seed: int | None = ...,
        latency_ms: int | None = ...,
        api_keys: tuple[str, ...] = ...,
        extra_args: tuple[str, ...] = ...,
    ) -> Emulator: ...


def _build_args(
    *,
    help_centers: tuple[str, ...],
    db_path: Path | None,
    fail_rate: float | None,
    fault_kinds: str | None,
    seed: int | None,
    latency_ms: int | None,
    api_keys: tuple[str, ...],
    extra_args: tuple[str, ...],
) -> list[str]:
    args = ["--host", "127.0.0.1", "--port", "0", "--retry-after", "0"]
    if db_path is not None:
        args += ["--db", str(db_path)]
    for name in help_centers:
        args += ["--help-center", name]
    for key in api_keys:
        args += ["--api-key", key]
    if fail_rate is not None:
        args += ["--fail-rate", str(fail_rate)]
    if fault_kinds is not None:
        args += ["--fault-kinds", fault_kinds]
    if seed is not None:
        args += ["--seed", str(seed)]
    if latency_ms is not None:
        args += ["--latency-ms", str(latency_ms)]
    return [*args, *extra_args]


@pytest.fixture
def emulator_factory(tmp_path: Path) -> Iterator[EmulatorFactory]:
    """Start emulators with chosen options; all are stopped after the test.

    With ``db=True`` (the default) state lives in a SQLite file under ``tmp_path`` and
    survives ``Emulator.restart()``.
    """
    started: list[Emulator] = []

    def start(
        *,
        help_centers: tuple[str, ...] = ("Docs",),
        db: bool = True,
        fail_rate: float | None = None,
        fault_kinds: str | None = None,
        seed: int | None = None,
        latency_ms: int | None = None,
        api_keys: tuple[str, ...] = (),
        extra_args: tuple[str, ...] = (),
    ) -> Emulator:
        n = len(started)
        db_path = tmp_path / f"emulator-{n}.sqlite3" if db else None
        args = _build_args(
            help_centers=help_centers,
            db_path=db_path,
            fail_rate=fail_rate,
            fault_kinds=fault_kinds,
            seed=seed,
            latency_ms=latency_ms,
            api_keys=api_keys,
            extra_args=extra_args,
        )
        emulator = Emulator(args, tmp_path / f"emulator-{n}.log", list(help_centers), db_path)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


# One server for the many tests that only need a help center of their own: it is started
# with a batch of empty help centers and each test takes a fresh one. When a batch is used
# up, another server starts with the next batch.
_BATCH = 60


class _SharedEmulators:
    def __init__(self, tmp: Path) -> None:
        self._tmp = tmp
        self._running: list[Emulator] = []
        self._current: Emulator | None = None

    def lease(self) -> Emulator:
        if self._current is None or not self._current.pool:
            self._current = self._start(len(self._running))
            self._running.append(self._current)
        emulator = self._current
        emulator.help_center_id = emulator.help_center_ids[emulator.pool.pop(0)]
        return emulator

    def _start(self, n: int) -> Emulator:
        names = [f"Shared {n}.{i:02d}" for i in range(_BATCH)]
        db_path = self._tmp / f"shared-{n}.sqlite3"
        args = _build_args(
            help_centers=tuple(names),
            db_path=db_path,
            fail_rate=None,
            fault_kinds=None,
            seed=None,
            latency_ms=None,
            api_keys=(),
            extra_args=(),
        )
        emulator = Emulator(args, self._tmp / f"shared-{n}.log", names, db_path, shared=True)
        emulator.pool = names
        return emulator

    def stop(self) -> None:
        for emulator in self._running:
            emulator.stop()


@pytest.fixture(scope="session")
def _shared_emulators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_SharedEmulators]:
    shared = _SharedEmulators(tmp_path_factory.mktemp("shared-emulator"))
    yield shared
    shared.stop()


@pytest.fixture
def emulator(_shared_emulators: _SharedEmulators) -> Emulator:
    """A running emulator whose ``help_center_id`` is a help center no other test used.

    The server is shared between tests, so it cannot be restarted or given fault options;
    use ``emulator_factory`` for that.
    """
    return _shared_emulators.lease()
