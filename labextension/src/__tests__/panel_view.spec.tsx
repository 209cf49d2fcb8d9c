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
import { IStateUpdate } from '../kernel_state';
import { PanelUiState } from '../panel_ui_state';
import { IStaticScan, parseStaticScan } from '../saved_scan';
import { IConnectionView, IPanelActions, PanelView } from '../panel_view';
import { capturedState, trans } from './helpers';

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

const STATUS = {
  mode: 'block',
  enabled: true,
  locked: false,
  policyFile: null,
  policyError: null
};

const CONNECTED: ConnectionState = {
  status: 'connected',
  info: {
    nbsecVersion: '0.1.0',
    protocol: 2,
    status: STATUS,
    stateVersion: 1,
    features: ['full_scan_jobs', 'write_waiver', 'subshell_requests']
  }
};

function update(change?: (copy: any) => void): IStateUpdate {
  return capturedState(change);
}

function connection(data: IStateUpdate | null, busy = false): IConnectionView {
  return {
    state: CONNECTED,
    data,
    notice: null,
    kernelBusy: busy,
    pendingMode: null,
    scanning: new Set(),
    saved: { status: 'none' },
    reporting: false,
    canReport: false,
    answersWhileBusy: false
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
    cancelScan: id => this.calls.push(`cancel ${id}`),
    revoke: waiver => this.calls.push(`revoke ${waiver.id}`),
    writeWaiver: waiver => this.calls.push(`write ${waiver.id}`),
    report: () => this.calls.push('report'),
    revealModel: row => this.calls.push(`model ${row.model.path}`),
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
      '[Critical5]',
      'NBS-PKL-001Pickle load of untrusted datacell 4, line 2',
      'NBS-PKL-001Pickle load of untrusted datacell 5, line 2',
      'NBS-PKL-001Pickle load of untrusted dataevil.pkl, cell 5',
      'NBS-PKL-010Pickle imports a dangerous globalevil.pkl, cell 5',
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
    ).toBe('Findings (2 of 6)');

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
    ).toEqual(['Cell 21', 'Cell 41', 'Cell 53', 'Cell 71']);
    harness.ui.groupBy = 'family';
    expect(
      harness.all('[data-testid="nbsec-group"]').map(node => node.textContent)
    ).toEqual(['Unsafe loads5', 'Personal data1']);
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
          fingerprint: 'sha256:' + 'e'.repeat(64)
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
    ).toBe('6critical');
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
    expect(harness.all('[data-testid="nbsec-finding"]')).toHaveLength(6);
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
      saved: { status: 'ready', scan: savedScan(), canReport: false }
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

  it('offers the saved notebook’s governance report when the server can write it', () => {
    harness = new Harness({
      ...connection(null),
      state: { status: 'no-kernel' },
      saved: { status: 'ready', scan: savedScan(), canReport: true },
      canReport: true
    });
    const button = harness.one('[data-testid="nbsec-report-button"]');
    expect(button.textContent).toBe('Governance report');
    expect(button.title).toContain('the saved file');
    button.click();
    expect(harness.calls).toEqual(['report']);
  });

  it('shows no report button when neither the kernel nor the server can write it', () => {
    harness = new Harness({
      ...connection(null),
      state: { status: 'no-kernel' },
      saved: { status: 'ready', scan: savedScan(), canReport: false }
    });
    expect(harness.all('[data-testid="nbsec-report-button"]')).toHaveLength(0);
  });

  it('says the report is being written and takes no second click', () => {
    harness = new Harness({
      ...connection(null),
      state: { status: 'no-kernel' },
      saved: { status: 'ready', scan: savedScan(), canReport: true },
      canReport: true,
      reporting: true
    });
    const button = harness.one(
      '[data-testid="nbsec-report-button"]'
    ) as HTMLButtonElement;
    expect(button.textContent).toBe('Writing the report…');
    expect(button.disabled).toBe(true);
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

describe('protocol 2', () => {
  it('shows a locked mode as locked: no switch can be used', () => {
    harness = new Harness({
      ...connection(update()),
      state: {
        status: 'connected',
        info: {
          ...(CONNECTED as any).info,
          status: { ...STATUS, locked: true, policyFile: 'team/nbsec.toml' }
        }
      }
    });
    expect(harness.one('[data-testid="nbsec-locked"]').textContent).toBe(
      'Mode locked by the policy (nbsec.toml): switching it, or watching off, is refused.'
    );
    for (const testid of [
      'nbsec-mode-warn',
      'nbsec-mode-block',
      'nbsec-enabled-switch'
    ]) {
      expect(
        (harness.one(`[data-testid="${testid}"]`) as HTMLButtonElement).disabled
      ).toBe(true);
    }
  });

  it('counts the waived findings apart and lists them with their waiver', () => {
    harness = new Harness(connection(update()));
    const toggle = harness.one('[data-testid="nbsec-waived-toggle"]');
    expect(toggle.textContent).toBe('1 waived finding');
    expect(harness.all('[data-testid="nbsec-waived-finding"]')).toHaveLength(0);
    toggle.click();
    const waived = harness.one('[data-testid="nbsec-waived-finding"]');
    expect(waived.dataset.rule).toBe('NBS-SEC-001');
    expect(waived.textContent).toContain(
      'Waived (this one finding (748cf2ebfdc825f3...)): a documented example key, not a real one'
    );
    harness.one('[data-testid="nbsec-waived-revoke"]').click();
    expect(harness.calls).toEqual(['revoke w-a473fcab642e']);
  });

  it('lists waivers with what they cover, and their actions', () => {
    harness = new Harness(connection(update()));
    const waiver = harness.one('[data-testid="nbsec-waiver"]');
    expect(waiver.dataset.scope).toBe('finding');
    expect(harness.one('[data-testid="nbsec-waiver-scope"]').textContent).toBe(
      'one finding'
    );
    expect(harness.one('[data-testid="nbsec-waiver-covers"]').textContent).toBe(
      'this one finding (748cf2ebfdc825f3...)'
    );
    harness.one('[data-testid="nbsec-waiver-write"]').click();
    harness.one('[data-testid="nbsec-waiver-revoke"]').click();
    expect(harness.calls).toEqual([
      'write w-a473fcab642e',
      'revoke w-a473fcab642e'
    ]);
  });

  it('shows a full scan’s progress and lets it be cancelled', () => {
    harness = new Harness(
      connection(
        update(copy => {
          copy.payload.state.scans = [
            {
              id: 'j-0123456789ab',
              kind: 'full_scan',
              target: 'customers',
              state: 'running',
              progress: 0.42,
              rows: 3000,
              error: null,
              seconds: 1.5
            }
          ];
        })
      )
    );
    const bar = harness.one(
      '[data-testid="nbsec-frame"][data-frame="customers"] [role="progressbar"]'
    );
    expect(bar.getAttribute('aria-valuenow')).toBe('42');
    expect(bar.getAttribute('aria-label')).toBe('Full scan of customers: 42%');
    harness.one('[data-testid="nbsec-cancel-scan-button"]').click();
    expect(harness.calls).toEqual(['cancel j-0123456789ab']);
  });

  it('lists each model file once, with its loads and the cell that wrote it', () => {
    harness = new Harness(connection(update()));
    const models = harness.all('[data-testid="nbsec-model"]');
    expect(models.map(model => model.dataset.verdict)).toEqual([
      'dangerous',
      'safe'
    ]);
    expect(harness.one('[data-testid="nbsec-model-loads"]').textContent).toBe(
      '×2'
    );
    expect(
      harness
        .all('[data-testid="nbsec-model-own"]')
        .map(node => node.textContent)
    ).toEqual(['written in cell 3', 'written in cell 3']);
  });
});
