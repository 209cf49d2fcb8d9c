/**
 * Renders the kernel's nbsec state: severity counts, findings, frames, models and waivers.
 *
 * Pure DOM built with `element()` (text only, never markup). Stable `data-testid`s name the
 * parts tests and users' scripts read: `nbsec-counts`, `nbsec-count-<severity>`,
 * `nbsec-findings` / `nbsec-finding`, `nbsec-frames` / `nbsec-frame` / `nbsec-pii-column`,
 * `nbsec-models` / `nbsec-model` (`nbsec-model-verdict`, `-api`, `-action`, `-what`, `-sha256`),
 * `nbsec-waivers` / `nbsec-waiver`, and the buttons
 * `nbsec-allow-button` and `nbsec-scan-button`.
 */

import { button, element } from './dom_element';
import {
  IFinding,
  IFindingLocation,
  IFrameSummary,
  IKernelState,
  IModelLoad,
  IWaiver,
  SEVERITIES
} from './kernel_state';

/** At most this many findings are listed; the rest are counted. */
export const MAX_FINDINGS_SHOWN = 200;

/** The pseudo cell id prefix the kernel gives findings about a DataFrame. */
const FRAME_CELL_PREFIX = 'frame:';

/** What the rendered state can ask of the panel. */
export interface IStateViewActions {
  /** Activates the notebook cell with this id; false when there is none. */
  revealCell(cellId: string): boolean;
  /** The 1-based position of the notebook cell with this id, or null when there is none. */
  cellNumber(cellId: string): number | null;
  /** Asks the user for a reason and records a waiver for the finding's rule. */
  allow(finding: IFinding): void;
  /** Asks the kernel for a complete PII pass over one frame. */
  scanFrame(name: string): void;
  /** Whether an action (`allow:<rule>`, `scan:<frame>`) is under way. */
  isBusy(key: string): boolean;
}

/** Which sections the user folded, kept across renders. */
export type FoldState = Map<string, boolean>;

export function renderState(
  state: IKernelState,
  actions: IStateViewActions,
  folds: FoldState
): HTMLElement[] {
  return [
    renderCounts(state),
    section(
      'findings',
      `Findings (${state.findings.length})`,
      renderFindings(state.findings, actions),
      folds
    ),
    section(
      'frames',
      `Frames (${state.frames.length})`,
      renderFrames(state.frames, actions),
      folds
    ),
    section(
      'models',
      `Models (${state.models.length})`,
      renderModels(state.models),
      folds
    ),
    section(
      'waivers',
      `Waivers (${state.waivers.length})`,
      renderWaivers(state.waivers),
      folds
    )
  ];
}

function renderCounts(state: IKernelState): HTMLElement {
  const counts = element('div', 'jp-NbsecPanel-counts');
  counts.dataset.testid = 'nbsec-counts';
  for (const severity of SEVERITIES) {
    const count = element('span', 'jp-NbsecPanel-count');
    count.dataset.severity = severity;
    count.dataset.testid = `nbsec-count-${severity}`;
    count.title = `${state.counts[severity]} active ${severity} finding(s)`;
    count.append(
      element(
        'span',
        'jp-NbsecPanel-countValue',
        String(state.counts[severity])
      ),
      element('span', 'jp-NbsecPanel-countLabel', severity)
    );
    counts.appendChild(count);
  }
  return counts;
}

function renderFindings(
  findings: readonly IFinding[],
  actions: IStateViewActions
): HTMLElement {
  const list = element('ul', 'jp-NbsecPanel-list');
  list.dataset.testid = 'nbsec-findings';
  if (findings.length === 0) {
    list.appendChild(
      element('li', 'jp-NbsecPanel-empty', 'No active findings.')
    );
    return list;
  }
  for (const finding of findings.slice(0, MAX_FINDINGS_SHOWN)) {
    list.appendChild(renderFinding(finding, actions));
  }
  if (findings.length > MAX_FINDINGS_SHOWN) {
    const more = findings.length - MAX_FINDINGS_SHOWN;
    list.appendChild(
      element('li', 'jp-NbsecPanel-empty', `… and ${more} more (see %nbsec)`)
    );
  }
  return list;
}

