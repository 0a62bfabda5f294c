"""Carries a plan out against Plain: groups (parents first), images, articles (concurrently),
then the navigation index once. Every step can be re-run: matching by id and slug finds what
an interrupted run already made, so a second run converges instead of duplicating."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TypeVar

from publisher.errors import RemoteError
from publisher.plain import (
    MutationError,
    PlainClient,
    PlainError,
    RemoteArticle,
    RemoteGroup,
)
from publisher.site.compiler import CompiledSite
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
    ) -> None:
        self.client = client
        self.site = site
        self.plan = plan
        self.concurrency = concurrency
        self.index_attempts = index_attempts
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
                if action.kind == "rename":
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

    def _apply_article(self, action: ArticleAction) -> None:
        desired = action.desired
        html = article_html(
            self.site,
            self.site.content.articles[desired.slug],
            self.local_images,
            self.image_urls,
        )
        try:
            if action.remote is not None:
                written = self._upsert(desired, html, action.remote.id)
                self.result.updated.append(desired.slug)
            else:
                written = self._create_article(desired, html)
                self.result.created.append(desired.slug)
        except PlainError as error:
            raise PublishError(f"{desired.source}", error) from None
        self.result.ids[desired.key] = written.id
        self.progress("article", desired.slug)

    def _upsert(self, desired: DesiredArticle, html: str, article_id: str | None) -> RemoteArticle:
        group_slug = desired.group_slug
        return self.client.upsert_article(
            self.plan.help_center_id,
            article_id=article_id,
            group_id=self.result.ids[("group", group_slug)] if group_slug else None,
            title=desired.title,
            description=desired.description,
            icon=desired.icon,
            content_html=html,
            slug=desired.slug,
            status=desired.status,  # type: ignore[arg-type]
        )

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
            if found is None:
                raise
            return self._upsert(desired, html, found.id)

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
        for action in self.plan.articles:
            if action.kind == "unchanged" and action.remote is not None:
                self.result.ids[action.desired.key] = action.remote.id
                self.result.unchanged += 1
        run_concurrently(
            [a for a in self.plan.articles if a.kind != "unchanged"],
            self._apply_article,
            self.concurrency,
        )
        drop = list(drop_from_index)
        wrote = self.result.groups_created or self.result.created or self.result.updated
        if wrote or drop or self.plan.nav_changed:
            self._write_index(drop)
        # else: nothing was written and the index read moments ago needs no change.
        return self.result
