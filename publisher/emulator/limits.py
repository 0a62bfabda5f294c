"""Bounds on what one GraphQL request may ask of the emulator, checked before it runs.

A CI job shares one emulator between many requests, so no single request may take it over:

- the body is at most ``MAX_BODY_BYTES`` (HTTP 413 beyond, refused by its Content-Length
  before it is read, else as it streams in);
- the query has at most ``MAX_TOKENS`` tokens (the parser stops there);
- an operation nests fields at most ``MAX_DEPTH`` deep;
- it selects at most ``MAX_FIELDS`` fields once fragments are expanded (every alias counts);
- its estimated cost, the number of fields it may resolve, is at most ``MAX_COST``: a field
  that takes ``first``/``last`` multiplies what it selects by its page size (the argument's
  value, ``MAX_PAGE_SIZE`` for a variable not given as a number, ``DEFAULT_PAGE_SIZE`` when
  absent).

The measures walk the document once, each fragment once (its measures are kept), and give up
on selections nested more than ``MAX_NESTING`` levels (fields, fragments and spreads alike),
so a hostile document costs no more to measure than to read. Plain publishes no such limits;
these are far above what `publisher` sends (its largest operation nests 7 deep and selects
28 fields; a page of 100 articles costs about 2,300).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)

from publisher.emulator.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

#: Plain writes the whole sidebar in one `updateHelpCenterIndex`: 10,000 articles make a body
#: of about 1 MB, and the largest article `publisher` sends (1,000,000 bytes of text) up to
#: 3 MB once JSON escapes every non-ASCII character. 10 MB leaves room for both.
MAX_BODY_BYTES = 10_000_000
MAX_TOKENS = 10_000
MAX_DEPTH = 12
MAX_FIELDS = 2_000
MAX_COST = 50_000
MAX_NESTING = 60

_PAGE_ARGUMENTS = ("first", "last")


@dataclass(frozen=True)
class _Measure:
    depth: int = 0  # fields nested below (a leaf field is 1)
    fields: int = 0
    cost: int = 0

    def plus(self, other: _Measure) -> _Measure:
        return _Measure(
            max(self.depth, other.depth), self.fields + other.fields, self.cost + other.cost
        )


class _TooDeep(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node


def check_limits(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    *,
    cost: bool = True,
) -> list[GraphQLError]:
    """What in ``document`` is over a limit (nothing: an empty list). The cost depends on
    the variables (page sizes); without ``cost`` only what the document alone decides is
    checked."""
    walker = _Walker(schema, document, variables or {})
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        root = schema.get_root_type(definition.operation)
        try:
            measure = walker.selections(definition.selection_set, root, 0, 0)
        except _TooDeep as too_deep:
            return [_error(str(too_deep), too_deep.node)]
        if measure.fields > MAX_FIELDS:
            return [
                _error(
                    f"The operation selects {measure.fields} fields (fragments expanded, "
                    f"aliases counted); the emulator allows at most {MAX_FIELDS}",
                    definition,
                )
            ]
        if cost and measure.cost > MAX_COST:
            return [
                _error(
                    f"The operation may resolve about {measure.cost} fields (each page size "
                    f"times what it selects); the emulator allows at most {MAX_COST}. Ask "
                    "for smaller pages or fewer fields",
                    definition,
                )
            ]
    return []


def _error(message: str, node: Node) -> GraphQLError:
    return GraphQLError(message, node)


class _Walker:
    def __init__(
        self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.measured: dict[str, _Measure] = {}
        self.visiting: set[str] = set()

    def selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        depth: int,
        nesting: int,
    ) -> _Measure:
        """The measure of ``selection_set`` under ``depth`` fields (relative to the start
        of the walk or of a fragment)."""
        if nesting > MAX_NESTING:
            raise _TooDeep(
                selection_set,
                f"Selections are nested more than {MAX_NESTING} levels deep (fields, "
                "fragments and spreads)",
            )
        total = _Measure()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total = total.plus(self._field(selection, parent, depth, nesting))
            elif isinstance(selection, InlineFragmentNode):
                inner = parent
                if selection.type_condition is not None:
                    inner = self.schema.get_type(selection.type_condition.name.value)
                total = total.plus(
                    self.selections(selection.selection_set, inner, depth, nesting + 1)
                )
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self._fragment(selection.name.value, nesting)
                if depth + fragment.depth > MAX_DEPTH:
                    raise _TooDeep(selection, _depth_message())
                total = total.plus(fragment)
        return total

    def _field(
        self, node: FieldNode, parent: GraphQLNamedType | None, depth: int, nesting: int
    ) -> _Measure:
        depth += 1
        if depth > MAX_DEPTH:
            raise _TooDeep(node, _depth_message())
        definition = _field_definition(parent, node.name.value)
        if node.selection_set is None:
            return _Measure(1, 1, 1)
        child = get_named_type(definition.type) if definition is not None else None
        inner = self.selections(node.selection_set, child, depth, nesting + 1)
        size = self._page_size(node, definition)
        return _Measure(inner.depth + 1, inner.fields + 1, 1 + size * inner.cost)

    def _fragment(self, name: str, nesting: int) -> _Measure:
        """A fragment's measure relative to where it is spread; an unknown fragment or a
        cycle measures nothing here (validation names them)."""
        known = self.measured.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return _Measure()
        self.visiting.add(name)
        try:
            parent = self.schema.get_type(definition.type_condition.name.value)
            measure = self.selections(definition.selection_set, parent, 0, nesting + 1)
        finally:
            self.visiting.discard(name)
        self.measured[name] = measure
        return measure

    def _page_size(self, node: FieldNode, definition: GraphQLField | None) -> int:
        for argument in node.arguments or ():
            if argument.name.value not in _PAGE_ARGUMENTS:
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return _clamp(int(value.value))
            if isinstance(value, VariableNode):
                given = self.variables.get(value.name.value)
                if isinstance(given, int) and not isinstance(given, bool):
                    return _clamp(given)
            return MAX_PAGE_SIZE
        if definition is not None and "first" in definition.args:
            return DEFAULT_PAGE_SIZE
        return 1


def _clamp(size: int) -> int:
    # Larger pages are refused when the field runs; a negative one as well.
    return max(1, min(size, MAX_PAGE_SIZE))


def _field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        found: GraphQLField | None = parent.fields.get(name)
        return found
    return None


def _depth_message() -> str:
    return f"The operation nests fields more than {MAX_DEPTH} deep; the emulator allows {MAX_DEPTH}"
