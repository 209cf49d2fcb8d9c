"""The names a cell loads, binds, mutates through and deletes, from its AST.

Only the cell's own scope is walked: bodies of ``def``, ``lambda`` and ``class`` are not executed
when the cell runs, so their loads are not the cell's uses (their decorators, defaults and bases
are). Names bound only inside comprehensions are local to them and are skipped. A store through a
subscript or attribute (``df["x"] = ...``, ``obj.a = ...``, ``del d[k]``, ``lst[0] += 1``) marks
the base name as *stored through*: the object was changed in place.

IPython magics arrive here already transformed (``get_ipython().run_line_magic("run", ...)``),
so magics that run code nbsec cannot see are found as calls too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache

# Magics whose effects happen outside the observed Python process or scope.
UNOBSERVED_MAGICS = frozenset(
    ("run", "bash", "sh", "script", "system", "sx", "perl", "ruby", "python", "python2",
     "python3", "pypy", "sql", "R", "julia")
)  # fmt: skip
_SHELL_METHODS = {"system": "!shell", "getoutput": "!shell"}
# Calls and attributes through which a cell can bind names without an assignment in its AST.
# A cell using any of them gets the full identity diff of the namespace (see namespace_diff).
OPAQUE_CALLS = frozenset(
    ("globals", "exec", "eval", "vars", "locals", "setattr", "delattr", "__import__",
     "get_ipython", "execfile", "runfile", "reload")
)  # fmt: skip
OPAQUE_ATTRIBUTES = frozenset(("__dict__", "modules", "f_globals", "user_ns", "__globals__"))


@dataclass(frozen=True)
class CellNames:
    loaded: frozenset[str]
    stored: frozenset[str]
    stored_through: frozenset[str]
    augmented: frozenset[str]
    deleted: frozenset[str]
    unobserved: tuple[str, ...]
    parsed: bool
    opaque: bool = True  # may bind names the AST does not show (``globals()``, magics, ...)


_EMPTY = CellNames(frozenset(), frozenset(), frozenset(), frozenset(), frozenset(), (), False)


def analyse(source: str) -> CellNames:
    """Names used and bound by ``source`` (transformed cell text). Never raises: a cell that does
    not parse yields empty sets with ``parsed=False``."""
    return _analyse_cached(source)


@lru_cache(maxsize=512)
def _analyse_cached(source: str) -> CellNames:
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _EMPTY
    visitor = _ScopeVisitor()
    visitor.visit(tree)
    return CellNames(
        loaded=frozenset(visitor.loaded),
        stored=frozenset(visitor.stored),
        stored_through=frozenset(visitor.stored_through),
        augmented=frozenset(visitor.augmented),
        deleted=frozenset(visitor.deleted),
        unobserved=tuple(dict.fromkeys(visitor.unobserved)),
        parsed=True,
        opaque=visitor.opaque,
    )


def _base_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Starred):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _ScopeVisitor(ast.NodeVisitor):
    def __init__(self) -> None:
        self.loaded: set[str] = set()
        self.stored: set[str] = set()
        self.stored_through: set[str] = set()
        self.augmented: set[str] = set()
        self.deleted: set[str] = set()
        self.unobserved: list[str] = []
        self.opaque = False
        self._comprehension_depth = 0

    # -- names -------------------------------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loaded.add(node.id)
        elif isinstance(node.ctx, ast.Store):
            if not self._comprehension_depth:
                self.stored.add(node.id)
        else:
            self.deleted.add(node.id)

    def _through(self, node: ast.Attribute | ast.Subscript) -> None:
        if not isinstance(node.ctx, ast.Load):
            base = _base_name(node)
            if base is not None:
                self.stored_through.add(base)
                self.loaded.add(base)
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in OPAQUE_ATTRIBUTES:
            self.opaque = True
        self._through(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self._through(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            self.augmented.add(node.target.id)
            self.loaded.add(node.target.id)
            self.stored.add(node.target.id)
            self.visit(node.value)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.stored.add(alias.asname or alias.name.split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.opaque = True
            else:
                self.stored.add(alias.asname or alias.name)

    # -- scopes the cell does not execute -----------------------------------------------------
    def _definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.stored.add(node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                self.visit(base)
            for keyword in node.keywords:
                self.visit(keyword.value)
        else:
            for default in (*node.args.defaults, *node.args.kw_defaults):
                if default is not None:
                    self.visit(default)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._definition(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._definition(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._definition(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for default in (*node.args.defaults, *node.args.kw_defaults):
            if default is not None:
                self.visit(default)

    def _comprehension(self, node: ast.AST) -> None:
        self._comprehension_depth += 1
        self.generic_visit(node)
        self._comprehension_depth -= 1

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        # a walrus inside a comprehension binds in the enclosing (cell) scope
        self.stored.add(node.target.id)
        self.visit(node.value)

    # -- magics and shell escapes ---------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in OPAQUE_CALLS:
            self.opaque = True
        if isinstance(func, ast.Attribute) and _is_get_ipython(func.value):
            if func.attr in ("run_line_magic", "run_cell_magic") and node.args:
                first = node.args[0]
                if (
                    isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                    and first.value in UNOBSERVED_MAGICS
                ):
                    self.unobserved.append(f"%{first.value}")
            elif func.attr in _SHELL_METHODS:
                self.unobserved.append(_SHELL_METHODS[func.attr])
        self.generic_visit(node)


def _is_get_ipython(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "get_ipython"
    )
