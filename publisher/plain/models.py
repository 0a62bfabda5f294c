"""Typed views of what Plain returns: immutable, so they can be shared between threads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ArticleStatus = Literal["DRAFT", "PUBLISHED"]
FileVisibility = Literal["PUBLIC", "PRIVATE"]
#: ``HelpCenterIndexItemType``. Plain adds values over time (``HEADING`` came after the SDK's
#: schema), so an entry's type is kept as the string Plain sent; these are the ones we know.
IndexEntryType = str
ARTICLE: IndexEntryType = "ARTICLE"
ARTICLE_GROUP: IndexEntryType = "ARTICLE_GROUP"
HEADING: IndexEntryType = "HEADING"
KNOWN_INDEX_TYPES = frozenset({ARTICLE, ARTICLE_GROUP, HEADING})
KNOWN_ARTICLE_STATUSES = frozenset({"DRAFT", "PUBLISHED"})


def _str(obj: Mapping[str, Any], key: str) -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, expected a string")
    return value


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, expected a string")
    return value


def _nested_id(obj: Mapping[str, Any], key: str) -> str | None:
    inner = obj.get(key)
    if inner is None:
        return None
    return _str(inner, "id")


def _iso(obj: Mapping[str, Any], key: str) -> str | None:
    # Plain's DateTime is an object; only the ISO form is asked for.
    inner = obj.get(key)
    if inner is None:
        return None
    return _opt_str(inner, "iso8601")


ActorKind = Literal["user", "machine_user", "system", "unknown"]
_ACTOR_KINDS: dict[str, ActorKind] = {
    "UserActor": "user",
    "MachineUserActor": "machine_user",
    "SystemActor": "system",
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who last changed something (Plain's ``InternalActor``): a person in the app, a
    machine user's API key, or the system."""

    kind: ActorKind
    id: str
    name: str | None = None

    def describe(self) -> str:
        if self.kind == "user":
            return f"{self.name or 'a person'} in Plain's app"
        if self.kind == "machine_user":
            return f"API key of machine user {self.id}"
        return f"Plain ({self.kind} {self.id})".replace(" unknown", "")

    @classmethod
    def from_graphql(cls, node: Mapping[str, Any] | None) -> Actor | None:
        if not node:
            return None
        kind = _ACTOR_KINDS.get(str(node.get("__typename")), "unknown")
        ident = node.get("userId") or node.get("machineUserId") or node.get("systemId") or ""
        user = node.get("user") if isinstance(node.get("user"), Mapping) else None
        return cls(kind, str(ident), _opt_str(user, "fullName") if user else None)


@dataclass(frozen=True, slots=True)
class HelpCenter:
    id: str
    public_name: str
    internal_name: str
    #: Host the public pages are served from (``https://<domain_name>/article/<slug>``).
    domain_name: str | None = None
    custom_domain_name: str | None = None

    @classmethod
    def from_graphql(cls, node: Mapping[str, Any]) -> HelpCenter:
        domain = node.get("domainSettings") or {}
        return cls(
            id=_str(node, "id"),
            public_name=_str(node, "publicName"),
            internal_name=_str(node, "internalName"),
            domain_name=_opt_str(domain, "domainName"),
            custom_domain_name=_opt_str(domain, "customDomainName"),
        )


@dataclass(frozen=True, slots=True)
class RemoteArticle:
    id: str
    slug: str
    title: str
    description: str | None
    icon: str | None
    content_html: str
    #: ``DRAFT`` or ``PUBLISHED``, or a status Plain added later, kept as sent (see
    #: :attr:`status_known`): such an article is left as it is, never rejected.
    status: str
    group_id: str | None
    updated_at: str | None = None
    updated_by: Actor | None = None

    @property
    def status_known(self) -> bool:
        return self.status in KNOWN_ARTICLE_STATUSES

    @classmethod
    def from_graphql(cls, node: Mapping[str, Any]) -> RemoteArticle:
        return cls(
            id=_str(node, "id"),
            slug=_str(node, "slug"),
            title=_str(node, "title"),
            description=_opt_str(node, "description"),
            icon=_opt_str(node, "icon"),
            content_html=_str(node, "contentHtml"),
            status=_str(node, "status"),
            group_id=_nested_id(node, "articleGroup"),
            updated_at=_iso(node, "updatedAt"),
            updated_by=Actor.from_graphql(node.get("updatedBy")),
        )


