"""The emulator's schema must be a faithful subset of Plain's current schema, and every
operation the client sends must be valid against that schema.

"Plain's current schema" is the SDK's published file (../shared/plain/schema.graphql)
extended by tests/plain_additions.graphql: what Plain's live reference pages have added
since, each extension quoting its page.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    EnumTypeExtensionNode,
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InputObjectTypeExtensionNode,
    ObjectTypeExtensionNode,
    TypeExtensionNode,
    build_schema,
    extend_schema,
    parse,
    print_ast,
    validate,
)

from publisher.plain import operations

PLAIN_SCHEMA = Path(__file__).parents[2] / "shared/plain/schema.graphql"
PLAIN_ADDITIONS = Path(__file__).parent / "plain_additions.graphql"
OPERATIONS = Path(__file__).parents[1] / "publisher/plain/operations.graphql"
REFERENCE_URL = re.compile(r"https://www\.plain\.com/docs/graphql-reference/\S+")


def _emulator_schema() -> GraphQLSchema:
    sdl = resources.files("publisher.emulator").joinpath("schema.graphql").read_text("utf-8")
    return build_schema(sdl)


@pytest.fixture(scope="module")
def emulator_schema() -> GraphQLSchema:
    return _emulator_schema()


@pytest.fixture(scope="module")
def sdk_schema() -> GraphQLSchema:
    """Plain's schema as the SDK last published it."""
    if not PLAIN_SCHEMA.is_file():
        reason = f"Plain's reference schema is missing: {PLAIN_SCHEMA} does not exist"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return build_schema(PLAIN_SCHEMA.read_text("utf-8"))


@pytest.fixture(scope="module")
def additions() -> DocumentNode:
    return parse(PLAIN_ADDITIONS.read_text("utf-8"))


@pytest.fixture(scope="module")
def plain_schema(sdk_schema: GraphQLSchema, additions: DocumentNode) -> GraphQLSchema:
    """Plain's current schema: the SDK's, plus what the live reference added since. Fails if
    an addition is already in the SDK's file (then it is no longer an addition)."""
    return extend_schema(sdk_schema, additions)


def _extensions(document: DocumentNode) -> list[TypeExtensionNode]:
    found = []
    for node in document.definitions:
        assert isinstance(node, TypeExtensionNode), (
            f"plain_additions.graphql may only extend Plain's types, not define {node.kind}"
        )
        found.append(node)
    return found


def _added_members(extension: TypeExtensionNode) -> list[str]:
    if isinstance(extension, EnumTypeExtensionNode):
        return [v.name.value for v in extension.values or ()]
    if isinstance(extension, InputObjectTypeExtensionNode | ObjectTypeExtensionNode):
        return [f.name.value for f in extension.fields or ()]
    raise AssertionError(f"unexpected extension {extension.kind}")


def _members(gql_type: GraphQLNamedType | None) -> set[str]:
    if isinstance(gql_type, GraphQLEnumType):
        return set(gql_type.values)
    if isinstance(gql_type, GraphQLInputObjectType | GraphQLObjectType):
        return set(gql_type.fields)
    return set()


def test_every_addition_quotes_its_reference_page(additions: DocumentNode) -> None:
    lines = PLAIN_ADDITIONS.read_text("utf-8").splitlines()
    for extension in _extensions(additions):
        assert extension.loc is not None
        comments: list[str] = []
        row = extension.loc.start_token.line - 2  # the line above, 0-based
        while row >= 0 and lines[row].startswith("#"):
            comments.insert(0, lines[row])
            row -= 1
        name = extension.name.value
        assert any(REFERENCE_URL.search(c) for c in comments), f"{name}: no reference URL"
        assert any(re.search(r'"[^"]+"', c) for c in comments), f"{name}: no quoted sentence"


def test_additions_are_new_and_served_by_the_emulator(
    additions: DocumentNode, sdk_schema: GraphQLSchema, emulator_schema: GraphQLSchema
) -> None:
    for extension in _extensions(additions):
        name = extension.name.value
        added = _added_members(extension)
        assert added, f"{name}: an extension that adds nothing"
        already = set(added) & _members(sdk_schema.type_map.get(name))
        assert not already, f"{name}: {already} is in the SDK's schema now; drop the addition"
        missing = set(added) - _members(emulator_schema.type_map.get(name))
        assert not missing, f"{name}: the emulator does not serve {missing}"


def _own_types(schema: GraphQLSchema) -> dict[str, GraphQLNamedType]:
    return {
        name: t
        for name, t in schema.type_map.items()
        if not name.startswith("__")
        and not (isinstance(t, GraphQLScalarType) and t.ast_node is None)
    }


def _default(arg: GraphQLArgument | GraphQLInputField) -> str | None:
    node = arg.ast_node
    if node is None or node.default_value is None:
        return None
    return print_ast(node.default_value)


def _args(args: dict[str, GraphQLArgument]) -> dict[str, tuple[str, str | None]]:
    return {name: (str(a.type), _default(a)) for name, a in args.items()}


