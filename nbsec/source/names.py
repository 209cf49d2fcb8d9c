"""Name resolution for the AST rules: what does ``pk.loads`` or ``L`` really call?

A :class:`NameScope` records, in notebook order, what each local name stands for:

* imports — ``import pickle as pk`` binds ``pk`` to ``pickle``; ``from pickle import loads as L``
  binds ``L`` to ``pickle.loads``;
* re-bindings of callables and modules — ``f = getattr(pickle, "load")``,
  ``p = __import__("pickle")``, ``m = importlib.import_module("_pickle")``, ``g = pk.loads``;
* simple constants — ``MODEL = "org/name"``, ``REV = "3f2a..."``, ``TRUST = True`` — so that a
  hub download in cell 5 sees the revision assigned in cell 0;
* open tar archives (``tar = tarfile.open(...)``, ``with tarfile.open(...) as tar``).

A name that was never bound resolves to itself (after the conventional aliases ``pd``, ``np``,
``tf`` ...), so ``pickle.load`` in a cell whose import ran earlier, elsewhere, is still seen.
Module spellings that are the same module (``_pickle``, ``cPickle``, ``tensorflow.keras``) are
canonicalised with the table in ``calls.toml``. The scope is plain data: copying it is cheap, and
the kernel extension can keep one across cells.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from nbsec.source.call_rules import CallRules, load_call_rules

Constant = str | bool | int | float | None
_UNKNOWN = object()


@dataclass
class NameScope:
    """What names mean so far in a notebook (see the module docstring)."""

    aliases: dict[str, str] = field(default_factory=dict)
    constants: dict[str, Constant] = field(default_factory=dict)
    tar_objects: set[str] = field(default_factory=set)
    # directories the notebook wrote (save_pretrained, output_dir=, os.makedirs ...), normalised
    local_dirs: set[str] = field(default_factory=set)

    def copy(self) -> NameScope:
        return NameScope(
            dict(self.aliases),
            dict(self.constants),
            set(self.tar_objects),
            set(self.local_dirs),
        )

    # -- directories the notebook writes ---------------------------------------------------
    def add_dir(self, path: str) -> None:
        normal = _normal_dir(path)
        if normal:
            self.local_dirs.add(normal)

    def wrote_dir(self, path: str) -> bool:
        """Is ``path`` a directory the notebook wrote, or inside one?"""
        normal = _normal_dir(path)
        return any(normal == d or normal.startswith(d + "/") for d in self.local_dirs)

    # -- binding ------------------------------------------------------------------------------
    def bind_import(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self._set_alias(alias.asname, alias.name)
                else:
                    top = alias.name.split(".")[0]
                    self._set_alias(top, top)
        elif node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    self._set_alias(alias.asname or alias.name, f"{node.module}.{alias.name}")

    def bind_value(self, name: str, value: ast.expr) -> None:
        """``name = value``: remember an alias, a constant, an open tar archive, or forget."""
        self.aliases.pop(name, None)
        self.constants.pop(name, None)
        self.tar_objects.discard(name)
        literal = constant_value(value, self)
        if literal is not _UNKNOWN:
            self.constants[name] = literal  # type: ignore[assignment]
            return
        if isinstance(value, ast.Call) and resolve(value.func, self) in rules().tar_openers:
            self.tar_objects.add(name)
            return
        if isinstance(value, ast.Name | ast.Attribute) or (
            isinstance(value, ast.Call) and _module_producing_call(value, self) is not None
        ):
            target = resolve(value, self)
            if target is not None:
                self._set_alias(name, target)

    def forget(self, name: str) -> None:
        self.aliases.pop(name, None)
        self.constants.pop(name, None)
        self.tar_objects.discard(name)

    def _set_alias(self, name: str, target: str) -> None:
        self.constants.pop(name, None)
        self.tar_objects.discard(name)
        if name == target:
            self.aliases.pop(name, None)
        else:
            self.aliases[name] = target


def _normal_dir(path: str) -> str:
    text = path.strip().replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text.rstrip("/")


def rules() -> CallRules:
    return load_call_rules()


def canonical(name: str) -> str:
    """``_pickle.loads`` -> ``pickle.loads``; ``tensorflow.keras.models.load_model`` ->
    ``keras.models.load_model`` (longest matching module prefix of the table wins)."""
    table = rules().canonical_modules
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        prefix = ".".join(parts[:cut])
        if prefix in table:
            rest = parts[cut:]
            return ".".join([table[prefix], *rest]) if rest else table[prefix]
    return name


def _string_arg(call: ast.Call, scope: NameScope) -> str | None:
    if call.args:
        value = constant_value(call.args[0], scope)
        if isinstance(value, str):
            return value
    return None


def _module_producing_call(call: ast.Call, scope: NameScope) -> str | None:
    """``__import__("m")``, ``importlib.import_module("m")`` -> ``"m"``;
    ``getattr(x, "attr")`` -> ``"<x>.attr"``."""
    func = call.func
    fname = resolve(func, scope) if not isinstance(func, ast.Call) else None
    if fname in ("__import__", "importlib.import_module", "importlib.__import__"):
        return _string_arg(call, scope)
    if fname == "getattr" and len(call.args) >= 2:
        attr = constant_value(call.args[1], scope)
        base = resolve(call.args[0], scope)
        if isinstance(attr, str) and base is not None:
            return f"{base}.{attr}"
    return None


def resolve(node: ast.expr, scope: NameScope) -> str | None:
    """The canonical dotted name an expression refers to, or ``None`` if it is not a name."""
    raw = _resolve_raw(node, scope, 0)
    return canonical(raw) if raw is not None else None


def _resolve_raw(node: ast.expr, scope: NameScope, depth: int) -> str | None:
    if depth > 20:
        return None
    if isinstance(node, ast.Name):
        if node.id in scope.aliases:
            return scope.aliases[node.id]
        return rules().conventional_aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve_raw(node.value, scope, depth + 1)
        return f"{base}.{node.attr}" if base is not None else None
    if isinstance(node, ast.Call):
        return _module_producing_call(node, scope)
    return None


def constant_value(node: ast.expr, scope: NameScope) -> object:
    """The value of a literal expression (numbers, strings, ``True``, names bound to constants,
    f-strings and ``+`` of known strings), else the module's private ``_UNKNOWN`` marker."""
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, str | bool | int | float) or value is None:
            return value
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return _UNKNOWN
    if isinstance(node, ast.Name) and node.id in scope.constants:
        return scope.constants[node.id]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = constant_value(node.left, scope)
        right = constant_value(node.right, scope)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
    return _UNKNOWN