@dataclass(frozen=True, slots=True)
class RemoteGroup:
    id: str
    slug: str
    name: str
    parent_id: str | None
    updated_at: str | None = None
    updated_by: Actor | None = None

    @classmethod
    def from_graphql(cls, node: Mapping[str, Any]) -> RemoteGroup:
        return cls(
            id=_str(node, "id"),
            slug=_str(node, "slug"),
            name=_str(node, "name"),
            parent_id=_nested_id(node, "parentArticleGroup"),
            updated_at=_iso(node, "updatedAt"),
            updated_by=Actor.from_graphql(node.get("updatedBy")),
        )


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One place in the sidebar: an article, a group, a heading, or a kind Plain added later.

    Equality covers what ``updateHelpCenterIndex`` takes only: the type, the entity id, the
    parent and, for every type but articles and groups, the label (a heading's text).
    """

    type: IndexEntryType
    entity_id: str
    parent_id: str | None = None
    #: Sent as ``title``: the text of a HEADING (Plain ignores it for articles and groups,
    #: so it is None for them). Kept for types we do not know, so they go back as they came.
    label: str | None = None
    # Informational (read back from Plain, for reports); not sent and not compared.
    title: str | None = field(default=None, compare=False)
    slug: str | None = field(default=None, compare=False)

    @property
    def is_container(self) -> bool:
        """Whether other entries can sit under this one (only groups can)."""
        return self.type == ARTICLE_GROUP

    @property
    def known(self) -> bool:
        return self.type in KNOWN_INDEX_TYPES

    def to_input(self) -> dict[str, Any]:
        """The ``HelpCenterIndexItemInput`` form."""
        item: dict[str, Any] = {
            "type": self.type,
            "entityId": self.entity_id,
            "parentId": self.parent_id,
        }
        if self.label is not None:
            item["title"] = self.label
        return item

    @classmethod
    def from_graphql(cls, item: Mapping[str, Any]) -> IndexEntry:
        kind = _str(item, "type")
        title = _opt_str(item, "title")
        return cls(
            type=kind,
            entity_id=_str(item, "id"),
            parent_id=_opt_str(item, "parentId"),
            label=None if kind in (ARTICLE, ARTICLE_GROUP) else title,
            title=title,
            slug=_opt_str(item, "slug"),
        )


@dataclass(frozen=True, slots=True)
class RemoteIndex:
    """The navigation tree, flat, in sidebar order; ``parent_id`` nests an entry in a group."""

    help_center_id: str
    hash: str
    entries: tuple[IndexEntry, ...]
    updated_at: str | None = None
    updated_by: Actor | None = None

    @classmethod
    def from_graphql(cls, node: Mapping[str, Any]) -> RemoteIndex:
        return cls(
            help_center_id=_str(node, "helpCenterId"),
            hash=_str(node, "hash"),
            entries=tuple(IndexEntry.from_graphql(i) for i in node["navIndex"]),
            updated_at=_iso(node, "updatedAt"),
            updated_by=Actor.from_graphql(node.get("updatedBy")),
        )


@dataclass(frozen=True, slots=True)
class UploadTarget:
    """Where and how to POST a workspace file (``WorkspaceFileUploadUrl``)."""

    file_id: str
    upload_form_url: str
    #: Form fields to send, in order, before the file itself.
    upload_form_data: tuple[tuple[str, str], ...]
    expires_at: str | None = None

    @classmethod
    def from_graphql(cls, node: Mapping[str, Any]) -> UploadTarget:
        return cls(
            file_id=_str(node["workspaceFile"], "id"),
            upload_form_url=_str(node, "uploadFormUrl"),
            upload_form_data=tuple(
                (_str(p, "key"), _str(p, "value")) for p in node["uploadFormData"]
            ),
            expires_at=_iso(node, "expiresAt"),
        )


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A workspace file that has been uploaded and can be linked to."""

    id: str
    file_name: str
    download_url: str
