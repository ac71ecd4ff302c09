"""gcc as the judge of mmfviewer's C layouts (the ``gcc_says`` fixture in conftest.py runs it).

Each header of a test module's ``HEADERS`` is written to disk, and a C program that
#includes it prints ``sizeof``/``_Alignof`` of every type, ``offsetof``/``sizeof``
of every named member (nested designators such as ``a.b[2].c``), and for every
bitfield the bits that change when it alone is set to all ones. The same lines are
made from mmfviewer's layout, and the two must be equal line for line.
"""

from __future__ import annotations

import difflib
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from mmfviewer.c_header import Declarations, HeaderError, read_header
from mmfviewer.c_types import ArrayType, CType, Record, Scalar


@dataclass(frozen=True)
class Probe:
    """One line both sides print: ``c`` prints it from the compiled program,
    ``ours`` is what mmfviewer's layout says it is."""

    c: str
    ours: str


_BITS_FUNCTION = r"""
__attribute__((unused)) static void bits(const char *label, const void *object, size_t size) {
    const unsigned char *p = object;
    long first = -1, last = -1, count = 0;
    for (size_t i = 0; i < size * 8; i++)
        if (p[i / 8] >> (i % 8) & 1) {
            if (first < 0) first = (long)i;
            last = (long)i;
            count++;
        }
    printf("%s: bits %ld+%ld%s\n", label, first, count, last - first + 1 == count ? "" : " (not contiguous)");
}
"""


def _record_probes(c_type: str, record: Record) -> Iterator[Probe]:
    yield Probe(f'printf("{c_type}: size %zu align %zu\\n", sizeof({c_type}), _Alignof({c_type}));',
                f"{c_type}: size {record.size} align {record.align}")
    yield from _member_probes(c_type, record, "", 0)


def _member_probes(c_type: str, record: Record, path: str, base: int) -> Iterator[Probe]:
    """Every named member of ``record`` reached by ``path`` (a designator) at ``base``."""
    for m in record.members:
        if not m.name:
            if isinstance(m.type, Record):  # an anonymous struct or union: its members are ours
                yield from _member_probes(c_type, m.type, path, base + m.offset)
            continue
        designator = f"{path}.{m.name}" if path else m.name
        label = f"{c_type} .{designator}"
        if m.bit_width is not None:
            assert m.bit_offset is not None
            first = (base + m.offset) * 8 + m.bit_offset
            yield Probe(f"{{ {c_type} x; memset(&x, 0, sizeof x); x.{designator} = -1; "
                        f'bits("{label}", &x, sizeof x); }}',
                        f"{label}: bits {first}+{m.bit_width}")
            continue
        yield from _placed_probes(c_type, m.type, designator, base + m.offset)


def _placed_probes(c_type: str, t: CType, designator: str, offset: int) -> Iterator[Probe]:
    """``designator`` (of type ``t``) lies at ``offset``; and so on inside it."""
    label = f"{c_type} .{designator}"
    if isinstance(t, ArrayType) and t.count == 0:  # flexible: sizeof is not allowed
        yield Probe(f'printf("{label}: offset %zu\\n", offsetof({c_type}, {designator}));',
                    f"{label}: offset {offset}")
    else:
        yield Probe(f'printf("{label}: offset %zu size %zu\\n", offsetof({c_type}, {designator}), '
                    f"sizeof((({c_type} *)0)->{designator}));",
                    f"{label}: offset {offset} size {t.size}")
    if isinstance(t, ArrayType):
        last = max(t.count - 1, 0)  # the last element: its offset checks the stride too
        yield from _placed_probes(c_type, t.element, f"{designator}[{last}]", offset + last * t.element.size)
    elif isinstance(t, Record):
        yield from _member_probes(c_type, t, designator, offset)


def _type_probes(decls: Declarations) -> Iterator[Probe]:
    """Every type the header names: records member by member, enums and typedefs by size."""
    for name, t in decls.types.items():
        if name in _PRELUDE_NAMES:
            continue
        if isinstance(t, Record):
            yield from _record_probes(name, t)
        else:
            yield Probe(f'printf("{name}: size %zu align %zu\\n", sizeof({name}), _Alignof({name}));',
                        f"{name}: size {t.size} align {t.align}")
        if isinstance(t, Scalar) and t.kind == "enum":
            for value, enumerator in t.names:
                yield Probe(f'printf("{enumerator} = %lld\\n", (long long){enumerator});',
                            f"{enumerator} = {value}")


def _constant_probes(decls: Declarations, header: str) -> Iterator[Probe]:
    """The #define constants mmfviewer read as integers have the values C gives them."""
    for name, value in decls.constants.items():
        if f"#define {name}" in header:
            yield Probe(f'printf("#define {name} %lld\\n", (long long)({name}));', f"#define {name} {value}")


_PRELUDE_NAMES = frozenset(read_header("").types)


def _program(header_file: str, probes: list[Probe]) -> str:
    lines = [
        "#include <stddef.h>", "#include <stdio.h>", "#include <string.h>", f'#include "{header_file}"',
        _BITS_FUNCTION, "int main(void) {",
    ]
    lines += [f"    {p.c}" for p in probes]
    lines += ["    return 0;", "}", ""]
    return "\n".join(lines)


@dataclass
class Judged:
    """A header as mmfviewer read it and as gcc compiled it."""

    ours: list[str]
    gcc: list[str]
    #: Why there is nothing to compare (mmfviewer refused the header, gcc failed...).
    problem: str = ""


class Oracle(dict[str, Judged]):
    """Each header's two layouts, by key (its repr is short: pytest shows it on failure)."""

    def __repr__(self) -> str:
        return f"<gcc's and mmfviewer's layouts of {len(self)} headers>"


def judge_all(headers: dict[str, str], where: Path) -> Oracle:
    """Build and run one program per header (in parallel: gcc takes most of the time)."""
    gcc = shutil.which("gcc")
    assert gcc is not None

    def judge(key: str) -> Judged:
        header = headers[key]
        try:
            decls = read_header(header, f"{key}.h")
        except HeaderError as err:
            return Judged([], [], f"mmfviewer refused {key}.h: {err}")
        probes = [*_type_probes(decls), *_constant_probes(decls, header)]
        (where / f"{key}.h").write_text(header)
        (where / f"{key}.c").write_text(_program(f"{key}.h", probes))
        built = subprocess.run([gcc, "-std=c11", "-Wall", "-o", str(where / key), str(where / f"{key}.c")],
                               capture_output=True, text=True, timeout=120)
        if built.returncode != 0:
            return Judged([], [], f"gcc could not build the probe of {key}.h:\n{built.stderr}")
        ran = subprocess.run([str(where / key)], capture_output=True, text=True, timeout=60)
        if ran.returncode != 0:
            return Judged([], [], f"the probe of {key}.h failed:\n{ran.stderr}")
        return Judged([p.ours for p in probes], ran.stdout.splitlines())

    with ThreadPoolExecutor(max_workers=8) as pool:
        return Oracle(zip(headers, pool.map(judge, headers), strict=True))


def assert_laid_out_as_gcc_does(gcc_says: Oracle, key: str) -> None:
    judged = gcc_says[key]
    assert not judged.problem, judged.problem
    if judged.ours != judged.gcc:
        diff = "\n".join(difflib.unified_diff(judged.gcc, judged.ours, "gcc", "mmfviewer", lineterm="", n=1))
        pytest.fail(f"{key}.h is laid out differently from gcc:\n{diff}")
