/**
 * @jest-environment jsdom
 *
 * The panel's React view on a real kernel's state, in jsdom: one line per finding, the filter,
 * grouping, keyboard navigation of the tree, focus kept across kernel updates, and kernel text
 * rendered as text.
 */

import { readFileSync } from 'fs';
import { join } from 'path';
import React, { act } from 'react';
import { Root, createRoot } from 'react-dom/client';

import { ConnectionState } from '../connection_state';
import { ICellLocator, IFindingRow } from '../finding_rows';
import { IStateUpdate, parseStateUpdate } from '../kernel_state';
import { PanelUiState } from '../panel_ui_state';
import { IStaticScan, parseStaticScan } from '../saved_scan';
import { IConnectionView, IPanelActions, PanelView } from '../panel_view';
import { altered, capturedReply, trans } from './helpers';

(
  globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }
).IS_REACT_ACT_ENVIRONMENT = true;

const CELL_IDS = [
  'c-load',
  'c-frame',
  'c-write',
  'c-load-rf',
  'c-load-evil',
  'c-secret',
  'c-reload'
];
const CELLS: ICellLocator = {
  numberOf: id => {
    const index = CELL_IDS.indexOf(id);
    return index < 0 ? null : index + 1;
  },
  idByExecutionCount: () => null,
  idAt: index => CELL_IDS[index] ?? null
};

const CONNECTED: ConnectionState = {
  status: 'connected',
  info: {
    nbsecVersion: '0.1.0',
    protocol: 1,
    enabled: true,
    mode: 'warn',
    policyFile: null
  }
};

function update(change?: (copy: any) => void): IStateUpdate {
  const reply = change ? altered(capturedReply(), change) : capturedReply();
  const parsed = parseStateUpdate(reply.payload);
  if (parsed === null) {
    throw new Error('fixture does not parse');
  }
  return parsed;
}

function connection(data: IStateUpdate | null, busy = false): IConnectionView {
  return {
    state: CONNECTED,
    data,
    notice: null,
    kernelBusy: busy,
    pendingMode: null,
    scanning: new Set(),
    saved: { status: 'none' }
  };
}

class Harness {
  readonly node = document.createElement('div');
  readonly ui = new PanelUiState('severity');
  readonly calls: string[] = [];
  readonly actions: IPanelActions = {
    connect: () => this.calls.push('connect'),
    load: () => this.calls.push('load'),
    setMode: mode => this.calls.push(`mode ${mode}`),
    setEnabled: enabled => this.calls.push(`enabled ${enabled}`),
    setGroupBy: groupBy => {
      this.ui.groupBy = groupBy;
    },
    scanFrame: name => this.calls.push(`scan ${name}`),
    revealModel: row => this.calls.push(`model ${row.path}`),
    reveal: (row: IFindingRow, focus: boolean) =>
      this.calls.push(`reveal ${row.cellNumber}:${row.line} ${focus}`),
    allow: row => this.calls.push(`allow ${row.finding.rule}`),
    showFrame: name => this.calls.push(`frame ${name}`)
  };
  private readonly _root: Root;
  private _connection: IConnectionView;

  constructor(view: IConnectionView) {
    document.body.appendChild(this.node);
    this._root = createRoot(this.node);
    this._connection = view;
    this.ui.changed.connect(() => this.render());
    this.render();
  }

  set connection(view: IConnectionView) {
    this._connection = view;
    this.render();
  }

  render(): void {
    act(() => {
      this._root.render(
        <PanelView
          trans={trans}
          notebookPath="work/churn.ipynb"
          connection={this._connection}
          ui={this.ui}
          cells={CELLS}
          actions={this.actions}
          allowBusy={() => false}
        />
      );
    });
  }

  all(selector: string): HTMLElement[] {
    return Array.from(this.node.querySelectorAll<HTMLElement>(selector));
  }

  one(selector: string): HTMLElement {
    const found = this.node.querySelector<HTMLElement>(selector);
    if (!found) {
      throw new Error(`no ${selector}`);
    }
    return found;
  }

  /** The text of each tree item in order: groups as `[label n]`, findings as their line. */
  items(): string[] {
    return this.all('[role="treeitem"]').map(item =>
      item.dataset.testid === 'nbsec-group'
        ? `[${item.textContent}]`
        : (item.querySelector('.jp-NbsecPanel-findingLine')?.textContent ?? '')
    );
  }

