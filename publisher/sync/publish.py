"""`plan` and `publish` end to end: read the help center, plan, refuse what is unsafe,
apply, prune, and account for what was done."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from publisher.errors import RemoteError
from publisher.plain import PlainClient
from publisher.site.compiler import CompiledSite
from publisher.sync.apply import Applier, ApplyResult, ProgressCallback
from publisher.sync.edits import PublishedRecord, find_edits, needs_identity
from publisher.sync.images import UploadCache
from publisher.sync.permissions import (
    READ,
    MissingPermissionError,
    granted_permissions,
    required_permissions,
)
from publisher.sync.plan import Plan, imageless_html, index_drops, make_plan
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
    #: What this tool last published (see publisher.sync.edits.PublishedRecord).
    published_record: Path | None = None
    #: Write the content's version over edits made in Plain instead of skipping them.
    overwrite_edits: bool = False


@dataclass
class PublishOutcome:
    plan: Plan
    applied: ApplyResult | None = None
    pruned: PruneResult | None = None
    requests: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    #: `https://<help center domain>`, known when articles were created or updated.
    public_base: str | None = None


def _scope(client: PlainClient, help_center_id: str) -> str:
    """Whose entries a local record holds: one help center behind one API."""
    return f"{client.api_url} {help_center_id}"


def _upload_cache(
    client: PlainClient, help_center_id: str, path: Path | None
) -> UploadCache | None:
    return UploadCache(path, _scope(client, help_center_id)) if path else None


def _published(
    client: PlainClient, help_center_id: str, path: Path | None
) -> PublishedRecord | None:
    return PublishedRecord(path, _scope(client, help_center_id)) if path else None


def read_and_plan(
    client: PlainClient,
    site: CompiledSite,
    help_center_id: str,
    upload_cache: Path | None = None,
    *,
    prune: bool = False,
    published_record: Path | None = None,
) -> tuple[Plan, RemoteState]:
    """Read the help center and the key's permissions (queries only) and work out what
    publishing would change, and which permissions it lacks for that."""
    # The read mostly waits for Plain: meanwhile this thread makes the HTML that does not
    # depend on it (about 1.5 s for 10,000 articles).
    with ThreadPoolExecutor(1, thread_name_prefix="read-help-center") as reader:
        reading = reader.submit(
            read_remote,
            client,
            help_center_id,
            expected_articles=len(site.content.articles),
            expected_groups=len(site.content.groups),
        )
        made = imageless_html(site)
        remote = reading.result()
    cache = _upload_cache(client, help_center_id, upload_cache)
    plan = make_plan(site, remote, cache.load() if cache is not None else {}, made)
    plan.prune = prune
    if (
        any(a.kind == "update" for a in plan.articles)
        or plan.nav_changed
        or any(g.kind == "rename" for g in plan.groups)
    ):
        me = client.my_machine_user_id() if needs_identity(plan, remote) else None
        record = _published(client, help_center_id, published_record)
        published = record.load() if record is not None else {}
        find_edits(plan, remote, me, published)
    needed = required_permissions(plan, prune=prune)
    if set(needed) - {READ}:  # reading worked already: a plan that writes nothing asks nothing
        granted = granted_permissions(client)
        if granted is None:
            plan.warnings.append(
                "could not read the key's permissions (myPermissions); a missing one shows "
                "at the first write that needs it"
            )
        else:
            plan.missing_permissions = {k: v for k, v in needed.items() if k not in granted}
    return plan, remote


def publish(
    client: PlainClient,
    site: CompiledSite,
    help_center_id: str,
    options: PublishOptions,
    progress: ProgressCallback | None = None,
) -> PublishOutcome:
    """Make the help center match the content. Raises PublishError (a write failed: re-run),
    PruneRefusedError or MissingPermissionError (before any write) or IndexConflictError."""
    started = time.perf_counter()
    requests_before = client.stats.requests
    plan, remote = read_and_plan(
        client,
        site,
        help_center_id,
        options.upload_cache,
        prune=options.prune,
        published_record=options.published_record,
    )
    outcome = PublishOutcome(plan)
    if options.prune:
        check_prune(plan, remote, yes=options.yes, max_share=options.max_prune_share)
    if plan.missing_permissions and not options.dry_run:
        raise MissingPermissionError(plan.missing_permissions)
    writes_before = client.stats.writes
    try:
        _carry_out(client, site, plan, remote, options, outcome, progress)
    except RemoteError as error:
        error.wrote = client.stats.writes > writes_before
        raise
    outcome.requests = client.stats.requests - requests_before
    outcome.seconds = time.perf_counter() - started
    return outcome


def _carry_out(
    client: PlainClient,
    site: CompiledSite,
    plan: Plan,
    remote: RemoteState,
    options: PublishOptions,
    outcome: PublishOutcome,
    progress: ProgressCallback | None,
) -> None:
    help_center_id = plan.help_center_id
    if not options.dry_run:
        applier = Applier(
            client,
            site,
            plan,
            concurrency=options.concurrency,
            progress=progress,
            overwrite_edits=options.overwrite_edits,
        )
        try:
            outcome.applied = applier.apply(drop_from_index=index_drops(plan, prune=options.prune))
        finally:
            cache = _upload_cache(client, help_center_id, options.upload_cache)
            if cache is not None:
                cache.save(applier.image_urls)
            record = _published(client, help_center_id, options.published_record)
            if record is not None:
                record.save(applier.result.fingerprints)
        applied = outcome.applied
        if applied is not None and (applied.created or applied.updated):
            center = client.get_help_center(help_center_id)
            domain = center.custom_domain_name or center.domain_name
            outcome.public_base = f"https://{domain}" if domain else None
        if options.prune and (plan.orphan_articles or plan.orphan_groups):
            outcome.pruned = prune(client, plan, remote, options.backups_dir, options.concurrency)
