"""The GraphQL documents in ``operations.graphql``, parsed once and split per operation."""

from __future__ import annotations

import functools
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor

if TYPE_CHECKING:
    from collections.abc import Mapping

_RESOURCE = "operations.graphql"
#: How the client names the POST of a file's bytes to the file store (not GraphQL) in its
#: stats and errors.
UPLOAD_OPERATION = "UploadWorkspaceFile"


def source() -> str:
    """The text of ``operations.graphql`` as shipped in the package."""
    return resources.files("publisher.plain").joinpath(_RESOURCE).read_text(encoding="utf-8")


class _SpreadCollector(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.add(node.name.value)


def _spreads(node: Node) -> set[str]:
    collector = _SpreadCollector()
    visit(node, collector)
    return collector.names


@functools.cache
def documents() -> Mapping[str, str]:
    """Operation name -> a document holding that operation and the fragments it uses.

    Sending one operation at a time (not the whole file) keeps requests small and lets a
    server's query-cost accounting see only what is run.
    """
    document: DocumentNode = parse(source())
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    result: dict[str, str] = {}
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if definition.name is None:
            raise ValueError("every operation in operations.graphql must be named")
        needed: list[str] = []
        pending = sorted(_spreads(definition))
        while pending:
            name = pending.pop()
            if name in needed:
                continue
            needed.append(name)
            pending.extend(sorted(_spreads(fragments[name]) - set(needed)))
        parts = [print_ast(definition)] + [print_ast(fragments[n]) for n in sorted(needed)]
        result[definition.name.value] = "\n\n".join(parts) + "\n"
    return MappingProxyType(result)


@functools.cache
def mutation_names() -> frozenset[str]:
    """The operations in ``operations.graphql`` that are mutations."""
    document_node: DocumentNode = parse(source())
    return frozenset(
        d.name.value
        for d in document_node.definitions
        if isinstance(d, OperationDefinitionNode) and d.operation.value == "mutation" and d.name
    )


#: The name of a request that runs one mutation several times (see `batched`).
BATCH_SUFFIX = "Batch"


def is_write(operation: str) -> bool:
    """Whether a request of this operation may change something in Plain: a mutation (alone
    or batched), or the upload of a file's bytes."""
    names = mutation_names()
    return (
        operation == UPLOAD_OPERATION
        or operation in names
        or operation.removesuffix(BATCH_SUFFIX) in names
    )


@functools.cache
def batched(operation: str, count: int) -> str:
    """A document running the mutation `operation` (one field taking `$input`) `count`
    times in one request: fields aliased `m0`, `m1`, … taking `$input0`, `$input1`, …; its
    operation is named `<operation>Batch`. A server runs a request's mutation fields one
    after the other, each with its own answer (GraphQL's rule for mutations)."""
    parsed: DocumentNode = parse(document(operation))
    definition = next(d for d in parsed.definitions if isinstance(d, OperationDefinitionNode))
    inputs = definition.variable_definitions or ()
    if definition.operation.value != "mutation" or len(inputs) != 1:
        raise ValueError(f"{operation} is not a mutation of one input")
    (field,) = definition.selection_set.selections
    assert isinstance(field, FieldNode) and field.selection_set is not None
    input_type = print_ast(inputs[0].type)
    variables = ", ".join(f"$input{n}: {input_type}" for n in range(count))
    selection = print_ast(field.selection_set)
    fields = "\n".join(
        f"  m{n}: {field.name.value}(input: $input{n}) {selection}" for n in range(count)
    )
    fragments = [print_ast(d) for d in parsed.definitions if isinstance(d, FragmentDefinitionNode)]
    head = f"mutation {operation}{BATCH_SUFFIX}({variables}) {{\n{fields}\n}}"
    return "\n\n".join([head, *fragments]) + "\n"


def document(operation: str) -> str:
    """The document to send for ``operation``; ``KeyError`` if the file has no such name."""
    return documents()[operation]
