"""What reading a C header gives: its :class:`Declarations`, or a :class:`HeaderError`.

Its own module, below the rest of the header reader (the preprocessor, the attribute
lifter, the builder, the constant evaluator all raise the error), so that each of
them imports it and none imports another just for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .c_types import CType


class HeaderError(ValueError):
    """A header that cannot be read, with where and why."""


@dataclass
class Declarations:
    """What a header declares: laid-out types by name, and integer constants."""

    #: "struct sample", "union value", "enum mode", typedef names -> type.
    types: dict[str, CType] = field(default_factory=dict)
    #: ``#define`` integer constants and enumerators.
    constants: dict[str, int] = field(default_factory=dict)
    #: Record names in the order they were defined (what a user picks from).
    records: list[str] = field(default_factory=list)

    def resolve(self, name: str) -> CType:
        """The type called ``name``: a typedef, or ``struct``/``union``/``enum`` with or
        without the keyword."""
        name = " ".join(name.split())
        for candidate in (name, f"struct {name}", f"union {name}", f"enum {name}"):
            if candidate in self.types:
                return self.types[candidate]
        known = ", ".join(self.records) or "none"
        raise HeaderError(f"no type called {name!r} in the header (its structs and unions: {known})")
