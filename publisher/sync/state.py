"""The two sides a publish compares: the help center the content describes, and the one
Plain has. Both are plain data, so the plan is a pure function of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from publisher.content.model import Article, Group, Heading, HelpCenterContent
from publisher.plain import (
    ARTICLE,
    IndexEntry,
    PlainClient,
    RemoteArticle,
    RemoteGroup,
    RemoteIndex,
)

# A node of the navigation, before Plain ids are known: ("article" | "group", slug), or
# ("heading", the id of its index entry).
NodeKey = tuple[str, str]


@dataclass(frozen=True)
class DesiredGroup:
    slug: str
    name: str
    parent_slug: str | None
    pinned_id: str | None
    source: Path  # the folder, for messages

    @property
    def key(self) -> NodeKey:
        return ("group", self.slug)


@dataclass(frozen=True)
class DesiredArticle:
    slug: str
    title: str
    description: str | None
    icon: str | None
    status: str  # Plain's spelling: PUBLISHED or DRAFT
    group_slug: str | None
    pinned_id: str | None
    aliases: tuple[str, ...]
    source: Path  # the .md file, for messages

    @property
    def key(self) -> NodeKey:
        return ("article", self.slug)


@dataclass(frozen=True)
class DesiredHeading:
    entity_id: str  # pinned, or made from where the file sits
    title: str
    parent_slug: str | None
    pinned: bool
    source: Path  # the .heading.yml file, for messages

    @property
    def key(self) -> NodeKey:
        return ("heading", self.entity_id)


@dataclass
class DesiredState:
    """What the content says the help center should be; navigation in sidebar order."""

    groups: list[DesiredGroup] = field(default_factory=list)  # parents before children
    articles: list[DesiredArticle] = field(default_factory=list)
    headings: list[DesiredHeading] = field(default_factory=list)
    navigation: list[tuple[NodeKey, NodeKey | None]] = field(default_factory=list)


def desired_state(content: HelpCenterContent) -> DesiredState:
    state = DesiredState()
    for node in content.walk():
        parent = node.parent if isinstance(node, Group) else node.group
        parent_key: NodeKey | None = ("group", parent.slug) if parent else None
        if isinstance(node, Heading):
            heading = DesiredHeading(
                node.entity_id,
                node.title,
                parent.slug if parent else None,
                bool(node.id),
                node.path,
            )
            state.headings.append(heading)
            state.navigation.append((heading.key, parent_key))
        elif isinstance(node, Group):
            state.groups.append(
                DesiredGroup(
                    node.slug, node.name, parent.slug if parent else None, node.id, node.path
                )
            )
            state.navigation.append((("group", node.slug), parent_key))
        else:
            state.articles.append(_desired_article(node))
            state.navigation.append((("article", node.slug), parent_key))
    return state


def _desired_article(article: Article) -> DesiredArticle:
    return DesiredArticle(
        slug=article.slug,
        title=article.title,
        description=article.description,
        icon=article.icon,
        status="DRAFT" if article.status == "draft" else "PUBLISHED",
        group_slug=article.group.slug if article.group else None,
        pinned_id=article.id,
        aliases=article.aliases,
        source=article.path,
    )


@dataclass
class RemoteState:
    """The help center as read: every article, group and the index, in O(N/100) requests."""

    help_center_id: str
    articles: list[RemoteArticle]
    groups: list[RemoteGroup]
    index: RemoteIndex

    def __post_init__(self) -> None:
        self.article_by_id = {a.id: a for a in self.articles}
        self.article_by_slug = {a.slug: a for a in self.articles}
        self.group_by_id = {g.id: g for g in self.groups}
        self.group_by_slug = {g.slug: g for g in self.groups}

    def title_of(self, entry: IndexEntry) -> str:
        if entry.type == ARTICLE:
            article = self.article_by_id.get(entry.entity_id)
            return article.title if article else entry.title or entry.entity_id
        group = self.group_by_id.get(entry.entity_id)
        return group.name if group else entry.label or entry.title or entry.entity_id


def read_remote(
    client: PlainClient,
    help_center_id: str,
    *,
    expected_articles: int | None = None,
    expected_groups: int | None = None,
) -> RemoteState:
    """The help center as it is, read concurrently (see PlainClient.read_help_center); the
    expected counts (the content's) let a small help center be read in one request each."""
    articles, groups, index = client.read_help_center(
        help_center_id, expected_articles=expected_articles, expected_groups=expected_groups
    )
    return RemoteState(help_center_id, articles, groups, index)
