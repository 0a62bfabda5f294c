"""Reading a large help center: connections read from both ends, the index, groups and
articles side by side, never more than 100 nodes a request, and the key scrubbed from a page
in one look. Rounds are counted by what each request depended on (the cursor it carried), and
overlap by requests waiting for each other, never by time."""

from __future__ import annotations

import json
import math
import random
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Emulator, EmulatorFactory
from content_factory import article, write_tree

from publisher.config import load_settings
from publisher.pipeline import compile_project
from publisher.plain import (
    IndexEntry,
    InvalidResponseError,
    Page,
    PlainClient,
    RetryPolicy,
)
from publisher.plain.pagination import walk_both_ends
from publisher.plain.redact import _FOLDING_TO_ASCII, _one_character, _patterns, redact
from publisher.sync.plan import make_plan
from publisher.sync.publish import PublishOptions, publish
from publisher.sync.state import RemoteState, read_remote

KEY = "plainApiKey_k3Y_Scaled_reads"
URL = "https://plain.test/graphql/v1"
HC = "hc_big"

# --- walk_both_ends against a connection in memory -------------------------------------------


@dataclass
class Connection:
    """N items `i0000…`, Relay-paged; a cursor carries the round of the request that got it."""

    size: int
    honours_last: bool = True
    requests: list[tuple[str, int, int]] = field(default_factory=list)  # (way, count, round)

    def _cursor(self, position: int, round_: int) -> str:
        return f"{position}:{round_}"

    @staticmethod
    def _read(cursor: str | None) -> tuple[int | None, int]:
        if cursor is None:
            return None, 0
        position, round_ = cursor.split(":")
        return int(position), int(round_)

    def forward(self, after: str | None, first: int = 100) -> Page[str]:
        position, round_ = self._read(after)
        self.requests.append(("first", first, round_ + 1))
        start = 0 if position is None else position + 1
        return self._page(start, min(self.size, start + first), round_ + 1)

    def backward(self, before: str | None, last: int = 100) -> Page[str]:
        if not self.honours_last:
            return self.forward(None, last)
        position, round_ = self._read(before)
        self.requests.append(("last", last, round_ + 1))
        end = self.size if position is None else position
        return self._page(max(0, end - last), end, round_ + 1)

    def _page(self, start: int, end: int, round_: int) -> Page[str]:
        return Page(
            tuple(f"i{n:05d}" for n in range(start, end)),
            has_next_page=end < self.size,
            end_cursor=self._cursor(end - 1, round_) if end > start else None,
            has_previous_page=start > 0,
            start_cursor=self._cursor(start, round_) if end > start else None,
        )

    @property
    def rounds(self) -> int:
        return max((r for _, _, r in self.requests), default=0)

    def everything(self) -> list[str]:
        return [f"i{n:05d}" for n in range(self.size)]


def walk(connection: Connection, expected: int | None) -> list[str]:
    return walk_both_ends(
        connection.forward, connection.backward, lambda item: item, expected=expected
    )


SIZES = [0, 1, 99, 100, 101, 150, 199, 200, 201, 250, 299, 300, 301, 399, 400, 401, 500, 600]
SIZES += [700, 999, 1000, 1001, 1100, 10_000]


