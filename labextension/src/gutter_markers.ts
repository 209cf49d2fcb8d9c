/**
 * Editor gutter markers on the lines nbsec has findings on, in every open notebook.
 *
 * A CodeMirror 6 gutter (as JupyterLab's debugger draws its breakpoints) is added to a code
 * cell's editor the first time it has a finding; its markers live in a state field set by an
 * effect, so they follow edits until the next kernel update replaces them. A marker shows the
 * worst severity on its line and, as its tooltip, every finding there; clicking it selects the
 * finding in the panel. The selected finding's line is highlighted.
 */

import type { Cell, CodeCell } from '@jupyterlab/cells';
import type { CodeEditor } from '@jupyterlab/codeeditor';
import type { CodeMirrorEditor } from '@jupyterlab/codemirror';
import { NotebookPanel } from '@jupyterlab/notebook';
import { IDisposable } from '@lumino/disposable';
import {
  Extension,
  Prec,
  RangeSet,
  StateEffect,
  StateField
} from '@codemirror/state';
import {
  Decoration,
  DecorationSet,
  EditorView,
  GutterMarker,
  gutter
} from '@codemirror/view';

import { NbsecConnections } from './connections';
import { IFindingRow, findingRows, severityRank } from './finding_rows';
import { severityLabel } from './finding_text';
import { Severity } from './kernel_state';
import { NotebookConnection } from './notebook_connection';
import { cellLocator } from './notebook_navigation';
import { PanelUiState } from './panel_ui_state';
import { shownState } from './panel_view';
import { Trans } from './translate';

/** The findings on one line of one cell. */
export interface ILineMarks {
  readonly line: number;
  readonly worst: Severity;
  readonly rows: readonly IFindingRow[];
}

/** Cell id → the lines with findings, from the rows of a notebook's findings. */
export function marksByCell(
  rows: readonly IFindingRow[]
): Map<string, ILineMarks[]> {
  const byCell = new Map<string, Map<number, IFindingRow[]>>();
  for (const row of rows) {
    // findings about a frame or a loaded file have no line of their own
    if (row.cellId === null || row.line === null || row.frame) {
      continue;
    }
    let lines = byCell.get(row.cellId);
    if (!lines) {
      lines = new Map();
      byCell.set(row.cellId, lines);
    }
    const list = lines.get(row.line) ?? [];
    list.push(row);
    lines.set(row.line, list);
  }
  const result = new Map<string, ILineMarks[]>();
  for (const [cellId, lines] of byCell) {
    result.set(
      cellId,
      [...lines]
        .sort(([a], [b]) => a - b)
        .map(([line, list]) => ({
          line,
          rows: list,
          worst: list.reduce<Severity>(
            (worst, row) =>
              severityRank(row.finding.severity) < severityRank(worst)
                ? row.finding.severity
                : worst,
            'info'
          )
        }))
    );
  }
  return result;
}

/** The tooltip of a marker: one line per finding. */
export function markerTooltip(trans: Trans, marks: ILineMarks): string {
  return marks.rows
    .map(row =>
      trans.__(
        '%1 %2: %3 (%4)',
        severityLabel(trans, row.finding.severity),
        row.finding.rule,
        row.finding.title,
        row.finding.message
      )
    )
    .join('\n');
}

class FindingMarker extends GutterMarker {
  constructor(
    readonly marks: ILineMarks,
    private readonly _tooltip: string
  ) {
    super();
  }

  eq(other: GutterMarker): boolean {
    return (
      other instanceof FindingMarker &&
      other._tooltip === this._tooltip &&
      other.marks.worst === this.marks.worst
    );
  }

  toDOM(): Node {
    const node = document.createElement('span');
    node.className = 'jp-NbsecGutter-marker';
    node.dataset.severity = this.marks.worst;
    node.dataset.testid = 'nbsec-gutter-marker';
    node.dataset.line = String(this.marks.line);
    node.title = this._tooltip;
    node.setAttribute('role', 'img');
    node.setAttribute('aria-label', this._tooltip);
    return node;
  }
}

interface IMarkerSpec {
  readonly pos: number;
  readonly marker: FindingMarker;
}

const setMarkers = StateEffect.define<IMarkerSpec[]>({
  map: (specs, mapping) =>
    specs.map(spec => ({ ...spec, pos: mapping.mapPos(spec.pos) }))
});

const markerField = StateField.define<RangeSet<GutterMarker>>({
  create: () => RangeSet.empty,
  update: (markers, transaction) => {
    for (const effect of transaction.effects) {
      if (effect.is(setMarkers)) {
        return RangeSet.of(
          effect.value.map(spec => spec.marker.range(spec.pos)),
          true
        );
      }
    }
    return markers.map(transaction.changes);
  }
});

const setHighlight = StateEffect.define<number | null>({
  map: (pos, mapping) => (pos === null ? null : mapping.mapPos(pos))
});

const highlightLine = Decoration.line({ class: 'jp-NbsecGutter-selectedLine' });

const highlightField = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update: (highlight, transaction) => {
    for (const effect of transaction.effects) {
      if (effect.is(setHighlight)) {
        return effect.value === null
          ? Decoration.none
          : Decoration.set([highlightLine.range(effect.value)]);
      }
    }
    return highlight.map(transaction.changes);
  },
  provide: field => EditorView.decorations.from(field)
});

