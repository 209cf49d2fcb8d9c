"""``%nbsec dashboard``: an ipywidgets view of the session that updates as cells run.

Four tabs: findings, PII per frame (columns, entities, masked examples), models and pickles, and
the lineage of a chosen variable. The extension calls :meth:`Dashboard.refresh` after each cell;
the view only re-renders when the session state changed. All text is escaped.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from nbsec.kernel.command_table import MagicCommand, parser

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext


def _table(columns: list[str], rows: list[list[str]]) -> str:
    esc = html.escape
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{esc(c)}</th>" for c in columns)
    if not rows:
        return "<p><i>nothing yet</i></p>"
    body = "".join(
        "<tr>"
        + "".join(f"<td style='text-align:left;padding:2px 8px'>{esc(v)}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Dashboard:
    def __init__(self, context: FrontEndContext) -> None:
        import ipywidgets as widgets

        self._ctx = context
        self._version = -1
        self.findings = widgets.HTML()
        self.frames = widgets.HTML()
        self.models = widgets.HTML()
        self.variable = widgets.Dropdown(description="variable", options=[])
        self.lineage = widgets.HTML()
        self.variable.observe(lambda _change: self._render_lineage(), names="value")
        tabs = widgets.Tab(
            children=[
                self.findings,
                self.frames,
                self.models,
                widgets.VBox([self.variable, self.lineage]),
            ]
        )
        for i, title in enumerate(("Findings", "PII per frame", "Models & pickles", "Lineage")):
            tabs.set_title(i, title)
        self.widget = widgets.VBox([widgets.HTML("<b>nbsec</b>"), tabs])
        context.live_views.add(self)
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        state = self._ctx.state
        if not force and state.version == self._version:
            return
        self._version = state.version
        data = state.to_state()
        self.findings.value = _table(
            ["severity", "rule", "message", "evidence"],
            [
                [f["severity"], f["rule"], f["message"], f.get("evidence") or ""]
                for f in data["findings"]
                if f["waiver"] is None
            ],
        )
        rows = []
        for name, frame in data["frames"].items():
            if not frame["pii_columns"]:
                rows.append([name, "-", "no PII", "", f"{frame['rows_scanned']}/{frame['rows']}"])
            for column, info in frame["pii_columns"].items():
                rows.append(
                    [
                        name,
                        column,
                        ", ".join(f"{e['type']} {e['fraction']:.0%}" for e in info["entities"]),
                        ", ".join(info["examples"][:3]),
                        f"{frame['rows_scanned']}/{frame['rows']}",
                    ]
                )
        self.frames.value = _table(["frame", "column", "entities", "examples", "rows"], rows)
        self.models.value = _table(
            ["api", "what", "sha256", "verdict", "action"],
            [
                [
                    str(m.get("api")),
                    str(
                        (m.get("source") if m.get("kind") == "download" else None)
                        or m.get("path")
                        or m.get("source")
                        or ""
                    ),
                    str(m.get("sha256") or "")[:16],
                    str(m.get("verdict") or ""),
                    str(m.get("action") or ""),
                ]
                for m in data["models"]
            ],
        )
        self._update_variables()

    def _update_variables(self) -> None:
        lineage = self._ctx.services.lineage
        if lineage is None:
            return
        names = sorted({n for r in lineage.records for n in r.defines})
        if list(self.variable.options) != names:
            current = self.variable.value
            self.variable.options = names
            if current in names:
                self.variable.value = current
        self._render_lineage()

    def _render_lineage(self) -> None:
        from nbsec.kernel.lineage_commands import ancestor_rows

        lineage = self._ctx.services.lineage
        name = self.variable.value
        if lineage is None or not name:
            self.lineage.value = "<p><i>choose a variable</i></p>"
            return
        try:
            rows = ancestor_rows(lineage.graph(), name)
        except ValueError as exc:
            self.lineage.value = f"<p>{html.escape(str(exc))}</p>"
            return
        self.lineage.value = _table(["kind", "node"], [[r["kind"], r["node"]] for r in rows])


def dashboard(context: FrontEndContext, argv: list[str]) -> Any:
    parser("dashboard").parse_args(argv)
    return Dashboard(context).widget


MAGICS: dict[str, MagicCommand] = {"dashboard": dashboard}
