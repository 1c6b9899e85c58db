"""Where a subscription or consumer stands in a scope: the point to resume after."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tidings.errors import ValidationError

__all__ = ["Checkpoint"]

_TEXT = re.compile(r"^(?:(\d+):)?(\d+)$")
_MAX = 2**63 - 1


@dataclass(frozen=True, order=True, slots=True)
class Checkpoint:
    """A position in a scope's delivery order; a subscription resumes strictly after it.

    Most adapters deliver in sequence number order, and their checkpoints are the
    sequence number of the last event delivered (``transaction`` is 0). PostgreSQL
    delivers in commit order, which may differ from sequence number order when writers
    lock only a category or a stream; its checkpoints also carry the writer's transaction
    id. Treat a checkpoint as opaque: keep ``str(checkpoint)`` and read it back with
    :meth:`parse`.
    """

    transaction: int
    sequence_number: int

    def __post_init__(self) -> None:
        for field in ("transaction", "sequence_number"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _MAX:
                raise ValidationError(field, f"must be an int from 0 to 2**63-1, got {value!r}")

    @classmethod
    def after_sequence_number(cls, sequence_number: int) -> Checkpoint:
        """The checkpoint of an adapter that delivers in sequence number order."""
        return cls(0, sequence_number)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read back ``str(checkpoint)``: ``"42"`` or ``"<transaction>:42"``."""
        match = _TEXT.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValidationError("checkpoint", f"must look like '42' or '1234:42', got {text!r}")
        transaction, sequence_number = match.groups()
        return cls(int(transaction or 0), int(sequence_number))

    def __str__(self) -> str:
        if self.transaction:
            return f"{self.transaction}:{self.sequence_number}"
        return str(self.sequence_number)