/** The extension added to a cell's editor: the marker gutter and the line highlight. */
function markerExtension(onClick: (marks: ILineMarks) => void): Extension {
  return [
    markerField,
    highlightField,
    Prec.high(
      gutter({
        class: 'jp-NbsecGutter',
        markers: view => view.state.field(markerField),
        domEventHandlers: {
          mousedown: (view, line) => {
            let found: ILineMarks | null = null;
            view.state
              .field(markerField)
              .between(line.from, line.from, (_from, _to, marker) => {
                if (marker instanceof FindingMarker) {
                  found = marker.marks;
                }
              });
            if (found !== null) {
              onClick(found);
              return true;
            }
            return false;
          }
        }
      })
    )
  ];
}

/** Keeps the markers of every open notebook in step with its findings. */
export class GutterMarkers implements IDisposable {
  constructor(options: GutterMarkers.IOptions) {
    this._connections = options.connections;
    this._ui = options.ui;
    this._trans = options.trans;
    this._onMarkerClick = options.onMarkerClick;
    for (const connection of this._connections.all()) {
      this._watch(connection);
    }
    this._connections.added.connect(this._onAdded, this);
    this._ui.changed.connect(this._onUiChanged, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._connections.added.disconnect(this._onAdded, this);
    this._ui.changed.disconnect(this._onUiChanged, this);
    for (const connection of this._watched) {
      connection.changed.disconnect(this._onConnectionChanged, this);
    }
    this._watched.clear();
  }

  private _onAdded(
    _sender: NbsecConnections,
    connection: NotebookConnection
  ): void {
    this._watch(connection);
  }

  private _watch(connection: NotebookConnection): void {
    if (this._watched.has(connection)) {
      return;
    }
    this._watched.add(connection);
    connection.changed.connect(this._onConnectionChanged, this);
    connection.panel.content.model?.cells.changed.connect(
      () => this._apply(connection),
      this
    );
    this._apply(connection);
  }

  private _onConnectionChanged(connection: NotebookConnection): void {
    if (connection.isDisposed) {
      this._watched.delete(connection);
      return;
    }
    this._apply(connection);
  }

  private _onUiChanged(): void {
    const selected = this._ui.selected;
    if (selected === this._highlighted) {
      return;
    }
    this._highlighted = selected;
    const connection = this._connections.current;
    if (connection) {
      this._apply(connection);
    }
  }

  /** Sets every cell's markers (and the selected line) from the connection's findings. */
  private _apply(connection: NotebookConnection): void {
    const panel = connection.panel;
    if (panel.isDisposed || !panel.content.model) {
      return;
    }
    const shown = shownState(connection);
    const rows = shown ? findingRows(shown.state, cellLocator(panel)) : [];
    const marks = marksByCell(rows);
    const selected =
      connection === this._connections.current
        ? (rows.find(row => row.key === this._ui.selected) ?? null)
        : null;
    for (const cell of panel.content.widgets) {
      if (cell.model.type !== 'code') {
        continue;
      }
      const cellMarks = marks.get(cell.model.id) ?? [];
      const line =
        selected?.cellId === cell.model.id && !selected.frame
          ? selected.line
          : null;
      if (cellMarks.length === 0 && line === null && !this._dressed.has(cell)) {
        continue; // never had a marker: leave its editor alone
      }
      const apply = (): void =>
        this._setCellMarks(panel, cell, cellMarks, line);
      if (cell.editor) {
        apply();
      } else {
        void (cell as CodeCell).ready.then(apply);
      }
    }
  }

  private _setCellMarks(
    panel: NotebookPanel,
    cell: Cell,
    marks: readonly ILineMarks[],
    highlight: number | null
  ): void {
    const editor = cell.editor as CodeEditor.IEditor | null;
    if (!editor || cell.isDisposed) {
      return;
    }
    if (!this._dressed.has(cell)) {
      this._dressed.add(cell);
      editor.injectExtension(
        markerExtension(found => this._onMarkerClick(panel, found))
      );
    }
    const view = (editor as CodeMirrorEditor).editor;
    const doc = view.state.doc;
    const specs: IMarkerSpec[] = marks
      .filter(mark => mark.line >= 1 && mark.line <= doc.lines)
      .map(mark => ({
        pos: doc.line(mark.line).from,
        marker: new FindingMarker(mark, markerTooltip(this._trans, mark))
      }));
    const highlightPos =
      highlight !== null && highlight >= 1 && highlight <= doc.lines
        ? doc.line(highlight).from
        : null;
    view.dispatch({
      effects: [setMarkers.of(specs), setHighlight.of(highlightPos)]
    });
  }

  private readonly _connections: NbsecConnections;
  private readonly _ui: PanelUiState;
  private readonly _trans: Trans;
  private readonly _onMarkerClick: (
    panel: NotebookPanel,
    marks: ILineMarks
  ) => void;
  private readonly _watched = new Set<NotebookConnection>();
  /** Cells whose editor has the marker extension. */
  private readonly _dressed = new WeakSet<Cell>();
  private _highlighted: string | null = null;
  private _isDisposed = false;
}

export namespace GutterMarkers {
  export interface IOptions {
    readonly connections: NbsecConnections;
    readonly ui: PanelUiState;
    readonly trans: Trans;
    /** Called when the user clicks a marker in a notebook. */
    readonly onMarkerClick: (panel: NotebookPanel, marks: ILineMarks) => void;
  }
}
