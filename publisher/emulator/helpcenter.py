"""Plain's help-center rules: articles, groups, slugs and the hash-guarded index."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from publisher.emulator import errors, ids
from publisher.emulator.clock import now_ms
from publisher.emulator.errors import FieldError
from publisher.emulator.models import (
    SYSTEM,
    Actor,
    Article,
    ArticleGroup,
    HelpCenter,
    HelpCenterIndex,
    IndexEntry,
    Timestamp,
)
from publisher.emulator.store import Store

ARTICLE = "ARTICLE"
ARTICLE_GROUP = "ARTICLE_GROUP"
HEADING = "HEADING"
STATUSES = ("DRAFT", "PUBLISHED")
# Assumption (the reference gives no limit): a HEADING's label is at most this long.
MAX_LABEL_LENGTH = 255
# Assumption: Plain documents only that a slug "is normalized to lowercase and must be unique
# within the help center". A slug is the last part of the article's public URL
# (/article/<slug>), so the emulator takes the careful reading: after lowercasing, only ASCII
# letters, digits and dashes, with at least one letter or digit. That refuses what a URL
# would read otherwise: `.` and `..`, `/`, `%2e`, spaces (leading and trailing too), other
# punctuation, non-ASCII letters, and slugs made of dashes alone.
_SLUG = re.compile(r"[a-z0-9-]+")
_SLUG_WORD = re.compile(r"[a-z0-9]")


def normalise_slug(raw: str) -> str:
    return raw.lower()


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _slug_problem(slug: str) -> str | None:
    if not slug:
        return "Slug must not be empty"
    if not _SLUG.fullmatch(slug):
        return "Slug may contain only letters a-z, digits and dashes"
    if not _SLUG_WORD.search(slug):
        return "Slug must contain a letter or a digit"
    return None


class HelpCenterService:
    """Every write runs in one transaction and bumps the help center's index revision.

    ``extra_index_types`` and ``extra_article_statuses`` are test hooks (see the emulator's
    ``--extra-index-type`` and ``--extra-article-status``): enum values Plain may add later.
    An extra index type is stored and served as a HEADING is (a label in ``title``); an extra
    status is stored and served as given, and the web view shows only PUBLISHED articles.
    """

    def __init__(
        self,
        store: Store,
        clock: Callable[[], int] = now_ms,
        *,
        extra_index_types: Iterable[str] = (),
        extra_article_statuses: Iterable[str] = (),
    ) -> None:
        self.store = store
        self._clock = clock
        #: Index item types that are labels in the index itself, not articles or groups.
        self.label_types = frozenset({HEADING, *extra_index_types})
        self.article_statuses = frozenset({*STATUSES, *extra_article_statuses})

    # --- Set-up ---------------------------------------------------------------------------

    def ensure_person_key(self, api_key: str, full_name: str) -> str:
        """A key that acts as a person editing in Plain's app (a ``UserActor``)."""
        with self.store.transaction():
            existing = self.store.person_for_key(api_key)
            user_id = existing or ids.new_id(ids.USER)
            self.store.add_person_key(api_key, user_id, full_name)
            return user_id

    def ensure_api_key(self, api_key: str) -> str:
        """Each API key acts as its own machine user, as keys do in Plain."""
        with self.store.transaction():
            existing = self.store.machine_user_for_key(api_key)
            if existing is not None:
                return existing
            user_id = ids.new_id(ids.MACHINE_USER)
            self.store.add_machine_user(user_id, "Local API key", self._clock())
            self.store.add_api_key(api_key, user_id)
            return user_id

    def ensure_help_center(self, name: str) -> HelpCenter:
        with self.store.transaction():
            existing = self.store.help_center_named(name)
            if existing is not None:
                return existing
            subdomain = slugify(name) or "help"
            return self.store.add_help_center(
                ids.new_id(ids.HELP_CENTER), name, subdomain, SYSTEM.id, self._clock()
            )

    # --- Reads ----------------------------------------------------------------------------

    def index(self, hc_id: str) -> HelpCenterIndex | None:
        with self.store.reading():  # the revision and the entries of one state
            meta = self.store.index_meta(hc_id)
            if meta is None:
                return None
            nav = self.store.nav_items(hc_id)
        # The revision makes every write give a new hash, even one that restores an
        # earlier tree, so a client holding an old hash is always caught.
        payload = json.dumps(
            # vars(): the items are flat records of strings, so asdict's deep copy (most of
            # the time this takes for a large index) would give the same mapping.
            {"revision": meta.revision, "navIndex": [vars(n) for n in nav]},
            sort_keys=True,
        )
        return HelpCenterIndex(
            help_center_id=hc_id,
            hash=hashlib.sha256(payload.encode()).hexdigest(),
            nav_index=nav,
            created_at=meta.created_at,
            created_by=meta.created_by,
            updated_at=meta.updated_at,
            updated_by=meta.updated_by,
        )

    # --- Helpers --------------------------------------------------------------------------

    def _help_center(self, hc_id: str) -> HelpCenter:
        hc = self.store.help_center(hc_id)
        if hc is None:
            raise errors.not_found("helpCenterId", "Help center", hc_id)
        return hc

    def _group_in(self, hc_id: str, group_id: str, field_name: str) -> ArticleGroup:
        group = self.store.group(group_id)
        if group is None or group.help_center_id != hc_id:
            raise errors.not_found(field_name, "Help center article group", group_id)
        return group

    def _touch_index(self, hc_id: str, actor: Actor, now: int) -> None:
        self.store.bump_index_revision(hc_id, actor.id, now)

    def _unique_slug(self, base: str, taken: Callable[[str], bool]) -> str:
        slug = base
        n = 2
        while taken(slug):
            slug = f"{base}-{n}"
            n += 1
        return slug

    # --- Articles -------------------------------------------------------------------------

    def upsert_article(self, actor: Actor, data: Mapping[str, Any]) -> Article:
        with self.store.transaction():
            now = self._clock()
            hc = self._help_center(data["helpCenterId"])
            existing: Article | None = None
            if data.get("helpCenterArticleId") is not None:
                existing = self.store.article(data["helpCenterArticleId"])
                if existing is None or existing.help_center_id != hc.id:
                    raise errors.not_found(
                        "helpCenterArticleId", "Help center article", data["helpCenterArticleId"]
                    )
            # An absent optional field keeps the stored value; an explicit null clears it.
            group_id = existing.group_id if existing else None
            if "helpCenterArticleGroupId" in data:
                group_id = data["helpCenterArticleGroupId"]
                if group_id is not None:
                    self._group_in(hc.id, group_id, "helpCenterArticleGroupId")

            problems: list[FieldError] = []
            title = data["title"].strip()
            if not title:
                problems.append(FieldError("title", "Title must not be empty", "REQUIRED"))
            slug = self._article_slug(hc.id, existing, data.get("slug"), title, problems)
            if data.get("labelTypeIds"):
                # The emulator has no label types, so no id can name one. Null or [] is fine.
                unknown = ", ".join(data["labelTypeIds"])
                problems.append(
                    FieldError("labelTypeIds", f"Unknown label type(s): {unknown}", "NOT_FOUND")
                )
            if problems:
                raise errors.invalid_fields(problems)

            status = data.get("status") or (existing.status if existing else "DRAFT")
            if status not in self.article_statuses:  # the served schema let it through
                raise errors.invalid("status", f"Unknown status {status}")
            description = data.get("description")
            icon = data.get("icon")
            stamp, who = Timestamp(now), actor
            if existing is None:
                article = Article(
                    id=ids.new_id(ids.ARTICLE),
                    help_center_id=hc.id,
                    group_id=group_id,
                    title=title,
                    description=description,
                    icon=icon,
                    content_html=data["contentHtml"],
                    slug=slug,
                    status=status,
                    status_changed_at=stamp,
                    status_changed_by=who,
                    created_at=stamp,
                    created_by=who,
                    updated_at=stamp,
                    updated_by=who,
                )
                self.store.save_article(article)
                self.store.append_index_entry(hc.id, IndexEntry(ARTICLE, article.id, group_id))
            else:
                status_changed = status != existing.status
                article = replace(
                    existing,
                    group_id=group_id,
                    title=title,
                    description=description if "description" in data else existing.description,
                    icon=icon if "icon" in data else existing.icon,
                    content_html=data["contentHtml"],
                    slug=slug,
                    status=status,
                    status_changed_at=stamp if status_changed else existing.status_changed_at,
                    status_changed_by=who if status_changed else existing.status_changed_by,
                    updated_at=stamp,
                    updated_by=who,
                )
                self.store.save_article(article)
                if group_id != existing.group_id:
                    self.store.set_index_parent(hc.id, article.id, group_id)
            self._touch_index(hc.id, actor, now)
            return article

    def _article_slug(
        self,
        hc_id: str,
        existing: Article | None,
        raw: str | None,
        title: str,
        problems: list[FieldError],
    ) -> str:
        if raw is None:
            if existing is not None:
                return existing.slug
            return self._unique_slug(
                slugify(title) or "article",
                lambda s: self.store.article_by_slug(hc_id, s) is not None,
            )
        slug = normalise_slug(raw)
        problem = _slug_problem(slug)
        if problem is None:
            other = self.store.article_by_slug(hc_id, slug)
            if other is not None and (existing is None or other.id != existing.id):
                problem = f"Slug '{slug}' is already used by article {other.id}"
        if problem is not None:
            problems.append(FieldError("slug", problem, "VALIDATION"))
        return slug

    def delete_article(self, actor: Actor, article_id: str) -> None:
        with self.store.transaction():
            article = self.store.article(article_id)
            if article is None:
                raise errors.not_found("helpCenterArticleId", "Help center article", article_id)
            self.store.delete_article(article_id)
            self.store.remove_index_entry(article.help_center_id, article_id)
            self._touch_index(article.help_center_id, actor, self._clock())

    # --- Article groups -------------------------------------------------------------------

    def create_group(self, actor: Actor, data: Mapping[str, Any]) -> ArticleGroup:
        with self.store.transaction():
            now = self._clock()
            hc = self._help_center(data["helpCenterId"])
            parent_id = data.get("parentHelpCenterArticleGroupId")
            if parent_id is not None:
                self._group_in(hc.id, parent_id, "parentHelpCenterArticleGroupId")
            problems: list[FieldError] = []
            name = data["name"].strip()
            if not name:
                problems.append(FieldError("name", "Name must not be empty", "REQUIRED"))
            if data.get("slug") is None:
                slug = self._unique_slug(
                    slugify(name) or "group",
                    lambda s: self.store.group_by_slug(hc.id, s) is not None,
                )
            else:
                slug = normalise_slug(data["slug"])
                problem = _slug_problem(slug)
                other = self.store.group_by_slug(hc.id, slug) if problem is None else None
                if other is not None:
                    problem = f"Slug '{slug}' is already used by article group {other.id}"
                if problem is not None:
                    problems.append(FieldError("slug", problem, "VALIDATION"))
            if problems:
                raise errors.invalid_fields(problems)
            stamp = Timestamp(now)
            group = ArticleGroup(
                id=ids.new_id(ids.ARTICLE_GROUP),
                help_center_id=hc.id,
                parent_id=parent_id,
                name=name,
                slug=slug,
                created_at=stamp,
                created_by=actor,
                updated_at=stamp,
                updated_by=actor,
            )
            self.store.save_group(group)
            self.store.append_index_entry(hc.id, IndexEntry(ARTICLE_GROUP, group.id, parent_id))
            self._touch_index(hc.id, actor, now)
            return group

    def update_group(self, actor: Actor, data: Mapping[str, Any]) -> ArticleGroup:
        """Only the name can change: a slug is fixed at creation, a parent moves by the index."""
        with self.store.transaction():
            now = self._clock()
            group_id = data["helpCenterArticleGroupId"]
            group = self.store.group(group_id)
            if group is None:
                raise errors.not_found(
                    "helpCenterArticleGroupId", "Help center article group", group_id
                )
            if data.get("name") is not None:
                name = data["name"].strip()
                if not name:
                    raise errors.invalid("name", "Name must not be empty", "REQUIRED")
                group = replace(group, name=name, updated_at=Timestamp(now), updated_by=actor)
                self.store.save_group(group)
            self._touch_index(group.help_center_id, actor, now)
            return group

    def delete_group(self, actor: Actor, group_id: str) -> None:
        """The group's articles, child groups and headings stay, moved to the top level."""
        with self.store.transaction():
            now = self._clock()
            group = self.store.group(group_id)
            if group is None:
                raise errors.not_found(
                    "helpCenterArticleGroupId", "Help center article group", group_id
                )
            self.store.ungroup_articles(group_id, actor.id, now)
            self.store.orphan_child_groups(group_id, actor.id, now)
            self.store.delete_group(group_id)
            self.store.remove_index_entry(group.help_center_id, group_id)
            self.store.lift_index_children(group.help_center_id, group_id)
            self._touch_index(group.help_center_id, actor, now)

    # --- The index ------------------------------------------------------------------------

    def update_index(self, actor: Actor, data: Mapping[str, Any]) -> HelpCenterIndex:
        with self.store.transaction():
            now = self._clock()
            hc = self._help_center(data["helpCenterId"])
            current = self.index(hc.id)
            assert current is not None
            if data["hash"] != current.hash:
                raise errors.invalid(
                    "hash",
                    "The help center index changed since this hash was read; read the index"
                    " again and re-apply the change",
                )
            entries = [self._index_entry(item) for item in data["helpCenterIndex"]]
            problems = self._index_problems(hc.id, entries)
            if problems:
                raise errors.invalid_fields(problems)
            entries = [
                replace(e, title=e.title.strip()) if e.title is not None else e for e in entries
            ]
            self.store.replace_index_entries(hc.id, entries)
            for entry in entries:
                self._move(entry, actor, now)
            self._touch_index(hc.id, actor, now)
            updated = self.index(hc.id)
            assert updated is not None
            return updated

    def _index_entry(self, item: Mapping[str, Any]) -> IndexEntry:
        # "title: Inline label for HEADING items. Ignored for ARTICLE / ARTICLE_GROUP."
        title = item.get("title") if item["type"] in self.label_types else None
        return IndexEntry(item["type"], item["entityId"], item.get("parentId"), title)

    def _index_problems(self, hc_id: str, entries: list[IndexEntry]) -> list[FieldError]:
        """Plain's rules for the index, and the emulator's assumptions for HEADING items,
        where the reference is silent (no mutation creates a heading; the input requires an
        ``entityId`` for every item):

        - a heading's ``entityId`` is chosen by the client: it must not be blank, must be
          unique in the index (as every entry's must) and must not be the id of an article
          or group (of any help center);
        - its ``title`` is required, not blank, and at most ``MAX_LABEL_LENGTH`` characters;
        - it may sit at the top level or under a group listed in the index, like an article;
        - nothing can have a heading (or an article) as its parent.
        """
        problems: list[FieldError] = []
        articles = self.store.article_ids(hc_id)
        groups = self.store.group_ids(hc_id)
        listed_groups = {e.entity_id for e in entries if e.type == ARTICLE_GROUP}
        labels = {e.entity_id for e in entries if e.type in self.label_types}
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            at = f"helpCenterIndex[{i}]"
            if entry.entity_id in seen:
                problems.append(
                    FieldError(f"{at}.entityId", f"{entry.entity_id} is listed twice", "VALIDATION")
                )
            seen.add(entry.entity_id)
            if entry.type in self.label_types:
                problems.extend(self._label_problems(at, entry))
            elif entry.entity_id not in (articles if entry.type == ARTICLE else groups):
                what = "article" if entry.type == ARTICLE else "article group"
                problems.append(
                    FieldError(
                        f"{at}.entityId",
                        f"No {what} {entry.entity_id} in help center {hc_id}",
                        "NOT_FOUND",
                    )
                )
            parent = entry.parent_id
            if parent is None:
                continue
            if parent == entry.entity_id:
                problems.append(
                    FieldError(f"{at}.parentId", "An entry cannot be its own parent", "VALIDATION")
                )
            elif parent in articles:
                problems.append(
                    FieldError(
                        f"{at}.parentId",
                        f"Parent {parent} is an article, not a group",
                        "VALIDATION",
                    )
                )
            elif parent in labels:
                problems.append(
                    FieldError(
                        f"{at}.parentId",
                        f"Parent {parent} is a heading, not a group",
                        "VALIDATION",
                    )
                )
            elif parent not in groups:
                problems.append(
                    FieldError(
                        f"{at}.parentId", f"No article group {parent} in help center", "NOT_FOUND"
                    )
                )
            elif parent not in listed_groups:
                problems.append(
                    FieldError(
                        f"{at}.parentId", f"Parent group {parent} is not in the index", "VALIDATION"
                    )
                )
        if not problems:
            problems.extend(self._cycle_problems(entries))
        return problems

    def _label_problems(self, at: str, entry: IndexEntry) -> list[FieldError]:
        problems = []
        if not entry.entity_id.strip():
            problems.append(
                FieldError(f"{at}.entityId", "A heading needs a non-empty entityId", "REQUIRED")
            )
        elif self.store.is_article_or_group(entry.entity_id):
            problems.append(
                FieldError(
                    f"{at}.entityId",
                    f"{entry.entity_id} is an article or group id; a heading needs an id of its"
                    " own",
                    "VALIDATION",
                )
            )
        title = (entry.title or "").strip()
        if not title:
            problems.append(
                FieldError(f"{at}.title", f"A {entry.type} item needs a title", "REQUIRED")
            )
        elif len(title) > MAX_LABEL_LENGTH:
            problems.append(
                FieldError(
                    f"{at}.title",
                    f"A {entry.type} title must be at most {MAX_LABEL_LENGTH} characters",
                    "VALIDATION",
                )
            )
        return problems

    @staticmethod
    def _cycle_problems(entries: list[IndexEntry]) -> list[FieldError]:
        parents = {e.entity_id: e.parent_id for e in entries if e.type == ARTICLE_GROUP}
        for i, entry in enumerate(entries):
            if entry.type != ARTICLE_GROUP:
                continue
            seen = {entry.entity_id}
            parent = entry.parent_id
            while parent is not None:
                if parent in seen:
                    return [
                        FieldError(
                            f"helpCenterIndex[{i}].parentId",
                            "Article groups cannot be nested in a cycle",
                            "VALIDATION",
                        )
                    ]
                seen.add(parent)
                parent = parents.get(parent)
        return []

    def _move(self, entry: IndexEntry, actor: Actor, now: int) -> None:
        """Make the entity's own parent agree with where the index puts it."""
        if entry.type == ARTICLE:
            self.store.set_article_group(entry.entity_id, entry.parent_id, actor.id, now)
        elif entry.type == ARTICLE_GROUP:
            self.store.set_group_parent(entry.entity_id, entry.parent_id, actor.id, now)
