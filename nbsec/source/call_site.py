"""One call seen by the AST walker, with what the call checks need to judge it."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from nbsec.findings import Severity
from nbsec.policy import Policy
from nbsec.source.call_rules import ArgRef, CallRules
from nbsec.source.issue import Issue
from nbsec.source.names import NameScope


@dataclass
class CallSite:
    """``name`` is the resolved canonical name (``torch.hub.load``), ``method`` the last
    attribute (``from_pretrained``), ``shown`` what messages call it; issues go to ``issues``."""

    node: ast.Call
    name: str | None
    method: str | None
    shown: str
    line: int
    scope: NameScope
    policy: Policy
    rules: CallRules
    issues: list[Issue] = field(default_factory=list)

    def report(self, rule: str, message: str, key: str, severity: Severity | None = None) -> None:
        self.issues.append(Issue(rule, message, self.line, key=key, severity=severity))

    def kwarg(self, *names: str) -> ast.expr | None:
        return kwarg(self.node, *names)

    def positional(self, position: int | None) -> ast.expr | None:
        args = self.node.args
        if position is None or position >= len(args) or isinstance(args[position], ast.Starred):
            return None
        return args[position]


def kwarg(call: ast.Call, *names: str) -> ast.expr | None:
    """The value of the first keyword argument of ``call`` named in ``names``."""
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


def argument(call: ast.Call, ref: ArgRef) -> ast.expr | None:
    """An argument by keyword, else by position (``None`` if absent or ``*args``)."""
    if ref.kwarg is not None:
        value = kwarg(call, ref.kwarg)
        if value is not None:
            return value
    if ref.position is not None and ref.position < len(call.args):
        arg = call.args[ref.position]
        return None if isinstance(arg, ast.Starred) else arg
    return None
