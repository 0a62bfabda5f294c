"""Edits made in Plain's app: found in the plan, kept by publish, brought home by pull.

An article or group whose version in Plain differs from the content, and whose last update
was not made by this tool's key (a person in the app, another key, or Plain itself), was
edited in Plain. Publishing would write over that edit, so it is shown apart and skipped
unless the writer says to overwrite it.

Whether the content changed too (a conflict) needs what this tool last published: the
hash of each article it wrote or found unchanged is kept in the cache folder
(`published.json`), which CI keeps with the render cache. Without it, an edit is reported as
an edit, never silently as a conflict-free one.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from publisher.errors import UsageError
from publisher.plain import Actor
from publisher.sync.records import ScopedRecord

if TYPE_CHECKING:
    from publisher.content.model import HelpCenterContent
    from publisher.sync.plan import Plan
    from publisher.sync.state import DesiredArticle, RemoteState

EditKind = Literal["article", "group", "navigation"]


@dataclass
class Edit:
    """A change someone made in Plain that publishing the content would undo."""

    kind: EditKind
    item: str  # the article's or group's slug, or "navigation"
    source: Path | None  # the file (or folder) the content keeps it in
    by: Actor | None
    at: str | None
    #: The content changed as well since this tool last published the item.
    conflict: bool = False
    #: Plain's version against the content's, as Markdown (articles) or outlines.
    diff: str = ""
    #: The remote id, for `pull --edited` and reports.
    remote_id: str | None = None

    def describe(self) -> str:
        who = self.by.describe() if self.by else "someone"
        when = f" at {self.at}" if self.at else ""
        what = "changed in Plain and in the content" if self.conflict else "edited in Plain"
        return f"{self.kind} {self.item}: {what} by {who}{when}"

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "item": self.item,
            "file": str(self.source) if self.source else None,
            "id": self.remote_id,
            "conflict": self.conflict,
            "by": {"kind": self.by.kind, "id": self.by.id, "name": self.by.name}
            if self.by
            else None,
            "at": self.at,
            "diff": self.diff,
        }


def is_ours(actor: Actor | None, me: str | None) -> bool:
    """Whether a change was made by this tool's key. A change with no author known (a server
    that does not say) counts as ours: nothing can be told apart then."""
    if actor is None:
        return True
    return actor.kind == "machine_user" and me is not None and actor.id == me


def needs_identity(plan: Plan, remote: RemoteState) -> bool:
    """Whether telling edits apart needs the key's machine user id: only when something the
    plan would change was last written by some machine user (a no-op asks nothing)."""
    authors = [a.remote.updated_by for a in plan.articles if a.kind == "update" and a.remote]
    authors += [g.remote.updated_by for g in plan.groups if g.kind == "rename" and g.remote]
    if plan.nav_changed:
        authors.append(remote.index.updated_by)
    return any(actor is not None and actor.kind == "machine_user" for actor in authors)


def _published_parts(desired: DesiredArticle, html: str) -> list[str]:
    return [
        desired.title,
        desired.slug,
        desired.description or "",
        desired.icon or "",
        desired.status,
        desired.group_slug or "",
        html,
    ]


def fingerprint(desired: DesiredArticle, html: str) -> str:
    """What an earlier version recorded for an article: fields and canonical HTML, as one
    hash. Still read (see :func:`same_as_published`); no longer written, because making the
    canonical form parses the whole article, about 2 ms each: 20 s for 10,000 articles."""
    from publisher.render.canonical import canonical_html

    parts = _published_parts(desired, canonical_html(html))
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


#: Marks a record entry made by :func:`published_digest` (an earlier version's are bare hex).
DIGEST_PREFIX = "sha256:"


def published_digest(desired: DesiredArticle, html: str) -> str:
    """What this tool publishes for an article, as one hash of its fields and exact HTML:
    the record entry that tells an edit in Plain from a conflict next time.

    The exact HTML rather than its canonical form: hashing is some 200 times cheaper than
    parsing, and the two differ only when a new renderer changes the layout of an article
    whose Markdown did not change (then `plan` finds it unchanged, and the run records the new
    HTML). An article edited in Plain within that same window is reported as a conflict,
    which it is not: the careful side, as a conflict is kept all the same."""
    parts = _published_parts(desired, html)
    return DIGEST_PREFIX + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def same_as_published(recorded: str, desired: DesiredArticle, html: str) -> bool:
    """Whether the content's version of an article is what the record says was published."""
    if recorded.startswith(DIGEST_PREFIX):
        return recorded == published_digest(desired, html)
    return recorded == fingerprint(desired, html)


