/**
 * The panel's view model of the kernel state: findings as rows (with where each one leads),
 * filtered by the filter box, grouped by severity, cell or rule family, in the order the panel
 * lists them and the keyboard steps through them; and the models inventory, one row per file.
 *
 * Pure functions over parsed state (`kernel_state.ts`): no DOM, no JupyterLab, so the unit tests
 * run them directly.
 */

import {
  ICellRef,
  IFinding,
  IFrameSummary,
  IKernelState,
  IModelRow,
  SEVERITIES,
  Severity
} from './kernel_state';
import type { IStaticScan } from './saved_scan';
import {
  FRAME_CELL_PREFIX,
  FAMILIES,
  Family,
  IFrameColumn,
  frameColumnOf,
  ruleFamily
} from './finding_text';

/** How the findings list is grouped. */
export const GROUPINGS = ['severity', 'cell', 'family', 'none'] as const;

export type GroupBy = (typeof GROUPINGS)[number];

export function isGroupBy(value: unknown): value is GroupBy {
  return (
    typeof value === 'string' &&
    (GROUPINGS as readonly string[]).includes(value)
  );
}

/** What the panel knows of the open notebook's cells. */
export interface ICellLocator {
  /** The 1-based position of the cell with this id, or null when the notebook has none. */
  numberOf(cellId: string): number | null;
  /** The id of the cell whose prompt shows this execution count, or null. */
  idByExecutionCount(count: number): string | null;
  /** The id of the cell at this 0-based index, or null. */
  idAt(index: number): string | null;
}

/** A locator for when no notebook is open: no cell is found. */
export const NO_CELLS: ICellLocator = {
  numberOf: () => null,
  idByExecutionCount: () => null,
  idAt: () => null
};

/** One finding as the panel lists it. */
export interface IFindingRow {
  /** Stable across updates: the fingerprint (made unique if the kernel repeats one). */
  readonly key: string;
  readonly finding: IFinding;
  readonly family: Family;
  /** The notebook cell a click leads to: the finding's own, or the cell that did the load. */
  readonly cellId: string | null;
  /** Its 1-based position in the open notebook, or null when the notebook has no such cell. */
  readonly cellNumber: number | null;
  /** The 1-based line of the cell's source, when known (null for a finding in an output). */
  readonly line: number | null;
  /** The DataFrame (and column) a personal-data finding is about; shown in Frames. */
  readonly frame: IFrameColumn | null;
  /** The file (models inventory row) a finding about a loaded file is about, if any. */
  readonly model: IModelRow | null;
}

/** A group of rows under one heading. */
export interface IFindingGroup {
  /** Stable across updates, e.g. `severity:high`, `cell:ab12`, `family:PKL`. */
  readonly key: string;
  readonly by: GroupBy;
  /** The severity, cell id, or family code the group stands for ('' for `none`). */
  readonly value: string;
  /** For cell groups: the cell's 1-based position, or null (not in this notebook). */
  readonly cellNumber: number | null;
  readonly worst: Severity;
  readonly rows: readonly IFindingRow[];
}

/**
 * Rows for the findings, most severe first, then by cell position and line: the active ones, or
 * with `waived` the ones a waiver covers.
 */
export function findingRows(
  state: IKernelState,
  cells: ICellLocator,
  waived = false
): IFindingRow[] {
  const filesByHash = new Map<string, IModelRow>();
  const filesByPath = new Map<string, IModelRow>();
  for (const model of state.models) {
    if (model.sha256) {
      filesByHash.set(model.sha256, model);
    }
    if (model.path) {
      filesByPath.set(model.path, model);
    }
  }
  const frames = new Set(state.frames.map(frame => frame.name));
  const seen = new Map<string, number>();
  const rows: IFindingRow[] = [];
  state.findings.forEach((finding, index) => {
    if ((finding.waiver !== null) !== waived) {
      return;
    }
    const base = finding.fingerprint || `finding-${index}`;
    const repeat = seen.get(base) ?? 0;
    seen.set(base, repeat + 1);
    const key = repeat === 0 ? base : `${base}#${repeat}`;
    const subject = finding.subject;
    const model =
      (subject?.sha256 ? filesByHash.get(subject.sha256) : undefined) ??
      filesByPath.get(subject?.path ?? finding.location.path ?? '') ??
      null;
    rows.push(makeRow(key, finding, model, frames, cells));
  });
  return rows.sort(compareRows);
}

