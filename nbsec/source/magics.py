"""IPython syntax in cells turned into Python that :mod:`ast` can read, with line numbers kept.

IPython's own :class:`~IPython.core.inputtransformer2.TransformerManager` does the work, so
``!wget ...`` becomes ``get_ipython().system('wget ...')``, ``%pip install x`` becomes
``get_ipython().run_line_magic('pip', 'install x')`` and ``x = !ls`` an assignment: the AST rules
see these as ordinary calls. Two cases are handled here instead of by IPython:

* cell magics (``%%time``, ``%%capture``, ``%%bash`` ...): IPython folds the whole body into one
  string argument. For magics whose body is Python the body is transformed on its own, one line
  lower; for shell magics the body lines become :class:`ShellLine` entries; other bodies (HTML,
  JavaScript, ``%%writefile``) are not Python and are left to the text checks;
* line numbers: a magic continued with ``\\`` over several lines becomes one line; ``line_map`` maps
  each line of the transformed code back to the cell's own (1-based) line.

Speed (the kernel checks every cell before it runs): a cell that already parses as Python is used
as is; otherwise the escape lines alone are transformed one by one (continuations become blank
lines, so line numbers do not move), and only if that does not give valid Python does the whole
cell go through IPython's transformer.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.core.inputtransformer2 import TransformerManager

# cell magics whose body is Python code run in the kernel
PYTHON_CELL_MAGICS = frozenset(
    {"time", "timeit", "capture", "prun", "debug", "py", "python", "python3", "px", "memit"}
)
# cell magics whose body is a shell script
SHELL_CELL_MAGICS = frozenset({"bash", "sh", "script", "system", "sx"})
_MAGIC_START = re.compile(r"^\s*(?:[\w.\[\], ]+\s*=\s*)?[!%]")
# a line that is an IPython escape on its own: `!cmd`, `%magic args`, `x = !cmd`, `x = %magic`
_ESCAPE_LINE = re.compile(r"^(\s*)(?:[\w.\[\], ]+\s*=\s*)?(?:!|%(?!%))")


@dataclass(frozen=True)
class ShellLine:
    """A shell command found directly in a cell body (``%%bash`` / ``%%sh``)."""

    line: int
    command: str


@dataclass(frozen=True)
class TransformedCell:
    """``python`` is valid Python (or ``None`` if the cell still does not parse);
    ``line_map[i]`` is the cell line (1-based) of line ``i + 1`` of ``python``."""

    python: str | None
    line_map: tuple[int, ...]
    shell_lines: tuple[ShellLine, ...] = ()
    syntax_error: str | None = None
    cell_magic: str | None = None

    def original_line(self, line: int) -> int:
        if not self.line_map:
            return line
        if 1 <= line <= len(self.line_map):
            return self.line_map[line - 1]
        return self.line_map[-1]


@cache
def _manager() -> TransformerManager:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()  # type: ignore[no-untyped-call]


def _needs_ipython(source: str) -> bool:
    """Cheap test: could IPython's transformer change this source at all?"""
    return "%" in source or "!" in source or "?" in source


