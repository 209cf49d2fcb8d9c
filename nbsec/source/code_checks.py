"""The AST walk over a cell's Python: unsafe deserialization (NBS-PKL), model sources (NBS-MDL)
and other risky code (NBS-SRC).

What is looked for is data (``calls.toml``, loaded by :mod:`nbsec.source.call_rules`); this module
is the engine: it keeps the name scope up to date, applies the call table (``[[call]]`` rules with
their argument conditions) and hands every call, as a :class:`~nbsec.source.call_site.CallSite`,
to the checks that need more than a table (:mod:`~nbsec.source.model_source_checks`,
:mod:`~nbsec.source.archive_checks`). Names are resolved with a
:class:`~nbsec.source.names.NameScope` that the caller keeps across cells, so an import in cell 0
applies in cell 5. IPython's escapes arrive here as
calls (``get_ipython().system("wget ...")``, ``get_ipython().run_line_magic("pip", "install ...")``)
and their command lines go to :mod:`nbsec.source.shell_checks`. Nothing is imported or run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from nbsec.findings import Severity
from nbsec.policy import Policy
from nbsec.source.archive_checks import tar_extract
from nbsec.source.call_rules import ArgRef, CallRule, CallRules, load_call_rules
from nbsec.source.call_site import CallSite, argument
from nbsec.source.issue import Issue
from nbsec.source.model_source_checks import MODEL_SOURCE_CHECKS
from nbsec.source.names import (
    NameScope,
    brief,
    constant_value,
    is_literal,
    resolve,
    string_shape,
)
from nbsec.source.shell_checks import check_shell_command

# checks that look at every call (beyond the call-table rules of calls.toml)
CALL_CHECKS = (*MODEL_SOURCE_CHECKS, tar_extract)
_SHELL_MAGICS = {"sx": "", "system": "", "pip": "pip ", "conda": "conda ", "mamba": "mamba "}
_PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun", "capture", "debug"})
_SUBPROCESS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "subprocess.getoutput",
        "os.system",
        "os.popen",
    }
)


class CodeChecker(ast.NodeVisitor):
    """Walks one module (a transformed cell), updating ``scope`` and collecting issues."""

    def __init__(
        self,
        scope: NameScope,
        policy: Policy,
        line_of: Callable[[int], int],
        rules: CallRules | None = None,
    ) -> None:
        self.scope = scope
        self.policy = policy
        self.line_of = line_of
        self.rules = rules or load_call_rules()
        self.issues: list[Issue] = []
        # names this cell bound to a file opened from a literal path: ``with open("m.pkl") as f``
        # (inside the ``with`` block) or ``f = open("m.pkl")`` (until rebound)
        self.open_files: dict[str, str] = {}

    # -- scope bookkeeping ----------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        self.scope.bind_import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.scope.bind_import(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._bind_target(target, node.value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._bind_target(node.target, node.value)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        self._bind_target(node.target, None)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self._bind_target(node.target, node.value)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._bind_target(node.target, None)
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_With(self, node: ast.With | ast.AsyncWith) -> None:
        opened: dict[str, str] = {}
        for item in node.items:
            self.visit(item.context_expr)
            var = item.optional_vars
            if isinstance(var, ast.Name):
                expr = item.context_expr
                self.open_files.pop(var.id, None)
                if (
                    isinstance(expr, ast.Call)
                    and resolve(expr.func, self.scope) in self.rules.tar_openers
                ):
                    self.scope.forget(var.id)
                    self.scope.tar_objects.add(var.id)
                else:
                    self.scope.forget(var.id)
                    path = self._opened_path(expr)
                    if path is not None:
                        opened[var.id] = self.open_files[var.id] = path
            elif var is not None:
                self._bind_target(var, None)
        for stmt in node.body:
            self.visit(stmt)
        # the file is closed when the block ends
        for name, path in opened.items():
            if self.open_files.get(name) == path:
                del self.open_files[name]

    visit_AsyncWith = visit_With

    def _bind_target(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            path = self._opened_path(value) if value is not None else None
            if path is None:
                self.open_files.pop(target.id, None)
            else:
                self.open_files[target.id] = path
            if value is None:
                self.scope.forget(target.id)
            else:
                self.scope.bind_value(target.id, value)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._bind_target(element, None)
        elif isinstance(target, ast.Starred):
            self._bind_target(target.value, None)

    # -- calls --------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        self._check_call(node)
        self.generic_visit(node)

    def _add(self, node: ast.AST, rule: str, message: str, key: str, **extra: object) -> None:
        line = self.line_of(getattr(node, "lineno", 1))
        self.issues.append(Issue(rule, message, line, key=key, **extra))  # type: ignore[arg-type]

    def _check_call(self, node: ast.Call) -> None:
        func = node.func
        if self._check_ipython_call(node):
            return
        name = resolve(func, self.scope)
        method = func.attr if isinstance(func, ast.Attribute) else None
        shown = name or method or "call"
        candidates: list[CallRule] = []
        if name is not None:
            candidates.extend(self.rules.by_name.get(name, ()))
        if method is not None:
            candidates.extend(self.rules.by_method.get(method, ()))
        arg_key = brief(node.args[0]) if node.args else ""
        target = constant_value(node.args[0], self.scope) if node.args else None
        on = f" on {target[:80]!r}" if isinstance(target, str) else ""
        for rule in candidates:
            verdict = self._evaluate(rule, node)
            if verdict is not None:
                message, severity = verdict
                loads = "-PKL-" in rule.rule
                self._add(
                    node,
                    rule.rule,
                    f"{shown}(){message or ' called'}{on if loads else ''}",
                    key=f"{shown}:{arg_key}",
                    severity=severity,
                    target=self._loaded_file(node) if loads else None,
                )
        site = CallSite(
            node,
            name,
            method,
            shown,
            self.line_of(node.lineno),
            self.scope,
            self.policy,
            self.rules,
        )
        self._note_local_dirs(node, name, method)
        for check in CALL_CHECKS:
            check(site)
        self.issues.extend(site.issues)
        if name in _SUBPROCESS:
            self._check_literal_command(node)

    def _loaded_file(self, node: ast.Call) -> str | None:
        """The file a load call reads, when its first argument names it literally: a path,
        ``open(path, ...)`` of one, or a name this cell bound to such an ``open`` (``with
        open(path, "rb") as f``, ``f = open(path, "rb")``)."""
        if not node.args:
            return None
        first = node.args[0]
        if isinstance(first, ast.Name) and first.id in self.open_files:
            return self.open_files[first.id]
        opened = self._opened_path(first)
        if opened is not None:
            return opened
        value = constant_value(first, self.scope)
        return value if isinstance(value, str) and value else None

    def _opened_path(self, node: ast.expr) -> str | None:
        """``path`` when ``node`` is ``open(path, ...)`` with a literal ``path``."""
        if not (
            isinstance(node, ast.Call)
            and node.args
            and resolve(node.func, self.scope) in ("open", "builtins.open", "io.open")
        ):
            return None
        value = constant_value(node.args[0], self.scope)
        return value if isinstance(value, str) and value else None

    def _note_local_dirs(self, node: ast.Call, name: str | None, method: str | None) -> None:
        """Remember directories this call writes, so a later load from them is local."""
        rules = self.rules
        for kw in node.keywords:
            if kw.arg in rules.local_dir_kwargs:
                value = constant_value(kw.value, self.scope)
                if isinstance(value, str):
                    self.scope.add_dir(value)
        for write in rules.local_writes:
            if not (
                (name is not None and name in write.names)
                or (method is not None and method in write.methods)
            ):
                continue
            arg = argument(node, ArgRef(kwarg=None, position=write.position))
            for kw in node.keywords:
                if kw.arg in write.kwargs:
                    arg = kw.value
            value = constant_value(arg, self.scope) if arg is not None else None
            if isinstance(value, str):
                self.scope.add_dir(value)

    def _evaluate(self, rule: CallRule, node: ast.Call) -> tuple[str, Severity | None] | None:
        """``None`` if the rule does not apply, else (message suffix, severity override)."""
        scope = self.scope
        detail = ""
        severity: Severity | None = None
        if rule.when_true is not None:
            arg = argument(node, rule.when_true)
            if arg is None or constant_value(arg, scope) is not True:
                return None
            detail = f" with {rule.when_true.kwarg}=True"
        if rule.when_false is not None:
            arg = argument(node, rule.when_false)
            if arg is None or constant_value(arg, scope) is not False:
                return None
            detail = f" with {rule.when_false.kwarg}=False"
        if rule.unless_true is not None:
            arg = argument(node, rule.unless_true)
            if arg is not None and constant_value(arg, scope) is True:
                return None
            detail = f" without {rule.unless_true.kwarg}=True"
            safe = rule.default_safe
            splat = any(k.arg is None for k in node.keywords)  # **kwargs may hold it
            version = safe.applies() if safe is not None and arg is None and not splat else None
            if safe is not None and version is not None:
                severity = safe.severity
                detail += f" ({safe.package} {version} defaults to {safe.kwarg}=True)"
        if rule.unless_in is not None:
            arg = argument(node, rule.unless_in)
            if arg is not None and resolve(arg, scope) in rule.unless_in.values:
                return None
            detail = f" without a safe {rule.unless_in.kwarg}" if rule.unless_in.kwarg else ""
            if arg is not None:
                detail = f" with {rule.unless_in.kwarg}={brief(arg, 40)}"
        if rule.when_nonliteral is not None:
            arg = argument(node, rule.when_nonliteral)
            if arg is None or is_literal(arg, scope):
                return None
            detail += " on a value that is not a literal"
        if rule.literal_severity is not None:
            arg = argument(node, rule.literal_severity)
            if arg is None or is_literal(arg, scope):
                severity = rule.literal_severity.severity
                detail += " with a literal command"
            else:
                detail += " with a command built from data"
        return detail, severity

    # -- IPython escapes --------------------------------------------------------------------
    def _check_ipython_call(self, node: ast.Call) -> bool:
        func = node.func
        if not (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "get_ipython"
        ):
            return False
        args = [string_shape(a, self.scope) for a in node.args]
        line = self.line_of(node.lineno)
        if func.attr in ("system", "getoutput") and args and args[0] is not None:
            self.issues.extend(check_shell_command(args[0], line, self.policy, self.rules))
        elif func.attr == "run_line_magic" and len(args) >= 2 and args[0] and args[1] is not None:
            magic, rest = args[0], args[1]
            if magic in _SHELL_MAGICS:
                command = _SHELL_MAGICS[magic] + rest
                self.issues.extend(check_shell_command(command, line, self.policy, self.rules))
            elif magic in _PYTHON_LINE_MAGICS:
                self._check_inline_python(rest, line)
        return True

    def _check_inline_python(self, code: str, line: int) -> None:
        try:
            tree = ast.parse(code)
        except SyntaxError:
            return
        inner = CodeChecker(self.scope, self.policy, lambda _n: line, self.rules)
        inner.visit(tree)
        self.issues.extend(inner.issues)

    def _check_literal_command(self, node: ast.Call) -> None:
        if not node.args:
            return
        first = node.args[0]
        command: str | None = None
        if isinstance(first, ast.List | ast.Tuple):
            words = [constant_value(e, self.scope) for e in first.elts]
            if all(isinstance(w, str) for w in words):
                from shlex import join

                command = join([str(w) for w in words])
        else:
            value = string_shape(first, self.scope)
            command = value if isinstance(value, str) else None
        if command:
            line = self.line_of(node.lineno)
            self.issues.extend(check_shell_command(command, line, self.policy, self.rules))

    # -- model sources ----------------------------------------------------------------------


def check_python(
    tree: ast.Module,
    scope: NameScope,
    policy: Policy,
    line_of: Callable[[int], int] = lambda n: n,
) -> list[Issue]:
    """Run every AST rule over ``tree``; ``scope`` is updated in place."""
    checker = CodeChecker(scope, policy, line_of)
    checker.visit(tree)
    return checker.issues
