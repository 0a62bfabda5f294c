"""Resolvers binding Plain's help-center schema to the emulator's records."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
)

from publisher.emulator import errors
from publisher.emulator.errors import MutationError, MutationFailure
from publisher.emulator.files import WorkspaceFiles
from publisher.emulator.helpcenter import HelpCenterService, normalise_slug
from publisher.emulator.models import (
    SYSTEM,
    Actor,
    Article,
    ArticleGroup,
    HelpCenter,
    MachineUser,
    Timestamp,
    WorkspaceFile,
)
from publisher.emulator.pagination import connection
from publisher.emulator.permissions import (
    MUTATION_PERMISSIONS,
    QUERY_PERMISSIONS,
    missing_message,
)

Resolver = Callable[..., Any]
_EPOCH = Timestamp(0)


@dataclass(frozen=True)
class RequestContext:
    service: HelpCenterService
    files: WorkspaceFiles
    actor: Actor
    base_url: str  # scheme://host[:port] as the client addressed the emulator
    permissions: frozenset[str]  # what the request's API key may do


if TYPE_CHECKING:
    Info = GraphQLResolveInfo[RequestContext]


def _ctx(info: Info) -> RequestContext:
    return info.context


@cache
def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def default_field_resolver(source: Any, info: Info, **_: Any) -> Any:
    """Read ``fieldName`` from a mapping, or ``field_name`` from a record."""
    if isinstance(source, Mapping):
        return source.get(info.field_name)
    return getattr(source, _snake(info.field_name), None)


def _by_id(node: Any) -> str:
    return str(node.id)


# --- Queries ---------------------------------------------------------------------------------


def _help_centers(_: None, info: Info, **page: Any) -> dict[str, Any]:
    return connection(_ctx(info).service.store.help_centers_page, _by_id, **page)


def _help_center(_: None, info: Info, id: str) -> HelpCenter | None:
    return _ctx(info).service.store.help_center(id)


def _article(_: None, info: Info, id: str) -> Article | None:
    return _ctx(info).service.store.article(id)


def _group(_: None, info: Info, id: str) -> ArticleGroup | None:
    return _ctx(info).service.store.group(id)


def _index(_: None, info: Info, id: str) -> Any:
    return _ctx(info).service.index(id)


def _article_by_slug(_: None, info: Info, helpCenterId: str, slug: str) -> Article | None:
    return _ctx(info).service.store.article_by_slug(helpCenterId, normalise_slug(slug))


def _group_by_slug(_: None, info: Info, helpCenterId: str, slug: str) -> ArticleGroup | None:
    return _ctx(info).service.store.group_by_slug(helpCenterId, normalise_slug(slug))


def _my_permissions(_: None, info: Info) -> dict[str, list[str]]:
    return {"permissions": sorted(_ctx(info).permissions)}


def _my_machine_user(_: None, info: Info) -> MachineUser | None:
    # A person's key has no machine user (Plain answers FORBIDDEN for a person's session;
    # the field is nullable, and null is the careful answer a client must handle anyway).
    actor = _ctx(info).actor
    return None if actor.type_name == "UserActor" else _machine_user(actor, info)


def _requiring(permission: str, resolve: Resolver) -> Resolver:
    """A query resolver that first checks the key's permission.

    Plain's error-handling guide lists FORBIDDEN among the query error extensions ("The API
    key is unauthorized to access the entity being queried"); it does not say which HTTP
    status carries it. The emulator answers HTTP 200 with the field null (so ``data`` is null
    or partial) and ``{"message": "Missing permission: <perm>", "extensions": {"code":
    "FORBIDDEN"}}`` (plus GraphQL's ``locations`` and ``path``) in ``errors``.
    """

    def resolve_checked(source: Any, info: Info, **args: Any) -> Any:
        if permission not in _ctx(info).permissions:
            raise GraphQLError(missing_message(permission), extensions={"code": "FORBIDDEN"})
        return resolve(source, info, **args)

    return resolve_checked


# --- Help-center types -----------------------------------------------------------------------


def _hc_articles(hc: HelpCenter, info: Info, **page: Any) -> dict[str, Any]:
    store = _ctx(info).service.store
    return connection(lambda window: store.articles_page(hc.id, window), _by_id, **page)


def _hc_groups(hc: HelpCenter, info: Info, **page: Any) -> dict[str, Any]:
    store = _ctx(info).service.store
    return connection(lambda window: store.groups_page(hc.id, window), _by_id, **page)


def _owning_help_center(node: Article | ArticleGroup, info: Info) -> HelpCenter:
    hc = _ctx(info).service.store.help_center(node.help_center_id)
    assert hc is not None  # help centers are never deleted through the API
    return hc


def _article_group(article: Article, info: Info) -> ArticleGroup | None:
    if article.group_id is None:
        return None
    return _ctx(info).service.store.group(article.group_id)


def _parent_group(group: ArticleGroup, info: Info) -> ArticleGroup | None:
    if group.parent_id is None:
        return None
    return _ctx(info).service.store.group(group.parent_id)


def _child_groups(group: ArticleGroup, info: Info, **page: Any) -> dict[str, Any]:
    store = _ctx(info).service.store
    return connection(lambda window: store.child_groups_page(group.id, window), _by_id, **page)


def _group_articles(group: ArticleGroup, info: Info, **page: Any) -> dict[str, Any]:
    store = _ctx(info).service.store
    return connection(
        lambda window: store.articles_page(group.help_center_id, window, group.id),
        _by_id,
        **page,
    )


# --- Actors and files ------------------------------------------------------------------------


def _actor_type(actor: Actor, *_: Any) -> str:
    return actor.type_name


def _machine_user(actor: Actor, info: Info) -> MachineUser:
    user = _ctx(info).service.store.machine_user(actor.id)
    if user is not None:
        return user
    # Keys are never removed from a database, but an actor must still name someone.
    return MachineUser(
        id=actor.id,
        full_name="Unknown API key",
        public_name="Unknown API key",
        created_at=_EPOCH,
        created_by=SYSTEM,
        updated_at=_EPOCH,
        updated_by=SYSTEM,
    )


def _user(actor: Actor, info: Info) -> dict[str, Any]:
    # People are the --person-key keys; any other user id came from imported data.
    name = _ctx(info).service.store.person_name(actor.id) or "Unknown user"
    return {
        "id": actor.id,
        "fullName": name,
        "publicName": name.split(" ")[0],
        "avatarUrl": None,
        "email": "unknown@example.invalid",
        "createdAt": _EPOCH,
        "updatedAt": _EPOCH,
        "isDeleted": False,
        "deletedAt": None,
    }


def _file_size(file: WorkspaceFile, _: Info) -> dict[str, Any]:
    return {
        "bytes": file.size_bytes,
        "kiloBytes": file.size_bytes / 1000,
        "megaBytes": file.size_bytes / 1_000_000,
    }


def _download_url(file: WorkspaceFile, info: Info) -> dict[str, object] | None:
    ctx = _ctx(info)
    return ctx.files.download_url(file, ctx.base_url)


# --- Mutations -------------------------------------------------------------------------------


def _mutation(payload_key: str | None, run: Callable[[RequestContext, Any], Any]) -> Resolver:
    """Wrap a service call as a ``*Output``: the payload, or ``error`` and no payload.

    A key without the mutation's permission gets Plain's MutationErrorType FORBIDDEN ("The
    user is not authorized to do this mutation. See `message` for details on which
    permissions are missing."), code ``forbidden``, no fields, in an HTTP 200 answer.
    """

    def resolve(_: None, info: Info, input: Mapping[str, Any]) -> dict[str, Any]:
        permission = MUTATION_PERMISSIONS.get(info.field_name)
        if permission is not None and permission not in _ctx(info).permissions:
            forbidden = MutationError(missing_message(permission), "FORBIDDEN", errors.FORBIDDEN)
            return {"error": forbidden}
        try:
            result = run(_ctx(info), input)
        except MutationFailure as failure:
            return {"error": failure.error}
        return {"error": None} if payload_key is None else {payload_key: result, "error": None}

    return resolve


def _upload_url(ctx: RequestContext, data: Mapping[str, Any]) -> dict[str, Any]:
    file = ctx.files.create_upload(ctx.actor, data)
    return {
        "workspaceFile": file,
        "uploadFormUrl": ctx.base_url + ctx.files.upload_path(file),
        "uploadFormData": ctx.files.upload_form_data(file),
        "expiresAt": file.upload_expires_at,
    }


MUTATIONS: dict[str, Resolver] = {
    "upsertHelpCenterArticle": _mutation(
        "helpCenterArticle", lambda c, d: c.service.upsert_article(c.actor, d)
    ),
    "deleteHelpCenterArticle": _mutation(
        None, lambda c, d: c.service.delete_article(c.actor, d["helpCenterArticleId"])
    ),
    "createHelpCenterArticleGroup": _mutation(
        "helpCenterArticleGroup", lambda c, d: c.service.create_group(c.actor, d)
    ),
    "updateHelpCenterArticleGroup": _mutation(
        "helpCenterArticleGroup", lambda c, d: c.service.update_group(c.actor, d)
    ),
    "deleteHelpCenterArticleGroup": _mutation(
        None, lambda c, d: c.service.delete_group(c.actor, d["helpCenterArticleGroupId"])
    ),
    "updateHelpCenterIndex": _mutation(
        "helpCenterIndex", lambda c, d: c.service.update_index(c.actor, d)
    ),
    "createWorkspaceFileUploadUrl": _mutation("workspaceFileUploadUrl", _upload_url),
    "createWorkspaceFileDownloadUrl": _mutation(
        "workspaceFileDownloadUrl",
        lambda c, d: c.files.create_download_url(d["workspaceFileId"], c.base_url),
    ),
    "deleteWorkspaceFile": _mutation(None, lambda c, d: c.files.delete(d["workspaceFileId"])),
}

RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {
        "helpCenters": _help_centers,
        "helpCenter": _help_center,
        "helpCenterArticle": _article,
        "helpCenterArticleGroup": _group,
        "helpCenterIndex": _index,
        "helpCenterArticleBySlug": _article_by_slug,
        "helpCenterArticleGroupBySlug": _group_by_slug,
        "myPermissions": _my_permissions,
        "myMachineUser": _my_machine_user,
    },
    "Mutation": MUTATIONS,
    "HelpCenter": {"articles": _hc_articles, "articleGroups": _hc_groups},
    "HelpCenterArticle": {"helpCenter": _owning_help_center, "articleGroup": _article_group},
    "HelpCenterArticleGroup": {
        "helpCenter": _owning_help_center,
        "parentArticleGroup": _parent_group,
        "childArticleGroups": _child_groups,
        "articles": _group_articles,
    },
    "MachineUserActor": {"machineUser": _machine_user},
    "UserActor": {"user": _user},
    "WorkspaceFile": {"fileSize": _file_size, "downloadUrl": _download_url},
}

UNION_TYPES: dict[str, Callable[..., str]] = {"InternalActor": _actor_type}


def bind(schema: GraphQLSchema) -> GraphQLSchema:
    """Attach the resolvers; fail loudly if the schema and this table drift apart."""
    for type_name, fields in RESOLVERS.items():
        gql_type = schema.get_type(type_name)
        assert isinstance(gql_type, GraphQLObjectType), type_name
        for field_name, resolver in fields.items():
            permission = QUERY_PERMISSIONS.get(field_name) if type_name == "Query" else None
            if permission is not None:
                resolver = _requiring(permission, resolver)
            gql_type.fields[field_name].resolve = resolver
    # Every operation is classed: a new one must say which permission it needs.
    assert set(MUTATIONS) == set(MUTATION_PERMISSIONS)
    assert set(RESOLVERS["Query"]) - set(QUERY_PERMISSIONS) == {"myPermissions", "myMachineUser"}
    for union_name, resolve_type in UNION_TYPES.items():
        union = schema.get_type(union_name)
        assert isinstance(union, GraphQLUnionType), union_name
        union.resolve_type = resolve_type
    return schema
