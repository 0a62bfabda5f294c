"""`plan` and `publish` end to end: read the help center, plan, refuse what is unsafe,
apply, prune, and account for what was done."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from publisher.plain import PlainClient
from publisher.site.compiler import CompiledSite
from publisher.sync.apply import Applier, ApplyResult, ProgressCallback
from publisher.sync.images import UploadCache, uploaded_in
from publisher.sync.plan import Plan, make_plan
from publisher.sync.prune import PruneResult, check_prune, prune
from publisher.sync.state import RemoteState, read_remote


@dataclass
class PublishOptions:
    prune: bool = False
    yes: bool = False
    dry_run: bool = False
    concurrency: int = 8
    max_prune_share: float = 0.5
    backups_dir: Path = Path(".publisher/backups")
    upload_cache: Path | None = None


@dataclass
class PublishOutcome:
    plan: Plan
    applied: ApplyResult | None = None
    pruned: PruneResult | None = None
    requests: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _upload_cache(
    client: PlainClient, help_center_id: str, path: Path | None
) -> UploadCache | None:
    return UploadCache(path, f"{client.api_url} {help_center_id}") if path else None


def read_and_plan(
    client: PlainClient, site: CompiledSite, help_center_id: str, upload_cache: Path | None = None
) -> tuple[Plan, RemoteState]:
    """Read the help center (queries only) and work out what publishing would change."""
    remote = read_remote(client, help_center_id)
    known = uploaded_in(article.content_html for article in remote.articles)
    cache = _upload_cache(client, help_center_id, upload_cache)
    if cache is not None:
        known = {**cache.load(), **known}
    return make_plan(site, remote, known), remote


def publish(
    client: PlainClient,
    site: CompiledSite,
    help_center_id: str,
    options: PublishOptions,
    progress: ProgressCallback | None = None,
) -> PublishOutcome:
    """Make the help center match the content. Raises PublishError (a write failed: re-run),
    PruneRefusedError (before any write) or IndexConflictError."""
    started = time.perf_counter()
    requests_before = client.stats.requests
    plan, remote = read_and_plan(client, site, help_center_id, options.upload_cache)
    outcome = PublishOutcome(plan)
    if options.prune:
        check_prune(plan, remote, yes=options.yes, max_share=options.max_prune_share)
    if not options.dry_run:
        applier = Applier(client, site, plan, concurrency=options.concurrency, progress=progress)
        drop = [a.id for a in plan.orphan_articles] + [g.id for g in plan.orphan_groups]
        try:
            outcome.applied = applier.apply(drop_from_index=drop if options.prune else ())
        finally:
            cache = _upload_cache(client, help_center_id, options.upload_cache)
            if cache is not None:
                cache.save(applier.image_urls)
        if options.prune and (plan.orphan_articles or plan.orphan_groups):
            outcome.pruned = prune(client, plan, remote, options.backups_dir, options.concurrency)
    outcome.requests = client.stats.requests - requests_before
    outcome.seconds = time.perf_counter() - started
    return outcome
