"""The plan: what publishing would change, computed from the rendered content and the help
center as read. Pure data in, pure data out; nothing here talks to Plain."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Literal

from publisher.content.model import HEADING_ID_PREFIX, Article
from publisher.errors import ContentError
from publisher.plain import (
    ARTICLE,
    ARTICLE_GROUP,
    HEADING,
    IndexEntry,
    RemoteArticle,
    RemoteGroup,
)
from publisher.render.canonical import same_content
from publisher.render.markdown import ImageRef
from publisher.site.compiler import CompiledSite
from publisher.sync.edits import Edit
from publisher.sync.images import LocalImage, image_src, local_image, uploaded_in
from publisher.sync.navigation import merge_index, tree_order
from publisher.sync.state import (
    DesiredArticle,
    DesiredGroup,
    DesiredHeading,
    NodeKey,
    RemoteState,
    desired_state,
)

PENDING_IMAGE = "pending-upload:"  # stands for an image URL not known until it is uploaded


class PlanError(ContentError):
    """The content and the help center cannot be matched up safely."""


@dataclass
class GroupAction:
    kind: Literal["create", "rename", "unchanged"]
    desired: DesiredGroup
    remote: RemoteGroup | None = None
    replaces: RemoteGroup | None = None  # a pinned group whose slug changed: made anew
    edit: Edit | None = None  # renamed in Plain's app: the rename would undo it

    @property
    def remote_id(self) -> str | None:
        return self.remote.id if self.remote else None


@dataclass
class ArticleAction:
    kind: Literal["create", "update", "unchanged"]
    desired: DesiredArticle
    html: str
    remote: RemoteArticle | None = None
    changed: tuple[str, ...] = ()
    renamed_from: str | None = None
    diff: str = ""
    edit: Edit | None = None  # edited in Plain's app: the update would undo it


@dataclass
class HeadingAction:
    """A heading the content declares, and the index entry it is (found, or new)."""

    kind: Literal["create", "rename", "unchanged"]
    desired: DesiredHeading
    entity_id: str  # the remote entry's id when one matched, else the desired one
    old_title: str | None = None


@dataclass
class ImageAction:
    image: LocalImage
    url: str | None  # known already (uploaded earlier), or None: to upload


@dataclass
class Plan:
    help_center_id: str
    groups: list[GroupAction] = field(default_factory=list)
    articles: list[ArticleAction] = field(default_factory=list)
    images: list[ImageAction] = field(default_factory=list)
    headings: list[HeadingAction] = field(default_factory=list)
    orphan_articles: list[RemoteArticle] = field(default_factory=list)
    orphan_groups: list[RemoteGroup] = field(default_factory=list)
    #: Headings in Plain that the content does not declare: made in the app (kept, and
    #: removed only by a prune), or made by this tool from a file since deleted (removed).
    orphan_headings: list[IndexEntry] = field(default_factory=list)
    retired_headings: list[IndexEntry] = field(default_factory=list)
    navigation: list[tuple[NodeKey, NodeKey | None]] = field(default_factory=list)
    nav_before: list[str] = field(default_factory=list)  # outlines, for people
    nav_after: list[str] = field(default_factory=list)
    nav_changed: bool = False
    warnings: list[str] = field(default_factory=list)
    #: Whether orphans are to be deleted (`--prune`): then they show as deletes.
    prune: bool = False
    #: What people changed in Plain that this plan would undo (see publisher.sync.edits).
    edits: list[Edit] = field(default_factory=list)
    #: Permission -> what needs it, for each one the key lacks (filled in after reading it).
    missing_permissions: dict[str, str] = field(default_factory=dict)

    @property
    def uploads(self) -> list[ImageAction]:
        return [action for action in self.images if action.url is None]

    def count(self, kind: str) -> int:
        return sum(1 for a in self.articles if a.kind == kind)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.uploads
            or self.nav_changed
            or any(h.kind != "unchanged" for h in self.headings)
            or any(g.kind != "unchanged" for g in self.groups)
            or any(a.kind != "unchanged" for a in self.articles)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "helpCenterId": self.help_center_id,
            "groups": [
                {
                    "action": "recreate" if g.replaces else g.kind,
                    "slug": g.desired.slug,
                    "name": g.desired.name,
                    "id": g.remote_id,
                    **({"replaces": g.replaces.id} if g.replaces else {}),
                }
                for g in self.groups
            ],
            "articles": [
                {
                    "action": a.kind,
                    "slug": a.desired.slug,
                    "title": a.desired.title,
                    "file": str(a.desired.source),
                    "id": a.remote.id if a.remote else None,
                    "changed": list(a.changed),
                    **({"renamedFrom": a.renamed_from} if a.renamed_from else {}),
                    **({"diff": a.diff} if a.diff else {}),
                }
                for a in self.articles
            ],
            "images": [
                {"file": i.image.rel_path, "name": i.image.file_name, "upload": i.url is None}
                for i in self.images
            ],
            "headings": [
                {
                    "action": h.kind,
                    "title": h.desired.title,
                    "file": str(h.desired.source),
                    "id": h.entity_id,
                    **({"oldTitle": h.old_title} if h.old_title is not None else {}),
                }
                for h in self.headings
            ]
            + [
                {"action": "remove", "title": e.label, "id": e.entity_id}
                for e in self.retired_headings
            ],
            "orphans": {
                "articles": [
                    {"id": a.id, "slug": a.slug, "title": a.title} for a in self.orphan_articles
                ],
                "groups": [
                    {"id": g.id, "slug": g.slug, "name": g.name} for g in self.orphan_groups
                ],
                "headings": [{"id": e.entity_id, "title": e.label} for e in self.orphan_headings],
            },
            "navigation": {
                "changed": self.nav_changed,
                "before": self.nav_before,
                "after": self.nav_after,
            },
            "warnings": self.warnings,
            "editedInPlain": [e.to_json() for e in self.edits],
            "missingPermissions": [
                {"permission": name, "neededFor": why}
                for name, why in self.missing_permissions.items()
            ],
        }


def _html_diff(old: str, new: str, limit: int = 24) -> str:
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), "published", "local", n=1, lineterm=""
        )
    )
    if len(lines) > limit:
        lines = [*lines[:limit], f"... {len(lines) - limit} more lines"]
    return "\n".join(lines)


def _changed_fields(
    desired: DesiredArticle, html: str, group_id: str | None, remote: RemoteArticle
) -> tuple[str, ...]:
    pairs = {
        "title": (desired.title, remote.title),
        "slug": (desired.slug, remote.slug),
        "description": (desired.description or None, remote.description or None),
        "icon": (desired.icon or None, remote.icon or None),
        "status": (desired.status, remote.status),
        "group": (group_id, remote.group_id),
    }
    changed = [name for name, (mine, theirs) in pairs.items() if mine != theirs]
    if not same_content(html, remote.content_html):
        changed.append("contentHtml")
    return tuple(changed)


class _Matcher:
    """Pairs local articles and groups with remote ones: pinned id, then slug, then alias."""

    def __init__(self, remote: RemoteState, plan: Plan) -> None:
        self.remote = remote
        self.plan = plan
        self.claimed: dict[str, str] = {}  # remote id -> local file that claimed it

    def claim(self, remote_id: str, source: str) -> None:
        other = self.claimed.get(remote_id)
        if other is not None:
            raise PlanError(f"{source} and {other} both match the same Plain item {remote_id}")
        self.claimed[remote_id] = source

    def articles(
        self, desired: list[DesiredArticle]
    ) -> list[tuple[DesiredArticle, RemoteArticle | None, str | None]]:
        """Each local article with its remote one and the slug it is renamed from. Pinned ids
        are matched first, for all articles, so a slug still held by a pinned article that
        is being renamed away (a swap, a chain) is not taken for another file's."""
        remote = self.remote
        pinned: dict[int, RemoteArticle] = {}
        for n, article in enumerate(desired):
            if not article.pinned_id:
                continue
            found = remote.article_by_id.get(article.pinned_id)
            if found is None:
                self.plan.warnings.append(
                    f"{article.source}: pinned id {article.pinned_id} is not in this help "
                    "center; matching by slug instead"
                )
                continue
            self.claim(found.id, str(article.source))
            pinned[n] = found
        matches = []
        for n, article in enumerate(desired):
            match = pinned.get(n) or self._by_slug(article)
            renamed = match.slug if match is not None and match.slug != article.slug else None
            matches.append((article, match, renamed))
        return matches

    def _by_slug(self, desired: DesiredArticle) -> RemoteArticle | None:
        """The remote article with this slug (else an alias) that no pin claimed."""
        for name in (desired.slug, *desired.aliases):
            found = self.remote.article_by_slug.get(name)
            if found is not None and found.id not in self.claimed:
                self.claim(found.id, str(desired.source))
                return found
            if found is not None and self.claimed.get(found.id) == str(desired.source):
                return found
        return None

    def group(self, desired: DesiredGroup) -> tuple[RemoteGroup | None, RemoteGroup | None]:
        """(the remote group to update, a pinned remote group whose slug changed)"""
        by_slug = self.remote.group_by_slug.get(desired.slug)
        pinned = self.remote.group_by_id.get(desired.pinned_id) if desired.pinned_id else None
        if pinned is not None and pinned.slug != desired.slug:
            # Plain cannot change a group's slug: a new group takes over, the old one is orphaned.
            if by_slug is not None:
                self.claim(by_slug.id, str(desired.source))
            return by_slug, pinned
        found = pinned or by_slug
        if found is not None:
            self.claim(found.id, str(desired.source))
        return found, None

    def heading(
        self, desired: DesiredHeading, parent_id: str | None, unclaimed: list[IndexEntry]
    ) -> IndexEntry | None:
        """The remote heading entry for `desired`: by id, else one with the same text under
        the same parent (a heading made in the app that the content now declares)."""
        found = next((e for e in unclaimed if e.entity_id == desired.entity_id), None)
        if found is None and not desired.pinned:
            found = next(
                (e for e in unclaimed if e.label == desired.title and e.parent_id == parent_id),
                None,
            )
        if found is not None:
            unclaimed.remove(found)
            self.claim(found.entity_id, str(desired.source))
        return found