@pytest.mark.parametrize("size", SIZES)
def test_a_connection_read_from_both_ends_is_read_whole_in_half_the_rounds(size: int) -> None:
    for expected in (size, None, 0, size // 2, size + 250):
        connection = Connection(size)
        assert walk(connection, expected) == connection.everything()
        assert all(count <= 100 for _, count, _ in connection.requests)
        # Whatever the guess: at most two requests beyond one per full page, and about half
        # the rounds of reading forward only.
        assert len(connection.requests) <= size // 100 + 2
        assert connection.rounds <= size // 200 + 2
    # With the content's count right (a no-op publish): one request beyond the pages, and
    # only when the two walks end side by side (nothing overlaps to show they met).
    connection = Connection(size)
    walk(connection, size)
    assert len(connection.requests) <= max(1, math.ceil(size / 100)) + 1
    assert connection.rounds <= max(1, math.ceil(size / 200)) + 1


def test_ten_thousand_articles_take_fifty_one_rounds_and_a_hundred_and_one_requests() -> None:
    connection = Connection(10_000)
    walk(connection, 10_000)
    assert connection.rounds == 51  # forward only: 100
    assert len(connection.requests) == 101
    small = Connection(24)
    walk(small, 24)
    assert small.requests == [("first", 100, 1)]  # a small help center: one request
    page = Connection(100)
    walk(page, 100)
    assert page.requests == [("first", 100, 1)]  # its page says it reached the end


def test_a_server_that_ignores_last_is_read_forward_from_where_the_front_got_to() -> None:
    connection = Connection(1_000, honours_last=False)
    assert walk(connection, 1_000) == connection.everything()


def test_a_walk_that_does_not_advance_is_an_invalid_response() -> None:
    def stuck(cursor: str | None) -> Page[str]:
        return Page(("a",), has_next_page=True, end_cursor="same", has_previous_page=True,
                    start_cursor="same")  # fmt: skip

    def stuck_back(cursor: str | None) -> Page[str]:
        return Page(("z",), has_next_page=False, end_cursor="back", has_previous_page=True,
                    start_cursor="back")  # fmt: skip

    with pytest.raises(InvalidResponseError, match="did not advance"):
        walk_both_ends(stuck, stuck_back, lambda item: item, expected=None)


# --- the client: request shapes, rounds and overlap over HTTP ---------------------------------


class FakePlain:
    """Plain's help-center reads over httpx.MockTransport: `articles` and `articleGroups`
    connections (first/after, last/before) and the index. Records every request's page size,
    the round it belongs to (one more than the round of the cursor it carried) and how many
    requests were in flight at once; `together` makes the first requests wait for each other
    (a client that sent them one after another would never get an answer)."""

    def __init__(self, articles: int, groups: int, together: int = 0) -> None:
        self.articles = [self._article(n, groups) for n in range(articles)]
        self.groups = [{"id": f"g{n:03d}", "slug": f"g{n}", "name": f"G{n}"} for n in range(groups)]
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.sizes: list[int] = []
        self.rounds: dict[str, list[int]] = {}
        self.barrier = threading.Barrier(together, timeout=30) if together else None
        self.waiting = together

    @staticmethod
    def _article(n: int, groups: int) -> dict[str, Any]:
        return {
            "id": f"a{n:05d}",
            "slug": f"article-{n}",
            "title": f"Article {n}",
            "description": None,
            "icon": None,
            "contentHtml": f"<p>Article {n}: it&#x27;s 100% here.</p>",
            "status": "PUBLISHED",
            "articleGroup": {"id": f"g{n % groups:03d}"} if groups and n % 7 else None,
            "updatedAt": {"iso8601": "2026-01-01T00:00:00Z"},
            "updatedBy": {"__typename": "MachineUserActor", "machineUserId": "mu_1"},
        }

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            wait = self.barrier is not None and self.waiting > 0
            self.waiting -= 1
        try:
            if wait:
                assert self.barrier is not None
                self.barrier.wait()  # raises BrokenBarrierError if the others never come
            return httpx.Response(200, json={"data": self.answer(body)})
        finally:
            with self.lock:
                self.in_flight -= 1

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        operation, variables = body["operationName"], body["variables"]
        if operation == "HelpCenterIndex":
            entries = [
                {"type": "ARTICLE", "id": a["id"], "parentId": None, "title": "t", "slug": "s"}
                for a in self.articles
            ]
            return {
                "helpCenterIndex": {
                    "helpCenterId": HC,
                    "hash": "h1",
                    "navIndex": entries,
                    "updatedAt": None,
                    "updatedBy": None,
                }
            }
        field_name, nodes = (
            ("articleGroups", self.groups) if "Groups" in operation else ("articles", self.articles)
        )
        size = variables.get("first") or variables.get("last")
        assert isinstance(size, int) and 1 <= size <= 100
        self.sizes.append(size)
        cursor = variables.get("after") or variables.get("before")
        position, round_ = (None, 0) if cursor is None else map(int, cursor.split(":"))
        self.rounds.setdefault(field_name, []).append(round_ + 1)
        if "first" in variables:
            start = 0 if position is None else position + 1
            end = min(len(nodes), start + size)
        else:
            end = len(nodes) if position is None else position
            start = max(0, end - size)
        edges = [{"node": node} for node in nodes[start:end]]
        page_info = {
            "hasNextPage": end < len(nodes),
            "hasPreviousPage": start > 0,
            "endCursor": f"{end - 1}:{round_ + 1}" if edges else None,
            "startCursor": f"{start}:{round_ + 1}" if edges else None,
        }
        return {"helpCenter": {"id": HC, field_name: {"edges": edges, "pageInfo": page_info}}}


def client_for(fake: FakePlain, concurrency: int = 8) -> PlainClient:
    return PlainClient(
        URL, KEY, transport=fake.transport(), concurrency=concurrency, retry=RetryPolicy.disabled()
    )


def test_the_index_groups_and_both_ends_of_the_articles_are_asked_for_together() -> None:
    # The first four requests each wait until all four have arrived: sent one by one, the
    # first would wait for ever (the barrier gives up after 30 s and the read fails).
    fake = FakePlain(articles=1_000, groups=10, together=4)
    with client_for(fake) as client:
        articles, groups, index = client.read_help_center(
            HC, expected_articles=1_000, expected_groups=10
        )
    assert [a.id for a in articles] == [a["id"] for a in fake.articles]
    assert [g.id for g in groups] == [g["id"] for g in fake.groups]
    assert len(index.entries) == 1_000
    assert fake.most_in_flight >= 4


@pytest.mark.parametrize(("articles", "rounds", "requests"), [(24, 1, 1), (1_000, 6, 11),
                                                              (2_345, 12, 24)])  # fmt: skip
def test_rounds_and_requests_of_a_no_op_read(articles: int, rounds: int, requests: int) -> None:
    fake = FakePlain(articles=articles, groups=3)
    with client_for(fake) as client:
        read = client.read_help_center(HC, expected_articles=articles, expected_groups=3)
        ops = client.stats.by_operation()
    assert [a.id for a in read[0]] == [a["id"] for a in fake.articles]
    assert (
        max(fake.rounds["articles"])
        == rounds
        == max(1, math.ceil(articles / 200)) + (articles % 200 == 0)
    )
    article_requests = ops.get("HelpCenterArticles", 0) + ops.get("HelpCenterArticlesFromEnd", 0)
    assert article_requests == requests <= math.ceil(articles / 100) + 1
    assert ops["HelpCenterArticleGroups"] == 1 and "HelpCenterArticleGroupsFromEnd" not in ops
    assert ops["HelpCenterIndex"] == 1
    assert max(fake.sizes) <= 100


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_no_more_requests_in_flight_than_the_concurrency_setting(concurrency: int) -> None:
    fake = FakePlain(articles=1_234, groups=150)
    with client_for(fake, concurrency) as client:
        articles, groups, _ = client.read_help_center(HC)
    assert fake.most_in_flight <= concurrency
    assert len(articles) == 1_234 and len(groups) == 150
    assert len({a.id for a in articles}) == 1_234


def test_a_failure_in_one_walk_is_raised_as_it_is() -> None:
    fake = FakePlain(articles=500, groups=3)
    answer = fake.answer

    def failing(body: dict[str, Any]) -> dict[str, Any]:
        if body["operationName"] == "HelpCenterArticleGroups":
            return {"helpCenter": None}
        return answer(body)

    fake.answer = failing  # type: ignore[method-assign]
    with client_for(fake) as client, pytest.raises(Exception, match="not found") as info:
        client.read_help_center(HC, expected_articles=500)
    assert info.value.__class__.__name__ == "NotFoundError"


# --- the key in a page: one look at every string ---------------------------------------------


def old_redact(text: str, key: str, replacement: str) -> str:
    """What redaction did before the escape check: the character-by-character pattern for
    any text with an escape in it."""
    spelled, everything, literals = _patterns(key)
    lowered = text.lower()
    if any(literal in lowered for literal in literals):
        return everything.sub(replacement, text)
    if "\\" in text or "%" in text or "&#" in text:
        return spelled.sub(replacement, text)
    return text


def spellings(char: str) -> list[str]:
    """Every way `_one_character` lets `char` be written (from its pattern's alternatives)."""
    found = []
    for alternative in _one_character(char)[3:-1].split("|"):
        text = re.sub(r"\\(.)", r"\1", alternative.replace("0*", "00"))
        found.append(text)
    return found


NOISE = ["<p>", "it&#x27;s", "100%", "&amp;", "\\n", "&#39;", "%20", "\\\\", "ſ", "K", "ı", "İ",
         "é", " ", "\x00", "plain", "ApiKey", "&#x", "%", "&#", "\\u00", "\\x4"]  # fmt: skip


def test_redaction_with_the_escape_check_removes_what_it_removed_before() -> None:
    rng = random.Random(16)
    for key in (KEY, "plainApiKey_local_emulator", "plainApiKey_with%and&and\\x"):
        for _ in range(1_500):
            parts = [rng.choice(NOISE) for _ in range(rng.randint(0, 6))]
            if rng.random() < 0.6:  # the key, some characters escaped, in some case
                spelled = "".join(
                    rng.choice(spellings(c)) if rng.random() < 0.15 else rng.choice([c, c.upper()])
                    for c in key
                )
                if rng.random() < 0.3:
                    spelled = spelled.replace("s", "ſ").replace("k", "K").replace("i", "ı")
                parts.insert(rng.randint(0, len(parts)), spelled)
            text = "".join(parts)
            assert redact(text, key, "[r]") == old_redact(text, key, "[r]"), text


def test_only_the_listed_characters_beyond_ascii_match_an_ascii_one_ignoring_case() -> None:
    printable = re.compile("[" + re.escape("".join(map(chr, range(32, 127)))) + "]", re.I)
    folding = [chr(c) for c in range(128, sys.maxunicode + 1) if printable.fullmatch(chr(c))]
    assert sorted(folding) == sorted(_FOLDING_TO_ASCII)
    lowering_to_ascii = [
        chr(c) for c in range(128, sys.maxunicode + 1) if any(ord(x) < 128 for x in chr(c).lower())
    ]
    assert set(lowering_to_ascii) <= set(_FOLDING_TO_ASCII)


def test_a_page_is_scrubbed_in_one_look_and_kept_as_it_is_when_clean() -> None:
    with PlainClient(URL, KEY) as client:
        clean = {"a": [{"contentHtml": "<p>it&#x27;s 100%</p>"}] * 50, "b": None}
        assert client._scrub_json(clean) is clean
        hidden = {"a": [{"x": 1}, {"y": ["ok", "see " + KEY.upper()]}], "k" + KEY: "v"}
        scrubbed = json.dumps(client._scrub_json(hidden))
        assert KEY.lower() not in scrubbed.lower() and scrubbed.count("[redacted]") == 2
        escaped = {"html": "".join(f"\\u{ord(c):04x}" for c in KEY)}
        assert client._scrub_json(escaped) == {"html": "[redacted]"}


def test_a_page_with_the_key_in_it_never_reaches_the_models() -> None:
    fake = FakePlain(articles=300, groups=2)
    fake.articles[150]["contentHtml"] = f"<p>{KEY}</p>"
    fake.articles[151]["title"] = KEY.lower()
    with client_for(fake) as client:
        articles, _, _ = client.read_help_center(HC, expected_articles=300)
    assert "[redacted]" in articles[150].content_html and KEY not in articles[150].content_html
    assert articles[151].title == "[redacted]"


# --- the same plan as reading forward only, against the emulator -----------------------------

PERSON_KEY = "plainApiKey_person_scaled"


@pytest.fixture
def person_emulator(emulator_factory: EmulatorFactory) -> Emulator:
    return emulator_factory(extra_args=("--person-key", f"{PERSON_KEY}=Ada Lovelace"))


def big_project(root: Path, articles: int) -> Path:
    files: dict[str, str] = {}
    for n in range(articles):
        folder = ("01-guides/", "02-billing/", "")[n % 3]
        files[f"{folder}{n:03d}-page-{n}.md"] = article(f"Page {n}", body=f"Text {n}.")
    files["01-guides/050-more.heading.yml"] = "title: More\n"
    write_tree(root, files)
    (root / "publisher.toml").write_text('content = "content"\n', encoding="utf-8")
    return root


def forward_only(client: PlainClient, hc: str) -> RemoteState:
    return RemoteState(hc, client.list_articles(hc), client.list_groups(hc), client.get_index(hc))


def test_both_ends_plan_what_forward_only_plans(tmp_path: Path, person_emulator: Emulator) -> None:
    emulator = person_emulator
    hc = emulator.help_center_id
    root = big_project(tmp_path, 40)
    settings = load_settings(root)
    site = compile_project(settings, use_cache=False, workers=1).site
    with PlainClient(emulator.url, emulator.api_key) as client:
        publish(client, site, hc, PublishOptions(backups_dir=tmp_path / "backups"))
        # Plain's side moves on: orphans outside the sidebar (one grouped, one not), an
        # article edited by a person, a heading made in the app.
        group_id = client.list_groups(hc)[0].id
        for n, group in ((1, group_id), (2, None)):
            client.upsert_article(
                hc, title=f"Orphan {n}", content_html="<p>o</p>", slug=f"orphan-{n}",
                group_id=group, status="PUBLISHED",
            )  # fmt: skip
        edited = client.list_articles(hc)[7]
        emulator.post(
            "mutation($input: UpsertHelpCenterArticleInput!) { upsertHelpCenterArticle("
            "input: $input) { error { message } } }",
            {"input": {"helpCenterId": hc, "helpCenterArticleId": edited.id,
                       "helpCenterArticleGroupId": edited.group_id, "title": edited.title,
                       "slug": edited.slug, "status": edited.status,
                       "contentHtml": "<p>Changed in the app.</p>"}},
            api_key=PERSON_KEY,
        )  # fmt: skip
        index = client.get_index(hc)
        entries = [IndexEntry("HEADING", "app_heading", None, "From the app"), *index.entries]
        client.update_index(hc, hash=index.hash, entries=entries)
    # The content changes too: one article fewer, one new.
    (root / "content/01-guides/000-page-0.md").unlink()
    write_tree(root, {"999-new.md": article("New", body="New.")})
    site = compile_project(settings, use_cache=False, workers=1).site

    with PlainClient(emulator.url, emulator.api_key) as client:
        before = forward_only(client, hc)
    with PlainClient(emulator.url, emulator.api_key, page_size=3, concurrency=3) as client:
        now = read_remote(client, hc, expected_articles=len(site.content.articles))
    assert [a.id for a in now.articles] == [a.id for a in before.articles]
    assert now.articles == before.articles and now.groups == before.groups
    assert now.index == before.index
    planned_before, planned_now = make_plan(site, before, {}), make_plan(site, now, {})
    assert planned_now.to_json() == planned_before.to_json()
    summary = planned_now.to_json()
    assert {a["slug"] for a in summary["orphans"]["articles"]} == {"orphan-1", "orphan-2", "page-0"}
    assert [h["title"] for h in summary["orphans"]["headings"]] == ["From the app"]
    assert any(a["action"] == "update" and a["id"] == edited.id for a in summary["articles"])