def _line_map(original: list[str], transformed_count: int, offset: int) -> tuple[int, ...]:
    """Map transformed lines to original lines: escaped commands (``!`` / ``%``) ending in a
    backslash swallow their continuation lines; everything else stays one to one."""
    mapping: list[int] = []
    i = 0
    while i < len(original):
        mapping.append(i + 1 + offset)
        if _MAGIC_START.match(original[i]):
            while original[i].rstrip().endswith("\\") and i + 1 < len(original):
                i += 1
        i += 1
    if len(mapping) < transformed_count:
        last = mapping[-1] if mapping else 1 + offset
        mapping.extend([last] * (transformed_count - len(mapping)))
    return tuple(mapping[:transformed_count]) if transformed_count else tuple(mapping)


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def _transform_escapes(lines: list[str]) -> str | None:
    """Fast path: transform only the lines that are IPython escapes (``!cmd``, ``%magic``,
    ``x = !cmd``), one at a time, keeping the line count (continuation lines become blank).
    ``None`` if a line could not be transformed on its own."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _ESCAPE_LINE.match(line)
        if not match:
            out.append(line)
            i += 1
            continue
        logical = line
        consumed = 0
        while logical.rstrip().endswith("\\") and i + consumed + 1 < len(lines):
            consumed += 1
            logical = logical.rstrip()[:-1] + " " + lines[i + consumed].strip()
        indent = match.group(1)
        python = simple_escape(logical[len(indent) :])
        if python is None:
            try:
                python = _manager().transform_cell(logical[len(indent) :]).strip("\n")
            except Exception:  # odd input: fall back to the whole-cell transform
                return None
        if "\n" in python:
            return None
        out.append(indent + python)
        out.extend([""] * consumed)
        i += consumed + 1
    return "\n".join(out) + "\n"


_SIMPLE_ESCAPE = re.compile(r"^(?P<target>[\w.\[\], ]+?\s*=\s*)?(?P<esc>!!|!|%)(?P<rest>[^\n]*)$")
_MAGIC_NAME = re.compile(r"^\w+$")


def simple_escape(line: str) -> str | None:
    """The Python IPython's transformer makes of one escape line (``!cmd``, ``!!cmd``,
    ``x = !cmd``, ``%magic args``, ``x = %magic args``), without importing IPython; ``None`` for
    anything else (help syntax, odd magic names), which goes to IPython itself."""
    match = _SIMPLE_ESCAPE.match(line.rstrip())
    if match is None:
        return None
    target, esc, rest = match.group("target") or "", match.group("esc"), match.group("rest")
    if rest.endswith("?") or "\\\n" in rest:
        return None
    if esc == "%":
        name, _, args = rest.partition(" ")
        if not _MAGIC_NAME.match(name):
            return None
        return f"{target}get_ipython().run_line_magic({name!r}, {args.rstrip()!r})"
    if esc == "!!" and target:
        return f"{target}get_ipython().getoutput({'!' + rest!r})"
    if esc == "!!" or target:
        return f"{target}get_ipython().getoutput({rest!r})"
    return f"get_ipython().system({rest!r})"


def _transform_lines(source: str, offset: int) -> TransformedCell:
    lines = source.splitlines()
    identity = tuple(range(1 + offset, len(lines) + 1 + offset))
    if not _needs_ipython(source) or _parses(source):
        return TransformedCell(source, identity)
    quick = _transform_escapes(lines)
    if quick is not None and _parses(quick):
        return TransformedCell(quick, identity)
    try:  # the whole cell through IPython (multi-line constructs, help syntax, ...)
        python = _manager().transform_cell(source)
    except Exception as exc:  # odd input: treated as not Python
        return TransformedCell(None, (), syntax_error=str(exc).splitlines()[0] if exc else "")
    count = python.count("\n") + (0 if python.endswith("\n") else 1)
    return TransformedCell(python, _line_map(lines, count, offset))


def transform_cell(source: str) -> TransformedCell:
    """Turn one cell's IPython source into Python plus a line map (see the module docstring)."""
    stripped = source.lstrip("\n")
    lead = len(source) - len(stripped)
    first, _, body = stripped.partition("\n")
    if first.startswith("%%"):
        words = first[2:].split()
        name = words[0] if words else ""
        body_offset = lead + 1
        if name in PYTHON_CELL_MAGICS:
            inner = _transform_lines(body, body_offset)
            return TransformedCell(
                inner.python, inner.line_map, syntax_error=inner.syntax_error, cell_magic=name
            )
        if name in SHELL_CELL_MAGICS and (
            name != "script" or any(w in ("bash", "sh", "zsh") for w in words[1:])
        ):
            shell = tuple(
                ShellLine(body_offset + i + 1, text)
                for i, text in enumerate(body.splitlines())
                if text.strip() and not text.lstrip().startswith("#")
            )
            return TransformedCell("", (), shell_lines=shell, cell_magic=name)
        return TransformedCell("", (), cell_magic=name or None)
    return _transform_lines(source, 0)
