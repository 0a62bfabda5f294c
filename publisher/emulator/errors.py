"""Plain's ``MutationError`` shape, raised by the service and returned as data."""

from __future__ import annotations

from dataclasses import dataclass, field

# Codes Plain documents for MutationError.code.
INPUT_VALIDATION = "input_validation"
NOT_FOUND = "not_found"
FORBIDDEN = "forbidden"
INTERNAL = "internal"


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str
    type: str  # MutationFieldErrorType: VALIDATION, REQUIRED or NOT_FOUND


@dataclass(frozen=True)
class MutationError:
    message: str
    type: str  # MutationErrorType: VALIDATION, FORBIDDEN or INTERNAL
    code: str
    fields: list[FieldError] = field(default_factory=list)


class MutationFailure(Exception):
    """A mutation that failed as Plain reports it: HTTP 200 with ``error`` set."""

    def __init__(self, error: MutationError) -> None:
        super().__init__(error.message)
        self.error = error


def invalid(field_name: str, message: str, field_type: str = "VALIDATION") -> MutationFailure:
    return invalid_fields([FieldError(field_name, message, field_type)])


def invalid_fields(fields: list[FieldError]) -> MutationFailure:
    message = "Input validation failed: " + "; ".join(f"{f.field}: {f.message}" for f in fields)
    return MutationFailure(MutationError(message, "VALIDATION", INPUT_VALIDATION, fields))


def not_found(field_name: str, what: str, entity_id: str) -> MutationFailure:
    message = f"{what} {entity_id} not found"
    error = MutationError(
        message, "VALIDATION", NOT_FOUND, [FieldError(field_name, message, "NOT_FOUND")]
    )
    return MutationFailure(error)