def _image_url_for(known: dict[str, LocalImage], urls: dict[str, str]) -> Any:
    def image_url(image: ImageRef) -> str:
        local = known[image.target]
        url = urls.get(local.digest)
        return image_src(url, local.digest) if url else PENDING_IMAGE + local.file_name

    return image_url


def article_html(
    site: CompiledSite, article: Article, images: dict[str, LocalImage], urls: dict[str, str]
) -> str:
    """The HTML Plain gets for an article, with uploaded image URLs (or pending markers)."""
    return site.article_html(article, _image_url_for(images, urls))


def imageless_html(site: CompiledSite) -> dict[str, str]:
    """Slug -> the HTML Plain gets, for every article that shows no image: it does not depend
    on where images were uploaded (known only once the help center is read), so it can be
    made while the help center is being read."""

    def no_image(image: ImageRef) -> str:
        raise AssertionError(f"{image.target}: an article without images showed one")

    return {
        slug: site.article_html(article, no_image)
        for slug, article in site.content.articles.items()
        if not site.bodies[slug].images
    }


def make_plan(
    site: CompiledSite,
    remote: RemoteState,
    cached: dict[str, str],
    made: dict[str, str] | None = None,
) -> Plan:
    """`cached` maps image digests to URLs this machine uploaded before (the local cache);
    the articles the content manages add the ones they show. `made` holds the HTML of
    articles made already (see :func:`imageless_html`); each is taken out of it as it is
    used, so that a large help center's HTML is not held twice."""
    content = site.content
    plan = Plan(remote.help_center_id)
    desired = desired_state(content)
    plan.navigation = desired.navigation
    matcher = _Matcher(remote, plan)

    group_ids: dict[str, str | None] = {}
    for group in desired.groups:
        remote_group, replaces = matcher.group(group)
        if remote_group is None:
            plan.groups.append(GroupAction("create", group, None, replaces))
        elif remote_group.name != group.name:
            plan.groups.append(GroupAction("rename", group, remote_group, replaces))
        else:
            plan.groups.append(GroupAction("unchanged", group, remote_group, replaces))
        group_ids[group.slug] = remote_group.id if remote_group else None

    matches = matcher.articles(desired.articles)
    # Only images in articles this content manages count as uploaded: a draft or a page
    # written by hand in Plain must not choose where the content's images load from; and
    # only on the host Plain's downloads came from (see images.trusted_image_url).
    uploaded = {
        **cached,
        **uploaded_in(
            (found.content_html for _, found, _ in matches if found is not None),
            known_urls=cached.values(),
        ),
    }
    images = {rel: local_image(rel, path) for rel, path in sorted(content.images.items())}
    plan.images = [ImageAction(img, uploaded.get(img.digest)) for img in images.values()]

    for desired_article, found, renamed_from in matches:
        article = content.articles[desired_article.slug]
        html = (made or {}).pop(desired_article.slug, None) or article_html(
            site, article, images, uploaded
        )
        if found is not None and html == found.content_html:
            html = found.content_html  # one string held for both sides, not two
        if found is None:
            plan.articles.append(ArticleAction("create", desired_article, html))
            continue
        group_id = group_ids.get(desired_article.group_slug) if desired_article.group_slug else None
        changed = _changed_fields(desired_article, html, group_id, found)
        if desired_article.group_slug and group_id is None:
            changed = tuple(dict.fromkeys((*changed, "group")))
        if changed and not found.status_known:
            # Plain requires a status on every write (it makes an article without one a
            # draft), so any write would replace a status this version cannot write back.
            plan.warnings.append(
                f"{desired_article.source}: not updated: the article has status {found.status} "
                "in Plain, which this version does not know; a newer publisher can update it"
            )
            changed = ()
        plan.articles.append(
            ArticleAction(
                "update" if changed else "unchanged",
                desired_article,
                html,
                found,
                changed,
                renamed_from,
                _html_diff(found.content_html, html) if "contentHtml" in changed else "",
            )
        )

    unclaimed = [e for e in remote.index.entries if e.type == HEADING]
    for heading in desired.headings:
        parent_id = group_ids.get(heading.parent_slug) if heading.parent_slug else None
        entry = matcher.heading(heading, parent_id, unclaimed)
        if entry is None:
            plan.headings.append(HeadingAction("create", heading, heading.entity_id))
        elif entry.label != heading.title:
            plan.headings.append(HeadingAction("rename", heading, entry.entity_id, entry.label))
        else:
            plan.headings.append(HeadingAction("unchanged", heading, entry.entity_id))
    for entry in unclaimed:
        mine = entry.entity_id.startswith(HEADING_ID_PREFIX)
        (plan.retired_headings if mine else plan.orphan_headings).append(entry)

    plan.orphan_articles = [a for a in remote.articles if a.id not in matcher.claimed]
    plan.orphan_groups = [g for g in remote.groups if g.id not in matcher.claimed]
    _warn_unknown(plan, remote)
    _describe_navigation(plan, remote, group_ids)
    return plan


