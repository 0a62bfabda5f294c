"""The emulator at scale: connections paged in SQL give the same pages as slicing the whole
ordered list did, and what a page or a write costs does not grow with the tables.

Costs are counted, never timed: the SQLite virtual-machine instructions a request runs (a
progress handler called on every instruction), the rows SQLite hands to Python (a counting
row factory), and the query plan of every statement it runs.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from graphql import execute_sync, parse

from publisher.emulator.errors import MutationFailure
from publisher.emulator.files import WorkspaceFiles
from publisher.emulator.graphql_endpoint import load_schema
from publisher.emulator.helpcenter import HelpCenterService
from publisher.emulator.models import Actor, Article
from publisher.emulator.pagination import DEFAULT_PAGE_SIZE, Window, encode_cursor, window
from publisher.emulator.permissions import DEFAULT_PERMISSIONS
from publisher.emulator.resolvers import RequestContext, default_field_resolver
from publisher.emulator.store import Store

ACTOR = Actor("system")
SCHEMA = load_schema()

CONNECTION = """
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  %s(id: $id) {
    %s(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""
HELP_CENTERS = """
query($first: Int, $after: String, $last: Int, $before: String) {
  helpCenters(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
# What the publisher reads, a page at a time (its ArticleFields, less the actor's name).
ARTICLE_PAGE = """
query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  helpCenter(id: $id) {
    articles(first: $first, after: $after, last: $last, before: $before) {
      edges { node { id slug title description icon contentHtml status
                     articleGroup { id } updatedAt { iso8601 }
                     updatedBy { __typename ... on MachineUserActor { machineUserId } } } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""


@dataclass
class HelpCenterData:
    """A filled emulator, in process, and the ids it holds in creation order."""

    store: Store
    service: HelpCenterService
    hc_id: str
    articles: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # every group of the help center
    group_articles: dict[str, list[str]] = field(default_factory=dict)
    parent: str = ""  # a group holding many child groups
    children: list[str] = field(default_factory=list)
    help_centers: list[str] = field(default_factory=list)

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a query as the server does (same schema, resolvers and context)."""
        context = RequestContext(
            service=self.service,
            files=WorkspaceFiles(self.store),
            actor=ACTOR,
            base_url="http://emulator",
            permissions=DEFAULT_PERMISSIONS,
        )
        result = execute_sync(
            SCHEMA,
            parse(query),
            variable_values=variables,
            context_value=context,
            field_resolver=default_field_resolver,
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data


def fill(
    articles: int, *, groups: int = 3, children: int = 0, help_centers: int = 1
) -> HelpCenterData:
    store = Store()
    service = HelpCenterService(store)
    hcs = [service.ensure_help_center(f"Help center {n}").id for n in range(help_centers)]
    data = HelpCenterData(store, service, hcs[0], help_centers=hcs)
    for n in range(groups):
        group = service.create_group(ACTOR, {"helpCenterId": data.hc_id, "name": f"Group {n}"})
        data.groups.append(group.id)
        data.group_articles[group.id] = []
    if children:
        data.parent = service.create_group(ACTOR, {"helpCenterId": data.hc_id, "name": "Parent"}).id
        data.groups.append(data.parent)
        for n in range(children):
            child = service.create_group(
                ACTOR,
                {
                    "helpCenterId": data.hc_id,
                    "name": f"Child {n}",
                    "parentHelpCenterArticleGroupId": data.parent,
                },
            )
            data.children.append(child.id)
            data.groups.append(child.id)
    for n in range(articles):
        # Every fourth article at the top level, the rest spread over the groups.
        group_id = data.groups[n % groups] if groups and n % 4 else None
        data.articles.append(add_article(data, n, group_id).id)
        if group_id is not None:
            data.group_articles[group_id].append(data.articles[-1])
    return data


def add_article(data: HelpCenterData, n: int, group_id: str | None = None) -> Article:
    return data.service.upsert_article(
        ACTOR,
        {
            "helpCenterId": data.hc_id,
            "title": f"Article {n}",
            "slug": f"article-{n}",
            "contentHtml": f"<p>Article {n}</p>",
            "helpCenterArticleGroupId": group_id,
        },
    )


@pytest.fixture(scope="module")
def filled() -> HelpCenterData:
    return fill(300, groups=3, children=40, help_centers=6)


# --- The reference: slicing the whole ordered list, as the emulator always answered -----------


def reference(
    keys: list[str],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
) -> tuple[list[str], bool, bool]:
    """The page (keys), hasPreviousPage and hasNextPage that slicing ``keys`` gives."""
    if first is None and last is None:
        if before is None:
            first = DEFAULT_PAGE_SIZE
        else:
            last = DEFAULT_PAGE_SIZE
    start, end = 0, len(keys)
    if after is not None:
        start = next((i for i, k in enumerate(keys) if k > after), len(keys))
    if before is not None:
        end = next((i for i, k in enumerate(keys) if k >= before), len(keys))
    if first is not None:
        end = min(end, start + first)
    elif last is not None:
        start = max(start, end - last)
    return keys[start:end], start > 0, end < len(keys)


Fetch = Callable[..., dict[str, Any]]


def connections(data: HelpCenterData) -> dict[str, tuple[Fetch, list[str]]]:
    """Every connection the emulator serves: how to read a page, and its items in order."""

    def field_of(root: str, name: str, node_id: str) -> Fetch:
        def fetch(**page: Any) -> dict[str, Any]:
            conn: dict[str, Any] = data.gql(CONNECTION % (root, name), {"id": node_id, **page})[
                root
            ][name]
            return conn

        return fetch

    def help_centers(**page: Any) -> dict[str, Any]:
        conn: dict[str, Any] = data.gql(HELP_CENTERS, page)["helpCenters"]
        return conn

    busiest = data.groups[1]
    return {
        "helpCenter.articles": (field_of("helpCenter", "articles", data.hc_id), data.articles),
        "helpCenter.articleGroups": (
            field_of("helpCenter", "articleGroups", data.hc_id),
            data.groups,
        ),
        "group.articles": (
            field_of("helpCenterArticleGroup", "articles", busiest),
            data.group_articles[busiest],
        ),
        "group.childArticleGroups": (
            field_of("helpCenterArticleGroup", "childArticleGroups", data.parent),
            data.children,
        ),
        "helpCenters": (help_centers, data.help_centers),
    }


def ids_of(conn: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in conn["edges"]]


NAMES = [
    "helpCenter.articles",
    "helpCenter.articleGroups",
    "group.articles",
    "group.childArticleGroups",
    "helpCenters",
]


def test_ids_grow_in_creation_order(filled: HelpCenterData) -> None:
    """The reference orders by id; ids are minted in creation order."""
    for _, (_, keys) in connections(filled).items():
        assert keys == sorted(keys)
        assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [1, 7, 25, 100])
def test_walking_forward_gives_every_item_once_in_order(
    filled: HelpCenterData, name: str, size: int
) -> None:
    fetch, keys = connections(filled)[name]
    seen: list[str] = []
    after: str | None = None
    while True:
        conn = fetch(first=size, after=after)
        assert len(conn["edges"]) <= size
        seen += ids_of(conn)
        info = conn["pageInfo"]
        assert info["hasPreviousPage"] == (after is not None)
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
        assert after == conn["edges"][-1]["cursor"] == encode_cursor(seen[-1])
    assert seen == keys


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("size", [1, 7, 25, 100])
def test_walking_backward_gives_every_item_once_in_order(
    filled: HelpCenterData, name: str, size: int
) -> None:
    fetch, keys = connections(filled)[name]
    seen: list[str] = []
    before: str | None = None
    while True:
        conn = fetch(last=size, before=before)
        assert len(conn["edges"]) <= size
        seen = ids_of(conn) + seen
        info = conn["pageInfo"]
        assert info["hasNextPage"] == (before is not None)
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
        assert before == conn["edges"][0]["cursor"] == encode_cursor(seen[0])
    assert seen == keys


def probe_keys(keys: list[str]) -> list[str]:
    """Cursor keys to try: items' own keys (first, last, a sample), keys between and beyond
    them (as a deleted item's cursor would be), and keys before everything."""
    sample = keys[:: max(1, len(keys) // 7)] + keys[-1:]
    between = [key + "0" for key in sample]
    return ["", "a", "hca_", *sample, *between, "~"]


@pytest.mark.parametrize("name", NAMES)
def test_every_window_matches_slicing_the_whole_list(filled: HelpCenterData, name: str) -> None:
    fetch, keys = connections(filled)[name]
    cases: list[dict[str, Any]] = [{}, {"first": 0}, {"last": 0}, {"first": 3}, {"last": 3}]
    for key in probe_keys(keys):
        cursor = encode_cursor(key)
        for size in (None, 0, 1, 10, 100):
            cases.append({"after": cursor} if size is None else {"first": size, "after": cursor})
            cases.append({"before": cursor} if size is None else {"last": size, "before": cursor})
    for args in cases:
        decoded: dict[str, Any] = {
            arg: (value if arg in ("first", "last") else key_of(value))
            for arg, value in args.items()
        }
        page, has_previous, has_next = reference(keys, **decoded)
        conn = fetch(**args)
        assert ids_of(conn) == page, args
        assert conn["pageInfo"] == {
            "hasPreviousPage": has_previous,
            "hasNextPage": has_next,
            "startCursor": encode_cursor(page[0]) if page else None,
            "endCursor": encode_cursor(page[-1]) if page else None,
        }, args


def key_of(cursor: str) -> str:
    return base64.urlsafe_b64decode(cursor).decode().removeprefix("cursor:")


def test_forward_to_the_middle_then_back_and_forth(filled: HelpCenterData) -> None:
    fetch, keys = connections(filled)["helpCenter.articles"]
    first = fetch(first=100)
    second = fetch(first=50, after=first["pageInfo"]["endCursor"])
    assert ids_of(second) == keys[100:150]
    middle = second["pageInfo"]["startCursor"]  # keys[100]
    back = fetch(last=30, before=middle)
    assert ids_of(back) == keys[70:100]
    assert back["pageInfo"]["hasPreviousPage"] is True
    assert back["pageInfo"]["hasNextPage"] is True
    to_start = fetch(last=100, before=back["pageInfo"]["startCursor"])
    assert ids_of(to_start) == keys[:70]
    assert to_start["pageInfo"]["hasPreviousPage"] is False
    forth = fetch(first=40, after=back["pageInfo"]["endCursor"])
    assert ids_of(forth) == keys[100:140]
    end = fetch(last=5, before=second["pageInfo"]["endCursor"])
    assert ids_of(end) == keys[144:149]


def test_cursors_keep_their_place_across_inserts_and_deletes() -> None:
    data = fill(120, groups=2)
    fetch, _ = connections(data)["helpCenter.articles"]
    first = fetch(first=50)
    cursor = first["pageInfo"]["endCursor"]
    following = ids_of(fetch(first=50, after=cursor))
    preceding = ids_of(fetch(last=20, before=cursor))
    # New articles sort after every existing one: the pages around the cursor stay put.
    added = [add_article(data, 1000 + n).id for n in range(30)]
    assert ids_of(fetch(first=50, after=cursor)) == following
    assert ids_of(fetch(last=20, before=cursor)) == preceding
    # An article with an id sorting before the cursor (as an imported one could) shifts
    # nothing after the cursor; one deleted at the cursor leaves the cursor usable.
    early = data.service.store.article(data.articles[0])
    assert early is not None
    data.store.save_article(
        Article(**{**early.__dict__, "id": "hca_00000000000000000000000000", "slug": "early"})
    )
    data.service.delete_article(ACTOR, data.articles[49])
    assert ids_of(fetch(first=50, after=cursor)) == following
    assert ids_of(fetch(last=20, before=cursor)) == preceding
    rest: list[str] = []
    after = cursor
    while after is not None:
        conn = fetch(first=40, after=after)
        assert conn["pageInfo"]["hasPreviousPage"] is True
        rest += ids_of(conn)
        after = conn["pageInfo"]["endCursor"] if conn["pageInfo"]["hasNextPage"] else None
    assert rest == data.articles[50:] + added


# --- Costs that do not follow the table's size -------------------------------------------------


@dataclass
class Cost:
    instructions: int = 0  # SQLite virtual-machine instructions
    rows: int = 0  # rows SQLite handed to Python
    statements: list[str] = field(default_factory=list)


@contextmanager
def counting(store: Store) -> Iterator[Cost]:
    """Count what the store asks of SQLite while the block runs."""
    cost = Cost()
    db = store._db  # the store's one connection: what every request goes through

    def step() -> int:
        cost.instructions += 1
        return 0  # go on

    def row(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> sqlite3.Row:
        cost.rows += 1
        return sqlite3.Row(cursor, values)

    db.set_progress_handler(step, 1)
    db.set_trace_callback(cost.statements.append)
    db.row_factory = row
    try:
        yield cost
    finally:
        db.set_progress_handler(None, 1)
        db.set_trace_callback(None)
        db.row_factory = sqlite3.Row


@pytest.fixture(scope="module")
def small() -> HelpCenterData:
    return fill(400, groups=3)


@pytest.fixture(scope="module")
def large() -> HelpCenterData:
    return fill(4000, groups=3)


def positions(keys: list[str], size: int) -> dict[str, dict[str, Any]]:
    """A full page of ``size`` at the start, the middle and the end, forward and backward,
    as a connection's arguments."""
    middle = encode_cursor(keys[len(keys) // 2])
    return {
        "first page": {"first": size},
        "forward from the middle": {
            "first": size,
            "after": encode_cursor(keys[len(keys) // 2 - 1]),
        },
        "forward to the end": {"first": size, "after": encode_cursor(keys[-size - 1])},
        "last page": {"last": size},
        "backward from the middle": {"last": size, "before": middle},
        "backward to the start": {"last": size, "before": encode_cursor(keys[size])},
    }


def test_a_page_from_the_store_costs_the_same_in_a_table_ten_times_larger(
    small: HelpCenterData, large: HelpCenterData
) -> None:
    size = 50
    readers: dict[str, Callable[[HelpCenterData, Window], Any]] = {
        "articles": lambda d, w: d.store.articles_page(d.hc_id, w),
        "group articles": lambda d, w: d.store.articles_page(d.hc_id, w, d.groups[1]),
    }
    for reader_name, read in readers.items():
        for where in positions(small.articles, size):
            costs = []
            for data in (small, large):
                keys = (
                    data.articles
                    if reader_name == "articles"
                    else data.group_articles[data.groups[1]]
                )
                asked = window(**positions(keys, size)[where])
                with counting(data.store) as cost:
                    found = read(data, asked)
                costs.append(cost)
                # The page's rows, one to tell whether more lie beyond, one probe behind.
                assert len(found.items) == size
                assert cost.rows <= size + 2, (reader_name, where, cost.rows)
            assert costs[1].instructions <= costs[0].instructions * 1.05, (
                reader_name,
                where,
                costs[0].instructions,
                costs[1].instructions,
            )


def test_a_page_through_graphql_costs_the_same_in_a_table_ten_times_larger(
    small: HelpCenterData, large: HelpCenterData
) -> None:
    def page_cost(data: HelpCenterData, args: dict[str, Any]) -> Cost:
        with counting(data.store) as cost:
            conn = data.gql(ARTICLE_PAGE, {"id": data.hc_id, **args})["helpCenter"]["articles"]
        assert len(conn["edges"]) == 100
        return cost

    for where, small_args in positions(small.articles, 100).items():
        large_args = positions(large.articles, 100)[where]
        few, many = page_cost(small, small_args), page_cost(large, large_args)
        assert many.instructions <= few.instructions * 1.05, (where, few, many)
        assert many.rows <= few.rows, where


def test_every_statement_of_a_page_seeks_an_index(large: HelpCenterData) -> None:
    reads = [
        (
            ARTICLE_PAGE,
            {"id": large.hc_id, "first": 100, "after": encode_cursor(large.articles[900])},
        ),
        (
            ARTICLE_PAGE,
            {"id": large.hc_id, "last": 100, "before": encode_cursor(large.articles[900])},
        ),
        (CONNECTION % ("helpCenter", "articleGroups"), {"id": large.hc_id, "last": 5}),
        (CONNECTION % ("helpCenterArticleGroup", "articles"), {"id": large.groups[2], "first": 20}),
        (
            CONNECTION % ("helpCenterArticleGroup", "childArticleGroups"),
            {"id": large.groups[2], "first": 20},
        ),
        (HELP_CENTERS, {"first": 10, "after": encode_cursor(large.hc_id)}),
    ]
    for query, variables in reads:
        with counting(large.store) as cost:
            large.gql(query, variables)
        assert cost.statements
        for statement in cost.statements:
            assert_seeks(large.store, statement)


def assert_seeks(store: Store, statement: str) -> None:
    plan = [row[3] for row in store._db.execute("EXPLAIN QUERY PLAN " + statement)]
    for step in plan:
        assert not step.startswith("SCAN"), (statement, plan)
        assert "TEMP B-TREE" not in step, (statement, plan)


def test_writes_cost_the_same_in_a_table_ten_times_larger(
    small: HelpCenterData, large: HelpCenterData
) -> None:
    """What a publish does once per article: create, update, move between groups, delete."""

    def write_costs(data: HelpCenterData, n: int) -> list[Cost]:
        costs = []
        with counting(data.store) as cost:
            article = add_article(data, 10_000 + n, data.groups[0])
        costs.append(cost)
        updates: list[dict[str, Any]] = [
            {"title": "Renamed", "helpCenterArticleGroupId": data.groups[0]},  # same group
            {"title": "Moved", "helpCenterArticleGroupId": data.groups[1]},
            {"title": "Top level", "helpCenterArticleGroupId": None},
        ]
        for update in updates:
            with counting(data.store) as cost:
                data.service.upsert_article(
                    ACTOR,
                    {
                        "helpCenterId": data.hc_id,
                        "helpCenterArticleId": article.id,
                        "contentHtml": "<p>Changed</p>",
                        **update,
                    },
                )
            costs.append(cost)
        with counting(data.store) as cost:
            data.service.delete_article(ACTOR, article.id)
        costs.append(cost)
        for c in costs:
            for statement in c.statements:
                if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                    assert_seeks(data.store, statement)
        return costs

    for n, (few, many) in enumerate(zip(write_costs(small, 1), write_costs(large, 2), strict=True)):
        assert many.instructions <= few.instructions * 1.05, (
            n,
            few.instructions,
            many.instructions,
        )
        assert many.rows <= few.rows, n


def test_a_taken_slug_is_found_by_lookup(large: HelpCenterData) -> None:
    with counting(large.store) as cost, pytest.raises(MutationFailure, match="already used"):
        large.service.upsert_article(
            ACTOR,
            {"helpCenterId": large.hc_id, "title": "T", "slug": "article-7", "contentHtml": "x"},
        )
    assert cost.rows <= 3  # the help center and the article holding the slug


# --- Older databases ----------------------------------------------------------------------------


def test_a_database_without_the_indexes_gains_them_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "emulator.sqlite3"
    store = Store(str(path))
    service = HelpCenterService(store)
    hc = service.ensure_help_center("Docs")
    article = service.upsert_article(
        ACTOR, {"helpCenterId": hc.id, "title": "A", "contentHtml": "x"}
    )
    store.close()
    db = sqlite3.connect(path)
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND name != 'workspace_files_cdn_token'"
        )
    ]
    assert len(names) >= 6
    for name in names:
        db.execute(f"DROP INDEX {name}")
    db.commit()
    db.close()

    reopened = Store(str(path))
    try:
        found = reopened.articles_page(hc.id, Window(forward=True, limit=10))
        assert [a.id for a in found.items] == [article.id]
        plan = [
            row[3]
            for row in reopened._db.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM articles WHERE help_center_id = ? AND id > ?"
                " ORDER BY id LIMIT 5",
                (hc.id, ""),
            )
        ]
        assert plan == [
            "SEARCH articles USING INDEX articles_by_help_center (help_center_id=? AND id>?)"
        ]
    finally:
        reopened.close()
    db = sqlite3.connect(path)
    try:
        have = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert set(names) <= have
        assert db.execute("PRAGMA user_version").fetchone() == (2,)
    finally:
        db.close()
