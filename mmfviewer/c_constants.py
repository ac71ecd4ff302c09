"""C integer constant expressions, computed as gcc computes them on LP64 Linux.

Array sizes, bitfield widths, enumerators, ``#if`` conditions, ``#define`` values and
``aligned(N)`` are all integer constant expressions: C computes them in int, unsigned
int, long and unsigned long, each wrapping at its width, with C's division (towards
zero) and C's literal types. :class:`ConstantEvaluator` reads them from pycparser's
tree; the builder of types is one (it knows the types that ``sizeof`` and casts name).
"""

from __future__ import annotations

from collections.abc import Callable

from pycparser import c_ast

from .c_declarations import Declarations, HeaderError
from .c_types import CType, Scalar

#: A C integer: its value, its width in bits, and whether it is unsigned.
_Int = tuple[int, int, bool]


class ConstantEvaluator:
    """The value of an integer constant expression in pycparser's tree, bounded (no
    1 << 10**9). A subclass says what a type name means (:meth:`type_of`, for casts,
    ``sizeof`` and ``_Alignof``) and how an error is told (:meth:`fail`)."""

    #: The ``#define`` constants and enumerators known so far, in ``decls.constants``.
    decls: Declarations
    #: The width integers start at: C's int; 64 in #if, which computes in intmax_t.
    int_bits: int

    def fail(self, node: object, message: str) -> HeaderError:
        """The error to raise for ``node``, saying where it is."""
        raise NotImplementedError

    def type_of(self, node: object, typedef: str = "") -> CType:
        """The laid-out type that ``node`` (a pycparser type node) names."""
        raise NotImplementedError

    def constant(self, node: object) -> int:
        """The value of an integer constant expression (bounded: no 1 << 10**9)."""
        value = self._value(node)[0]
        if not -(1 << 64) <= value < (1 << 64):
            raise self.fail(node, "a constant beyond 64 bits")
        return value

    # Why typed: C computes in int, unsigned int, long and unsigned long, each
    # wrapping at its width, and we computed in Python's unbounded integers: ~0u was
    # -1 (gcc: 4294967295), -1 < 0u was true, (unsigned char)300 was 300 (gcc: 44),
    # 1 << 31 in an enum was 2147483648 (gcc: -2147483648).

    def _value(self, node: object) -> _Int:
        if isinstance(node, c_ast.Constant):
            return self.literal_typed(node)
        if isinstance(node, c_ast.ID):
            if node.name in self.decls.constants:
                value = self.decls.constants[node.name]
                return self._fitting(value) or (value, 64, True)
            raise self.fail(node, f"{node.name!r} is not a known constant")
        if isinstance(node, c_ast.Cast):
            operand, to = self._value(node.expr)[0], self.type_of(node.to_type)
            if not isinstance(to, Scalar) or to.kind in ("float", "longdouble"):
                raise self.fail(node, f"a cast to {to.name} in a constant")
            if to.kind == "bool":
                return int(operand != 0), self.int_bits, False
            unsigned = to.kind == "pointer" or not to.signed
            wrapped = _wrap(operand, to.size * 8, unsigned)
            return (wrapped, to.size * 8, unsigned) if to.size * 8 >= self.int_bits else \
                (wrapped, self.int_bits, False)  # (narrower than int: promoted to int)
        if isinstance(node, c_ast.TernaryOp):
            return self._value(node.iftrue if self.constant(node.cond) else node.iffalse)
        if isinstance(node, c_ast.UnaryOp):
            if node.op in ("sizeof", "_Alignof", "alignof"):
                if not isinstance(node.expr, c_ast.Typename):
                    raise self.fail(node, f"{node.op} of an expression is not supported; use a type")
                t = self.type_of(node.expr)
                return (t.size if node.op == "sizeof" else t.align), 64, True  # a size_t
            v, bits, unsigned = self._value(node.expr)
            if node.op == "!":
                return int(not v), self.int_bits, False
            ops = {"-": lambda: -v, "+": lambda: v, "~": lambda: ~v}
            if node.op in ops:
                return _wrap(ops[node.op](), bits, unsigned), bits, unsigned
        if isinstance(node, c_ast.BinaryOp):
            a, a_bits, a_unsigned = self._value(node.left)
            if node.op in ("&&", "||"):  # the right side only when needed, as in C
                if (node.op == "&&") != bool(a):
                    return int(bool(a)), self.int_bits, False
                return int(bool(self._value(node.right)[0])), self.int_bits, False
            b, b_bits, b_unsigned = self._value(node.right)
            if node.op in ("<<", ">>"):  # in the left side's type
                if not 0 <= b < a_bits:
                    raise self.fail(node, f"a shift by {b} bits of a {a_bits}-bit value")
                return _wrap(a << b if node.op == "<<" else a >> b, a_bits, a_unsigned), a_bits, a_unsigned
            # The usual arithmetic conversions, on LP64: the wider type; at equal
            # widths, unsigned if either is.
            bits = max(a_bits, b_bits)
            unsigned = (a_unsigned and a_bits == bits) or (b_unsigned and b_bits == bits)
            a, b = _wrap(a, bits, unsigned), _wrap(b, bits, unsigned)
            if node.op in ("/", "%") and b == 0:
                raise self.fail(node, "a division by zero")
            result = _BINARY.get(node.op)
            if result is not None:
                if node.op in ("==", "!=", "<", ">", "<=", ">="):
                    return result(a, b), self.int_bits, False
                return _wrap(result(a, b), bits, unsigned), bits, unsigned
        raise self.fail(node, "not an integer constant expression")

    def _fitting(self, value: int, *, unsigned: bool = False, decimal: bool = True, long: bool = False) -> _Int | None:
        """The type C gives an integer literal of this value: the first of int,
        unsigned int, long, unsigned long that holds it (from long on with an ``l``;
        only unsigned ones with a ``u``; never unsigned int for a decimal one)."""
        for bits, is_unsigned in ((32, False), (32, True), (64, False), (64, True)):
            if bits < self.int_bits or (long and bits == 32) or (unsigned and not is_unsigned) or \
                    (decimal and not unsigned and is_unsigned and bits == 32):
                continue
            low, high = (0, 1 << bits) if is_unsigned else (-(1 << (bits - 1)), 1 << (bits - 1))
            if low <= value < high:
                return value, bits, is_unsigned
        return None

    def literal_typed(self, node: object) -> _Int:
        value = self.literal(node)
        text = str(getattr(node, "value", ""))
        if text.startswith("'"):
            return value, self.int_bits, False
        suffix = text[len(text.rstrip("uUlL")):].lower()
        decimal = not (text.lower().startswith(("0x", "0b")) or (len(text) > 1 and text.startswith("0")))
        typed = self._fitting(value, unsigned="u" in suffix, decimal=decimal, long="l" in suffix)
        if typed is None:
            raise self.fail(node, f"{text} does not fit in 64 bits")
        return typed

    def literal(self, node: object) -> int:
        text = str(getattr(node, "value", ""))
        if text.startswith("'"):
            body = text[1:-1].encode("latin-1", "replace").decode("unicode_escape", "replace")
            if len(body) != 1:
                raise self.fail(node, f"a character constant {text} that is not one character")
            return ord(body)
        digits = text.rstrip("uUlL")
        try:
            if digits.lower().startswith(("0x", "0b")):
                return int(digits, 0)
            if len(digits) > 1 and digits.startswith("0"):
                return int(digits, 8)
            return int(digits)
        except ValueError:
            raise self.fail(node, f"{text} is not an integer") from None



def _wrap(value: int, bits: int, unsigned: bool) -> int:
    """``value`` as a ``bits``-bit integer holds it (two's complement)."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if not unsigned and value >> (bits - 1) else value


def _c_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


_BINARY: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": _c_div, "%": lambda a, b: a - _c_div(a, b) * b,
    "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b,
    "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "&&": lambda a, b: int(bool(a and b)), "||": lambda a, b: int(bool(a or b)),
    "==": lambda a, b: int(a == b), "!=": lambda a, b: int(a != b),
    "<": lambda a, b: int(a < b), ">": lambda a, b: int(a > b),
    "<=": lambda a, b: int(a <= b), ">=": lambda a, b: int(a >= b),
}
