"""How plans and publish results are shown: rich tables for people, plain lines for logs,
Markdown for CI summaries.

Each row of a plan is built once (:func:`plan_rows`) and drawn as a terminal table, as plain
lines in a CI log (where nothing may be cut to fit a width), or as a Markdown table.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from publisher.sync.plan import Plan
from publisher.sync.publish import PublishOutcome
from publisher.wording import plural

_STYLES = {
    "create": "green",
    "update": "yellow",
    "rename": "yellow",
    "recreate": "yellow",
    "upload": "green",
    "delete": "red",
    "orphaned": "red",
    "remove": "red",
    "unchanged": "dim",
    "kept": "dim",
}


@dataclass(frozen=True)
class Row:
    action: str
    kind: str
    item: str
    details: str = ""


def plan_rows(plan: Plan, *, show_unchanged: bool = False) -> list[Row]:
    """Every change the plan makes (and, with `show_unchanged`, what it leaves alone)."""
    rows: list[Row] = []
    for group in plan.groups:
        if group.kind == "unchanged" and not group.replaces and not show_unchanged:
            continue
        details = (
            f"slug changed from '{group.replaces.slug}': a new group takes over; the old one "
            + ("is deleted" if plan.prune else "is deleted only with --prune")
            if group.replaces
            else ""
        )
        rows.append(
            Row("recreate" if group.replaces else group.kind, "group", group.desired.slug, details)
        )
    for article in plan.articles:
        if article.kind == "unchanged" and not show_unchanged:
            continue
        details = ", ".join(article.changed)
        if article.renamed_from:
            details = f"renamed from '{article.renamed_from}'; " + details
        rows.append(Row(article.kind, "article", article.desired.slug, details))
    for heading in plan.headings:
        if heading.kind == "unchanged" and not show_unchanged:
            continue
        was = f"was '{heading.old_title}'" if heading.old_title is not None else ""
        rows.append(Row(heading.kind, "heading", heading.desired.title, was))
    for retired in plan.retired_headings:
        rows.append(
            Row("remove", "heading", retired.label or retired.entity_id, "its heading file is gone")
        )
    for image in plan.uploads:
        rows.append(Row("upload", "image", image.image.rel_path, image.image.file_name))
    gone = "delete" if plan.prune else "orphaned"
    why = "in Plain, not in the content" + ("" if plan.prune else " (kept; --prune deletes it)")
    for orphan in plan.orphan_articles:
        rows.append(Row(gone, "article", orphan.slug, why))
    for orphan_group in plan.orphan_groups:
        rows.append(Row(gone, "group", orphan_group.slug, why))
    for orphan_heading in plan.orphan_headings:
        rows.append(
            Row(
                "remove" if plan.prune else "kept",
                "heading",
                orphan_heading.label or orphan_heading.entity_id,
                "made in Plain" + ("" if plan.prune else "; stays where it is"),
            )
        )
    return rows


def plan_table(plan: Plan, *, show_unchanged: bool = False) -> Table:
    table = Table(title=f"Plan for help center {plan.help_center_id}", title_justify="left")
    for name in ("action", "kind", "item"):
        table.add_column(name, no_wrap=True)
    table.add_column("details", overflow="fold")
    for row in plan_rows(plan, show_unchanged=show_unchanged):
        table.add_row(
            Text(row.action, style=_STYLES.get(row.action, "")), row.kind, row.item, row.details
        )
    return table


def print_plan(plan: Plan, console: Console, *, verbose: bool = False) -> None:
    """The plan for a person: a table on a terminal, whole lines in a log (never cut)."""
    rows = plan_rows(plan, show_unchanged=verbose)
    if not rows and not plan.nav_changed:
        console.print(f"Nothing to change in help center {plan.help_center_id}.", highlight=False)
    elif console.is_terminal:
        console.print(plan_table(plan, show_unchanged=verbose))
    else:
        console.print(f"Plan for help center {plan.help_center_id}:", highlight=False)
        for row in rows:
            line = f"  {row.action:<9} {row.kind:<8} {row.item}"
            console.print(
                line + (f"  ({row.details})" if row.details else ""),
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
    for action in plan.articles:
        if action.diff and verbose:
            console.print(Text(f"\n{action.desired.slug}: contentHtml", style="bold"))
            console.print(Text(action.diff), soft_wrap=True)
    if plan.nav_changed:
        console.print(Text("\nNavigation before:", style="bold"))
        console.print(
            "\n".join(plan.nav_before) or "(empty)", highlight=False, markup=False, soft_wrap=True
        )
        console.print(Text("Navigation after:", style="bold"))
        console.print(
            "\n".join(plan.nav_after) or "(empty)", highlight=False, markup=False, soft_wrap=True
        )
    for warning in plan.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"), soft_wrap=True)
    for name, why in plan.missing_permissions.items():
        console.print(
            Text(
                f"missing permission: {name}, needed for {why} (publish will refuse)", style="red"
            ),
            soft_wrap=True,
        )
    console.print(plan_summary(plan), highlight=False, soft_wrap=True)


def plan_summary(plan: Plan) -> str:
    groups_new = sum(1 for g in plan.groups if g.kind == "create")
    groups_changed = sum(1 for g in plan.groups if g.kind == "rename" or g.replaces)
    gone = len(plan.orphan_articles), len(plan.orphan_groups)
    parts = [
        f"{plan.count('create')} to create",
        f"{plan.count('update')} to update",
        f"{plan.count('unchanged')} unchanged",
        f"{plural(groups_new, 'group')} to create",
        f"{plural(groups_changed, 'group')} to change",
        (f"{gone[0]} to delete and {plural(gone[1], 'group')} to delete")
        if plan.prune
        else f"{gone[0]} orphaned and {plural(gone[1], 'orphaned group')}",
        f"{plural(len(plan.uploads), 'image')} to upload",
        "navigation changes" if plan.nav_changed else "navigation unchanged",
    ]
    return "Plan: " + ", ".join(parts)


def outcome_counts(outcome: PublishOutcome) -> dict[str, int | str]:
    applied = outcome.applied
    pruned = outcome.pruned
    plan = outcome.plan
    counts: dict[str, int | str] = {
        "created": len(applied.created) if applied else 0,
        "updated": len(applied.updated) if applied else 0,
        "unchanged": applied.unchanged if applied else plan.count("unchanged"),
        "deleted": len(pruned.deleted_articles) if pruned else 0,
        "groups created": len(applied.groups_created) if applied else 0,
        "groups renamed": len(applied.groups_renamed) if applied else 0,
        "groups deleted": len(pruned.deleted_groups) if pruned else 0,
        "images uploaded": len(applied.images_uploaded) if applied else 0,
        "navigation": "written" if applied and applied.index_written else "unchanged",
        "orphaned (kept)": 0 if pruned else len(plan.orphan_articles),
        "orphaned groups (kept)": 0 if pruned else len(plan.orphan_groups),
        "requests": outcome.requests,
        "time": f"{outcome.seconds:.1f}s",
    }
    if applied is None:  # a dry run: say what it would do, not that nothing happened
        counts = {
            "would create": plan.count("create"),
            "would update": plan.count("update"),
            "unchanged": plan.count("unchanged"),
            "would delete": len(plan.orphan_articles) if plan.prune else 0,
            "groups to create": sum(1 for g in plan.groups if g.kind == "create"),
            "groups to delete": len(plan.orphan_groups) if plan.prune else 0,
            "images to upload": len(plan.uploads),
            "navigation": "would change" if plan.nav_changed else "unchanged",
            "requests": outcome.requests,
            "time": f"{outcome.seconds:.1f}s",
        }
    return counts


def summary_text(outcome: PublishOutcome) -> str:
    title = "Dry run" if outcome.applied is None else "Published"
    return f"{title}: " + ", ".join(f"{k} {v}" for k, v in outcome_counts(outcome).items())


def deleted_lines(outcome: PublishOutcome) -> list[str]:
    """One line per article and group a prune deleted, for the log."""
    pruned = outcome.pruned
    if pruned is None:
        return []
    articles = {a.id: a for a in outcome.plan.orphan_articles}
    groups = {g.id: g for g in outcome.plan.orphan_groups}
    lines = [
        f"deleted article {articles[i].slug} ({articles[i].title})"
        for i in pruned.deleted_articles
        if i in articles
    ]
    lines += [
        f"deleted group {groups[i].slug} ({groups[i].name})"
        for i in pruned.deleted_groups
        if i in groups
    ]
    return lines


def _cell(text: str) -> str:
    """Text for one Markdown table cell: nothing in it can end the cell, the row or the table."""
    return " ".join(text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'").split())


def summary_markdown(outcome: PublishOutcome, *, dry_run: bool = False) -> str:
    title = "Publish plan (dry run)" if dry_run else "Help center published"
    lines = [f"### {title}", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in outcome_counts(outcome).items()]
    rows = plan_rows(outcome.plan)
    if rows:
        lines += ["", "| action | kind | item | details |", "|---|---|---|---|"]
        lines += [
            f"| {r.action} | {r.kind} | `{_cell(r.item)}` | {_cell(r.details)} |" for r in rows
        ]
    if outcome.pruned:
        lines += ["", f"Snapshot of deleted items: `{_cell(str(outcome.pruned.snapshot))}`"]
    if outcome.plan.warnings:
        lines += ["", "**Warnings**", ""]
        lines += [f"- {_cell(warning)}" for warning in outcome.plan.warnings]
    return "\n".join(lines) + "\n"
