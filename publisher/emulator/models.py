"""The emulator's records, with attribute names that map onto Plain's GraphQL fields.

A GraphQL field ``contentHtml`` is served from the attribute ``content_html``; fields that need
the store (back-references, connections) have resolvers instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath

from publisher.emulator import ids


@dataclass(frozen=True)
class Timestamp:
    """Plain's ``DateTime``: milliseconds since the epoch, as a string and as ISO 8601."""

    millis: int

    @property
    def unix_timestamp(self) -> str:
        return str(self.millis)

    @property
    def iso8601(self) -> str:
        moment = datetime.fromtimestamp(self.millis / 1000, UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Actor:
    """Who made a change; the id's prefix says which ``InternalActor`` member it is."""

    id: str

    @property
    def type_name(self) -> str:
        if ids.has_prefix(self.id, ids.MACHINE_USER):
            return "MachineUserActor"
        if ids.has_prefix(self.id, ids.USER):
            return "UserActor"
        return "SystemActor"

    @property
    def machine_user_id(self) -> str:
        return self.id

    @property
    def user_id(self) -> str:
        return self.id

    @property
    def system_id(self) -> str:
        return self.id

    workflow_execution_id: None = None
    workflow: None = None


SYSTEM = Actor("system")


@dataclass(frozen=True)
class Audit:
    created_at: Timestamp
    created_by: Actor
    updated_at: Timestamp
    updated_by: Actor


@dataclass(frozen=True)
class MachineUser(Audit):
    id: str
    full_name: str
    public_name: str
    description: str | None = None
    type: str = "API_USER"
    avatar: None = None
    is_deleted: bool = False
    deleted_at: None = None


@dataclass(frozen=True)
class HelpCenter(Audit):
    id: str
    public_name: str
    internal_name: str
    description: str | None
    type: str
    subdomain: str
    # Branding and settings are made in the Plain app; the emulator serves fixed values.
    head_custom_js: None = None
    body_custom_js: None = None
    is_chat_enabled: bool = False
    is_customer_facing_ai_enabled: bool = False
    color: None = None
    social_preview_image: None = None
    access: None = None
    is_deleted: bool = False
    deleted_at: None = None
    deleted_by: None = None

    @property
    def domain_settings(self) -> dict[str, object]:
        return {
            "domainName": f"{self.subdomain}.help.plain.local",
            "customDomainName": None,
            "customDomainNameVerificationTxtRecord": None,
            "customDomainNameVerifiedAt": None,
        }

    @property
    def article_copy_options(self) -> dict[str, object]:
        flags = ("Plaintext", "Markdown", "Chatgpt", "Claude", "Cursor")
        return {"isEnabled": False, "options": {f"is{flag}Enabled": False for flag in flags}}

    @property
    def favicon(self) -> dict[str, None]:
        return {"light": None, "dark": None}

    agent_avatar_image = favicon
    logo = favicon

    @property
    def published_at(self) -> Timestamp:
        return self.created_at

    @property
    def published_by(self) -> Actor:
        return self.created_by


@dataclass(frozen=True)
class Article(Audit):
    id: str
    help_center_id: str
    group_id: str | None
    title: str
    description: str | None
    icon: str | None
    content_html: str
    slug: str
    status: str
    status_changed_at: Timestamp
    status_changed_by: Actor


@dataclass(frozen=True)
class ArticleGroup(Audit):
    id: str
    help_center_id: str
    parent_id: str | None
    name: str
    slug: str


@dataclass(frozen=True)
class IndexEntry:
    """One row of a help center's navigation: the stored form of an index item."""

    type: str  # ARTICLE, ARTICLE_GROUP, HEADING (or a test's extra label type)
    entity_id: str
    parent_id: str | None
    title: str | None = None  # a HEADING's label; None for articles and groups


@dataclass(frozen=True)
class NavItem:
    """A ``HelpCenterIndexItem``: an index entry joined with its article or group."""

    type: str
    id: str
    title: str
    slug: str
    parent_id: str | None
    status: str | None
    description: str | None
    icon: str | None


@dataclass(frozen=True)
class IndexMeta:
    help_center_id: str
    revision: int
    created_at: Timestamp
    created_by: Actor
    updated_at: Timestamp
    updated_by: Actor


@dataclass(frozen=True)
class HelpCenterIndex(Audit):
    help_center_id: str
    hash: str
    nav_index: list[NavItem] = field(default_factory=list)


@dataclass(frozen=True)
class WorkspaceFile(Audit):
    id: str
    file_name: str
    size_bytes: int
    file_mime_type: str
    visibility: str
    upload_token: str
    download_token: str
    cdn_token: str  # the opaque path of the file's download URL: /cdn/<cdn_token>
    upload_expires_at: Timestamp
    uploaded: bool

    @property
    def file_extension(self) -> str | None:
        suffix = PurePosixPath(self.file_name).suffix
        return suffix[1:] if suffix else None
