"""The ``%nbsec`` magics.

=============================================  ===============================================
``%nbsec`` / ``%nbsec status``                 what nbsec is doing in this kernel
``%nbsec scan [NAME...]``                      complete PII scan of frames (all by default)
``%nbsec models``                              models and pickles loaded or downloaded
``%nbsec lineage [--format F] [--var NAME]``   lineage: json, mermaid, openlineage, prov
``%nbsec report [PATH]``                       governance report of this session
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

import argparse
import html
import json
import shlex
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

if TYPE_CHECKING:
    from nbsec.kernel.extension import NbsecExtension

USAGE = (
    "usage: %nbsec [status | scan [NAME...] | models | lineage [--format json|mermaid|"
    "openlineage|prov] [--var NAME] | report [PATH] | policy [--reload] | on | off | "
    "mode warn|block | allow TARGET --reason TEXT | dashboard]"
)


class TableView(dict[str, Any]):
    """A dict that displays as a two-column table (text and HTML, every value escaped)."""

    def __init__(self, title: str, rows: dict[str, Any]) -> None:
        super().__init__(rows)
        self.title = title

    def __repr__(self) -> str:
        width = max((len(k) for k in self), default=0)
        lines = [self.title] + [f"  {k:<{width}}  {_plain(v)}" for k, v in self.items()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(_plain(v))}</td></tr>"
            for k, v in self.items()
        )
        return (
            f"<div class='nbsec-table'><strong>{html.escape(self.title)}</strong>"
            f"<table>{rows}</table></div>"
        )


class RowsView(list[dict[str, Any]]):
    """A list of records that displays as a table with the given columns."""

    def __init__(self, title: str, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
        super().__init__(rows)
        self.title = title
        self.columns = list(columns)

    def __repr__(self) -> str:
        if not self:
            return f"{self.title}: none"
        cells = [[_plain(r.get(c)) for c in self.columns] for r in self]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(self.columns)]
        lines = [
            self.title,
            "  " + "  ".join(c.upper().ljust(w) for c, w in zip(self.columns, widths, strict=True)),
        ]
        lines += [
            "  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells
        ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        head = "".join(f"<th style='text-align:left'>{esc(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td style='text-align:left'>{esc(_plain(r.get(c)))}</td>" for c in self.columns
            )
            + "</tr>"
            for r in self
        )
        if not self:
            body = f"<tr><td colspan='{len(self.columns)}'>none</td></tr>"
        return (
            f"<div class='nbsec-table'><strong>{esc(self.title)}</strong>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )


class LineageView(dict[str, Any]):
    """Lineage in one export format; displays as JSON, a Mermaid diagram or text."""

    def __init__(self, fmt: str, data: Any) -> None:
        super().__init__({"format": fmt, "data": data})

    def __repr__(self) -> str:
        data = self["data"]
        return data if isinstance(data, str) else json.dumps(data, indent=1)

    def _repr_markdown_(self) -> str | None:
        if self["format"] == "mermaid":
            return f"```mermaid\n{self['data']}\n```"
        return None

    def _repr_json_(self) -> Any:
        return None if isinstance(self["data"], str) else self["data"]


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value) if value else "-"
    return str(value)


class _ArgParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _BadArguments(f"{self.prog}: {message}")


class _BadArguments(Exception):
    pass


def _parser(prog: str) -> _ArgParser:
    return _ArgParser(prog=f"%nbsec {prog}", add_help=False)


@magics_class
class NbsecMagics(Magics):
    """``%nbsec`` with its subcommands, and the ``%%nbsec`` cell magic."""

    def __init__(self, shell: Any, extension: NbsecExtension) -> None:
        super().__init__(shell)
        self.extension = extension

    # -- dispatch --------------------------------------------------------------------------------
    @line_magic("nbsec")  # type: ignore[arg-type]
    def nbsec(self, line: str) -> Any:
        try:
            args = shlex.split(line)
        except ValueError as exc:
            print(f"nbsec: {exc}. {USAGE}", file=sys.stderr)
            return None
        command, rest = (args[0], args[1:]) if args else ("status", [])
        handler = getattr(self, f"_cmd_{command}", None)
        if handler is None:
            print(f"nbsec: unknown command {command!r}. {USAGE}", file=sys.stderr)
            return None
        try:
            return handler(rest)
        except _BadArguments as exc:
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
        watch = self.extension.engine("guard")
        guard = getattr(watch, "guard", None)
        if guard is None:
            print("nbsec: the load guard is not running; cell not run", file=sys.stderr)
            return None
        import ast

        shell = self.extension.shell
        code = shell.transform_cell(cell)  # type: ignore[no-untyped-call]
        tree = ast.parse(code, filename="<nbsec cell>")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        ns = shell.user_ns
        with guard.block_mode():
            exec(compile(tree, "<nbsec cell>", "exec"), ns)  # noqa: S102 - the user's own cell
            if last is not None:
                return eval(compile(last, "<nbsec cell>", "eval"), ns)  # noqa: S307
        return None

    # -- subcommands -----------------------------------------------------------------------------
    def _cmd_status(self, rest: list[str]) -> TableView:
        _parser("status").parse_args(rest)
        status = self.extension.status()
        counts = self.extension.state.to_state()["counts"]
        return TableView(
            "nbsec status",
            {
                "version": status["version"],
                "watching": status["enabled"],
                "mode": self.extension.effective_policy().mode,
                "policy file": status["policy_file"] or "(defaults)",
                "policy error": status["policy_error"],
                "findings": ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "none",
                "frames scanned": len(self.extension.state.frames),
                "models loaded": len(self.extension.state.models),
                "engines": status["engines"],
                "cells seen": status["cells_seen"],
                "panel connections": status["panel_connections"],
                "internal errors": status["internal_errors"],
            },
        )

    def _cmd_on(self, rest: list[str]) -> TableView:
        _parser("on").parse_args(rest)
        self.extension.set_enabled(True)
        return self._cmd_status([])

    def _cmd_off(self, rest: list[str]) -> TableView:
        _parser("off").parse_args(rest)
        self.extension.set_enabled(False)
        return self._cmd_status([])

    def _cmd_mode(self, rest: list[str]) -> TableView:
        parser = _parser("mode")
        parser.add_argument("mode", choices=("warn", "block"))
        self.extension.set_mode(parser.parse_args(rest).mode)
        return self._cmd_status([])

    def _cmd_policy(self, rest: list[str]) -> TableView:
        parser = _parser("policy")
        parser.add_argument("--reload", action="store_true")
        if parser.parse_args(rest).reload:
            self.extension.reload_policy()
        policy = self.extension.effective_policy().to_dict()
        rows = {k: v for k, v in policy.items() if not isinstance(v, dict)}
        rows["waivers"] = [
            f"{w['rule'] or w['path'] or w['fingerprint']}: {w['reason']}"
            for w in policy["waivers"]
        ]
        for section in ("pii", "lineage"):
            for key, value in policy[section].items():
                rows[f"{section}.{key}"] = value
        return TableView("nbsec policy", rows)

    def _cmd_scan(self, rest: list[str]) -> RowsView:
        from nbsec.kernel.display import heading_for, show_findings
        from nbsec.kernel.frame_watch import is_frame

        parser = _parser("scan")
        parser.add_argument("names", nargs="*")
        names = parser.parse_args(rest).names
        watch = self.extension.engine("frames")
        if watch is None:
            raise ValueError("the DataFrame scanner is not running")
        ns = self.extension.shell.user_ns
        if not names:
            names = [n for n, v in ns.items() if not n.startswith("_") and is_frame(v)]
        rows: list[dict[str, Any]] = []
        findings = []
        for name in names:
            if name not in ns:
                raise ValueError(f"no variable named {name!r}")
            if not is_frame(ns[name]):
                raise ValueError(f"{name!r} is not a pandas or polars DataFrame")
            findings += watch.scan(name, ns[name], inline=False)
            summary = self.extension.state.frames[name]
            for column, info in summary["pii_columns"].items():
                rows.append(
                    {
                        "frame": name,
                        "column": column,
                        "entities": [f"{e['type']} {e['fraction']:.0%}" for e in info["entities"]],
                        "examples": info["examples"][:3],
                    }
                )
            if not summary["pii_columns"]:
                rows.append({"frame": name, "column": "-", "entities": "no PII", "examples": ""})
        news = self.extension.state.add_findings(findings)
        show_findings(news, heading_for(news, "personal data") if news else "")
        return RowsView("nbsec scan", ["frame", "column", "entities", "examples"], rows)

    def _cmd_models(self, rest: list[str]) -> RowsView:
        _parser("models").parse_args(rest)
        rows = [
            {
                "api": m.get("api"),
                "what": (m.get("source") if m.get("kind") == "download" else None)
                or m.get("path")
                or m.get("source"),
                "sha256": (m.get("sha256") or "")[:16],
                "verdict": m.get("verdict"),
                "action": m.get("action"),
                "revision": ("pinned " if m.get("pinned") else "") + (m.get("revision") or ""),
            }
            for m in self.extension.state.models
        ]
        return RowsView(
            "nbsec models", ["api", "what", "sha256", "verdict", "action", "revision"], rows
        )

    def _cmd_lineage(self, rest: list[str]) -> Any:
        parser = _parser("lineage")
        parser.add_argument(
            "--format", choices=("json", "mermaid", "openlineage", "prov", "table"), default="table"
        )
        parser.add_argument("--var", default=None)
        args = parser.parse_args(rest)
        tracker = self.extension.lineage_tracker()
        if tracker is None:
            raise ValueError("the lineage tracker is not running")
        graph = tracker.graph()
        if args.var:
            return RowsView(
                f"lineage of {args.var}", ["kind", "node"], _ancestors(graph.to_json(), args.var)
            )
        if args.format == "json":
            return LineageView("json", graph.to_json())
        if args.format == "mermaid":
            return LineageView("mermaid", graph.to_mermaid())
        if args.format == "openlineage":
            return LineageView("openlineage", graph.to_openlineage())
        if args.format == "prov":
            return LineageView("prov", graph.to_prov())
        rows = []
        for cell in graph.to_json()["cells"]:
            rows.append(
                {
                    "cell": cell.get("cell_index", cell.get("cell_id")),
                    "run": cell.get("execution_count"),
                    "reads": [r["uri"] for r in cell.get("reads", [])],
                    "writes": [w["uri"] for w in cell.get("writes", [])],
                    "defines": cell.get("defines", []),
                    "uses": cell.get("uses", []),
                }
            )
        return RowsView(
            "nbsec lineage", ["cell", "run", "reads", "writes", "defines", "uses"], rows
        )

    def _cmd_allow(self, rest: list[str]) -> TableView:
        parser = _parser("allow")
        parser.add_argument("target")
        parser.add_argument("--reason", required=True)
        args = parser.parse_args(rest)
        waiver = self.extension.allow(args.target, args.reason)
        return TableView("nbsec allow", waiver.to_dict())

    def _cmd_report(self, rest: list[str]) -> None:
        parser = _parser("report")
        parser.add_argument("path", nargs="?")
        parser.parse_args(rest)
        print(
            "nbsec: the governance report builder is not part of this version yet; "
            "use %nbsec status, %nbsec scan, %nbsec models and %nbsec lineage meanwhile.",
            file=sys.stderr,
        )
        return

    def _cmd_dashboard(self, rest: list[str]) -> Any:
        _parser("dashboard").parse_args(rest)
        from nbsec.kernel.dashboard import Dashboard

        return Dashboard(self.extension).widget


def _ancestors(graph: dict[str, Any], var: str) -> list[dict[str, Any]]:
    """Everything the latest version of ``var`` was derived from, following edges backwards."""
    versions = [n["id"] for n in graph["nodes"] if n["id"].startswith(f"var:{var}@")]
    if not versions:
        raise ValueError(f"no lineage recorded for a variable named {var!r}")
    latest = max(versions, key=lambda v: int(v.rsplit("@", 1)[1] or 0))
    parents: dict[str, list[str]] = {}
    for edge in graph["edges"]:
        parents.setdefault(edge["dst"], []).append(edge["src"])
    seen, stack = {latest}, [latest]
    while stack:
        for src in parents.get(stack.pop(), []):
            if src not in seen:
                seen.add(src)
                stack.append(src)
    return [
        {"kind": node.split(":", 1)[0], "node": node.split(":", 1)[1]}
        for node in sorted(seen, key=lambda n: (n.split(":", 1)[0], n))
    ]
