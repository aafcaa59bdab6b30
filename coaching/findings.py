"""What a rule reports: a finding with a stable code, a catalog key and the numbers that fill it.

Findings hold raw values (ints, floats, lead names, work types, counted nouns), never text in a language:
`coaching.render` turns them into the rep's language. They are immutable, hashable and totally ordered, so the
engine can de-duplicate and sort them the same way every time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum
from functools import total_ordering


class Severity(IntEnum):
    """How much a finding matters now. WARNING: act now; ADVICE: change a habit; INFO: worth knowing."""

    INFO = 1
    ADVICE = 2
    WARNING = 3


@dataclass(frozen=True, slots=True)
class Count:
    """A number with its noun, rendered with the right plural: Count(1, "lead") -> "1 lead" / "3 leads".

    `unit` names the catalog keys `unit.<unit>.one` and `unit.<unit>.other`.
    """

    n: int | float
    unit: str


#: A parameter value a finding may hold; tuples hold lead names.
ParamValue = int | float | str | Count | tuple[str, ...] | None


class Params(Mapping[str, ParamValue]):
    """An immutable, hashable mapping of finding parameters, kept sorted by name."""

    __slots__ = ("_items", "_hash")

    def __init__(self, values: Mapping[str, object] | None = None) -> None:
        items = sorted((values or {}).items())
        # Lists become tuples so the mapping stays hashable.
        self._items: tuple[tuple[str, ParamValue], ...] = tuple(
            (key, tuple(value) if isinstance(value, list) else value)  # type: ignore[misc]
            for key, value in items
        )
        self._hash = hash(self._items)

    def __getitem__(self, key: str) -> ParamValue:
        for name, value in self._items:
            if name == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Params):
            return self._items == other._items
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return f"Params({dict(self._items)!r})"

    def sort_key(self) -> tuple:
        """A key that orders any two parameter sets without comparing unlike types."""
        return tuple((name, _value_key(value)) for name, value in self._items)


def _value_key(value: object) -> tuple:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    if isinstance(value, Count):
        return (1, float(value.n), value.unit)
    if isinstance(value, str):
        return (2, 0.0, value)
    return (3, 0.0, repr(value))


@total_ordering
@dataclass(frozen=True, slots=True, eq=True)
class Finding:
    """One thing a rule noticed about a rep's day.

    `key` is the catalog key of the rep-facing text and `params` fill it; `evidence` names the sources with their
    grades. Findings order by severity (highest first), then code, then key and params.
    """

    code: str
    slug: str
    misconception: int
    severity: Severity
    key: str
    params: Mapping[str, ParamValue]
    evidence: str

    def __post_init__(self) -> None:
        if not isinstance(self.params, Params):
            object.__setattr__(self, "params", Params(self.params))

    def sort_key(self) -> tuple:
        """Severity descending, then code, then key, then params."""
        return (-int(self.severity), self.code, self.key, self.params.sort_key())  # type: ignore[attr-defined]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return self.sort_key() < other.sort_key()
