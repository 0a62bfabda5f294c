"""`--prune`: deleting what the content no longer has, with refusals and a snapshot that
`publisher restore` brings back."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.errors import RefusedError, RemoteError, UsageError
from publisher.plain import IndexEntry, PlainClient, PlainError, RemoteGroup, RemoteIndex
from publisher.sync.apply import PublishError, run_concurrently
from publisher.sync.navigation import IndexConflictError, flatten, write_index
from publisher.sync.plan import Plan
from publisher.sync.state import RemoteState
from publisher.wording import plural

SNAPSHOT_VERSION = 1


class PruneRefusedError(RefusedError):
    """Prune would be unsafe; nothing has been sent."""

    def lines(self) -> list[str]:
        return [f"prune refused: {self.message}; nothing was sent"]


class SnapshotError(UsageError):
    """A file given to `restore` is not a snapshot this version can read."""


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


def _position(index: RemoteIndex, entity_id: str) -> dict[str, Any] | None:
    """Where an entity sits: its parent and its place among that parent's children."""
    for entry in index.entries:
        if entry.entity_id == entity_id:
            siblings = [e.entity_id for e in index.entries if e.parent_id == entry.parent_id]
            return {"parentId": entry.parent_id, "position": siblings.index(entity_id)}
    return None


def write_snapshot(plan: Plan, remote: RemoteState, backups_dir: Path) -> Path:
    def group_slug(group_id: str | None) -> str | None:
        group = remote.group_by_id.get(group_id) if group_id else None
        return group.slug if group else None

    data = {
        "version": SNAPSHOT_VERSION,
        "helpCenterId": remote.help_center_id,
        "takenAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "groups": [
            {
                "id": group.id,
                "slug": group.slug,
                "name": group.name,
                "parentSlug": group_slug(group.parent_id),
                "place": _position(remote.index, group.id),
            }
            for group in plan.orphan_groups
        ],
        "articles": [
            {
                "id": article.id,
                "slug": article.slug,
                "title": article.title,
                "description": article.description,
                "icon": article.icon,
                "status": article.status,
                "contentHtml": article.content_html,
                "groupSlug": group_slug(article.group_id),
                "place": _position(remote.index, article.id),
            }
            for article in plan.orphan_articles
        ],
    }
    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = backups_dir / f"{stamp}-{remote.help_center_id}.json"
    fd, tmp = tempfile.mkstemp(dir=backups_dir, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
    os.replace(tmp, path)
    return path


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


def read_snapshot(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc}") from exc
    if not isinstance(data, dict) or data.get("version") != SNAPSHOT_VERSION:
        raise SnapshotError(f"{path}: not a publisher snapshot (version {SNAPSHOT_VERSION})")
    return data


@dataclass
class RestoreResult:
    articles: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    index_written: bool = False


def restore(client: PlainClient, snapshot: dict[str, Any], attempts: int = 5) -> RestoreResult:
    """Put back what a prune deleted: same slugs, content, status, group and place."""
    hc = str(snapshot["helpCenterId"])
    result = RestoreResult()
    new_ids: dict[str, str] = {}  # id in the snapshot -> id now

    def group_id_for(slug: str | None) -> str | None:
        if slug is None:
            return None
        group = client.get_group_by_slug(hc, slug)
        return group.id if group else None

    groups = snapshot["groups"]
    remaining = list(groups)
    # Parents first: a group whose parent is also in the snapshot waits for it.
    while remaining:
        progressed = False
        for item in list(remaining):
            parent_slug = item["parentSlug"]
            if parent_slug and any(g["slug"] == parent_slug for g in remaining if g is not item):
                continue
            existing = client.get_group_by_slug(hc, item["slug"])
            if existing is None:
                existing = client.create_group(
                    hc, name=item["name"], slug=item["slug"], parent_id=group_id_for(parent_slug)
                )
            new_ids[item["id"]] = existing.id
            result.groups.append(item["slug"])
            remaining.remove(item)
            progressed = True
        if not progressed:
            raise RestoreError("the snapshot's groups form a cycle")

    for item in snapshot["articles"]:
        existing_article = client.get_article_by_slug(hc, item["slug"])
        written = client.upsert_article(
            hc,
            article_id=existing_article.id if existing_article else None,
            group_id=group_id_for(item["groupSlug"]),
            title=item["title"],
            description=item["description"],
            icon=item["icon"],
            content_html=item["contentHtml"],
            slug=item["slug"],
            status=item["status"],
        )
        new_ids[item["id"]] = written.id
        result.articles.append(item["slug"])

    placed = [(item, "ARTICLE_GROUP") for item in groups if item.get("place") is not None] + [
        (item, "ARTICLE") for item in snapshot["articles"] if item.get("place") is not None
    ]
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
    placed: list[tuple[dict[str, Any], str]],
    new_ids: dict[str, str],
) -> list[IndexEntry]:
    """The index with each restored entity back under its old parent at its old position
    (or at the top level when that parent is gone)."""
    restored = {new_ids[item["id"]] for item, _ in placed}
    # Creating an article or group appends it to the index; take those out to re-place them.
    entries = [e for e in entries if e.entity_id not in restored]
    present = {e.entity_id for e in entries}
    groups = {e.entity_id for e in entries if e.type == "ARTICLE_GROUP"}
    children: dict[str | None, list[IndexEntry]] = {}
    for entry in entries:
        children.setdefault(entry.parent_id, []).append(entry)
    pending = sorted(placed, key=lambda pair: int(pair[0]["place"]["position"]))
    restored_groups = {new_ids[item["id"]] for item, kind in placed if kind == "ARTICLE_GROUP"}
    while pending:
        waiting = []
        for item, kind in pending:
            entity = new_ids[item["id"]]
            old_parent = item["place"]["parentId"]
            parent = new_ids.get(old_parent, old_parent) if old_parent else None
            if parent in restored_groups and parent not in groups:
                waiting.append((item, kind))  # its parent group goes back in first
                continue
            if parent not in groups:
                parent = None
            if entity not in present:
                siblings = children.setdefault(parent, [])
                position = min(int(item["place"]["position"]), len(siblings))
                siblings.insert(position, IndexEntry(kind, entity, parent))
                present.add(entity)
            if kind == "ARTICLE_GROUP":
                groups.add(entity)
        if len(waiting) == len(pending):
            raise RestoreError("the snapshot's navigation places form a cycle")
        pending = waiting
    return flatten(children)
