"""The ``nbsec`` command.

Each subcommand lives in ``nbsec/commands/<name>.py`` and exposes ``NAME``, ``HELP``,
``add_arguments(parser)`` and ``run(args) -> int``. Command modules import nothing heavy at module
level, so ``nbsec --help`` stays fast; engines are imported inside ``run``.

Exit codes everywhere: 0 nothing at or above ``--fail-on``, 1 findings at or above it, 2 usage or
input error, with a one-line reason on stderr (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from nbsec._version import __version__
from nbsec.errors import NbsecError

COMMAND_MODULES = (
    "scan",
    "redact",
    "scan_model",
    "pii",
    "report",
    "lineage",
    "ledger",
    "rules",
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"nbsec: usage error: {message} (see '{self.prog} --help')\n")


def _load_commands(only: str | None = None) -> list[ModuleType]:
    """The command modules; ``only``: just the one named (``scan-model`` is ``scan_model``), so
    running one command imports no other command's module."""
    modules = []
    for name in COMMAND_MODULES:
        if only is not None and name != only.replace("-", "_"):
            continue
        try:
            modules.append(importlib.import_module(f"nbsec.commands.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"nbsec.commands.{name}":
                raise
    return modules


def _command_in(argv: Sequence[str]) -> str | None:
    """The command an argument list runs, when it names one before any help request."""
    rest = list(argv)
    while rest:
        arg = rest.pop(0)
        if arg in ("-h", "--help", "--version"):
            return None
        if arg == "--policy":
            rest = rest[1:]
        elif not arg.startswith("-"):
            return arg if arg.replace("-", "_") in COMMAND_MODULES else None
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or with ``argv`` naming a command, of that command alone
    (its help, options and errors are the same; ``nbsec --help`` lists every command)."""
    parser = _Parser(
        prog="nbsec",
        description="Security and governance for Jupyter notebooks, DataFrames and model files.",
    )
    parser.add_argument("--version", action="version", version=f"nbsec {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="show tracebacks for errors (for bug reports)"
    )
    parser.add_argument(
        "--policy",
        metavar="FILE",
        default=None,
        help="policy file to use (default: NBSEC_POLICY, else the nearest nbsec.toml or "
        "pyproject.toml with [tool.nbsec])",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    only = _command_in(argv) if argv is not None else None
    for module in _load_commands(only):
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        code: int = args._run(args)
        return code
    except NbsecError as exc:
        if args.debug:
            import traceback

            traceback.print_exc()
        print(f"nbsec: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nbsec: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if args.debug:
            import traceback

            traceback.print_exc()
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        print(
            f"nbsec: internal error: {type(exc).__name__}: {first_line} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
