"""The emulator's schema must be a faithful subset of Plain's published schema."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest
from graphql import (
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
    build_schema,
    parse,
    print_ast,
    validate,
)

PLAIN_SCHEMA = Path(__file__).parents[2] / "shared/plain/schema.graphql"


def _emulator_schema() -> GraphQLSchema:
    sdl = resources.files("publisher.emulator").joinpath("schema.graphql").read_text("utf-8")
    return build_schema(sdl)


@pytest.fixture(scope="module")
def emulator_schema() -> GraphQLSchema:
    return _emulator_schema()


@pytest.fixture(scope="module")
def plain_schema() -> GraphQLSchema:
    if not PLAIN_SCHEMA.is_file():
        reason = f"Plain's reference schema is missing: {PLAIN_SCHEMA} does not exist"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return build_schema(PLAIN_SCHEMA.read_text("utf-8"))


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
    }
    assert {
        "upsertHelpCenterArticle",
        "deleteHelpCenterArticle",
        "createHelpCenterArticleGroup",
        "updateHelpCenterArticleGroup",
        "deleteHelpCenterArticleGroup",
        "updateHelpCenterIndex",
        "createWorkspaceFileUploadUrl",
    } <= set(emulator_schema.mutation_type.fields)


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


@pytest.mark.parametrize("query", RICH_QUERIES)
def test_rich_queries_validate_against_both_schemas(
    query: str, emulator_schema: GraphQLSchema, plain_schema: GraphQLSchema
) -> None:
    document = parse(query)
    assert validate(plain_schema, document) == []
    assert validate(emulator_schema, document) == []