/** The open notebook's id for a cell the kernel saw run (by id, position or prompt number). */
export function resolveCell(
  ref: ICellRef | null,
  cells: ICellLocator
): string | null {
  if (ref === null) {
    return null;
  }
  if (ref.cellId !== null && cells.numberOf(ref.cellId) !== null) {
    return ref.cellId;
  }
  if (ref.executionCount !== null) {
    const id = cells.idByExecutionCount(ref.executionCount);
    if (id !== null) {
      return id;
    }
  }
  if (ref.cellIndex !== null) {
    const id = cells.idAt(ref.cellIndex);
    if (id !== null) {
      return id;
    }
  }
  return ref.cellId;
}

function makeRow(
  key: string,
  finding: IFinding,
  model: IModelRow | null,
  frames: ReadonlySet<string>,
  cells: ICellLocator
): IFindingRow {
  const location = finding.location;
  const family = ruleFamily(finding.rule);
  let frame: IFrameColumn | null = null;
  if (family === 'PII') {
    const subject = finding.subject;
    if (subject?.frame) {
      frame = { frame: subject.frame, column: subject.column };
    } else {
      frame = frameColumnOf(finding.message);
      if (location.cellId?.startsWith(FRAME_CELL_PREFIX)) {
        const name = location.cellId.slice(FRAME_CELL_PREFIX.length);
        frame = { frame: name, column: frame?.column ?? null };
      }
    }
    if (frame && !frames.has(frame.frame)) {
      frame = null;
    }
  }
  const ownCell =
    location.cellId && !location.cellId.startsWith(FRAME_CELL_PREFIX)
      ? location.cellId
      : null;
  let cellId = resolveCell(
    {
      cellId: ownCell,
      cellIndex: location.path ? null : location.cellIndex,
      executionCount: location.executionCount
    },
    cells
  );
  if ((cellId === null || cells.numberOf(cellId) === null) && model) {
    cellId = resolveCell(model.lastCell, cells) ?? cellId;
  }
  return {
    key,
    finding,
    family,
    cellId,
    cellNumber: cellId !== null ? cells.numberOf(cellId) : null,
    // a line within an output is not a line of the cell's source
    line: location.outputIndex === null ? location.line : null,
    frame,
    model
  };
}

function compareRows(a: IFindingRow, b: IFindingRow): number {
  return (
    severityRank(a.finding.severity) - severityRank(b.finding.severity) ||
    compareCells(a.cellNumber, b.cellNumber) ||
    compareCells(a.line, b.line) ||
    a.finding.rule.localeCompare(b.finding.rule)
  );
}

/** Cells (or lines) in order; unknown ones (outside the notebook, no line) last. */
function compareCells(a: number | null, b: number | null): number {
  if (a === b) {
    return 0;
  }
  if (a === null) {
    return 1;
  }
  if (b === null) {
    return -1;
  }
  return a - b;
}

/** 0 for critical … 4 for info. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/**
 * The rows whose text holds every word of the query (case-insensitive). `textOf` gives the
 * words a row is found by: rule, title, message, where, severity and family names.
 */
export function filterRows(
  rows: readonly IFindingRow[],
  query: string,
  textOf: (row: IFindingRow) => string
): IFindingRow[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return [...rows];
  }
  return rows.filter(row => {
    const text = textOf(row).toLowerCase();
    return words.every(word => text.includes(word));
  });
}

/** The rows in groups, in the order the panel shows them; rows keep their order. */
export function groupRows(
  rows: readonly IFindingRow[],
  by: GroupBy
): IFindingGroup[] {
  if (rows.length === 0) {
    return [];
  }
  if (by === 'none') {
    return [makeGroup('all', by, '', null, rows)];
  }
  const groups = new Map<string, IFindingRow[]>();
  for (const row of rows) {
    const value = groupValue(row, by);
    const list = groups.get(value);
    if (list) {
      list.push(row);
    } else {
      groups.set(value, [row]);
    }
  }
  const made = [...groups].map(([value, members]) =>
    makeGroup(
      `${by}:${value}`,
      by,
      value,
      by === 'cell' ? members[0].cellNumber : null,
      members
    )
  );
  switch (by) {
    case 'severity':
      return made.sort(
        (a, b) =>
          severityRank(a.value as Severity) - severityRank(b.value as Severity)
      );
    case 'family':
      return made.sort(
        (a, b) =>
          severityRank(a.worst) - severityRank(b.worst) ||
          familyOrder(a.value) - familyOrder(b.value)
      );
    case 'cell':
      return made.sort(
        (a, b) =>
          compareCells(a.cellNumber, b.cellNumber) ||
          a.value.localeCompare(b.value)
      );
  }
}