def is_unknown(value: object) -> bool:
    return value is _UNKNOWN


def string_shape(node: ast.expr, scope: NameScope) -> str | None:
    """A string literal, or the constant parts of an f-string / concatenation with ``{}`` for the
    parts that are not known (``f"https://h/{name}.bin"`` -> ``"https://h/{}.bin"``)."""
    value = constant_value(node, scope)
    if isinstance(value, str):
        return value
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                parts.append(part.value)
            elif isinstance(part, ast.FormattedValue):
                inner = constant_value(part.value, scope)
                parts.append(inner if isinstance(inner, str) else "{}")
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = string_shape(node.left, scope)
        right = string_shape(node.right, scope)
        if left is not None or right is not None:
            return (left or "{}") + (right or "{}")
    return None


def brief(node: ast.AST, limit: int = 120) -> str:
    """``ast.unparse(node)`` cut to ``limit`` characters, in bounded time: an expression of more
    than a few hundred nodes (or too deep to unparse) is named by its type instead."""
    for count, _ in enumerate(ast.walk(node)):
        if count >= 400:
            return f"<{type(node).__name__}>"
    try:
        return ast.unparse(node)[:limit]
    except (RecursionError, ValueError):
        return f"<{type(node).__name__}>"


def is_literal(node: ast.expr, scope: NameScope) -> bool:
    """True for a string/bytes literal or a name bound to one (an f-string is not a literal)."""
    return isinstance(constant_value(node, scope), str)
