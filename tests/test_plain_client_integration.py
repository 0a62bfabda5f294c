"""PlainClient against the emulator over real HTTP: every operation, every typed error, long
lists, restarts, and each injected fault kind."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from conftest import Emulator, EmulatorFactory

from publisher.plain import (
    PAGE_SIZE,
    ArticleStatus,
    AuthenticationError,
    IndexEntry,
    MutationError,
    NetworkError,
    NotFoundError,
    PlainClient,
    PlainError,
    RateLimitedError,
    RemoteArticle,
    RetryPolicy,
    ServerError,
)

#: Quick retries, so that fault tests spend their time on requests rather than sleeping.
FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.01, max_backoff=0.02, max_total=30)
#: Enough attempts that a 30 % fault rate cannot exhaust them in a seeded run.
PATIENT_RETRY = RetryPolicy(max_attempts=8, initial_backoff=0.01, max_backoff=0.02, max_total=30)


def make_client(emulator: Emulator, retry: RetryPolicy = FAST_RETRY, **kwargs: Any) -> PlainClient:
    return PlainClient(emulator.url, emulator.api_key, retry=retry, timeout=10, **kwargs)


@pytest.fixture
def client(emulator: Emulator) -> Iterator[PlainClient]:
    with make_client(emulator) as plain:
        yield plain


def new_article(
    client: PlainClient,
    help_center_id: str,
    slug: str,
    *,
    group_id: str | None = None,
    status: ArticleStatus = "PUBLISHED",
    title: str | None = None,
) -> RemoteArticle:
    return client.upsert_article(
        help_center_id,
        group_id=group_id,
        title=title or f"Title of {slug}",
        content_html=f"<p>Body of {slug}</p>",
        slug=slug,
        status=status,
    )


def expect_mutation_error(call: Callable[[], object]) -> MutationError:
    with pytest.raises(MutationError) as caught:
        call()
    return caught.value


# --- Reads ------------------------------------------------------------------------------------


def test_list_help_centers_walks_every_page(emulator: Emulator) -> None:
    with make_client(emulator, page_size=7) as client:
        centers = client.list_help_centers()
        assert {hc.public_name: hc.id for hc in centers} == emulator.help_center_ids
        assert len(centers) == len({hc.id for hc in centers})
        pages = math.ceil(len(emulator.help_center_ids) / 7)
        assert client.stats.by_operation() == {"HelpCenters": pages}
    assert all(hc.internal_name for hc in centers)


def test_a_new_help_center_is_empty(client: PlainClient, emulator: Emulator) -> None:
    hc = emulator.help_center_id
    assert client.list_articles(hc) == []
    assert client.list_groups(hc) == []
    index = client.get_index(hc)
    assert index.help_center_id == hc
    assert index.entries == ()
    assert index.hash
    assert client.stats.requests == 3
    assert client.stats.retries == 0


def test_unknown_help_center_is_not_found(client: PlainClient) -> None:
    missing = "hc_01HZZZZZZZZZZZZZZZZZZZZZZZ"
    for read in (client.list_articles, client.list_groups, client.get_index):
        with pytest.raises(NotFoundError):
            read(missing)
    assert client.stats.retries == 0


# --- Articles ---------------------------------------------------------------------------------


def test_article_create_read_update_move_and_delete(
    client: PlainClient, emulator: Emulator
) -> None:
    hc = emulator.help_center_id
    first = client.create_group(hc, name="First", slug="first")
    second = client.create_group(hc, name="Second", slug="second")

    created = client.upsert_article(
        hc,
        group_id=first.id,
        title="Getting started",
        description="How to begin",
        icon="🚀",
        content_html="<p>Hello</p>",
        slug="getting-started",
        status="DRAFT",
    )
    assert (created.slug, created.title, created.status) == (
        "getting-started",
        "Getting started",
        "DRAFT",
    )
    assert (created.description, created.icon, created.group_id) == ("How to begin", "🚀", first.id)
    assert created.content_html == "<p>Hello</p>"
    assert created.updated_at
    assert client.get_article(created.id) == created
    assert client.get_article_by_slug(hc, "getting-started") == created

    updated = client.upsert_article(
        hc,
        article_id=created.id,
        group_id=second.id,
        title="Start here",
        description=None,
        icon=None,
        content_html="<p>Hello again</p>",
        slug="start-here",
        status="PUBLISHED",
    )
    assert updated.id == created.id
    assert (updated.slug, updated.title, updated.status) == (
        "start-here",
        "Start here",
        "PUBLISHED",
    )
    assert (updated.description, updated.icon, updated.group_id) == (None, None, second.id)
    assert updated.content_html == "<p>Hello again</p>"
    assert client.list_articles(hc) == [updated]
    assert client.get_article_by_slug(hc, "getting-started") is None
    assert client.get_article_by_slug(hc, "start-here") == updated
    # The move shows in the index as well: the entry now sits in the second group.
    entry = next(e for e in client.get_index(hc).entries if e.entity_id == created.id)
    assert entry.parent_id == second.id

    back = client.upsert_article(
        hc,
        article_id=created.id,
        group_id=None,
        title="Start here",
        description="Back again",
        icon="📘",
        content_html="<p>Hello again</p>",
        slug="start-here",
        status="DRAFT",
    )
    assert (back.group_id, back.status, back.description, back.icon) == (
        None,
        "DRAFT",
        "Back again",
        "📘",
    )

    assert client.delete_article(created.id) is True
    assert client.get_article(created.id) is None
    assert client.get_article_by_slug(hc, "start-here") is None
    assert client.list_articles(hc) == []
    assert [e.entity_id for e in client.get_index(hc).entries] == [first.id, second.id]
    assert client.delete_article(created.id, missing_ok=True) is False
    error = expect_mutation_error(lambda: client.delete_article(created.id))
    assert error.is_not_found
    assert not error.transient


def test_duplicate_slugs_are_slug_conflicts(client: PlainClient, emulator: Emulator) -> None:
    hc = emulator.help_center_id
    taken = new_article(client, hc, "taken")
    other = new_article(client, hc, "other")

    on_create = expect_mutation_error(lambda: new_article(client, hc, "taken"))
    on_update = expect_mutation_error(
        lambda: client.upsert_article(
            hc,
            article_id=other.id,
            title="Other",
            content_html="<p/>",
            slug="taken",
            status="PUBLISHED",
        )
    )
    client.create_group(hc, name="Guides", slug="guides")
    on_group = expect_mutation_error(
        lambda: client.create_group(hc, name="More guides", slug="guides")
    )
    for error in (on_create, on_update, on_group):
        assert error.is_slug_conflict
        assert not error.is_not_found
        assert not error.transient
        assert error.field_errors("slug")
        assert "slug" in str(error)
    assert on_create.operation == "UpsertHelpCenterArticle"
    assert on_group.operation == "CreateHelpCenterArticleGroup"
    # Nothing changed: one article per slug, the other article kept its own.
    assert Counter(a.slug for a in client.list_articles(hc)) == Counter(["taken", "other"])
    assert client.get_article(taken.id) == taken
    assert client.stats.retries == 0


# --- Groups -----------------------------------------------------------------------------------


def test_group_create_nest_rename_and_delete(client: PlainClient, emulator: Emulator) -> None:
    hc = emulator.help_center_id
    parent = client.create_group(hc, name="Billing", slug="billing")
    child = client.create_group(hc, name="Invoices", slug="invoices", parent_id=parent.id)
    assert (parent.slug, parent.name, parent.parent_id) == ("billing", "Billing", None)
    assert (child.slug, child.name, child.parent_id) == ("invoices", "Invoices", parent.id)
    assert client.get_group(child.id) == child
    assert client.get_group_by_slug(hc, "invoices") == child
    assert {g.id: g for g in client.list_groups(hc)} == {parent.id: parent, child.id: child}
    entries = client.get_index(hc).entries
    assert [(e.type, e.entity_id, e.parent_id) for e in entries] == [
        ("ARTICLE_GROUP", parent.id, None),
        ("ARTICLE_GROUP", child.id, parent.id),
    ]

    renamed = client.update_group(child.id, name="Invoices and receipts")
    assert (renamed.id, renamed.slug, renamed.name) == (
        child.id,
        "invoices",
        "Invoices and receipts",
    )
    assert renamed.parent_id == parent.id
    assert client.get_group(child.id) == renamed

    inside = new_article(client, hc, "pay-an-invoice", group_id=child.id)
    outside = new_article(client, hc, "refunds", group_id=parent.id)
    assert client.delete_group(child.id) is True
    assert client.get_group(child.id) is None
    assert client.get_group_by_slug(hc, "invoices") is None
    # Its article stays, un-grouped, at the top of the index.
    kept = client.get_article(inside.id)
    assert kept is not None
    assert kept.group_id is None
    assert (kept.slug, kept.title, kept.content_html) == (
        inside.slug,
        inside.title,
        inside.content_html,
    )
    assert client.get_article(outside.id) == outside
    assert [(e.entity_id, e.parent_id) for e in client.get_index(hc).entries] == [
        (parent.id, None),
        (inside.id, None),
        (outside.id, parent.id),
    ]

    assert client.delete_group(child.id, missing_ok=True) is False
    assert expect_mutation_error(lambda: client.delete_group(child.id)).is_not_found


def test_deleting_a_parent_group_keeps_its_child_groups(
    client: PlainClient, emulator: Emulator
) -> None:
    hc = emulator.help_center_id
    parent = client.create_group(hc, name="Parent", slug="parent")
    child = client.create_group(hc, name="Child", slug="child", parent_id=parent.id)
    client.delete_group(parent.id)
    [orphan] = client.list_groups(hc)
    assert (orphan.id, orphan.slug, orphan.name, orphan.parent_id) == (
        child.id,
        "child",
        "Child",
        None,
    )
    assert [(e.entity_id, e.parent_id) for e in client.get_index(hc).entries] == [(child.id, None)]


# --- The index --------------------------------------------------------------------------------


def test_update_index_reorders_and_nests(client: PlainClient, emulator: Emulator) -> None:
    hc = emulator.help_center_id
    outer = client.create_group(hc, name="Outer", slug="outer")
    inner = client.create_group(hc, name="Inner", slug="inner")
    a1, a2, a3 = (new_article(client, hc, f"a{n}") for n in (1, 2, 3))
    before = client.get_index(hc)
    assert [e.entity_id for e in before.entries] == [outer.id, inner.id, a1.id, a2.id, a3.id]

    wanted = (
        IndexEntry("ARTICLE", a3.id),
        IndexEntry("ARTICLE_GROUP", outer.id),
        IndexEntry("ARTICLE", a1.id, outer.id),
        IndexEntry("ARTICLE_GROUP", inner.id, outer.id),
        IndexEntry("ARTICLE", a2.id, inner.id),
    )
    after = client.update_index(hc, hash=before.hash, entries=wanted)
    assert after.entries == wanted
    assert after.hash != before.hash
    assert client.get_index(hc) == after
    # Titles and slugs come back for reports.
    assert [(e.title, e.slug) for e in after.entries][:2] == [
        ("Title of a3", "a3"),
        ("Outer", "outer"),
    ]
    # The entities follow the index.
    assert {g.id: g.parent_id for g in client.list_groups(hc)} == {
        outer.id: None,
        inner.id: outer.id,
    }
    assert {a.id: a.group_id for a in client.list_articles(hc)} == {
        a1.id: outer.id,
        a2.id: inner.id,
        a3.id: None,
    }

    # A hash from before the change is stale now: the update is refused and changes nothing.
    stale = expect_mutation_error(
        lambda: client.update_index(hc, hash=before.hash, entries=reversed(wanted))
    )
    assert stale.field_errors("hash")
    assert not stale.is_not_found
    assert not stale.transient
    assert stale.operation == "UpdateHelpCenterIndex"
    assert client.get_index(hc) == after
    assert client.stats.retries == 0


def test_bad_index_entries_are_field_errors(client: PlainClient, emulator: Emulator) -> None:
    hc = emulator.help_center_id
    group = client.create_group(hc, name="Group", slug="group")
    article = new_article(client, hc, "article")
    index = client.get_index(hc)
    missing = "hca_01HZZZZZZZZZZZZZZZZZZZZZZZ"

    error = expect_mutation_error(
        lambda: client.update_index(
            hc,
            hash=index.hash,
            entries=[
                IndexEntry("ARTICLE_GROUP", group.id),
                IndexEntry("ARTICLE", missing),  # no such article
                IndexEntry("ARTICLE", article.id, article.id),  # an article is no parent
            ],
        )
    )
    assert error.type == "VALIDATION"
    by_field = {f.field: f for f in error.fields}
    assert set(by_field) == {"helpCenterIndex[1].entityId", "helpCenterIndex[2].parentId"}
    assert by_field["helpCenterIndex[1].entityId"].type == "NOT_FOUND"
    assert missing in by_field["helpCenterIndex[1].entityId"].message
    assert by_field["helpCenterIndex[2].parentId"].type == "VALIDATION"
    # Every field error is in the message, for the report.
    assert "helpCenterIndex[1].entityId" in str(error)
    assert "helpCenterIndex[2].parentId" in str(error)
    assert client.get_index(hc) == index


# --- Unknown ids ------------------------------------------------------------------------------

UNKNOWN_ARTICLE = "hca_01HZZZZZZZZZZZZZZZZZZZZZZZ"
UNKNOWN_GROUP = "hcag_01HZZZZZZZZZZZZZZZZZZZZZZZ"


@pytest.mark.parametrize(
    ("name", "call"),
    [
        (
            "update unknown article",
            lambda c, hc: c.upsert_article(
                hc,
                article_id=UNKNOWN_ARTICLE,
                title="T",
                content_html="<p/>",
                slug="t",
                status="DRAFT",
            ),
        ),
        (
            "article into unknown group",
            lambda c, hc: c.upsert_article(
                hc, group_id=UNKNOWN_GROUP, title="T", content_html="<p/>", slug="t", status="DRAFT"
            ),
        ),
        ("delete unknown article", lambda c, hc: c.delete_article(UNKNOWN_ARTICLE)),
        ("rename unknown group", lambda c, hc: c.update_group(UNKNOWN_GROUP, name="N")),
        ("delete unknown group", lambda c, hc: c.delete_group(UNKNOWN_GROUP)),
        (
            "group under unknown parent",
            lambda c, hc: c.create_group(hc, name="N", slug="n", parent_id=UNKNOWN_GROUP),
        ),
        (
            "download unknown file",
            lambda c, hc: c.create_download_url("wf_01HZZZZZZZZZZZZZZZZZZZZZZZ"),
        ),
    ],
)
def test_unknown_ids_are_not_found_mutation_errors(
    client: PlainClient,
    emulator: Emulator,
    name: str,
    call: Callable[[PlainClient, str], object],
) -> None:
    error = expect_mutation_error(lambda: call(client, emulator.help_center_id))
    assert error.is_not_found, name
    assert not error.is_slug_conflict
    assert not error.transient
    assert error.fields
    assert client.stats.requests == 1  # not retried
    assert client.list_articles(emulator.help_center_id) == []
    assert client.list_groups(emulator.help_center_id) == []


def test_getters_return_none_for_unknown_ids(client: PlainClient, emulator: Emulator) -> None:
    hc = emulator.help_center_id
    assert client.get_article(UNKNOWN_ARTICLE) is None
    assert client.get_article_by_slug(hc, "nothing-here") is None
    assert client.get_group(UNKNOWN_GROUP) is None
    assert client.get_group_by_slug(hc, "nothing-here") is None


# --- Files ------------------------------------------------------------------------------------


def test_upload_file_then_download_the_same_bytes(client: PlainClient) -> None:
    data = random.Random(5).randbytes(70_000)
    uploaded = client.upload_file("diagram.png", data)
    assert uploaded.file_name == "diagram.png"
    assert uploaded.id.startswith("wf_")
    assert client.stats.by_operation() == {
        "CreateWorkspaceFileUploadUrl": 1,
        "UploadWorkspaceFile": 1,
        "CreateWorkspaceFileDownloadUrl": 1,
    }
    response = httpx.get(uploaded.download_url, timeout=10)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "image/png"
    assert client.create_download_url(uploaded.id) == uploaded.download_url


def test_private_file_needs_its_download_token(client: PlainClient) -> None:
    data = b"%PDF-1.7\n" + bytes(range(256)) * 4
    uploaded = client.upload_file("terms.pdf", data, visibility="PRIVATE")
    response = httpx.get(uploaded.download_url, timeout=10)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-type"] == "application/pdf"
    without_token = uploaded.download_url.split("?", 1)[0]
    assert httpx.get(without_token, timeout=10).status_code == 404


def test_create_upload_url_reserves_a_file(client: PlainClient, emulator: Emulator) -> None:
    target = client.create_upload_url("notes.txt", 5)
    assert target.file_id.startswith("wf_")
    assert target.upload_form_url.startswith(emulator.base_url)
    assert target.expires_at
    form = dict(target.upload_form_data)
    assert form["Content-Type"] == "text/plain"
    assert form["key"].endswith("/notes.txt")
    # Not uploaded yet, so there is nothing to download.
    pending = expect_mutation_error(lambda: client.create_download_url(target.file_id))
    assert pending.field_errors("workspaceFileId")
    assert not pending.is_not_found

    bad_size = expect_mutation_error(lambda: client.create_upload_url("empty.txt", 0))
    assert bad_size.field_errors("fileSizeBytes")


# --- Authentication and limits ----------------------------------------------------------------


def test_wrong_key_is_an_authentication_error_that_hides_the_key(emulator: Emulator) -> None:
    secret = "plainApiKey_wrong_4f9a1c77e2"
    with PlainClient(emulator.url, secret, retry=FAST_RETRY, timeout=10) as client:
        calls: list[Callable[[], object]] = [
            client.list_help_centers,
            lambda: client.get_index(emulator.help_center_id),
            lambda: new_article(client, emulator.help_center_id, "never"),
            lambda: client.upload_file("a.txt", b"abc"),
        ]
        for call in calls:
            with pytest.raises(AuthenticationError) as caught:
                call()
            error = caught.value
            assert error.status_code == 401
            assert not error.transient
            for text in (str(error), repr(error), str(error.args)):
                assert secret not in text
        assert secret not in repr(client)
        assert client.stats.requests == len(calls)  # none retried
        assert client.stats.retries == 0
    with make_client(emulator) as good:
        assert good.list_articles(emulator.help_center_id) == []


def test_page_size_over_100_cannot_be_asked_for() -> None:
    # The client refuses it up front, so the emulator's own limit is out of its reach.
    assert PAGE_SIZE == 100
    with pytest.raises(ValueError, match="page_size"):
        PlainClient("http://127.0.0.1:9/graphql/v1", "key", page_size=PAGE_SIZE + 1)


# --- Long lists -------------------------------------------------------------------------------

MANY = 260


def test_lists_return_every_item_once_past_250(client: PlainClient, emulator: Emulator) -> None:
    hc = emulator.help_center_id
    with ThreadPoolExecutor(max_workers=8) as pool:
        articles = list(
            pool.map(
                lambda n: new_article(client, hc, f"page-{n:03d}", status="DRAFT"), range(MANY)
            )
        )
        groups = list(
            pool.map(
                lambda n: client.create_group(hc, name=f"Group {n}", slug=f"group-{n:03d}"),
                range(MANY),
            )
        )
    assert client.stats.retries == 0
    created = client.stats.by_operation()
    assert created == {"UpsertHelpCenterArticle": MANY, "CreateHelpCenterArticleGroup": MANY}

    listed_articles = client.list_articles(hc)
    listed_groups = client.list_groups(hc)
    assert len(listed_articles) == MANY
    assert {a.id: a for a in listed_articles} == {a.id: a for a in articles}
    assert len(listed_groups) == MANY
    assert {g.id: g for g in listed_groups} == {g.id: g for g in groups}
    pages = math.ceil(MANY / PAGE_SIZE)
    assert client.stats.by_operation() == {
        **created,
        "HelpCenterArticles": pages,
        "HelpCenterArticleGroups": pages,
    }
    assert len(client.get_index(hc).entries) == 2 * MANY


# --- Restarts ---------------------------------------------------------------------------------


def test_state_written_through_the_client_survives_a_restart(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(db=True, help_centers=("Docs", "Internal"))
    hc = emulator.help_center_id
    image = random.Random(9).randbytes(4096)
    with make_client(emulator) as client:
        group = client.create_group(hc, name="Guides", slug="guides")
        nested = client.create_group(hc, name="Deep", slug="deep", parent_id=group.id)
        draft = new_article(client, hc, "draft", status="DRAFT", group_id=nested.id)
        published = client.upsert_article(
            hc,
            title="Welcome",
            description="Start here",
            icon="👋",
            content_html="<p>Welcome</p>",
            slug="welcome",
            status="PUBLISHED",
        )
        index = client.get_index(hc)
        index = client.update_index(
            hc, hash=index.hash, entries=[index.entries[-1], *index.entries[:-1]]
        )
        uploaded = client.upload_file("logo.png", image)
        before = (
            client.list_help_centers(),
            client.list_articles(hc),
            client.list_groups(hc),
            index,
        )
    old_url = emulator.url

    emulator.restart()

    with make_client(emulator) as client:
        after = (
            client.list_help_centers(),
            client.list_articles(hc),
            client.list_groups(hc),
            client.get_index(hc),
        )
        assert after == before
        assert client.get_article_by_slug(hc, "welcome") == published
        assert client.get_article(draft.id) == draft
        assert client.get_group_by_slug(hc, "deep") == nested
        # Writes go on from where they were: the slug is still taken, the hash still valid.
        assert expect_mutation_error(lambda: new_article(client, hc, "welcome")).is_slug_conflict
        client.update_index(hc, hash=index.hash, entries=index.entries[::-1])
        download_url = client.create_download_url(uploaded.id)
    assert download_url.removeprefix(emulator.base_url) == uploaded.download_url.removeprefix(
        old_url.removesuffix("/graphql/v1")
    )
    response = httpx.get(download_url, timeout=10)
    assert (response.status_code, response.content) == (200, image)


# --- Faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "error_type"),
    [
        ("rate_limit", RateLimitedError),
        ("server_error", ServerError),
        ("disconnect", NetworkError),
    ],
)
def test_a_fault_on_every_request_fails_after_max_attempts(
    emulator_factory: EmulatorFactory, kind: str, error_type: type[PlainError]
) -> None:
    emulator = emulator_factory(db=True, fail_rate=1.0, fault_kinds=kind, seed=1)
    hc = emulator.help_center_id
    with make_client(emulator) as client:
        with pytest.raises(error_type) as caught:
            client.get_index(hc)
        assert caught.value.transient
        assert caught.value.operation == "HelpCenterIndex"
        assert client.stats.by_operation() == {"HelpCenterIndex": FAST_RETRY.max_attempts}
        assert client.stats.retries == FAST_RETRY.max_attempts - 1

        with pytest.raises(error_type):
            new_article(client, hc, "refused")
        assert client.stats.by_operation()["UpsertHelpCenterArticle"] == FAST_RETRY.max_attempts

    # These faults strike before the operation runs: the create never happened.
    emulator.restart("--fail-rate", "0")
    with make_client(emulator) as client:
        assert client.list_articles(hc) == []
        assert client.stats.retries == 0


@pytest.mark.parametrize(
    "kinds", ["rate_limit", "server_error", "disconnect", "rate_limit,server_error,disconnect"]
)
def test_a_moderate_fault_rate_is_absorbed_by_retries(
    emulator_factory: EmulatorFactory, kinds: str
) -> None:
    emulator = emulator_factory(db=False, fail_rate=0.3, fault_kinds=kinds, seed=20240601)
    hc = emulator.help_center_id
    with make_client(emulator, retry=PATIENT_RETRY, page_size=3) as client:
        group = client.create_group(hc, name="Faulty", slug="faulty")
        ids = []
        for n in range(12):
            article = new_article(client, hc, f"faulty-{n}", group_id=group.id)
            assert client.get_article(article.id) == article
            ids.append(article.id)
        listed = client.list_articles(hc)  # four pages of three
        index = client.get_index(hc)
        client.update_index(hc, hash=index.hash, entries=index.entries[::-1])
        assert sorted(a.id for a in listed) == sorted(ids)
        assert client.stats.retries > 0
        operations = 1 + 12 * 2 + 4 + 2
        assert client.stats.requests == operations + client.stats.retries


LOST = "lost_response"


def test_a_lost_create_is_retried_into_a_slug_conflict_never_a_duplicate(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(db=False, fail_rate=0.5, fault_kinds=LOST, seed=3)
    hc = emulator.help_center_id
    outcomes: Counter[str] = Counter()
    with make_client(emulator, retry=PATIENT_RETRY) as client:
        for n in range(12):
            slug = f"lost-{n}"
            retries_before = client.stats.retries
            try:
                article = new_article(client, hc, slug)
            except MutationError as error:
                # The first attempt did create it; the retry ran into its own article.
                assert error.is_slug_conflict
                assert client.stats.retries > retries_before
                found = client.get_article_by_slug(hc, slug)
                assert found is not None
                assert found.title == f"Title of {slug}"
                outcomes["conflict"] += 1
            else:
                assert article.slug == slug
                outcomes["created"] += 1
        # Queries are never hit by lost responses, so the reads here are reliable.
        listed = client.list_articles(hc)
        assert Counter(a.slug for a in listed) == Counter(f"lost-{n}" for n in range(12))

        # An index update whose answer is lost did apply, so its retry holds a stale hash.
        for _ in range(6):
            index = client.get_index(hc)
            wanted = index.entries[1:] + index.entries[:1]
            try:
                client.update_index(hc, hash=index.hash, entries=wanted)
            except MutationError as error:
                assert error.field_errors("hash")
                outcomes["stale index"] += 1
            assert client.get_index(hc).entries == wanted

        # A delete whose answer is lost did happen too; with missing_ok the retry says so.
        for article in listed:
            if not client.delete_article(article.id, missing_ok=True):
                outcomes["already deleted"] += 1
        assert client.list_articles(hc) == []
    assert set(outcomes) == {"created", "conflict", "stale index", "already deleted"}, outcomes


def test_lost_responses_on_every_mutation_still_leave_one_article(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(db=True, fail_rate=1.0, fault_kinds=LOST, seed=11)
    hc = emulator.help_center_id
    with make_client(emulator) as client:
        with pytest.raises((NetworkError, ServerError)):
            new_article(client, hc, "only-once")
        assert client.stats.by_operation()["UpsertHelpCenterArticle"] == FAST_RETRY.max_attempts
        found = client.get_article_by_slug(hc, "only-once")
        assert found is not None
        assert [a.id for a in client.list_articles(hc)] == [found.id]

        # Deleting fares the same: done by the first attempt, the retries cannot tell.
        with pytest.raises((NetworkError, ServerError)):
            client.delete_article(found.id, missing_ok=True)
        assert client.get_article(found.id) is None

    # Read back from the same file on a server without faults.
    emulator.restart("--fail-rate", "0")
    with make_client(emulator) as client:
        assert client.list_articles(hc) == []
        assert client.stats.retries == 0