function renderFinding(
  finding: IFinding,
  actions: IStateViewActions
): HTMLElement {
  const item = element('li', 'jp-NbsecPanel-finding');
  item.dataset.testid = 'nbsec-finding';
  item.dataset.rule = finding.rule;
  item.dataset.severity = finding.severity;

  const head = element('div', 'jp-NbsecPanel-findingHead');
  const badge = element('span', 'jp-NbsecPanel-badge', finding.severity);
  badge.dataset.severity = finding.severity;
  head.append(
    badge,
    element('span', 'jp-NbsecPanel-rule', finding.rule),
    element('span', 'jp-NbsecPanel-findingTitle', finding.title)
  );
  item.appendChild(head);
  item.appendChild(element('div', 'jp-NbsecPanel-message', finding.message));
  if (finding.evidence) {
    const evidence = element(
      'code',
      'jp-NbsecPanel-evidence',
      finding.evidence
    );
    evidence.dataset.testid = 'nbsec-evidence';
    item.appendChild(evidence);
  }
  const foot = element('div', 'jp-NbsecPanel-findingFoot');
  const where = element(
    'span',
    'jp-NbsecPanel-where',
    describeLocation(finding.location, actions.cellNumber)
  );
  where.dataset.testid = 'nbsec-where';
  foot.appendChild(where);
  const allow = button('Allow…', 'nbsec-allow-button', 'plain', () =>
    actions.allow(finding)
  );
  allow.title = `Waive ${finding.rule} in this session (asks for a reason)`;
  allow.disabled = actions.isBusy(`allow:${finding.rule}`);
  foot.appendChild(allow);
  item.appendChild(foot);
  if (finding.remediation) {
    item.title = `Fix: ${finding.remediation}`;
  }

  const cellId = finding.location.cellId;
  if (cellId && !cellId.startsWith(FRAME_CELL_PREFIX)) {
    item.classList.add('jp-mod-clickable');
    item.tabIndex = 0;
    const reveal = (): void => {
      actions.revealCell(cellId);
    };
    item.addEventListener('click', reveal);
    item.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        reveal();
      }
    });
  }
  return item;
}

/**
 * `cell 3 line 2`, `frame customers`, `model.pkl`: where a finding is, in a few words. A cell the
 * open notebook has is named by its position there (as JupyterLab's status bar counts).
 */
export function describeLocation(
  location: IFindingLocation,
  cellNumber: (cellId: string) => number | null
): string {
  const parts: string[] = [];
  if (location.path) {
    parts.push(location.path);
  }
  const cellId = location.cellId;
  const number =
    cellId && !cellId.startsWith(FRAME_CELL_PREFIX) ? cellNumber(cellId) : null;
  if (cellId && cellId.startsWith(FRAME_CELL_PREFIX)) {
    parts.push(`frame ${cellId.slice(FRAME_CELL_PREFIX.length)}`);
  } else if (number !== null) {
    parts.push(`cell ${number}`);
  } else if (location.executionCount !== null) {
    parts.push(`cell [${location.executionCount}]`);
  } else if (location.cellIndex !== null) {
    parts.push(`cell ${location.cellIndex}`);
  } else if (cellId) {
    parts.push('cell');
  }
  if (location.line !== null) {
    parts.push(`line ${location.line}`);
  }
  if (location.outputIndex !== null) {
    parts.push(`output ${location.outputIndex}`);
  }
  return parts.length > 0 ? parts.join(' ') : 'kernel session';
}

function renderFrames(
  frames: readonly IFrameSummary[],
  actions: IStateViewActions
): HTMLElement {
  const list = element('ul', 'jp-NbsecPanel-list');
  list.dataset.testid = 'nbsec-frames';
  if (frames.length === 0) {
    list.appendChild(
      element('li', 'jp-NbsecPanel-empty', 'No DataFrames scanned yet.')
    );
    return list;
  }
  for (const frame of frames) {
    list.appendChild(renderFrame(frame, actions));
  }
  return list;
}

function renderFrame(
  frame: IFrameSummary,
  actions: IStateViewActions
): HTMLElement {
  const item = element('li', 'jp-NbsecPanel-frame');
  item.dataset.testid = 'nbsec-frame';
  item.dataset.frame = frame.name;

  const head = element('div', 'jp-NbsecPanel-frameHead');
  const name = element('span', 'jp-NbsecPanel-frameName', frame.name);
  name.dataset.testid = 'nbsec-frame-name';
  head.append(
    name,
    element('span', 'jp-NbsecPanel-frameSize', frameSize(frame))
  );
  item.appendChild(head);

  if (frame.piiColumns.length === 0) {
    item.appendChild(
      element('div', 'jp-NbsecPanel-empty', 'No personal data found.')
    );
  }
  const columns = element('ul', 'jp-NbsecPanel-columns');
  for (const column of frame.piiColumns) {
    const row = element('li', 'jp-NbsecPanel-column');
    row.dataset.testid = 'nbsec-pii-column';
    row.dataset.column = column.name;
    const columnName = element('span', 'jp-NbsecPanel-columnName', column.name);
    columnName.dataset.testid = 'nbsec-column-name';
    row.appendChild(columnName);
    for (const entity of column.entities) {
      const tag = element(
        'span',
        'jp-NbsecPanel-entity',
        `${entity.type} ${percent(entity.fraction)}`
      );
      tag.dataset.testid = 'nbsec-entity';
      tag.dataset.entity = entity.type;
      row.appendChild(tag);
    }
    if (column.examples.length > 0) {
      const examples = element(
        'code',
        'jp-NbsecPanel-evidence',
        column.examples.join(', ')
      );
      examples.dataset.testid = 'nbsec-examples';
      row.appendChild(examples);
    }
    columns.appendChild(row);
  }
  item.appendChild(columns);

  const scan = button('Full scan', 'nbsec-scan-button', 'plain', () =>
    actions.scanFrame(frame.name)
  );
  scan.title = `Check every value of every column of ${frame.name}`;
  scan.disabled = actions.isBusy(`scan:${frame.name}`);
  item.appendChild(scan);
  return item;
}

