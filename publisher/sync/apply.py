"""Carries a plan out against Plain: groups (parents first), images, articles (concurrently),
then the navigation index once. Every step can be re-run: matching by id and slug finds what
an interrupted run already made, so a second run converges instead of duplicating."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TypeVar

from publisher.errors import RemoteError
from publisher.plain import (
    ArticleWrite,
    MutationError,
    PlainClient,
    PlainError,
    RemoteArticle,
    RemoteGroup,
)
from publisher.site.compiler import CompiledSite
from publisher.sync.edits import published_digest
from publisher.sync.images import LocalImage
from publisher.sync.navigation import merge_index, write_index
from publisher.sync.plan import (
    ArticleAction,
    GroupAction,
    Plan,
    article_html,
    desired_entries,
    heading_ids,
    heading_labels,
)
from publisher.sync.state import DesiredArticle, NodeKey

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
ProgressCallback = Callable[[str, str], None]  # (phase, item) after each write


class PublishError(RemoteError):
    """A write Plain refused or that kept failing; says which item and what Plain said."""

    def __init__(self, item: str, error: PlainError) -> None:
        self.item = item
        self.error = error
        super().__init__(f"{item}: Plain said: {error}")


@dataclass
class ApplyResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    groups_created: list[str] = field(default_factory=list)
    groups_renamed: list[str] = field(default_factory=list)
    images_uploaded: list[str] = field(default_factory=list)
    #: Edited in Plain and left as they are (no --overwrite-edits): slugs.
    skipped_articles: list[str] = field(default_factory=list)
    skipped_groups: list[str] = field(default_factory=list)
    #: Article id -> fingerprint of what Plain now has from this content (written or found
    #: unchanged), the base for telling the next edit in Plain from a conflict.
    fingerprints: dict[str, str] = field(default_factory=dict)
    index_written: bool = False
    index_attempts: int = 0
    ids: dict[NodeKey, str] = field(default_factory=dict)


def run_concurrently(items: Iterable[T], work: Callable[[T], None], concurrency: int) -> None:
    """Run `work` on every item with at most `concurrency` at once; on the first failure,
    start nothing new, let running calls finish, then raise that failure."""
    pending = list(items)
    if not pending:
        return
    if concurrency <= 1 or len(pending) == 1:
        for item in pending:
            work(item)
        return
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures: list[Future[None]] = [pool.submit(work, item) for item in pending]
        done, _ = wait(futures, return_when=FIRST_EXCEPTION)
        failed = next((f for f in done if f.exception() is not None), None)
        if failed is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            error = failed.exception()
            assert error is not None
            raise error


#: The longest start of a slug kept in a temporary one (the rest is `-tmp-` and 8 hex digits).
_TEMPORARY_STEM = 60


#: The most article writes sent in one request (when there are many to send), and the most
#: HTML one request carries (the emulator takes 10 MB; Plain does not say).
BATCH_WRITES = 10
BATCH_BYTES = 1_000_000


def temporary_slug(slug: str, article_id: str) -> str:
    """Where an article waits while the slug it holds goes to another (a swap or rotation of
    slugs): `<slug>-tmp-<8 hex digits of its id>`. The same for the same article in every run,
    so a run interrupted there finds it again (by its pinned id) and finishes the move."""
    tag = hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:8]
    stem = slug[:_TEMPORARY_STEM].strip("-") or "article"
    return f"{stem}-tmp-{tag}"


def rename_order(
    moves: Mapping[K, tuple[str | None, str]],
    temporary: Callable[[K, str], str] | None = None,
) -> list[list[tuple[K, str]]]:
    """The writes that move every article to its slug without ever asking for a slug another
    article still holds, as waves (the writes of a wave can run at once, each wave after the
    one before it).

    `moves` maps each article to write to (the slug it has now, or None for a new article;
    the slug it must get). An article waits for the one holding its slug to move first; in a
    cycle of such waits (a swap, a rotation) one article, the first of the cycle in `moves`,
    first moves to ``temporary(key, slug_now)``, which frees its slug for the rest. A write
    in the returned waves is (key, slug to write); an article so moved appears twice."""
    temporary = temporary or (lambda key, slug: temporary_slug(slug, str(key)))
    position = {key: i for i, key in enumerate(moves)}
    holder: dict[str, K] = {now: key for key, (now, _) in moves.items() if now is not None}
    waits_for: dict[K, K] = {}
    for key, (_, wanted) in moves.items():
        other = holder.get(wanted)
        if other is not None and other != key:
            waits_for[key] = other
    # Each slug is wanted by one article and held by at most one, so every article waits for
    # at most one other and is waited for by at most one: chains, and cycles to break.
    jobs: dict[K, list[str]] = {key: [wanted] for key, (_, wanted) in moves.items()}
    seen: set[K] = set()
    for start in moves:
        path: list[K] = []
        on_path: set[K] = set()
        node: K | None = start
        while node is not None and node not in seen:
            seen.add(node)
            path.append(node)
            on_path.add(node)
            node = waits_for.get(node)
        if node is not None and node in on_path:
            cycle = path[path.index(node) :]
            breaker = min(cycle, key=position.__getitem__)
            now = moves[breaker][0]
            assert now is not None  # only articles that hold a slug can be waited for
            jobs[breaker].insert(0, temporary(breaker, now))
    current = {key: now for key, (now, _) in moves.items()}
    waves: list[list[tuple[K, str]]] = []
    while jobs:
        wave = [
            (key, slugs[0]) for key, slugs in jobs.items() if holder.get(slugs[0]) in (None, key)
        ]
        if not wave:  # cannot happen: every cycle was broken above
            raise RuntimeError("slug moves wait for each other in a cycle")
        for key, slug in wave:
            now = current[key]
            if now is not None and holder.get(now) == key:
                del holder[now]
            holder[slug] = key
            current[key] = slug
            jobs[key].pop(0)
            if not jobs[key]:
                del jobs[key]
        waves.append(wave)
    return waves


class Applier:
    def __init__(
        self,
        client: PlainClient,
        site: CompiledSite,
        plan: Plan,
        *,
        concurrency: int = 8,
        index_attempts: int = 5,
        progress: ProgressCallback | None = None,
        overwrite_edits: bool = False,
    ) -> None:
        self.client = client
        self.site = site
        self.plan = plan
        self.concurrency = concurrency
        self.index_attempts = index_attempts
        self.overwrite_edits = overwrite_edits
        self.progress = progress or (lambda phase, item: None)
        self.result = ApplyResult()
        self.image_urls: dict[str, str] = {
            action.image.digest: action.url for action in plan.images if action.url
        }
        self.local_images = {action.image.rel_path: action.image for action in plan.images}

    # Groups -----------------------------------------------------------------------------

    def _group_depths(self) -> list[list[GroupAction]]:
        depth: dict[str, int] = {}
        levels: list[list[GroupAction]] = []
        for action in self.plan.groups:  # parents come before their children
            parent = action.desired.parent_slug
            level = depth[parent] + 1 if parent else 0
            depth[action.desired.slug] = level
            while len(levels) <= level:
                levels.append([])
            levels[level].append(action)
        return levels

    def _apply_group(self, action: GroupAction) -> None:
        desired = action.desired
        ids = self.result.ids
        try:
            if action.kind == "create":
                parent_id = ids[("group", desired.parent_slug)] if desired.parent_slug else None
                group = self._create_group(desired.slug, desired.name, parent_id)
                ids[desired.key] = group.id
                self.result.groups_created.append(desired.slug)
                self.progress("group", f"created {desired.slug}")
            else:
                assert action.remote is not None
                ids[desired.key] = action.remote.id
                if action.edit is not None and not self.overwrite_edits:
                    self.result.skipped_groups.append(desired.slug)
                elif action.kind == "rename":
                    self.client.update_group(action.remote.id, name=desired.name)
                    self.result.groups_renamed.append(desired.slug)
                    self.progress("group", f"renamed {desired.slug}")
        except PlainError as error:
            raise PublishError(f"{desired.source} (group '{desired.slug}')", error) from None

    def _create_group(self, slug: str, name: str, parent_id: str | None) -> RemoteGroup:
        hc = self.plan.help_center_id
        try:
            return self.client.create_group(hc, name=name, slug=slug, parent_id=parent_id)
        except MutationError as error:
            # Made by an earlier, interrupted run (or one whose response was lost): adopt it.
            existing = self.client.get_group_by_slug(hc, slug) if error.is_slug_conflict else None
            if existing is None:
                raise
            if existing.name != name:
                existing = self.client.update_group(existing.id, name=name)
            return existing

    # Images -----------------------------------------------------------------------------

    def _upload(self, image: LocalImage) -> None:
        try:
            uploaded = self.client.upload_file(image.file_name, image.path.read_bytes())
        except PlainError as error:
            raise PublishError(f"{image.path} (image)", error) from None
        self.image_urls[image.digest] = uploaded.download_url
        self.result.images_uploaded.append(image.rel_path)
        self.progress("image", image.rel_path)

    # Articles ---------------------------------------------------------------------------

    def _apply_articles(self, actions: list[ArticleAction]) -> None:
        """Write the articles concurrently, except that an article taking a slug another one
        gives up waits for that one (a swap or rotation goes through a temporary slug)."""
        # Pinned articles first: a cycle is broken at its first article, and a pinned one is
        # found again by its id wherever an interrupted run left it.
        ordered = sorted(actions, key=lambda action: action.desired.pinned_id is None)
        moves = {
            i: (action.remote.slug if action.remote else None, action.desired.slug)
            for i, action in enumerate(ordered)
        }

        def temporary(i: int, slug: str) -> str:
            remote = ordered[i].remote
            assert remote is not None
            return temporary_slug(slug, remote.id)

        def write(unit: list[tuple[int, str]]) -> None:
            if len(unit) > 1:
                self._apply_batch([ordered[i] for i, _ in unit])
                return
            ((i, slug),) = unit
            action = ordered[i]
            if slug == action.desired.slug:
                self._apply_article(action)
            else:
                self._free_slug(action, slug)

        for wave in rename_order(moves, temporary):
            run_concurrently(self._units(wave, ordered), write, self.concurrency)

    def _units(
        self, wave: list[tuple[int, str]], ordered: list[ArticleAction]
    ) -> list[list[tuple[int, str]]]:
        """The requests a wave of writes takes: one write each, unless the wave has many
        more writes than requests run at once; then articles written to their own slug go
        BATCH_WRITES to a request (fewer round trips, and fewer requests for Plain's rate
        limit), as many as keep every concurrent request busy."""
        finals = [job for job in wave if job[1] == ordered[job[0]].desired.slug]
        per_request = min(BATCH_WRITES, len(finals) // (self.concurrency * 4))
        if per_request < 2:
            return [[job] for job in wave]
        units = [[job] for job in wave if job[1] != ordered[job[0]].desired.slug]
        units += [finals[n : n + per_request] for n in range(0, len(finals), per_request)]
        return units

    def _free_slug(self, action: ArticleAction, slug: str) -> None:
        """Move an article, as it is in Plain, to a temporary slug so that another article can
        take its slug; it gets its own new slug (and content) once that one is free."""
        remote = action.remote
        assert remote is not None
        try:
            as_it_is = ArticleWrite(
                article_id=remote.id,
                group_id=remote.group_id,
                title=remote.title,
                description=remote.description,
                icon=remote.icon,
                content_html=remote.content_html,
                slug=slug,
                status=remote.status,  # type: ignore[arg-type]
            )
            self.client.write_article(self.plan.help_center_id, as_it_is)
        except PlainError as error:
            raise PublishError(
                f"{action.desired.source} (moving it from '{remote.slug}' to the temporary slug "
                f"'{slug}' to free its slug)",
                error,
            ) from None
        self.progress("article", f"{remote.slug} moved to {slug} until its new slug is free")

    def _html(self, desired: DesiredArticle) -> str:
        return article_html(
            self.site,
            self.site.content.articles[desired.slug],
            self.local_images,
            self.image_urls,
        )

    def _apply_article(self, action: ArticleAction) -> None:
        desired = action.desired
        html = self._html(desired)
        try:
            if action.remote is not None:
                written = self._upsert(desired, html, action.remote.id)
            else:
                written = self._create_article(desired, html)
        except PlainError as error:
            raise PublishError(f"{desired.source}", error) from None
        self._written(action, written, html)

    def _written(self, action: ArticleAction, written: RemoteArticle, html: str) -> None:
        desired = action.desired
        (self.result.updated if action.remote is not None else self.result.created).append(
            desired.slug
        )
        self.result.ids[desired.key] = written.id
        self.result.fingerprints[written.id] = published_digest(desired, html)
        self.progress("article", desired.slug)

    def _apply_batch(self, actions: list[ArticleAction]) -> None:
        """Several articles in one request; one that Plain refused in it (a slug conflict
        after a lost response, say) is written again on its own, as `_apply_article` does."""
        htmls = [self._html(action.desired) for action in actions]
        size = 0
        for count, html in enumerate(htmls):  # a request stays well under Plain's body limit
            size += len(html.encode("utf-8"))
            if count and size > BATCH_BYTES:
                self._apply_batch(actions[:count])
                self._apply_batch(actions[count:])
                return
        writes = [
            self._article_write(action.desired, html, action.remote.id if action.remote else None)
            for action, html in zip(actions, htmls, strict=True)
        ]
        try:
            answers = self.client.upsert_articles(self.plan.help_center_id, writes)
        except PlainError as error:
            more = f" and {len(actions) - 1} more" if len(actions) > 1 else ""
            raise PublishError(f"{actions[0].desired.source}{more}", error) from None
        for action, html, answer in zip(actions, htmls, answers, strict=True):
            if isinstance(answer, MutationError):
                self._apply_article(action)
            else:
                self._written(action, answer, html)

    def _article_write(
        self, desired: DesiredArticle, html: str, article_id: str | None
    ) -> ArticleWrite:
        group_slug = desired.group_slug
        return ArticleWrite(
            article_id=article_id,
            group_id=self.result.ids[("group", group_slug)] if group_slug else None,
            title=desired.title,
            description=desired.description,
            icon=desired.icon,
            content_html=html,
            slug=desired.slug,
            status=desired.status,  # type: ignore[arg-type]
        )

    def _upsert(self, desired: DesiredArticle, html: str, article_id: str | None) -> RemoteArticle:
        write = self._article_write(desired, html, article_id)
        return self.client.write_article(self.plan.help_center_id, write)

    def _create_article(self, desired: DesiredArticle, html: str) -> RemoteArticle:
        try:
            return self._upsert(desired, html, None)
        except MutationError as error:
            # Another run made it since we read the help center: update that one instead.
            hc = self.plan.help_center_id
            found = (
                self.client.get_article_by_slug(hc, desired.slug)
                if error.is_slug_conflict
                else None
            )
            if found is None or found.id in self._managed_ids():
                # Never take over an article another file of this content stands for.
                raise
            return self._upsert(desired, html, found.id)

    def _managed_ids(self) -> set[str]:
        return {action.remote.id for action in self.plan.articles if action.remote is not None}

    # Index ------------------------------------------------------------------------------

    def _write_index(self, drop: list[str]) -> None:
        ids = {**heading_ids(self.plan), **self.result.ids}
        desired = desired_entries(self.plan.navigation, ids, heading_labels(self.plan))
        try:
            outcome = write_index(
                self.client,
                self.plan.help_center_id,
                lambda current: merge_index(desired, current, drop=drop),
                attempts=self.index_attempts,
            )
        except PlainError as error:
            raise PublishError("navigation index", error) from None
        self.result.index_attempts = outcome.attempts
        if outcome.written:
            self.result.index_written = True
            self.progress("index", "navigation")

    # The whole run ----------------------------------------------------------------------

    def apply(self, drop_from_index: Iterable[str] = ()) -> ApplyResult:
        for level in self._group_depths():
            run_concurrently(level, self._apply_group, self.concurrency)
        run_concurrently([a.image for a in self.plan.uploads], self._upload, self.concurrency)
        to_write = []
        for action in self.plan.articles:
            if action.remote is not None and action.kind == "unchanged":
                self.result.ids[action.desired.key] = action.remote.id
                self.result.fingerprints[action.remote.id] = published_digest(
                    action.desired, action.html
                )
                self.result.unchanged += 1
            elif action.remote is not None and action.edit and not self.overwrite_edits:
                self.result.ids[action.desired.key] = action.remote.id
                self.result.skipped_articles.append(action.desired.slug)
            elif action.kind != "unchanged":
                to_write.append(action)
        self._apply_articles(to_write)
        drop = list(drop_from_index)
        wrote = self.result.groups_created or self.result.created or self.result.updated
        if wrote or drop or self.plan.nav_changed:
            self._write_index(drop)
        # else: nothing was written and the index read moments ago needs no change.
        return self.result
