"""The AST rules: unsafe deserialization (NBS-PKL), model sources (NBS-MDL) and other risky code
(NBS-SRC) in one walk over a cell's Python.

What is looked for is data (``calls.toml``, loaded by :mod:`nbsec.source.call_rules`); this module
is the engine. Names are resolved with a :class:`~nbsec.source.names.NameScope` that the caller
keeps across cells, so an import in cell 0 applies in cell 5. IPython's escapes arrive here as
calls (``get_ipython().system("wget ...")``, ``get_ipython().run_line_magic("pip", "install ...")``)
and their command lines go to :mod:`nbsec.source.shell_checks`. Nothing is imported or run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from nbsec.findings import Severity
from nbsec.policy import Policy
from nbsec.source.call_rules import ArgRef, CallRule, CallRules, HubDownload, load_call_rules
from nbsec.source.issue import Issue
from nbsec.source.names import (
    NameScope,
    constant_value,
    is_literal,
    is_unknown,
    resolve,
    string_shape,
)
from nbsec.source.shell_checks import check_shell_command
from nbsec.source.url_shape import (
    has_model_extension,
    hub_owner,
    is_commit,
    is_url,
    looks_local,
    safe_url,
    url_path,
)

_SHELL_MAGICS = {"sx": "", "system": "", "pip": "pip ", "conda": "conda ", "mamba": "mamba "}
_PYTHON_LINE_MAGICS = frozenset({"time", "timeit", "prun", "capture", "debug"})
_ALWAYS_MODEL_FETCHES = frozenset(
    {"torch.hub.load_state_dict_from_url", "torch.utils.model_zoo.load_url"}
)
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


def _arg(call: ast.Call, ref: ArgRef) -> ast.expr | None:
    if ref.kwarg is not None:
        for kw in call.keywords:
            if kw.arg == ref.kwarg:
                return kw.value
    if ref.position is not None and ref.position < len(call.args):
        arg = call.args[ref.position]
        return None if isinstance(arg, ast.Starred) else arg
    return None


def _kwarg(call: ast.Call, *names: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


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
        for item in node.items:
            self.visit(item.context_expr)
            var = item.optional_vars
            if isinstance(var, ast.Name):
                expr = item.context_expr
                if (
                    isinstance(expr, ast.Call)
                    and resolve(expr.func, self.scope) in self.rules.tar_openers
                ):
                    self.scope.forget(var.id)
                    self.scope.tar_objects.add(var.id)
                else:
                    self.scope.forget(var.id)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def _bind_target(self, target: ast.expr, value: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
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
        arg_key = ast.unparse(node.args[0])[:120] if node.args else ""
        target = constant_value(node.args[0], self.scope) if node.args else None
        on = f" on {target[:80]!r}" if isinstance(target, str) else ""
        for rule in candidates:
            verdict = self._evaluate(rule, node)
            if verdict is not None:
                message, severity = verdict
                self._add(
                    node,
                    rule.rule,
                    f"{shown}(){message or ' called'}{on if '-PKL-' in rule.rule else ''}",
                    key=f"{shown}:{arg_key}",
                    severity=severity,
                )
        self._check_trust_remote_code(node, shown)
        self._check_hub_download(node, name, method, shown)
        if name in self.rules.torch_hub_names:
            self._check_torch_hub(node, name)
        self._check_url_fetch(node, name)
        self._check_tar_extract(node, name, method)
        if name in _SUBPROCESS:
            self._check_literal_command(node)

    def _evaluate(self, rule: CallRule, node: ast.Call) -> tuple[str, Severity | None] | None:
        """``None`` if the rule does not apply, else (message suffix, severity override)."""
        scope = self.scope
        detail = ""
        severity: Severity | None = None
        if rule.when_true is not None:
            arg = _arg(node, rule.when_true)
            if arg is None or constant_value(arg, scope) is not True:
                return None
            detail = f" with {rule.when_true.kwarg}=True"
        if rule.when_false is not None:
            arg = _arg(node, rule.when_false)
            if arg is None or constant_value(arg, scope) is not False:
                return None
            detail = f" with {rule.when_false.kwarg}=False"
        if rule.unless_true is not None:
            arg = _arg(node, rule.unless_true)
            if arg is not None and constant_value(arg, scope) is True:
                return None
            detail = f" without {rule.unless_true.kwarg}=True"
        if rule.unless_in is not None:
            arg = _arg(node, rule.unless_in)
            if arg is not None and resolve(arg, scope) in rule.unless_in.values:
                return None
            detail = f" without a safe {rule.unless_in.kwarg}" if rule.unless_in.kwarg else ""
            if arg is not None:
                detail = f" with {rule.unless_in.kwarg}={ast.unparse(arg)[:40]}"
        if rule.when_nonliteral is not None:
            arg = _arg(node, rule.when_nonliteral)
            if arg is None or is_literal(arg, scope):
                return None
            detail += " on a value that is not a literal"
        if rule.literal_severity is not None:
            arg = _arg(node, rule.literal_severity)
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
    def _check_trust_remote_code(self, node: ast.Call, shown: str) -> None:
        value = _kwarg(node, "trust_remote_code")
        if value is not None and constant_value(value, self.scope) is True:
            arg_key = ast.unparse(node.args[0])[:120] if node.args else ""
            self._add(
                node,
                "NBS-MDL-001",
                f"{shown}() with trust_remote_code=True runs code from the model repository",
                key=f"{shown}:{arg_key}",
            )

    def _hub_spec(self, name: str | None, method: str | None) -> HubDownload | None:
        for spec in self.rules.hub_downloads:
            if (name is not None and name in spec.names) or (
                method is not None and method in spec.methods
            ):
                return spec
        return None

    def _check_hub_download(
        self, node: ast.Call, name: str | None, method: str | None, shown: str
    ) -> None:
        spec = self._hub_spec(name, method)
        if spec is None:
            return
        repo_node = _kwarg(node, *spec.repo_kwargs)
        position = spec.repo_position
        if repo_node is None and position is not None and position < len(node.args):
            repo_node = node.args[position]
        if repo_node is None:
            return
        repo = constant_value(repo_node, self.scope)
        if not isinstance(repo, str):
            return  # a variable we cannot follow: most often a local directory
        if spec.hf_prefix is not None:
            if not repo.startswith(spec.hf_prefix):
                return
            repo = repo.removeprefix(spec.hf_prefix)
        if spec.dataset and repo in self.rules.local_dataset_builders:
            return
        if looks_local(repo) or is_url(repo):
            return
        revision_node = _kwarg(node, *self.rules.revision_kwargs)
        pinned = False
        if revision_node is not None:
            revision = constant_value(revision_node, self.scope)
            # a revision computed elsewhere gets the benefit of the doubt
            pinned = True if is_unknown(revision) else is_commit(revision)
        if not pinned:
            self._add(
                node,
                "NBS-MDL-002",
                f"{shown}() downloads {repo!r} without a pinned 40-hex commit revision",
                key=f"{shown}:{repo}",
            )
        if self.policy.trusted_sources and not self.policy.source_trusted(repo):
            self._add(
                node,
                "NBS-MDL-006",
                f"hub repository {repo!r} is not in the policy's trusted sources",
                key=f"hub:{repo}",
            )

    def _check_torch_hub(self, node: ast.Call, name: str) -> None:
        repo_node = _kwarg(node, *self.rules.torch_hub_repo_kwargs)
        if repo_node is None and self.rules.torch_hub_repo_position < len(node.args):
            repo_node = node.args[self.rules.torch_hub_repo_position]
        source = _kwarg(node, "source")
        if repo_node is None or (
            source is not None and constant_value(source, self.scope) == "local"
        ):
            return
        repo = constant_value(repo_node, self.scope)
        if not isinstance(repo, str) or "/" not in repo:
            return
        owner = hub_owner(repo) or ""
        ref = repo.split(":", 1)[1] if ":" in repo else None
        github = f"github.com/{repo.split(':', 1)[0]}"
        trusted = self.policy.source_trusted(github)
        if owner not in self.rules.first_party_torch_hub_owners and not trusted:
            pin = "pinned to a commit" if is_commit(ref) else "not pinned to a commit"
            self._add(
                node,
                "NBS-MDL-003",
                f"{name}() imports hubconf.py from the third-party repository {repo!r} ({pin})",
                key=f"torch.hub:{repo}",
            )
        if self.policy.trusted_sources and not trusted:
            self._add(
                node,
                "NBS-MDL-006",
                f"torch hub repository {repo!r} is not in the policy's trusted sources",
                key=f"torch.hub:{repo}",
            )

    def _check_url_fetch(self, node: ast.Call, name: str | None) -> None:
        if name is None:
            return
        for spec in self.rules.url_fetches:
            if name not in spec.names:
                continue
            url_node = _kwarg(node, *spec.url_kwargs)
            position = spec.url_position
            if name.endswith(".request") and url_node is None:
                position = 1  # requests.request("GET", url)
            if url_node is None and position < len(node.args):
                url_node = node.args[position]
            dest_node = _kwarg(node, *spec.dest_kwargs)
            dest_at = spec.dest_position
            if (
                dest_node is None
                and dest_at is not None
                and dest_at < len(node.args)
                and not name.endswith(".request")
            ):
                dest_node = node.args[dest_at]
            url = string_shape(url_node, self.scope) if url_node is not None else None
            dest = string_shape(dest_node, self.scope) if dest_node is not None else None
            if url is None or not is_url(url):
                return
            exts = self.rules.model_extensions
            is_model = (
                name in _ALWAYS_MODEL_FETCHES
                or has_model_extension(url_path(url), exts)
                or (dest is not None and has_model_extension(dest, exts))
            )
            if not is_model:
                return
            shown = safe_url(url)
            plain = " over plain http" if url.lower().startswith("http://") else ""
            message = f"{name}() fetches a model file from {shown}{plain}"
            self._add(node, "NBS-MDL-004", message, key=shown)
            if self.policy.trusted_sources and not self.policy.source_trusted(url):
                self._add(
                    node,
                    "NBS-MDL-006",
                    f"model file from {shown} is not in the policy's trusted sources",
                    key=shown,
                )
            return

    # -- archives -----------------------------------------------------------------------------
    def _check_tar_extract(self, node: ast.Call, name: str | None, method: str | None) -> None:
        if _kwarg(node, "filter") is not None:
            return
        if name == "shutil.unpack_archive":
            self._add(
                node,
                "NBS-SRC-006",
                "shutil.unpack_archive() without filter=",
                key="unpack_archive",
            )
            return
        if method not in ("extractall", "extract") or not isinstance(node.func, ast.Attribute):
            return
        receiver = node.func.value
        is_tar = (isinstance(receiver, ast.Name) and receiver.id in self.scope.tar_objects) or (
            isinstance(receiver, ast.Call)
            and resolve(receiver.func, self.scope) in self.rules.tar_openers
        )
        if is_tar:
            self._add(
                node,
                "NBS-SRC-006",
                f"tar archive {method}() without filter=",
                key=f"tar:{method}",
            )


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