  press(key: string): void {
    const target = document.activeElement as HTMLElement;
    act(() => {
      target.dispatchEvent(
        new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true })
      );
    });
  }

  typeFilter(text: string): void {
    const input = this.one('[data-testid="nbsec-filter"]') as HTMLInputElement;
    act(() => {
      const setter = Object.getOwnPropertyDescriptor(
        HTMLInputElement.prototype,
        'value'
      )!.set!;
      setter.call(input, text);
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
  }

  unmount(): void {
    act(() => this._root.unmount());
    this.node.remove();
  }
}

let harness: Harness;
afterEach(() => harness.unmount());

describe('the findings list', () => {
  it('shows one line per finding, grouped by severity', () => {
    harness = new Harness(connection(update()));
    expect(harness.items()).toEqual([
      '[Critical6]',
      'NBS-PKL-001Pickle load of untrusted datacell 4, line 2',
      'NBS-PKL-001Pickle load of untrusted datacell 5, line 2',
      'NBS-PKL-001Pickle load of untrusted dataevil.pkl, cell 5',
      'NBS-PKL-010Pickle imports a dangerous globalevil.pkl, cell 5',
      'NBS-SEC-001Cloud provider credentialcell 6, line 2',
      'NBS-PKL-001Pickle load of untrusted datacell 7, line 2',
      '[Medium1]',
      'NBS-PII-001Personal data in a DataFrame columncustomers.email'
    ]);
    const finding = harness.one('[data-testid="nbsec-finding"]');
    expect(finding.getAttribute('aria-level')).toBe('2');
    expect(finding.getAttribute('aria-expanded')).toBe('false');
    expect(finding.getAttribute('aria-label')).toBe(
      'Critical NBS-PKL-001: Pickle load of untrusted data, cell 4, line 2'
    );
    // details only on expand; personal data is not repeated in the finding
    expect(harness.all('.jp-NbsecPanel-details')).toHaveLength(1); // the frame
    expect(harness.all('[data-testid="nbsec-evidence"]')).toHaveLength(0);
  });

  it('filters by words and by the severity counts', () => {
    harness = new Harness(connection(update()));
    harness.typeFilter('evil');
    expect(harness.items()).toEqual([
      '[Critical2]',
      'NBS-PKL-001Pickle load of untrusted dataevil.pkl, cell 5',
      'NBS-PKL-010Pickle imports a dangerous globalevil.pkl, cell 5'
    ]);
    expect(
      harness.one('[data-testid="nbsec-section-findings"] h3').textContent
    ).toBe('Findings (2 of 7)');

    harness.typeFilter('');
    harness.one('[data-testid="nbsec-count-medium"]').click();
    expect(harness.ui.filter).toBe('medium');
    expect(harness.items()).toEqual([
      '[Medium1]',
      'NBS-PII-001Personal data in a DataFrame columncustomers.email'
    ]);

    harness.typeFilter('no such thing');
    expect(harness.one('[data-testid="nbsec-findings"]').textContent).toBe(
      'No finding matches “no such thing”.'
    );
  });

  it('groups by cell and by kind', () => {
    harness = new Harness(connection(update()));
    harness.ui.groupBy = 'cell';
    expect(
      harness.all('[data-testid="nbsec-group"]').map(node => node.textContent)
    ).toEqual(['Cell 21', 'Cell 41', 'Cell 53', 'Cell 61', 'Cell 71']);
    harness.ui.groupBy = 'family';
    expect(
      harness.all('[data-testid="nbsec-group"]').map(node => node.textContent)
    ).toEqual(['Secrets1', 'Unsafe loads5', 'Personal data1']);
  });

  it('is one tab stop, walked with the arrow keys', () => {
    harness = new Harness(connection(update()));
    const tabbable = harness.all('[role="treeitem"][tabindex="0"]');
    expect(tabbable).toHaveLength(1);
    tabbable[0].focus();
    const focused = (): string =>
      (document.activeElement as HTMLElement).dataset.testid +
      ' ' +
      ((document.activeElement as HTMLElement).dataset.rule ?? '');

    expect(focused()).toBe('nbsec-group ');
    harness.press('ArrowDown');
    expect(focused()).toBe('nbsec-finding NBS-PKL-001');
    harness.press('End');
    expect(focused()).toBe('nbsec-finding NBS-PII-001');
    harness.press('ArrowLeft'); // to its group
    expect(focused()).toBe('nbsec-group ');
    harness.press('ArrowLeft'); // folds it
    expect(harness.items().slice(-1)).toEqual(['[Medium1]']);
    harness.press('ArrowRight'); // opens it
    harness.press('ArrowRight'); // into it
    expect(focused()).toBe('nbsec-finding NBS-PII-001');

    harness.press('ArrowRight'); // details
    const details = (document.activeElement as HTMLElement).querySelector(
      '.jp-NbsecPanel-details'
    );
    expect(details?.textContent).toContain(
      "frame 'customers' column 'email' holds EMAIL_ADDRESS"
    );
    expect(
      (document.activeElement as HTMLElement).getAttribute('aria-expanded')
    ).toBe('true');
    harness.one('[data-testid="nbsec-show-frame"]').click();
    expect(harness.calls).toEqual(['frame customers']);

    harness.press('Home');
    harness.press('ArrowDown');
    harness.press('Enter');
    expect(harness.calls.slice(-1)).toEqual(['reveal 4:2 true']);
    expect(
      harness
        .all('[role="treeitem"][tabindex="0"]')
        .map(node => node.dataset.rule)
    ).toEqual(['NBS-PKL-001']);
  });

  it('keeps the focused finding (the same node) when the kernel sends a new state', () => {
    harness = new Harness(connection(update()));
    harness.all('[role="treeitem"]')[0].focus();
    harness.press('ArrowDown');
    harness.press('ArrowDown'); // the second finding: cell 5, line 2
    const focusedNode = document.activeElement as HTMLElement;
    const key = focusedNode.dataset.key;
    harness.press(' '); // open its details

    // a new finding sorts in before it (a cell above), and the counts change
    harness.connection = connection(
      update(copy => {
        const state = copy.payload.state;
        state.version += 1;
        state.counts.critical += 1;
        state.findings.push({
          ...state.findings[0],
          message: 'pickle.load() called again',
          location: { ...state.findings[0].location, cell_id: 'c-write' },
          fingerprint: 'sha256:new'
        });
      })
    );
    expect(document.activeElement).toBe(focusedNode);
    expect(focusedNode.dataset.key).toBe(key);
    expect(focusedNode.getAttribute('aria-expanded')).toBe('true');
    expect(harness.items()[1]).toBe(
      'NBS-PKL-001Pickle load of untrusted datacell 3, line 2'
    );
    expect(
      harness.one('[data-testid="nbsec-count-critical"]').textContent
    ).toBe('7critical');
  });

  it('renders what the kernel sends as text', () => {
    const markup = '<img src=x onerror="document.body.dataset.injected=1">';
    harness = new Harness(
      connection(
        update(copy => {
          const finding = copy.payload.state.findings[0];
          finding.title = markup;
          finding.message = markup;
          finding.remediation = markup;
          finding.evidence = markup;
        })
      )
    );
    harness
      .all('[data-testid="nbsec-finding"] .jp-NbsecPanel-caret')[0]
      .click();
    expect(harness.node.textContent).toContain(markup);
    expect(harness.all('img')).toHaveLength(0);
    expect(document.body.dataset.injected).toBeUndefined();
  });
});

describe('the header', () => {
  it('says when the kernel is busy and keeps the last state', () => {
    harness = new Harness(connection(update(), true));
    expect(harness.one('[data-testid="nbsec-status"]').textContent).toBe(
      'connected'
    );
    expect(harness.one('[data-testid="nbsec-busy"]').textContent).toBe(
      'kernel busy'
    );
    expect(harness.one('[data-testid="nbsec-detail"]').textContent).toContain(
      'The kernel is running a cell'
    );
    expect(harness.all('[data-testid="nbsec-finding"]')).toHaveLength(7);
  });

  it('shows a queued mode switch as queued', () => {
    harness = new Harness({
      ...connection(update(), true),
      pendingMode: { mode: 'block' }
    });
    expect(harness.one('[data-testid="nbsec-mode-pending"]').textContent).toBe(
      'Switching to block… Queued: the kernel applies it when the running cell finishes.'
    );
    expect(
      (harness.one('[data-testid="nbsec-mode-block"]') as HTMLButtonElement)
        .disabled
    ).toBe(true);
  });

  it('calls a busy handshake busy, not "not loaded"', () => {
    harness = new Harness({ ...connection(null), state: { status: 'busy' } });
    expect(harness.one('[data-testid="nbsec-status"]').textContent).toBe(
      'kernel busy'
    );
    expect(harness.all('[data-testid="nbsec-load-button"]')).toHaveLength(0);
  });
});

describe('without nbsec in the kernel', () => {
  function savedScan(): IStaticScan {
    const path = join(__dirname, 'fixtures', 'static_scan_reply_v1.json');
    return parseStaticScan(JSON.parse(readFileSync(path, 'utf-8')))!;
  }

  it('shows the saved notebook’s static findings, which cannot be waived here', () => {
    harness = new Harness({
      ...connection(null),
      state: { status: 'not-loaded', reason: 'no-target' },
      saved: { status: 'ready', scan: savedScan() }
    });
    expect(harness.one('[data-testid="nbsec-status"]').textContent).toBe(
      'nbsec not loaded in this kernel'
    );
    expect(harness.one('[data-testid="nbsec-saved-note"]').textContent).toBe(
      'The saved file, scanned without running it.'
    );
    expect(harness.all('[data-testid="nbsec-finding"]')).toHaveLength(11);
    expect(harness.one('[data-testid="nbsec-count-high"]').textContent).toBe(
      '5high'
    );
    harness
      .all('[data-testid="nbsec-finding"] .jp-NbsecPanel-caret')[0]
      .click();
    expect(harness.all('[data-testid="nbsec-allow-button"]')).toHaveLength(0);
    expect(harness.all('[data-testid="nbsec-load-button"]')).toHaveLength(1);
  });

  it('says why when the server cannot scan the file', () => {
    harness = new Harness({
      ...connection(null),
      state: { status: 'no-kernel' },
      saved: { status: 'problem', problem: { kind: 'unavailable' } }
    });
    expect(harness.one('[data-testid="nbsec-saved-problem"]').textContent).toBe(
      'The saved notebook cannot be scanned here: this Jupyter server has no nbsec server extension. Run nbsec scan NOTEBOOK in a terminal instead.'
    );
  });
});