function groupValue(row: IFindingRow, by: GroupBy): string {
  switch (by) {
    case 'severity':
      return row.finding.severity;
    case 'family':
      return row.family;
    case 'cell':
      return row.cellNumber !== null && row.cellId !== null ? row.cellId : '';
    case 'none':
      return '';
  }
}

function familyOrder(family: string): number {
  const index = (FAMILIES as readonly string[]).indexOf(family);
  return index < 0 ? FAMILIES.length : index;
}

function makeGroup(
  key: string,
  by: GroupBy,
  value: string,
  cellNumber: number | null,
  rows: readonly IFindingRow[]
): IFindingGroup {
  let worst: Severity = 'info';
  for (const row of rows) {
    if (severityRank(row.finding.severity) < severityRank(worst)) {
      worst = row.finding.severity;
    }
  }
  return { key, by, value, cellNumber, worst, rows };
}

/** The rows in the order the panel lists them (group after group). */
export function rowOrder(groups: readonly IFindingGroup[]): IFindingRow[] {
  return groups.flatMap(group => group.rows);
}

/**
 * The key `step` rows after `current` in `order`, wrapping around at either end. With no
 * current row (or one no longer listed), the first row going forward and the last going back.
 */
export function stepKey(
  order: readonly string[],
  current: string | null,
  step: 1 | -1
): string | null {
  if (order.length === 0) {
    return null;
  }
  const index = current === null ? -1 : order.indexOf(current);
  if (index < 0) {
    return step === 1 ? order[0] : order[order.length - 1];
  }
  return order[(index + step + order.length) % order.length];
}

/** One model or pickle file of the inventory, with the notebook cell of its latest load. */
export interface IModelView {
  readonly model: IModelRow;
  /** The cell of the latest load, when the open notebook has it. */
  readonly cellId: string | null;
  readonly cellNumber: number | null;
  /** The cell that wrote this very file earlier in the session (the user's own), if any. */
  readonly ownCellNumber: number | null;
}

const VERDICT_RANK: Readonly<Record<string, number>> = {
  malicious: 0,
  dangerous: 0,
  error: 1,
  suspicious: 2,
  unsupported: 3,
  unknown: 4,
  safe: 5
};

export function verdictRank(verdict: string | null): number {
  return VERDICT_RANK[verdict ?? 'unknown'] ?? VERDICT_RANK.unknown;
}

/** The models inventory (one row per file, as the kernel keeps it), worst verdict first. */
export function modelRows(
  models: readonly IModelRow[],
  cells: ICellLocator
): IModelView[] {
  return models
    .map(model => {
      const cellId = resolveCell(model.lastCell, cells);
      const own = resolveCell(model.own, cells);
      return {
        model,
        cellId,
        cellNumber: cellId !== null ? cells.numberOf(cellId) : null,
        ownCellNumber: own !== null ? cells.numberOf(own) : null
      };
    })
    .sort(
      (a, b) => verdictRank(a.model.verdict) - verdictRank(b.model.verdict)
    );
}

/** Frames with personal data first (most columns first), then the rest, each by name. */
export function frameOrder(frames: readonly IFrameSummary[]): IFrameSummary[] {
  return [...frames].sort(
    (a, b) =>
      b.piiColumns.length - a.piiColumns.length || a.name.localeCompare(b.name)
  );
}

/** A saved notebook's static scan as a state the views can show (no frames, models, waivers). */
export function staticState(scan: IStaticScan): IKernelState {
  return {
    version: 0,
    status: null,
    counts: scan.counts,
    findings: scan.findings,
    frames: [],
    models: [],
    waivers: [],
    scans: []
  };
}
