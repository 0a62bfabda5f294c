"""`--prune`: deleting what the content no longer has, with refusals and a snapshot that
`publisher restore` brings back."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from publisher.errors import RefusedError, RemoteError, UsageError
from publisher.plain import (
    IndexEntry,
    PlainClient,
    PlainError,
    RemoteArticle,
    RemoteGroup,
    RemoteIndex,
)
from publisher.render.canonical import same_content
from publisher.safe_write import write_file
from publisher.sync.apply import PublishError, run_concurrently
from publisher.sync.navigation import IndexConflictError, flatten, write_index
from publisher.sync.plan import Plan
from publisher.sync.state import RemoteState
from publisher.wording import plural

SNAPSHOT_VERSION = 1
#: The largest snapshot `restore` reads (it is read whole): far more than a help center's text.
MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024


class PruneRefusedError(RefusedError):
    """Prune would be unsafe; nothing has been sent."""

    def lines(self) -> list[str]:
        return [f"prune refused: {self.message}; nothing was sent"]


class SnapshotError(UsageError):
    """A file given to `restore` is not a snapshot this version can read."""


class RestoreRefusedError(RefusedError):
    """Restoring would overwrite articles or groups that now hold the snapshot's slugs;
    nothing has been sent."""

    def lines(self) -> list[str]:
        return [f"restore refused: {self.message}; nothing was sent"]


class RestoreError(RemoteError):
    """A snapshot could not be put back completely."""

    wrote = True


@dataclass
class PruneResult:
    snapshot: Path
    deleted_articles: list[str] = field(default_factory=list)
    deleted_groups: list[str] = field(default_factory=list)


def check_prune(plan: Plan, remote: RemoteState, *, yes: bool, max_share: float) -> None:
    if not plan.articles:
        raise PruneRefusedError("the content has no articles: refusing to prune everything")
    total = len(remote.articles)
    doomed = len(plan.orphan_articles)
    if total and doomed / total > max_share and not yes:
        raise PruneRefusedError(
            f"prune would delete {doomed} of {plural(total, 'article')} ({doomed / total:.0%}), "
            "more than "
            f"the {max_share:.0%} allowed; check the plan, then add --yes if that is intended"
        )


def _position(index: RemoteIndex, entity_id: str) -> Place | None:
    """Where an entity sits: its parent and its place among that parent's children."""
    for entry in index.entries:
        if entry.entity_id == entity_id:
            siblings = [e.entity_id for e in index.entries if e.parent_id == entry.parent_id]
            return Place(entry.parent_id, siblings.index(entity_id))
    return None


# The snapshot file ----------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    parent_id: str | None
    position: int

    def to_json(self) -> dict[str, Any]:
        return {"parentId": self.parent_id, "position": self.position}


@dataclass(frozen=True)
class SnapshotGroup:
    id: str
    slug: str
    name: str
    parent_slug: str | None
    place: Place | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "slug": self.slug,
            "name": self.name,
            "parentSlug": self.parent_slug,
            "place": self.place.to_json() if self.place else None,
        }


@dataclass(frozen=True)
class SnapshotArticle:
    id: str
    slug: str
    title: str
    description: str | None
    icon: str | None
    status: str
    content_html: str
    group_slug: str | None
    place: Place | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "slug": self.slug,
            "title": self.title,
            "description": self.description,
            "icon": self.icon,
            "status": self.status,
            "contentHtml": self.content_html,
            "groupSlug": self.group_slug,
            "place": self.place.to_json() if self.place else None,
        }


@dataclass(frozen=True)
class Snapshot:
    """What a prune deleted (or a restore overwrote), as `publisher restore` reads it back."""

    help_center_id: str
    groups: tuple[SnapshotGroup, ...] = ()
    articles: tuple[SnapshotArticle, ...] = ()
    taken_at: str | None = None
    version: int = SNAPSHOT_VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "helpCenterId": self.help_center_id,
            "takenAt": self.taken_at,
            "groups": [group.to_json() for group in self.groups],
            "articles": [article.to_json() for article in self.articles],
        }

    @classmethod
    def from_json(cls, data: Any) -> Snapshot:
        """The snapshot in `data` (decoded JSON), every field checked; a `_BadField`
        naming the first one that is missing or of the wrong type."""
        top = _Reader(data, "")
        version = top.int("version")
        if version != SNAPSHOT_VERSION:
            raise _BadField(
                "version",
                f"is {version}; this publisher reads snapshots of version {SNAPSHOT_VERSION} "
                "(was it written by a newer publisher?)",
            )
        return cls(
            help_center_id=top.text("helpCenterId"),
            taken_at=top.optional_text("takenAt"),
            groups=tuple(_group(item) for item in top.items("groups")),
            articles=tuple(_article(item) for item in top.items("articles")),
        )


