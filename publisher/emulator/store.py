"""The emulator's state in SQLite: one connection, one lock, one transaction per write."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from publisher.emulator.models import (
    Actor,
    Article,
    ArticleGroup,
    HelpCenter,
    IndexEntry,
    IndexMeta,
    MachineUser,
    NavItem,
    Timestamp,
    WorkspaceFile,
)
from publisher.emulator.pagination import Slice, Window

T = TypeVar("T")

# 2: index entries carry a title (HEADING labels); workspace files an opaque CDN token.
# Indexes are not versioned: `CREATE INDEX IF NOT EXISTS` adds any that an older database
# lacks when it opens, and an older emulator reads a database that has more of them.
_SCHEMA_VERSION = 2

_DDL = """
CREATE TABLE IF NOT EXISTS machine_users (
    id TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    api_key TEXT PRIMARY KEY,
    machine_user_id TEXT NOT NULL REFERENCES machine_users(id)
);
-- Keys that act as a person in Plain's app (a UserActor), for tests and demos of hand edits.
CREATE TABLE IF NOT EXISTS person_keys (
    api_key TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE,
    full_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS help_centers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    subdomain TEXT NOT NULL,
    type TEXT NOT NULL,
    description TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    index_revision INTEGER NOT NULL DEFAULT 0,
    index_updated_at INTEGER NOT NULL,
    index_updated_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS article_groups (
    id TEXT PRIMARY KEY,
    help_center_id TEXT NOT NULL REFERENCES help_centers(id),
    parent_id TEXT REFERENCES article_groups(id),
    name TEXT NOT NULL,
    slug TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (help_center_id, slug)
);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    help_center_id TEXT NOT NULL REFERENCES help_centers(id),
    group_id TEXT REFERENCES article_groups(id),
    title TEXT NOT NULL,
    description TEXT,
    icon TEXT,
    content_html TEXT NOT NULL,
    slug TEXT NOT NULL,
    status TEXT NOT NULL,
    status_changed_at INTEGER NOT NULL,
    status_changed_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (help_center_id, slug)
);
CREATE TABLE IF NOT EXISTS index_entries (
    help_center_id TEXT NOT NULL REFERENCES help_centers(id),
    position INTEGER NOT NULL,
    type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    parent_id TEXT,
    title TEXT,
    PRIMARY KEY (help_center_id, entity_id)
);
CREATE TABLE IF NOT EXISTS workspace_files (
    id TEXT PRIMARY KEY,
    file_name TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    mime_type TEXT NOT NULL,
    visibility TEXT NOT NULL,
    upload_token TEXT NOT NULL,
    download_token TEXT NOT NULL,
    cdn_token TEXT,
    upload_expires_at INTEGER NOT NULL,
    content BLOB,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS workspace_files_cdn_token ON workspace_files (cdn_token);
-- What connections filter and page by (the slug lookups use the UNIQUE constraints' own
-- indexes). The group and parent indexes also keep the foreign-key checks of a group's
-- deletion from scanning every article and group.
CREATE INDEX IF NOT EXISTS articles_by_help_center ON articles (help_center_id, id);
CREATE INDEX IF NOT EXISTS articles_by_group ON articles (group_id, id);
CREATE INDEX IF NOT EXISTS article_groups_by_help_center ON article_groups (help_center_id, id);
CREATE INDEX IF NOT EXISTS article_groups_by_parent ON article_groups (parent_id, id);
CREATE INDEX IF NOT EXISTS index_entries_by_position ON index_entries (help_center_id, position);
CREATE INDEX IF NOT EXISTS index_entries_by_parent ON index_entries (help_center_id, parent_id);
"""

# Columns added since version 1, for databases written by an older emulator.
_ADDED_COLUMNS = (("index_entries", "title", "TEXT"), ("workspace_files", "cdn_token", "TEXT"))


def _ts(value: int) -> Timestamp:
    return Timestamp(value)


def _audit(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "created_at": _ts(row["created_at"]),
        "created_by": Actor(row["created_by"]),
        "updated_at": _ts(row["updated_at"]),
        "updated_by": Actor(row["updated_by"]),
    }


def _help_center(row: sqlite3.Row) -> HelpCenter:
    return HelpCenter(
        id=row["id"],
        public_name=row["name"],
        internal_name=row["name"],
        description=row["description"],
        type=row["type"],
        subdomain=row["subdomain"],
        **_audit(row),
    )


def _article(row: sqlite3.Row) -> Article:
    return Article(
        id=row["id"],
        help_center_id=row["help_center_id"],
        group_id=row["group_id"],
        title=row["title"],
        description=row["description"],
        icon=row["icon"],
        content_html=row["content_html"],
        slug=row["slug"],
        status=row["status"],
        status_changed_at=_ts(row["status_changed_at"]),
        status_changed_by=Actor(row["status_changed_by"]),
        **_audit(row),
    )


def _group(row: sqlite3.Row) -> ArticleGroup:
    return ArticleGroup(
        id=row["id"],
        help_center_id=row["help_center_id"],
        parent_id=row["parent_id"],
        name=row["name"],
        slug=row["slug"],
        **_audit(row),
    )


def _workspace_file(row: sqlite3.Row) -> WorkspaceFile:
    return WorkspaceFile(
        id=row["id"],
        file_name=row["file_name"],
        size_bytes=row["size_bytes"],
        file_mime_type=row["mime_type"],
        visibility=row["visibility"],
        upload_token=row["upload_token"],
        download_token=row["download_token"],
        cdn_token=row["cdn_token"],
        upload_expires_at=_ts(row["upload_expires_at"]),
        uploaded=bool(row["uploaded"]),
        **_audit(row),
    )


class Store:
    """Rows in, records out. Business rules live in the service, not here."""

    def __init__(self, path: str | None = None) -> None:
        # The server's event loop and an in-process test may use the store from
        # different threads; the lock keeps every statement and transaction whole.
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = ON")
        if path:
            # Survive restarts, not power cuts: an emulator need not fsync every commit.
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        with self.transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, 1, _SCHEMA_VERSION):
                raise RuntimeError(f"unsupported emulator database version {version}")
            if version == 1:
                self._migrate_from_1()
            for statement in _DDL.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def _migrate_from_1(self) -> None:
        for table, column, kind in _ADDED_COLUMNS:
            have = {row["name"] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in have:
                self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        rows = self._db.execute("SELECT id FROM workspace_files WHERE cdn_token IS NULL")
        for row in rows.fetchall():
            self._db.execute(
                "UPDATE workspace_files SET cdn_token = ? WHERE id = ?",
                (secrets.token_urlsafe(24), row["id"]),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._db.in_transaction:  # nested: the outer transaction decides
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Several reads that must see one state: no write (each holds the lock for its
        whole transaction) lands between them. Queries run in worker threads."""
        with self._lock:
            yield

    def _one(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, tuple(params)).fetchone()
            return row

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, tuple(params)).fetchall())

    def _run(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, tuple(params)).rowcount

    def _page(
        self,
        table: str,
        where: str,
        params: tuple[Any, ...],
        window: Window,
        record: Callable[[sqlite3.Row], T],
    ) -> Slice[T]:
        """The rows of ``table`` matching ``where`` that ``window`` asks for, in id order.

        Keyset pagination: one range seek on an index that begins with the filtered columns
        and ends with ``id``, reading at most ``limit + 1`` rows (the extra one says whether
        more lie beyond), and one probe on the far side of the cursor for the other flag.
        """
        limit = window.limit
        with self._lock:
            if window.forward:
                cursor, seek, order, behind = window.after, "id > ?", "ASC", "id <= ?"
            else:
                cursor, seek, order, behind = window.before, "id < ?", "DESC", "id >= ?"
            bounded = where if cursor is None else f"{where} AND {seek}"
            bound = params if cursor is None else (*params, cursor)
            rows = self._db.execute(
                f"SELECT * FROM {table} WHERE {bounded} ORDER BY id {order} LIMIT ?",
                (*bound, limit + 1),
            ).fetchall()
            more = len(rows) > limit
            items = [record(row) for row in rows[:limit]]
            # The flag for the side the page does not read: is any row at the cursor or
            # behind it (a forward page after a cursor has a previous page whenever a row
            # sits at or before that cursor, whether or not the cursor's own row is gone)?
            beyond = cursor is not None and (
                self._db.execute(
                    f"SELECT 1 FROM {table} WHERE {where} AND {behind} LIMIT 1",
                    (*params, cursor),
                ).fetchone()
                is not None
            )
        if window.forward:
            return Slice(items, has_previous=beyond, has_next=more)
        items.reverse()
        return Slice(items, has_previous=more, has_next=beyond)

    # --- API keys and machine users -----------------------------------------------------

    def add_machine_user(self, user_id: str, full_name: str, now: int) -> None:
        self._run(
            "INSERT INTO machine_users (id, full_name, created_at) VALUES (?, ?, ?)",
            (user_id, full_name, now),
        )

    def add_api_key(self, api_key: str, machine_user_id: str) -> None:
        self._run(
            "INSERT INTO api_keys (api_key, machine_user_id) VALUES (?, ?)",
            (api_key, machine_user_id),
        )

    def add_person_key(self, api_key: str, user_id: str, full_name: str) -> None:
        self._run(
            "INSERT INTO person_keys (api_key, user_id, full_name) VALUES (?, ?, ?) "
            "ON CONFLICT (api_key) DO UPDATE SET full_name = excluded.full_name",
            (api_key, user_id, full_name),
        )

    def person_for_key(self, api_key: str) -> str | None:
        row = self._one("SELECT user_id FROM person_keys WHERE api_key = ?", (api_key,))
        return None if row is None else str(row[0])

    def person_name(self, user_id: str) -> str | None:
        row = self._one("SELECT full_name FROM person_keys WHERE user_id = ?", (user_id,))
        return None if row is None else str(row[0])

    def machine_user_for_key(self, api_key: str) -> str | None:
        row = self._one("SELECT machine_user_id FROM api_keys WHERE api_key = ?", (api_key,))
        return None if row is None else str(row[0])

    def machine_user(self, user_id: str) -> MachineUser | None:
        row = self._one("SELECT * FROM machine_users WHERE id = ?", (user_id,))
        if row is None:
            return None
        created = _ts(row["created_at"])
        return MachineUser(
            id=row["id"],
            full_name=row["full_name"],
            public_name=row["full_name"],
            created_at=created,
            created_by=Actor("system"),
            updated_at=created,
            updated_by=Actor("system"),
        )

    # --- Help centers -------------------------------------------------------------------

    def add_help_center(
        self, hc_id: str, name: str, subdomain: str, actor: str, now: int
    ) -> HelpCenter:
        self._run(
            "INSERT INTO help_centers (id, name, subdomain, type, description, created_at,"
            " created_by, updated_at, updated_by, index_updated_at, index_updated_by)"
            " VALUES (?, ?, ?, 'PUBLIC', NULL, ?, ?, ?, ?, ?, ?)",
            (hc_id, name, subdomain, now, actor, now, actor, now, actor),
        )
        found = self.help_center(hc_id)
        assert found is not None
        return found

    def help_center(self, hc_id: str) -> HelpCenter | None:
        row = self._one("SELECT * FROM help_centers WHERE id = ?", (hc_id,))
        return None if row is None else _help_center(row)

    def help_center_named(self, name: str) -> HelpCenter | None:
        row = self._one("SELECT * FROM help_centers WHERE name = ?", (name,))
        return None if row is None else _help_center(row)

    def help_centers(self) -> list[HelpCenter]:
        return [_help_center(r) for r in self._all("SELECT * FROM help_centers ORDER BY id")]

    def help_centers_page(self, window: Window) -> Slice[HelpCenter]:
        return self._page("help_centers", "1", (), window, _help_center)

    # --- Articles -----------------------------------------------------------------------

    def article(self, article_id: str) -> Article | None:
        row = self._one("SELECT * FROM articles WHERE id = ?", (article_id,))
        return None if row is None else _article(row)

    def is_article_or_group(self, entity_id: str) -> bool:
        """Whether any help center has an article or a group with this id."""
        row = self._one(
            "SELECT EXISTS (SELECT 1 FROM articles WHERE id = ?)"
            " OR EXISTS (SELECT 1 FROM article_groups WHERE id = ?)",
            (entity_id, entity_id),
        )
        return row is not None and bool(row[0])

    def article_by_slug(self, hc_id: str, slug: str) -> Article | None:
        row = self._one(
            "SELECT * FROM articles WHERE help_center_id = ? AND slug = ?", (hc_id, slug)
        )
        return None if row is None else _article(row)

    def articles_page(
        self, hc_id: str, window: Window, group_id: str | None = None
    ) -> Slice[Article]:
        """A help center's articles, or a group's direct articles, in id order."""
        if group_id is None:
            return self._page("articles", "help_center_id = ?", (hc_id,), window, _article)
        return self._page(
            "articles", "group_id = ? AND help_center_id = ?", (group_id, hc_id), window, _article
        )

    def article_ids(self, hc_id: str) -> set[str]:
        rows = self._all("SELECT id FROM articles WHERE help_center_id = ?", (hc_id,))
        return {row[0] for row in rows}

    def set_article_group(
        self, article_id: str, group_id: str | None, actor: str, now: int
    ) -> None:
        """Move an article to ``group_id`` (None: the top level), unless it is there already."""
        self._run(
            "UPDATE articles SET group_id = ?, updated_at = ?, updated_by = ?"
            " WHERE id = ? AND group_id IS NOT ?",
            (group_id, now, actor, article_id, group_id),
        )

    def save_article(self, article: Article) -> None:
        self._run(
            "INSERT OR REPLACE INTO articles (id, help_center_id, group_id, title, description,"
            " icon, content_html, slug, status, status_changed_at, status_changed_by,"
            " created_at, created_by, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                article.id,
                article.help_center_id,
                article.group_id,
                article.title,
                article.description,
                article.icon,
                article.content_html,
                article.slug,
                article.status,
                article.status_changed_at.millis,
                article.status_changed_by.id,
                article.created_at.millis,
                article.created_by.id,
                article.updated_at.millis,
                article.updated_by.id,
            ),
        )

    def delete_article(self, article_id: str) -> None:
        self._run("DELETE FROM articles WHERE id = ?", (article_id,))

    def ungroup_articles(self, group_id: str, actor: str, now: int) -> None:
        self._run(
            "UPDATE articles SET group_id = NULL, updated_at = ?, updated_by = ?"
            " WHERE group_id = ?",
            (now, actor, group_id),
        )

    # --- Article groups -----------------------------------------------------------------

    def group(self, group_id: str) -> ArticleGroup | None:
        row = self._one("SELECT * FROM article_groups WHERE id = ?", (group_id,))
        return None if row is None else _group(row)

    def group_by_slug(self, hc_id: str, slug: str) -> ArticleGroup | None:
        row = self._one(
            "SELECT * FROM article_groups WHERE help_center_id = ? AND slug = ?", (hc_id, slug)
        )
        return None if row is None else _group(row)

    def groups_page(self, hc_id: str, window: Window) -> Slice[ArticleGroup]:
        return self._page("article_groups", "help_center_id = ?", (hc_id,), window, _group)

    def child_groups_page(self, group_id: str, window: Window) -> Slice[ArticleGroup]:
        return self._page("article_groups", "parent_id = ?", (group_id,), window, _group)

    def group_ids(self, hc_id: str) -> set[str]:
        rows = self._all("SELECT id FROM article_groups WHERE help_center_id = ?", (hc_id,))
        return {row[0] for row in rows}

    def set_group_parent(self, group_id: str, parent_id: str | None, actor: str, now: int) -> None:
        """Move a group under ``parent_id`` (None: the top level), unless it is there already."""
        self._run(
            "UPDATE article_groups SET parent_id = ?, updated_at = ?, updated_by = ?"
            " WHERE id = ? AND parent_id IS NOT ?",
            (parent_id, now, actor, group_id, parent_id),
        )

    def save_group(self, group: ArticleGroup) -> None:
        self._run(
            "INSERT OR REPLACE INTO article_groups (id, help_center_id, parent_id, name, slug,"
            " created_at, created_by, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                group.id,
                group.help_center_id,
                group.parent_id,
                group.name,
                group.slug,
                group.created_at.millis,
                group.created_by.id,
                group.updated_at.millis,
                group.updated_by.id,
            ),
        )

    def delete_group(self, group_id: str) -> None:
        self._run("DELETE FROM article_groups WHERE id = ?", (group_id,))

    def orphan_child_groups(self, group_id: str, actor: str, now: int) -> None:
        self._run(
            "UPDATE article_groups SET parent_id = NULL, updated_at = ?, updated_by = ?"
            " WHERE parent_id = ?",
            (now, actor, group_id),
        )

    # --- The navigation index -----------------------------------------------------------

    def index_entries(self, hc_id: str) -> list[IndexEntry]:
        rows = self._all(
            "SELECT type, entity_id, parent_id, title FROM index_entries"
            " WHERE help_center_id = ? ORDER BY position",
            (hc_id,),
        )
        return [IndexEntry(r["type"], r["entity_id"], r["parent_id"], r["title"]) for r in rows]

    def replace_index_entries(self, hc_id: str, entries: list[IndexEntry]) -> None:
        self._run("DELETE FROM index_entries WHERE help_center_id = ?", (hc_id,))
        with self._lock:
            self._db.executemany(
                "INSERT INTO index_entries"
                " (help_center_id, position, type, entity_id, parent_id, title)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (hc_id, position, e.type, e.entity_id, e.parent_id, e.title)
                    for position, e in enumerate(entries)
                ],
            )

    def nav_items(self, hc_id: str) -> list[NavItem]:
        """The index in order, each entry joined with what the navigation shows of its
        article or group (never the article's HTML). An entry whose article or group is not
        in this help center is left out; a label (a HEADING) exists only in the index."""
        rows = self._all(
            "SELECT COALESCE(CASE WHEN a.id IS NOT NULL THEN 'ARTICLE'"
            " WHEN g.id IS NOT NULL THEN 'ARTICLE_GROUP' END, e.type) AS type,"
            " e.entity_id, COALESCE(a.title, g.name, e.title, '') AS title,"
            " COALESCE(a.slug, g.slug, '') AS slug, e.parent_id, a.status, a.description, a.icon"
            " FROM index_entries AS e"
            " LEFT JOIN articles AS a ON e.type = 'ARTICLE' AND a.id = e.entity_id"
            " AND a.help_center_id = e.help_center_id"
            " LEFT JOIN article_groups AS g ON e.type = 'ARTICLE_GROUP' AND g.id = e.entity_id"
            " AND g.help_center_id = e.help_center_id"
            " WHERE e.help_center_id = ?"
            " AND (a.id IS NOT NULL OR g.id IS NOT NULL"
            " OR e.type NOT IN ('ARTICLE', 'ARTICLE_GROUP'))"
            " ORDER BY e.position",
            (hc_id,),
        )
        return [NavItem(*row) for row in rows]

    def set_index_parent(self, hc_id: str, entity_id: str, parent_id: str | None) -> None:
        self._run(
            "UPDATE index_entries SET parent_id = ? WHERE help_center_id = ? AND entity_id = ?",
            (parent_id, hc_id, entity_id),
        )

    def remove_index_entry(self, hc_id: str, entity_id: str) -> None:
        """Drop one entry; the others keep their order (positions need not be contiguous)."""
        self._run(
            "DELETE FROM index_entries WHERE help_center_id = ? AND entity_id = ?",
            (hc_id, entity_id),
        )

    def lift_index_children(self, hc_id: str, parent_id: str) -> None:
        """Entries under ``parent_id`` move to the top level, keeping their place."""
        self._run(
            "UPDATE index_entries SET parent_id = NULL WHERE help_center_id = ? AND parent_id = ?",
            (hc_id, parent_id),
        )

    def append_index_entry(self, hc_id: str, entry: IndexEntry) -> None:
        self._run(
            "INSERT INTO index_entries"
            " (help_center_id, position, type, entity_id, parent_id, title)"
            " SELECT ?, COALESCE(MAX(position) + 1, 0), ?, ?, ?, ? FROM index_entries"
            " WHERE help_center_id = ?",
            (hc_id, entry.type, entry.entity_id, entry.parent_id, entry.title, hc_id),
        )

    def index_meta(self, hc_id: str) -> IndexMeta | None:
        row = self._one("SELECT * FROM help_centers WHERE id = ?", (hc_id,))
        if row is None:
            return None
        return IndexMeta(
            help_center_id=row["id"],
            revision=row["index_revision"],
            created_at=_ts(row["created_at"]),
            created_by=Actor(row["created_by"]),
            updated_at=_ts(row["index_updated_at"]),
            updated_by=Actor(row["index_updated_by"]),
        )

    def bump_index_revision(self, hc_id: str, actor: str, now: int) -> None:
        self._run(
            "UPDATE help_centers SET index_revision = index_revision + 1,"
            " index_updated_at = ?, index_updated_by = ? WHERE id = ?",
            (now, actor, hc_id),
        )

    # --- Workspace files ----------------------------------------------------------------

    _FILE_COLUMNS = (
        "id, file_name, size_bytes, mime_type, visibility, upload_token, download_token,"
        " cdn_token, upload_expires_at, content IS NOT NULL AS uploaded, created_at, created_by,"
        " updated_at, updated_by"
    )

    def add_workspace_file(self, file: WorkspaceFile) -> None:
        self._run(
            "INSERT INTO workspace_files (id, file_name, size_bytes, mime_type, visibility,"
            " upload_token, download_token, cdn_token, upload_expires_at, content, created_at,"
            " created_by, updated_at, updated_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)",
            (
                file.id,
                file.file_name,
                file.size_bytes,
                file.file_mime_type,
                file.visibility,
                file.upload_token,
                file.download_token,
                file.cdn_token,
                file.upload_expires_at.millis,
                file.created_at.millis,
                file.created_by.id,
                file.updated_at.millis,
                file.updated_by.id,
            ),
        )

    def workspace_file(self, file_id: str) -> WorkspaceFile | None:
        row = self._one(
            f"SELECT {self._FILE_COLUMNS} FROM workspace_files WHERE id = ?", (file_id,)
        )
        return None if row is None else _workspace_file(row)

    def workspace_file_by_cdn_token(self, cdn_token: str) -> WorkspaceFile | None:
        row = self._one(
            f"SELECT {self._FILE_COLUMNS} FROM workspace_files WHERE cdn_token = ?", (cdn_token,)
        )
        return None if row is None else _workspace_file(row)

    def store_file_content(self, file_id: str, content: bytes, now: int) -> None:
        self._run(
            "UPDATE workspace_files SET content = ?, updated_at = ? WHERE id = ?",
            (content, now, file_id),
        )

    def file_content(self, file_id: str) -> bytes | None:
        row = self._one("SELECT content FROM workspace_files WHERE id = ?", (file_id,))
        return None if row is None or row[0] is None else bytes(row[0])

    def delete_workspace_file(self, file_id: str) -> None:
        self._run("DELETE FROM workspace_files WHERE id = ?", (file_id,))