function frameSize(frame: IFrameSummary): string {
  const parts: string[] = [];
  if (frame.rows !== null) {
    parts.push(`${frame.rows} rows`);
  }
  if (frame.columns !== null) {
    parts.push(`${frame.columns} columns`);
  }
  if (frame.exhaustive) {
    parts.push('complete scan');
  } else if (frame.rowsScanned !== null) {
    parts.push(`sampled ${frame.rowsScanned} rows`);
  }
  return parts.join(', ');
}

function renderModels(models: readonly IModelLoad[]): HTMLElement {
  const list = element('ul', 'jp-NbsecPanel-list');
  list.dataset.testid = 'nbsec-models';
  if (models.length === 0) {
    list.appendChild(
      element('li', 'jp-NbsecPanel-empty', 'No model or pickle loads seen.')
    );
    return list;
  }
  for (const model of models) {
    const item = element('li', 'jp-NbsecPanel-model');
    item.dataset.testid = 'nbsec-model';
    const head = element('div', 'jp-NbsecPanel-findingHead');
    const verdict = element(
      'span',
      'jp-NbsecPanel-badge',
      model.verdict ?? 'unknown'
    );
    verdict.dataset.verdict = model.verdict ?? 'unknown';
    verdict.dataset.testid = 'nbsec-model-verdict';
    const api = element('span', 'jp-NbsecPanel-rule', model.api ?? 'load');
    api.dataset.testid = 'nbsec-model-api';
    const action = element('span', 'jp-NbsecPanel-action', model.action ?? '');
    action.dataset.testid = 'nbsec-model-action';
    head.append(verdict, api, action);
    item.appendChild(head);
    const what = element(
      'div',
      'jp-NbsecPanel-message',
      model.source ?? model.path ?? '-'
    );
    what.dataset.testid = 'nbsec-model-what';
    item.appendChild(what);
    if (model.sha256) {
      const sha = element(
        'code',
        'jp-NbsecPanel-evidence',
        shortSha(model.sha256)
      );
      sha.title = model.sha256;
      sha.dataset.testid = 'nbsec-model-sha256';
      item.appendChild(sha);
    }
    list.appendChild(item);
  }
  return list;
}

function renderWaivers(waivers: readonly IWaiver[]): HTMLElement {
  const list = element('ul', 'jp-NbsecPanel-list');
  list.dataset.testid = 'nbsec-waivers';
  if (waivers.length === 0) {
    list.appendChild(
      element('li', 'jp-NbsecPanel-empty', 'No waivers in this session.')
    );
    return list;
  }
  for (const waiver of waivers) {
    const item = element('li', 'jp-NbsecPanel-waiver');
    item.dataset.testid = 'nbsec-waiver';
    item.dataset.target = waiver.target;
    const head = element('div', 'jp-NbsecPanel-findingHead');
    head.append(
      element('span', 'jp-NbsecPanel-rule', waiver.target),
      element('span', 'jp-NbsecPanel-action', waiver.kind)
    );
    item.append(head, element('div', 'jp-NbsecPanel-message', waiver.reason));
    if (waiver.at) {
      item.appendChild(element('div', 'jp-NbsecPanel-where', waiver.at));
    }
    list.appendChild(item);
  }
  return list;
}

/** A foldable section whose folded state survives re-renders. */
function section(
  key: string,
  title: string,
  body: HTMLElement,
  folds: FoldState
): HTMLElement {
  const details = element('details', 'jp-NbsecPanel-section');
  details.dataset.testid = `nbsec-section-${key}`;
  details.open = folds.get(key) ?? true;
  details.addEventListener('toggle', () => folds.set(key, details.open));
  details.append(element('summary', 'jp-NbsecPanel-sectionTitle', title), body);
  return details;
}

/** `sha256:0123456789ab…` → `0123456789ab`. */
function shortSha(sha: string): string {
  const hex = sha.startsWith('sha256:') ? sha.slice('sha256:'.length) : sha;
  return hex.slice(0, 12);
}

function percent(fraction: number): string {
  const value = Math.round(fraction * 1000) / 10;
  return `${value}%`;
}
