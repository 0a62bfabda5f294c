"""Every GraphQL document the client sends is valid against Plain's schema and the emulator's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from publisher.plain import operations

PLAIN_SCHEMA = Path(__file__).resolve().parents[2] / "shared/plain/schema.graphql"
EMULATOR_SCHEMA = Path(__file__).resolve().parents[1] / "publisher/emulator/schema.graphql"

OPERATION_NAMES = sorted(operations.documents())


def _load(path: Path) -> GraphQLSchema:
    return build_schema(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def plain_schema() -> GraphQLSchema:
    if not PLAIN_SCHEMA.is_file():
        message = f"Plain's published schema is missing: {PLAIN_SCHEMA} not found"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return _load(PLAIN_SCHEMA)


@pytest.fixture(scope="module")
def emulator_schema() -> GraphQLSchema:
    if not EMULATOR_SCHEMA.is_file():
        pytest.skip(f"the emulator's schema is not there yet: {EMULATOR_SCHEMA} not found")
    return _load(EMULATOR_SCHEMA)


def _errors(schema: GraphQLSchema, document: str) -> list[str]:
    return [error.message for error in validate(schema, parse(document))]


def test_operations_file_has_the_client_operations() -> None:
    assert set(OPERATION_NAMES) == {
        "HelpCenters",
        "HelpCenterArticles",
        "HelpCenterArticleGroups",
        "HelpCenterArticlesFromEnd",
        "HelpCenterArticleGroupsFromEnd",
        "HelpCenterIndex",
        "HelpCenterArticle",
        "HelpCenterArticleBySlug",
        "HelpCenterArticleGroup",
        "HelpCenterArticleGroupBySlug",
        "UpsertHelpCenterArticle",
        "DeleteHelpCenterArticle",
        "CreateHelpCenterArticleGroup",
        "UpdateHelpCenterArticleGroup",
        "DeleteHelpCenterArticleGroup",
        "UpdateHelpCenterIndex",
        "CreateWorkspaceFileUploadUrl",
        "CreateWorkspaceFileDownloadUrl",
        "MyPermissions",
        "MyMachineUser",
        "HelpCenter",
    }


def test_whole_file_validates_against_plain(plain_schema: GraphQLSchema) -> None:
    assert _errors(plain_schema, operations.source()) == []


@pytest.mark.parametrize("name", OPERATION_NAMES)
def test_operation_validates_against_plain(plain_schema: GraphQLSchema, name: str) -> None:
    # Each document as sent: the operation plus exactly the fragments it uses.
    assert _errors(plain_schema, operations.document(name)) == []


@pytest.mark.parametrize("name", OPERATION_NAMES)
def test_operation_validates_against_emulator(emulator_schema: GraphQLSchema, name: str) -> None:
    assert _errors(emulator_schema, operations.document(name)) == []


def test_mutations_select_the_mutation_error(plain_schema: GraphQLSchema) -> None:
    # Failures come back as data; a mutation that does not select `error` would hide them.
    for name in OPERATION_NAMES:
        document = operations.document(name)
        if document.startswith("mutation"):
            assert "...MutationErrorFields" in document, name
