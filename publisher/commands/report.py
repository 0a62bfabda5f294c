"""How plans and publish results are shown: rich tables for people, Markdown for CI summaries."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from publisher.sync.plan import Plan
from publisher.sync.publish import PublishOutcome

_STYLES = {"create": "green", "update": "yellow", "rename": "yellow", "unchanged": "dim"}


def plan_table(plan: Plan, *, show_unchanged: bool = False) -> Table:
    table = Table(title=f"Plan for help center {plan.help_center_id}", title_justify="left")
    table.add_column("action")
    table.add_column("kind")
    table.add_column("item")
    table.add_column("details", overflow="fold")
    for group in plan.groups:
        if group.kind == "unchanged" and not group.replaces and not show_unchanged:
            continue
        action = "recreate" if group.replaces else group.kind
        details = (
            f"slug changed from '{group.replaces.slug}': a new group takes over; the old one "
            "is deleted only with --prune"
            if group.replaces
            else ""
        )
        table.add_row(
            Text(action, style=_STYLES.get(group.kind, "")), "group", group.desired.slug, details
        )
    for article in plan.articles:
        if article.kind == "unchanged" and not show_unchanged:
            continue
        details = ", ".join(article.changed)
        if article.renamed_from:
            details = f"renamed from '{article.renamed_from}'; " + details
        table.add_row(
            Text(article.kind, style=_STYLES.get(article.kind, "")),
            "article",
            article.desired.slug,
            details,
        )
    for heading in plan.headings:
        if heading.kind == "unchanged" and not show_unchanged:
            continue
        table.add_row(
            Text(heading.kind, style=_STYLES.get(heading.kind, "")),
            "heading",
            heading.desired.title,
            f"was '{heading.old_title}'" if heading.old_title is not None else "",
        )
    for retired in plan.retired_headings:
        table.add_row(
            Text("remove", style="red"),
            "heading",
            retired.label or retired.entity_id,
            "made from a heading file that is gone",
        )
    for image in plan.uploads:
        table.add_row(
            Text("upload", style="green"), "image", image.image.rel_path, image.image.file_name
        )
    for orphan in plan.orphan_articles:
        table.add_row(
            Text("orphaned", style="red"), "article", orphan.slug, "in Plain, not in the content"
        )
    for orphan_group in plan.orphan_groups:
        table.add_row(
            Text("orphaned", style="red"),
            "group",
            orphan_group.slug,
            "in Plain, not in the content",
        )
    for orphan_heading in plan.orphan_headings:
        table.add_row(
            Text("kept", style="dim"),
            "heading",
            orphan_heading.label or orphan_heading.entity_id,
            "made in Plain; stays where it is (removed only with --prune)",
        )
    return table


def print_plan(plan: Plan, console: Console, *, verbose: bool = False) -> None:
    console.print(plan_table(plan, show_unchanged=verbose))
    for action in plan.articles:
        if action.diff and verbose:
            console.print(Text(f"\n{action.desired.slug}: contentHtml", style="bold"))
            console.print(Text(action.diff))
    if plan.nav_changed:
        console.print(Text("\nNavigation before:", style="bold"))
        console.print("\n".join(plan.nav_before) or "(empty)", highlight=False, markup=False)
        console.print(Text("Navigation after:", style="bold"))
        console.print("\n".join(plan.nav_after) or "(empty)", highlight=False, markup=False)
    for warning in plan.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))
    for name, why in plan.missing_permissions.items():
        console.print(
            Text(f"missing permission: {name}, needed for {why} (publish will refuse)", style="red")
        )
    console.print(plan_summary(plan))


def plan_summary(plan: Plan) -> str:
    parts = [
        f"{plan.count('create')} to create",
        f"{plan.count('update')} to update",
        f"{plan.count('unchanged')} unchanged",
        f"{len(plan.orphan_articles)} orphaned",
        f"{len(plan.uploads)} images to upload",
        "navigation changes" if plan.nav_changed else "navigation unchanged",
    ]
    return "Plan: " + ", ".join(parts)


def outcome_counts(outcome: PublishOutcome) -> dict[str, int | str]:
    applied = outcome.applied
    pruned = outcome.pruned
    return {
        "created": len(applied.created) if applied else 0,
        "updated": len(applied.updated) if applied else 0,
        "unchanged": applied.unchanged if applied else outcome.plan.count("unchanged"),
        "deleted": len(pruned.deleted_articles) if pruned else 0,
        "groups created": len(applied.groups_created) if applied else 0,
        "groups renamed": len(applied.groups_renamed) if applied else 0,
        "images uploaded": len(applied.images_uploaded) if applied else 0,
        "navigation": "written" if applied and applied.index_written else "unchanged",
        "orphaned (kept)": 0 if pruned else len(outcome.plan.orphan_articles),
        "requests": outcome.requests,
        "time": f"{outcome.seconds:.1f}s",
    }


def summary_text(outcome: PublishOutcome) -> str:
    return "Published: " + ", ".join(f"{k} {v}" for k, v in outcome_counts(outcome).items())


def summary_markdown(outcome: PublishOutcome, *, dry_run: bool = False) -> str:
    title = "Publish plan (dry run)" if dry_run else "Help center published"
    lines = [f"### {title}", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in outcome_counts(outcome).items()]
    changed = [a for a in outcome.plan.articles if a.kind != "unchanged"]
    if changed:
        lines += ["", "| action | article | fields |", "|---|---|---|"]
        lines += [f"| {a.kind} | `{a.desired.slug}` | {', '.join(a.changed)} |" for a in changed]
    if outcome.pruned:
        lines += ["", f"Snapshot of deleted items: `{outcome.pruned.snapshot}`"]
    return "\n".join(lines) + "\n"