def find_edits(plan: Plan, remote: RemoteState, me: str | None, published: dict[str, str]) -> None:
    """Mark in `plan` what people changed in Plain (`plan.edits`, and `edit` on actions)."""
    for action in plan.articles:
        found = action.remote
        if action.kind != "update" or found is None or is_ours(found.updated_by, me):
            continue
        last = published.get(found.id)
        action.edit = Edit(
            "article",
            action.desired.slug,
            action.desired.source,
            found.updated_by,
            found.updated_at,
            conflict=last is not None and not same_as_published(last, action.desired, action.html),
            diff=markdown_diff(found.content_html, action.html),
            remote_id=found.id,
        )
        plan.edits.append(action.edit)
    for group in plan.groups:
        found_group = group.remote
        if group.kind != "rename" or found_group is None:
            continue
        if is_ours(found_group.updated_by, me):
            continue
        group.edit = Edit(
            "group",
            group.desired.slug,
            group.desired.source,
            found_group.updated_by,
            found_group.updated_at,
            diff=f"- name: {found_group.name}\n+ name: {group.desired.name}",
            remote_id=found_group.id,
        )
        plan.edits.append(group.edit)
    index = remote.index
    managed = {a.remote.id for a in plan.articles if a.remote}
    managed |= {g.remote.id for g in plan.groups if g.remote}
    reordered_by_someone = (
        plan.nav_changed
        and not is_ours(index.updated_by, me)
        # Plain itself re-indexes (a new help center's empty sidebar, entries appended when
        # articles are made): only a person's or another key's order is an edit to report.
        and index.updated_by is not None
        and index.updated_by.kind != "system"
        and any(entry.entity_id in managed for entry in index.entries)
    )
    if reordered_by_someone:
        diff = difflib.unified_diff(
            plan.nav_before, plan.nav_after, "Plain", "content", lineterm=""
        )
        plan.edits.append(
            Edit(
                "navigation",
                "navigation",
                None,
                index.updated_by,
                index.updated_at,
                diff="\n".join(diff),
            )
        )


def markdown_diff(plain_html: str, content_html: str, limit: int = 60) -> str:
    """Plain's version against the content's, both as Markdown (the converter `pull` uses),
    so a writer reads a change in the words rather than in the markup."""
    from publisher.html_to_markdown import html_to_markdown

    before = html_to_markdown(plain_html).splitlines()
    after = html_to_markdown(content_html).splitlines()
    lines = list(difflib.unified_diff(before, after, "Plain", "content", n=1, lineterm=""))
    if len(lines) > limit:
        lines = [*lines[:limit], f"... {len(lines) - limit} more lines"]
    return "\n".join(lines)


class PublishedRecord(ScopedRecord):
    """Article id -> fingerprint of what this tool last published, per help center: the
    common ancestor that tells an edit in Plain from a conflict."""


def _write(root: Path, path: Path, text: str) -> None:
    """Write a file of the content without following any link inside it."""
    from publisher.safe_write import UnsafePath, write_file

    try:
        write_file(root, path.relative_to(root).as_posix(), text.encode("utf-8"))
    except UnsafePath as error:
        raise UsageError(f"{error}: not written") from None


@dataclass
class BroughtHome:
    """What `pull --edited` wrote: each file changed, and edits it could not write back."""

    written: list[Path]
    left: list[str]


def bring_home(plan: Plan, remote: RemoteState, content: HelpCenterContent) -> BroughtHome:
    """Write each article and group edited in Plain back into its own file: the body from
    Plain's HTML (as `pull` converts it) and what Plain holds (title, description, icon,
    status; a group's name), keeping every other front-matter key (id, aliases, order, slug).
    The navigation is the content's to say, so an edited order is not written back."""
    import frontmatter
    import yaml

    from publisher.html_to_markdown import html_to_markdown

    paths = {slug: article.rel_path for slug, article in content.articles.items()}
    written: list[Path] = []
    left: list[str] = []
    for edit in plan.edits:
        if edit.kind == "article" and edit.remote_id in remote.article_by_id and edit.source:
            found = remote.article_by_id[edit.remote_id]
            local = content.articles.get(edit.item)
            post = frontmatter.load(str(edit.source))
            post["title"] = found.title
            for key, value in (("description", found.description), ("icon", found.icon)):
                if value:
                    post[key] = value
                else:
                    post.metadata.pop(key, None)
            if found.status == "DRAFT":
                post["status"] = "draft"
            elif found.status == "PUBLISHED":
                post.metadata.pop("status", None)
            post.content = html_to_markdown(
                found.content_html,
                article_paths=paths,
                source_path=local.rel_path if local else "",
            ).rstrip("\n")
            text = frontmatter.dumps(post, sort_keys=False, allow_unicode=True) + "\n"
            _write(content.root, edit.source, text)
            written.append(edit.source)
        elif edit.kind == "group" and edit.remote_id in remote.group_by_id and edit.source:
            config = edit.source / "_group.yml"
            meta = yaml.safe_load(config.read_text(encoding="utf-8")) if config.is_file() else {}
            meta = meta if isinstance(meta, dict) else {}
            meta["name"] = remote.group_by_id[edit.remote_id].name
            meta.setdefault("id", edit.remote_id)
            _write(content.root, config, yaml.safe_dump(meta, sort_keys=False, allow_unicode=True))
            written.append(config)
        elif edit.kind == "navigation":
            left.append("the sidebar order (the content's order stays: reorder the files)")
    return BroughtHome(written, left)