def test_every_type_exists_in_plain_with_the_same_kind(
    emulator_schema: GraphQLSchema, plain_schema: GraphQLSchema
) -> None:
    for name, own in _own_types(emulator_schema).items():
        real = plain_schema.type_map.get(name)
        assert real is not None, f"type {name} is not in Plain's schema"
        assert type(own) is type(real), f"type {name} is a different kind in Plain's schema"


def test_object_fields_and_arguments_match(
    emulator_schema: GraphQLSchema, plain_schema: GraphQLSchema
) -> None:
    for name, own in _own_types(emulator_schema).items():
        if not isinstance(own, GraphQLObjectType | GraphQLInterfaceType):
            continue
        real = plain_schema.type_map[name]
        assert isinstance(real, GraphQLObjectType | GraphQLInterfaceType)
        assert {i.name for i in own.interfaces} == {i.name for i in real.interfaces}, name
        for field_name, field in own.fields.items():
            where = f"{name}.{field_name}"
            assert field_name in real.fields, f"{where} is not in Plain's schema"
            real_field = real.fields[field_name]
            assert str(field.type) == str(real_field.type), where
            # Every argument, so that any call valid against Plain is valid here too.
            assert _args(field.args) == _args(real_field.args), where


def test_inputs_enums_and_unions_are_whole(
    emulator_schema: GraphQLSchema, plain_schema: GraphQLSchema
) -> None:
    for name, own in _own_types(emulator_schema).items():
        real = plain_schema.type_map[name]
        if isinstance(own, GraphQLInputObjectType):
            assert isinstance(real, GraphQLInputObjectType)
            ours = {n: (str(f.type), _default(f)) for n, f in own.fields.items()}
            theirs = {n: (str(f.type), _default(f)) for n, f in real.fields.items()}
            assert ours == theirs, name
        elif isinstance(own, GraphQLEnumType):
            assert isinstance(real, GraphQLEnumType)
            assert list(own.values) == list(real.values), name
        elif isinstance(own, GraphQLUnionType):
            assert isinstance(real, GraphQLUnionType)
            assert [t.name for t in own.types] == [t.name for t in real.types], name


def test_root_operations_are_the_help_center_ones(emulator_schema: GraphQLSchema) -> None:
    assert emulator_schema.query_type is not None
    assert emulator_schema.mutation_type is not None
    assert set(emulator_schema.query_type.fields) == {
        "helpCenters",
        "helpCenter",
        "helpCenterArticle",
        "helpCenterArticleGroup",
        "helpCenterIndex",
        "helpCenterArticleBySlug",
        "helpCenterArticleGroupBySlug",
        "myPermissions",
        "myMachineUser",
    }
    assert {
        "upsertHelpCenterArticle",
        "deleteHelpCenterArticle",
        "createHelpCenterArticleGroup",
        "updateHelpCenterArticleGroup",
        "deleteHelpCenterArticleGroup",
        "updateHelpCenterIndex",
        "createWorkspaceFileUploadUrl",
        "createWorkspaceFileDownloadUrl",
        "deleteWorkspaceFile",
    } <= set(emulator_schema.mutation_type.fields)


def test_every_client_operation_is_valid_against_plain_and_the_emulator(
    plain_schema: GraphQLSchema, emulator_schema: GraphQLSchema
) -> None:
    document = parse(OPERATIONS.read_text("utf-8"))
    assert [e.message for e in validate(plain_schema, document)] == []
    assert [e.message for e in validate(emulator_schema, document)] == []


@pytest.mark.parametrize("count", [2, 3, 10])
def test_batched_writes_are_valid_against_plain_and_the_emulator(
    plain_schema: GraphQLSchema, emulator_schema: GraphQLSchema, count: int
) -> None:
    document = parse(operations.batched("UpsertHelpCenterArticle", count))
    assert [e.message for e in validate(plain_schema, document)] == []
    assert [e.message for e in validate(emulator_schema, document)] == []
    assert operations.is_write("UpsertHelpCenterArticleBatch")


ACTOR = """
    __typename
    ... on UserActor { userId user { id fullName publicName email avatarUrl } }
    ... on SystemActor { systemId workflowExecutionId workflow { id name } }
    ... on MachineUserActor {
      machineUserId
      machineUser { id fullName publicName description type createdAt { iso8601 } }
    }
"""