def _warn_unknown(plan: Plan, remote: RemoteState) -> None:
    """Values Plain added after this version: kept as they are, and said so once each."""
    for kind in sorted({e.type for e in remote.index.entries if not e.known}):
        plan.warnings.append(
            f"the navigation has entries of type {kind}, which this version does not know; "
            "they are kept where they are"
        )
    for article in remote.articles:
        if not article.status_known:
            plan.warnings.append(
                f"article '{article.slug}' has status {article.status}, which this version "
                "does not know; it is left as it is"
            )


def heading_ids(plan: Plan) -> dict[NodeKey, str]:
    """The index entry id of each heading the content declares."""
    return {h.desired.key: h.entity_id for h in plan.headings}


_ENTRY_TYPES = {"group": ARTICLE_GROUP, "article": ARTICLE, "heading": HEADING}


def desired_entries(
    navigation: list[tuple[NodeKey, NodeKey | None]],
    ids: dict[NodeKey, str],
    labels: dict[NodeKey, str],
) -> list[IndexEntry]:
    """The content's navigation as index entries, given the Plain id of every node and the
    text of every heading."""
    return [
        IndexEntry(_ENTRY_TYPES[key[0]], ids[key], ids[parent] if parent else None, labels.get(key))
        for key, parent in navigation
    ]


