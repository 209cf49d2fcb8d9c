"""The ``%nbsec`` line magic and the ``%%nbsec`` cell magic.

``%nbsec <subcommand> ...`` dispatches to the areas' tables (see
:mod:`nbsec.kernel.command_table`):

=============================================  ===============================================
``%nbsec`` / ``%nbsec status``                 what nbsec is doing in this kernel
``%nbsec scan [NAME...]``                      complete PII scan of frames (all by default)
``%nbsec frames``                              frames scanned, their PII columns, scans running
``%nbsec models``                              models and pickles loaded or downloaded
``%nbsec lineage [--format F] [--var NAME]``   lineage: json, mermaid, openlineage, prov
``%nbsec report [PATH]``                       governance report of this session
``%nbsec meta [KEY=VALUE...]``                 purpose, owner, legal basis... for the report
``%nbsec policy [--reload]``                   the effective policy
``%nbsec on`` / ``%nbsec off``                 watch cells, or stop (the guard stands down)
``%nbsec mode warn|block``                     switch the guard's mode for this session
``%nbsec allow TARGET --reason TEXT``          waive a rule, a path glob or a sha256
``%nbsec dashboard``                           an ipywidgets view that updates as cells run
``%%nbsec``                                    run one cell in block mode
=============================================  ===============================================

Each prints a readable table (text and HTML, every value escaped) and returns a rich object usable
in code; a bad argument prints a one-line usage message and returns ``None``.
"""

from __future__ import annotations

import ast
import shlex
import sys
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from nbsec.kernel import (
    dashboard,
    frame_commands,
    lineage_commands,
    model_commands,
    report_commands,
    session_commands,
)
from nbsec.kernel.command_table import BadArguments, MagicCommand

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext

SUBCOMMANDS: dict[str, MagicCommand] = {
    **session_commands.MAGICS,
    **frame_commands.MAGICS,
    **model_commands.MAGICS,
    **lineage_commands.MAGICS,
    **report_commands.MAGICS,
    **dashboard.MAGICS,
}

USAGE = (
    "usage: %nbsec [status | scan [NAME...] | frames | models | lineage [--format json|mermaid|"
    "openlineage|prov] [--var NAME] | report [PATH] | meta [KEY=VALUE...] | "
    "policy [--reload] | on | off | "
    "mode warn|block | allow TARGET --reason TEXT | dashboard]"
)


@magics_class
class NbsecMagics(Magics):
    """``%nbsec`` with its subcommands, and the ``%%nbsec`` cell magic."""

    def __init__(self, shell: Any, context: FrontEndContext) -> None:
        super().__init__(shell)
        self.context = context

    @line_magic("nbsec")  # type: ignore[arg-type]
    def nbsec(self, line: str) -> Any:
        try:
            args = shlex.split(line)
        except ValueError as exc:
            print(f"nbsec: {exc}. {USAGE}", file=sys.stderr)
            return None
        command, rest = (args[0], args[1:]) if args else ("status", [])
        handler = SUBCOMMANDS.get(command)
        if handler is None:
            print(f"nbsec: unknown command {command!r}. {USAGE}", file=sys.stderr)
            return None
        lineage = self.context.services.lineage
        if lineage is not None:
            # every command sees the session complete: file hashes still pending are awaited
            self.context.guarded("lineage.settle", lineage.settle)
        try:
            return handler(self.context, rest)
        except BadArguments as exc:
            print(f"nbsec: {exc}. {USAGE}", file=sys.stderr)
            return None
        except ValueError as exc:
            print(f"nbsec: {exc}", file=sys.stderr)
            return None

    @cell_magic("nbsec")  # type: ignore[arg-type]
    def nbsec_cell(self, line: str, cell: str) -> Any:
        """Run the cell with the guard in block mode, whatever the policy says. Exceptions
        (``BlockedLoad`` included) propagate, so the cell fails like any other; the value of a
        last expression is returned and displayed."""
        if line.strip():
            print(f"nbsec: %%nbsec takes no arguments. {USAGE}", file=sys.stderr)
            return None
        guard = self.context.services.guard
        if guard is None:
            print("nbsec: the load guard is not running; cell not run", file=sys.stderr)
            return None
        shell: Any = self.context.shell
        code = shell.transform_cell(cell)
        # registered with IPython's compiler cache, so tracebacks show the cell's lines
        name = shell.compile.cache(code, shell.execution_count, raw_code=cell)
        tree = ast.parse(code, filename=name)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        ns = shell.user_ns
        with guard.block_mode():
            exec(compile(tree, name, "exec"), ns)  # noqa: S102 - the user's own cell
            if last is not None:
                return eval(compile(last, name, "eval"), ns)  # noqa: S307
        return None
