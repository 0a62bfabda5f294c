"""How plans and publish results are shown: rich tables for people, plain lines for logs,
Markdown for CI summaries.

Each row of a plan is built once (:func:`plan_rows`) and drawn as a terminal table, as plain
lines in a CI log (where nothing may be cut to fit a width), or as a Markdown table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from publisher.sync.edits import Edit
from publisher.sync.plan import Plan
from publisher.sync.publish import PublishOutcome
from publisher.wording import plural

_STYLES = {
    "edited": "magenta",
    "conflict": "bold magenta",
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


def _edited(edit: Edit, changed: str = "") -> tuple[str, str]:
    who = edit.by.describe() if edit.by else "someone"
    when = f" at {edit.at}" if edit.at else ""
    what = f"; content differs in {changed}" if changed else ""
    return ("conflict" if edit.conflict else "edited", f"edited in Plain by {who}{when}{what}")


def edits_lines(plan: Plan) -> list[str]:
    """The edits people made in Plain, each with its diff, for the top of a plan."""
    if not plan.edits:
        return []
    lines = ["Edited in Plain (publish leaves these as they are unless --overwrite-edits):"]
    for edit in plan.edits:
        lines.append(f"  {edit.describe()}")
        if edit.kind == "navigation":
            lines.append("    (the content's order is written anyway; this is a notice)")
        lines += [f"    {line}" for line in edit.diff.splitlines()]
    return lines


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
        action: str = "recreate" if group.replaces else group.kind
        if group.edit is not None:
            action, details = _edited(group.edit)
        rows.append(Row(action, "group", group.desired.slug, details))
    for article in plan.articles:
        if article.kind == "unchanged" and not show_unchanged:
            continue
        details = ", ".join(article.changed)
        if article.renamed_from:
            details = f"renamed from '{article.renamed_from}'; " + details
        article_action: str = article.kind
        if article.edit is not None:
            article_action, details = _edited(article.edit, details)
        rows.append(Row(article_action, "article", article.desired.slug, details))
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
    for line in edits_lines(plan):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
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
        f"{plan.count('update') - sum(1 for e in plan.edits if e.kind == 'article')} to update",
        f"{plan.count('unchanged')} unchanged",
        f"{plural(groups_new, 'group')} to create",
        f"{plural(groups_changed, 'group')} to change",
        (f"{gone[0]} to delete and {plural(gone[1], 'group')} to delete")
        if plan.prune
        else f"{gone[0]} orphaned and {plural(gone[1], 'orphaned group')}",
        f"{plural(len(plan.uploads), 'image')} to upload",
        "navigation changes" if plan.nav_changed else "navigation unchanged",
    ]
    edited = sum(1 for e in plan.edits if e.kind != "navigation")
    if edited:
        parts.insert(2, f"{edited} edited in Plain (kept unless --overwrite-edits)")
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
        "kept (edited in Plain)": (
            len(applied.skipped_articles) + len(applied.skipped_groups) if applied else 0
        ),
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


def _unfenced(line: str) -> str:
    """A line inside a fenced block that cannot close the fence."""
    return line.replace("```", "'''")


#: Every ASCII punctuation character: each can start Markdown (links, images, HTML, emphasis,
#: entities, code) and each is written as itself when escaped with a backslash.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
#: Control characters, and the bidirectional controls that make text read in another order
#: than it is written.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CELL_LIMIT = 1000


def _cell(text: str, *, code: bool = False) -> str:
    """Text for one Markdown table cell or list item, shown as written: nothing in it can
    end the cell, the row or the table, or be read as Markdown or HTML (a link, an image, a
    badge, bold "Approved"). In a code span (`code`, between backticks) only a backtick and
    `|` need care; elsewhere every ASCII punctuation character is escaped. One line, at most
    1,000 characters."""
    text = " ".join(_INVISIBLE.sub(" ", text).split())
    if len(text) > _CELL_LIMIT:
        text = text[: _CELL_LIMIT - 1] + "…"
    if code:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def summary_markdown(outcome: PublishOutcome, *, dry_run: bool = False) -> str:
    title = "Publish plan (dry run)" if dry_run else "Help center published"
    lines = [f"### {title}", ""]
    if outcome.plan.edits:
        # First, since these need a person: an edit in Plain that publish did not undo.
        lines += ["**Edited in Plain**: publish left these as they are.", ""]
        for edit in outcome.plan.edits:
            lines += [f"- {_cell(edit.describe())}", "", "  ```diff"]
            lines += [f"  {_unfenced(line)}" for line in edit.diff.splitlines()]
            lines += ["  ```", ""]
    lines += ["| | |", "|---|---|"]
    lines += [f"| {key} | {value} |" for key, value in outcome_counts(outcome).items()]
    rows = plan_rows(outcome.plan)
    if rows:
        lines += ["", "| action | kind | item | details |", "|---|---|---|---|"]
        lines += [
            f"| {r.action} | {r.kind} | `{_cell(r.item, code=True)}` | {_cell(r.details)} |"
            for r in rows
        ]
    if outcome.pruned:
        lines += [
            "",
            f"Snapshot of deleted items: `{_cell(str(outcome.pruned.snapshot), code=True)}`",
        ]
    if outcome.plan.warnings:
        lines += ["", "**Warnings**", ""]
        lines += [f"- {_cell(warning)}" for warning in outcome.plan.warnings]
    return "\n".join(lines) + "\n"


def public_links(outcome: PublishOutcome) -> list[str]:
    """The public page of every article created or updated, for a reviewer to click."""
    applied = outcome.applied
    if applied is None or not outcome.public_base:
        return []
    return [
        f"{verb}: {outcome.public_base}/article/{slug}"
        for verb, slugs in (("created", applied.created), ("updated", applied.updated))
        for slug in slugs
    ]


def kept_edits_message(outcome: PublishOutcome) -> str | None:
    """Why a publish ends with exit 4: what it left as people edited it, and the two ways
    forward."""
    applied = outcome.applied
    if applied is None or not (applied.skipped_articles or applied.skipped_groups):
        return None
    skipped = {("article", s) for s in applied.skipped_articles}
    skipped |= {("group", s) for s in applied.skipped_groups}
    items = [e for e in outcome.plan.edits if (e.kind, e.item) in skipped]
    listed = "; ".join(e.describe() + (f" ({e.source})" if e.source else "") for e in items)
    return (
        f"left {plural(len(items), 'item')} as people edited them in Plain: {listed}. "
        "Either bring the edits into the content with `publisher pull --edited` (then review "
        "`git diff` and commit), or write the content over them with "
        "`publisher publish --overwrite-edits`"
    )