def heading_labels(plan: Plan) -> dict[NodeKey, str]:
    return {h.desired.key: h.desired.title for h in plan.headings}


def index_drops(plan: Plan, *, prune: bool) -> list[str]:
    """Entity ids the index write leaves out: headings this tool made that the content no
    longer declares, and with a prune everything the prune deletes and headings made in
    the app."""
    drop = [e.entity_id for e in plan.retired_headings]
    if prune:
        drop += [a.id for a in plan.orphan_articles] + [g.id for g in plan.orphan_groups]
        drop += [e.entity_id for e in plan.orphan_headings]
    return drop


def _describe_navigation(plan: Plan, remote: RemoteState, group_ids: dict[str, str | None]) -> None:
    """Before and after, as indented titles (new items get stand-in ids for the merge)."""
    ids: dict[NodeKey, str] = heading_ids(plan)
    titles: dict[str, str] = {h.entity_id: h.desired.title for h in plan.headings}
    for action in plan.groups:
        key = action.desired.key
        ids[key] = group_ids.get(action.desired.slug) or f"new:{key[0]}:{key[1]}"
        titles[ids[key]] = action.desired.name
    for article_action in plan.articles:
        key = article_action.desired.key
        ids[key] = article_action.remote.id if article_action.remote else f"new:{key[0]}:{key[1]}"
        titles[ids[key]] = article_action.desired.title
    before = tree_order(remote.index.entries)
    desired = desired_entries(plan.navigation, ids, heading_labels(plan))
    after = merge_index(desired, before, drop=index_drops(plan, prune=False))
    plan.nav_changed = after != before
    plan.nav_before = _outline(before, lambda e: remote.title_of(e))
    plan.nav_after = _outline(after, lambda e: titles.get(e.entity_id) or remote.title_of(e))


_OUTLINE_MARKERS = {ARTICLE_GROUP: "▸ ", ARTICLE: "- ", HEADING: "§ "}


def _outline(entries: list[IndexEntry], title: Any) -> list[str]:
    """The tree as indented lines: `▸` a group, `-` an article, `§` a heading, `?` an entry
    of a type this version does not know (with its type)."""
    depth: dict[str | None, int] = {None: 0}
    lines = []
    for entry in entries:
        level = depth.get(entry.parent_id, 0)
        if entry.is_container:
            depth[entry.entity_id] = level + 1
        marker = _OUTLINE_MARKERS.get(entry.type)
        text = title(entry) if marker else f"{title(entry)} ({entry.type})"
        lines.append("  " * level + (marker or "? ") + text)
    return lines