class _BadField(Exception):
    """The first field of a snapshot that is not what it must be."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path} {problem}")
        self.path = path


def _shown(value: Any) -> str:
    """A value for a message, short whatever it is."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    text = _INVISIBLE.sub(
        lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False)
    )
    return text if len(text) <= 40 else text[:39] + "…"


#: Characters a terminal would not show as they are (JSON escapes the rest).
_INVISIBLE = re.compile(r"[\u0080-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


_V = TypeVar("_V")


class _Reader:
    """Typed access to one JSON object of a snapshot; `where` is its path, for messages."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise _BadField(where or "the file", f"must be a JSON object, not {_shown(data)}")
        self.data: dict[str, Any] = data
        self.where = where

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _get(self, key: str, kind: type[_V], what: str, optional: bool) -> _V | None:
        if key not in self.data or (optional and self.data[key] is None):
            if optional:
                return None
            raise _BadField(self._path(key), "is missing")
        value = self.data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            also = " or null" if optional else ""
            raise _BadField(self._path(key), f"must be {what}{also}, not {_shown(value)}")
        return value

    def text(self, key: str) -> str:
        value = self._get(key, str, "text", optional=False)
        assert value is not None
        if not value.strip():
            raise _BadField(self._path(key), "must not be empty")
        return value

    def any_text(self, key: str) -> str:
        """Text that may be empty (a title Plain accepted, HTML)."""
        value = self._get(key, str, "text", optional=False)
        assert value is not None
        return value

    def optional_text(self, key: str) -> str | None:
        return self._get(key, str, "text", optional=True)

    def int(self, key: str) -> int:
        value = self._get(key, int, "a whole number", optional=False)
        assert value is not None
        return value

    def items(self, key: str) -> list[_Reader]:
        value = self._get(key, list, "a list", optional=False)
        assert value is not None
        return [_Reader(item, f"{self._path(key)}[{i}]") for i, item in enumerate(value)]

    def place(self, key: str) -> Place | None:
        value = self._get(key, dict, "an object", optional=True)
        if value is None:
            return None
        place = _Reader(value, self._path(key))
        position = place.int("position")
        if position < 0:
            raise _BadField(place._path("position"), f"must not be negative, not {position}")
        return Place(place.optional_text("parentId"), position)


def _group(item: _Reader) -> SnapshotGroup:
    return SnapshotGroup(
        id=item.text("id"),
        slug=item.text("slug"),
        name=item.any_text("name"),
        parent_slug=item.optional_text("parentSlug"),
        place=item.place("place"),
    )


def _article(item: _Reader) -> SnapshotArticle:
    return SnapshotArticle(
        id=item.text("id"),
        slug=item.text("slug"),
        title=item.any_text("title"),
        description=item.optional_text("description"),
        icon=item.optional_text("icon"),
        status=item.text("status"),
        content_html=item.any_text("contentHtml"),
        group_slug=item.optional_text("groupSlug"),
        place=item.place("place"),
    )


def _save_snapshot(snapshot: Snapshot, backups_dir: Path, label: str = "") -> Path:
    """Write `snapshot` whole (a temporary file renamed into place) and return its path."""
    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    name = f"{stamp}-{snapshot.help_center_id}{label}.json"
    text = json.dumps(snapshot.to_json(), indent=2, ensure_ascii=False)
    write_file(backups_dir, name, text.encode("utf-8"))
    return backups_dir / name


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _snapshot_article(
    article: RemoteArticle, group_slug: str | None, place: Place | None
) -> SnapshotArticle:
    return SnapshotArticle(
        id=article.id,
        slug=article.slug,
        title=article.title,
        description=article.description,
        icon=article.icon,
        status=article.status,
        content_html=article.content_html,
        group_slug=group_slug,
        place=place,
    )


def _snapshot_group(
    group: RemoteGroup, parent_slug: str | None, place: Place | None
) -> SnapshotGroup:
    return SnapshotGroup(group.id, group.slug, group.name, parent_slug, place)


def write_snapshot(plan: Plan, remote: RemoteState, backups_dir: Path) -> Path:
    def group_slug(group_id: str | None) -> str | None:
        group = remote.group_by_id.get(group_id) if group_id else None
        return group.slug if group else None

    snapshot = Snapshot(
        help_center_id=remote.help_center_id,
        taken_at=_now(),
        groups=tuple(
            _snapshot_group(g, group_slug(g.parent_id), _position(remote.index, g.id))
            for g in plan.orphan_groups
        ),
        articles=tuple(
            _snapshot_article(a, group_slug(a.group_id), _position(remote.index, a.id))
            for a in plan.orphan_articles
        ),
    )
    return _save_snapshot(snapshot, backups_dir)


def _children_first(groups: list[RemoteGroup]) -> list[RemoteGroup]:
    by_id = {g.id: g for g in groups}

    def depth(group: RemoteGroup) -> int:
        level, parent = 0, group.parent_id
        while parent in by_id and level < len(by_id):
            level, parent = level + 1, by_id[parent].parent_id
        return level

    return sorted(groups, key=depth, reverse=True)


def prune(
    client: PlainClient, plan: Plan, remote: RemoteState, backups_dir: Path, concurrency: int
) -> PruneResult:
    """Snapshot, then delete orphaned articles, then orphaned groups (children first).
    The index no longer names them: the publish wrote it without them."""
    result = PruneResult(write_snapshot(plan, remote, backups_dir))

    def delete_article(article_id: str) -> None:
        try:
            client.delete_article(article_id, missing_ok=True)
        except PlainError as error:
            raise PublishError(f"deleting article {article_id}", error) from None
        result.deleted_articles.append(article_id)

    run_concurrently([a.id for a in plan.orphan_articles], delete_article, concurrency)
    for group in _children_first(plan.orphan_groups):
        try:
            client.delete_group(group.id, missing_ok=True)
        except PlainError as error:
            raise PublishError(f"deleting group {group.slug}", error) from None
        result.deleted_groups.append(group.id)
    return result


def load_snapshot(path: Path) -> Snapshot:
    """The snapshot in the file at `path`, every field checked: a SnapshotError naming the
    file and the first field that is missing or wrong, never a traceback."""
    return _parse_snapshot(path, _read_json(path))


def read_snapshot(path: Path) -> dict[str, Any]:
    """The snapshot at `path` as JSON data, checked as :func:`load_snapshot` checks it."""
    data = _read_json(path)
    _parse_snapshot(path, data)
    result: dict[str, Any] = data
    return result


def _read_json(path: Path) -> Any:
    try:
        size = path.stat().st_size
        if size > MAX_SNAPSHOT_BYTES:
            raise SnapshotError(
                f"{path}: not a publisher snapshot: {size:,} bytes is more than any snapshot "
                f"holds (at most {MAX_SNAPSHOT_BYTES:,})"
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SnapshotError(f"{path}: not a publisher snapshot: not UTF-8 text") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise SnapshotError(f"{path}: not a publisher snapshot: JSON nested too deeply") from None
    except ValueError as exc:
        where = (
            f" (line {exc.lineno}, column {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "a number is too long"
        raise SnapshotError(
            f"{path}: not a publisher snapshot: not valid JSON{where}: {reason}"
        ) from None


def _parse_snapshot(source: Path | str, data: Any) -> Snapshot:
    try:
        return Snapshot.from_json(data)
    except _BadField as bad:
        raise SnapshotError(
            f"{source}: not a publisher snapshot (version {SNAPSHOT_VERSION}): {bad}"
        ) from None


@dataclass
class RestoreResult:
    articles: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    index_written: bool = False
    #: Live articles and groups that held the snapshot's slugs and were overwritten (with
    #: `overwrite`), as "article SLUG (title)"; and the snapshot of them written first.
    overwritten: list[str] = field(default_factory=list)
    overwritten_snapshot: Path | None = None


@dataclass
class _Taken:
    """A live article or group that now holds a slug of the snapshot."""

    kind: str  # "article" or "group"
    slug: str
    live: RemoteArticle | RemoteGroup

    def describe(self) -> str:
        label = self.live.title if isinstance(self.live, RemoteArticle) else self.live.name
        return f"{self.kind} '{self.slug}' is now {_shown(label)} (id {self.live.id})"


def _same_article(live: RemoteArticle, item: SnapshotArticle) -> bool:
    """Whether the live article is this snapshot article already (a restore run before)."""
    return (
        (live.title, live.status, live.description or None, live.icon or None)
        == (item.title, item.status, item.description or None, item.icon or None)
    ) and same_content(live.content_html, item.content_html)


def _find_taken(
    client: PlainClient, snapshot: Snapshot
) -> tuple[dict[str, RemoteGroup | None], dict[str, RemoteArticle | None], list[_Taken]]:
    """What holds each slug of the snapshot now, and which of those are other articles or
    groups (not the deleted ones, nor ones an earlier restore of this snapshot made)."""
    hc = snapshot.help_center_id
    groups = {g.slug: client.get_group_by_slug(hc, g.slug) for g in snapshot.groups}
    articles = {a.slug: client.get_article_by_slug(hc, a.slug) for a in snapshot.articles}
    taken: list[_Taken] = []
    for group in snapshot.groups:
        live_group = groups[group.slug]
        if live_group is not None and live_group.id != group.id and live_group.name != group.name:
            taken.append(_Taken("group", group.slug, live_group))
    for article in snapshot.articles:
        live = articles[article.slug]
        if live is not None and live.id != article.id and not _same_article(live, article):
            taken.append(_Taken("article", article.slug, live))
    return groups, articles, taken


def _save_overwritten(client: PlainClient, hc: str, taken: list[_Taken], backups_dir: Path) -> Path:
    """A snapshot, in the format a prune writes, of the live articles and groups a restore
    is about to overwrite; `publisher restore` brings them back."""
    index = client.get_index(hc)
    slug_of = {g.id: g.slug for g in client.list_groups(hc)}
    groups = [t.live for t in taken if isinstance(t.live, RemoteGroup)]
    articles = [t.live for t in taken if isinstance(t.live, RemoteArticle)]
    snapshot = Snapshot(
        help_center_id=hc,
        taken_at=_now(),
        groups=tuple(
            _snapshot_group(
                g, slug_of.get(g.parent_id) if g.parent_id else None, _position(index, g.id)
            )
            for g in groups
        ),
        articles=tuple(
            _snapshot_article(
                a, slug_of.get(a.group_id) if a.group_id else None, _position(index, a.id)
            )
            for a in articles
        ),
    )
    return _save_snapshot(snapshot, backups_dir, "-overwritten-by-restore")


def restore(
    client: PlainClient,
    snapshot: Snapshot | Mapping[str, Any],
    attempts: int = 5,
    *,
    overwrite: bool = False,
    backups_dir: Path | None = None,
) -> RestoreResult:
    """Put back what a prune deleted: same slugs, content, status, group and place.

    A slug of the snapshot that another live article or group holds now (a new article, one
    renamed since, a new group) is not taken from it: the restore is refused before anything
    is sent, naming each. With `overwrite`, those are overwritten, after a snapshot of them
    is written to `backups_dir` (which `overwrite` needs). Running a restore again is safe."""
    if overwrite and backups_dir is None:
        raise ValueError("restore(overwrite=True) needs backups_dir for what it overwrites")
    if not isinstance(snapshot, Snapshot):
        snapshot = _parse_snapshot("the snapshot", snapshot)
    hc = snapshot.help_center_id
    result = RestoreResult()
    live_groups, live_articles, taken = _find_taken(client, snapshot)
    if taken and not overwrite:
        raise RestoreRefusedError(
            "the snapshot's slugs belong to other items now: "
            + "; ".join(t.describe() for t in taken)
            + ". Restoring would overwrite them: run it again with --overwrite to do so "
            "(a snapshot of what it overwrites is written first)"
        )
    if taken:
        assert backups_dir is not None
        result.overwritten_snapshot = _save_overwritten(client, hc, taken, backups_dir)
        result.overwritten = [t.describe() for t in taken]
    new_ids: dict[str, str] = {}  # id in the snapshot -> id now

    def group_id_for(slug: str | None) -> str | None:
        if slug is None:
            return None
        group = client.get_group_by_slug(hc, slug)
        return group.id if group else None

    remaining = list(snapshot.groups)
    # Parents first: a group whose parent is also in the snapshot waits for it.
    while remaining:
        progressed = False
        for item in list(remaining):
            parent_slug = item.parent_slug
            if parent_slug and any(g.slug == parent_slug for g in remaining if g is not item):
                continue
            existing = live_groups.get(item.slug)
            if existing is None:
                existing = client.create_group(
                    hc, name=item.name, slug=item.slug, parent_id=group_id_for(parent_slug)
                )
            elif existing.name != item.name:  # overwritten: it takes the old group's place
                existing = client.update_group(existing.id, name=item.name)
            new_ids[item.id] = existing.id
            result.groups.append(item.slug)
            remaining.remove(item)
            progressed = True
        if not progressed:
            raise RestoreError("the snapshot's groups form a cycle")

    for article in snapshot.articles:
        existing_article = live_articles.get(article.slug)
        written = client.upsert_article(
            hc,
            article_id=existing_article.id if existing_article else None,
            group_id=group_id_for(article.group_slug),
            title=article.title,
            description=article.description,
            icon=article.icon,
            content_html=article.content_html,
            slug=article.slug,
            status=article.status,  # type: ignore[arg-type]
        )
        new_ids[article.id] = written.id
        result.articles.append(article.slug)

    placed: list[tuple[SnapshotGroup | SnapshotArticle, str]] = [
        (group, "ARTICLE_GROUP") for group in snapshot.groups if group.place is not None
    ]
    placed += [(a, "ARTICLE") for a in snapshot.articles if a.place is not None]
    try:
        outcome = write_index(
            client, hc, lambda current: _insert_places(current, placed, new_ids), attempts=attempts
        )
    except IndexConflictError as error:
        raise RestoreError(str(error)) from None
    result.index_written = outcome.written
    return result


def _insert_places(
    entries: list[IndexEntry],
    placed: list[tuple[SnapshotGroup | SnapshotArticle, str]],
    new_ids: dict[str, str],
) -> list[IndexEntry]:
    """The index with each restored entity back under its old parent at its old position
    (or at the top level when that parent is gone)."""
    restored = {new_ids[item.id] for item, _ in placed}
    # Creating an article or group appends it to the index; take those out to re-place them.
    entries = [e for e in entries if e.entity_id not in restored]
    present = {e.entity_id for e in entries}
    groups = {e.entity_id for e in entries if e.type == "ARTICLE_GROUP"}
    children: dict[str | None, list[IndexEntry]] = {}
    for entry in entries:
        children.setdefault(entry.parent_id, []).append(entry)
    pending = sorted(placed, key=lambda pair: pair[0].place.position if pair[0].place else 0)
    restored_groups = {new_ids[item.id] for item, kind in placed if kind == "ARTICLE_GROUP"}
    while pending:
        waiting = []
        for item, kind in pending:
            assert item.place is not None
            entity = new_ids[item.id]
            old_parent = item.place.parent_id
            parent = new_ids.get(old_parent, old_parent) if old_parent else None
            if parent in restored_groups and parent not in groups:
                waiting.append((item, kind))  # its parent group goes back in first
                continue
            if parent not in groups:
                parent = None
            if entity not in present:
                siblings = children.setdefault(parent, [])
                position = min(item.place.position, len(siblings))
                siblings.insert(position, IndexEntry(kind, entity, parent))
                present.add(entity)
            if kind == "ARTICLE_GROUP":
                groups.add(entity)
        if len(waiting) == len(pending):
            raise RestoreError("the snapshot's navigation places form a cycle")
        pending = waiting
    return flatten(children)