RICH_QUERIES = [
    f"""
    query HelpCenterTree($id: ID!, $after: String) {{
      helpCenter(id: $id) {{
        id publicName internalName type description isDeleted
        domainSettings {{ domainName customDomainName }}
        createdAt {{ unixTimestamp iso8601 }}
        createdBy {{ {ACTOR} }}
        updatedBy {{ {ACTOR} }}
        articles(first: 100, after: $after) {{
          pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
          edges {{
            cursor
            node {{
              id title slug status contentHtml description icon
              statusChangedAt {{ iso8601 }}
              statusChangedBy {{ {ACTOR} }}
              helpCenter {{ id }}
              articleGroup {{ id slug parentArticleGroup {{ id }} }}
            }}
          }}
        }}
        articleGroups(last: 10) {{
          edges {{
            node {{
              id name slug
              helpCenter {{ id publicName }}
              parentArticleGroup {{ id name }}
              childArticleGroups(first: 5) {{ edges {{ node {{ id slug }} }} }}
              articles(first: 5) {{ edges {{ node {{ id articleGroup {{ id }} }} }} }}
            }}
          }}
        }}
      }}
    }}
    """,
    """
    query Index($id: ID!) {
      helpCenterIndex(id: $id) {
        helpCenterId hash
        createdAt { unixTimestamp } updatedAt { iso8601 }
        updatedBy { __typename ... on MachineUserActor { machineUserId } }
        navIndex { type id title slug parentId status description icon }
      }
    }
    """,
    """
    query BySlug($hc: ID!, $slug: String!) {
      helpCenterArticleBySlug(helpCenterId: $hc, slug: $slug) { id title helpCenter { id } }
      helpCenterArticleGroupBySlug(helpCenterId: $hc, slug: $slug) {
        id childArticleGroups(first: 1) { pageInfo { hasNextPage } }
      }
      helpCenters(first: 10) { edges { node { id publicName } } }
    }
    """,
    """
    mutation Upsert($input: UpsertHelpCenterArticleInput!) {
      upsertHelpCenterArticle(input: $input) {
        helpCenterArticle { id slug status updatedAt { iso8601 } articleGroup { id } }
        error { message type code fields { field message type } }
      }
    }
    """,
    """
    mutation Index($input: UpdateHelpCenterIndexInput!) {
      updateHelpCenterIndex(input: $input) {
        helpCenterIndex { hash navIndex { id parentId type } }
        error { message type code fields { field message type } }
      }
    }
    """,
    """
    mutation Groups(
      $c: CreateHelpCenterArticleGroupInput!
      $u: UpdateHelpCenterArticleGroupInput!
      $d: DeleteHelpCenterArticleGroupInput!
      $a: DeleteHelpCenterArticleInput!
    ) {
      createHelpCenterArticleGroup(input: $c) {
        helpCenterArticleGroup { id slug parentArticleGroup { id } }
        error { code }
      }
      updateHelpCenterArticleGroup(input: $u) { helpCenterArticleGroup { name } error { code } }
      deleteHelpCenterArticleGroup(input: $d) { error { code fields { field } } }
      deleteHelpCenterArticle(input: $a) { error { code } }
    }
    """,
    """
    mutation Upload($input: CreateWorkspaceFileUploadUrlInput!) {
      createWorkspaceFileUploadUrl(input: $input) {
        workspaceFileUploadUrl {
          uploadFormUrl
          uploadFormData { key value }
          expiresAt { iso8601 }
          workspaceFile {
            id fileName fileExtension fileMimeType visibility
            fileSize { bytes kiloBytes megaBytes }
            downloadUrl { downloadUrl expiresAt { iso8601 } }
            createdBy { __typename }
          }
        }
        error { message type code fields { field message type } }
      }
    }
    """,
]


# Queries that need what Plain's live reference added beyond the SDK's schema.
NEWER_QUERIES = [
    """
    query Headings($id: ID!) {
      helpCenterIndex(id: $id) { hash navIndex { type id title parentId } }
    }
    mutation PlaceHeading($hc: ID!, $hash: String!, $parent: ID) {
      updateHelpCenterIndex(input: {
        helpCenterId: $hc, hash: $hash,
        helpCenterIndex: [
          {type: HEADING, entityId: "getting-started", title: "Getting started"},
          {type: ARTICLE, entityId: "hca_1", parentId: $parent, title: "ignored"}
        ]
      }) { helpCenterIndex { hash } error { code } }
    }
    """,
    """
    mutation Labelled($hc: ID!) {
      upsertHelpCenterArticle(input: {
        helpCenterId: $hc, title: "T", contentHtml: "<p/>", labelTypeIds: []
      }) { helpCenterArticle { id } error { code fields { field } } }
    }
    """,
    """
    query Me {
      myPermissions { permissions }
      myMachineUser { id fullName publicName type }
    }
    """,
]


@pytest.mark.parametrize("query", RICH_QUERIES)
def test_rich_queries_validate_against_every_schema(
    query: str,
    emulator_schema: GraphQLSchema,
    sdk_schema: GraphQLSchema,
    plain_schema: GraphQLSchema,
) -> None:
    document = parse(query)
    assert validate(sdk_schema, document) == []
    assert validate(plain_schema, document) == []
    assert validate(emulator_schema, document) == []


@pytest.mark.parametrize("query", NEWER_QUERIES)
def test_newer_queries_validate_against_plain_now_and_the_emulator(
    query: str, emulator_schema: GraphQLSchema, plain_schema: GraphQLSchema
) -> None:
    document = parse(query)
    assert validate(plain_schema, document) == []
    assert validate(emulator_schema, document) == []
