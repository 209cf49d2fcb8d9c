/**
 * The nbsec sidebar panel: renders the follower's `ConnectionState` and the kernel's state.
 *
 * Everything the kernel sends is put on the page with `textContent`, never as markup. Stable
 * `data-testid` attributes name the parts the browser test and users' scripts look at:
 * `nbsec-status`, `nbsec-detail`, `nbsec-version`, `nbsec-mode`, `nbsec-enabled`,
 * `nbsec-policy`, `nbsec-notebook`, `nbsec-load-button`, `nbsec-connect-button`, the controls
 * `nbsec-mode-warn` / `nbsec-mode-block` (the mode toggle) and `nbsec-enabled-switch`,
 * `nbsec-notice` (why the last request failed), and those of `state_view.ts`.
 */

import { InputDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { ConnectionState } from './connection_state';
import { button, element } from './dom_element';
import { shieldIcon } from './icon';
import { KernelFollower } from './kernel_follower';
import { IFinding } from './kernel_state';
import { FoldState, IStateViewActions, renderState } from './state_view';

export const PANEL_ID = 'nbsec-panel';

/** The status line of each state (in English; the test and the docs quote these). */
export function statusText(
  trans: TranslationBundle,
  status: ConnectionState['status']
): string {
  switch (status) {
    case 'no-kernel':
      return trans.__('no active notebook kernel');
    case 'idle':
      return trans.__('not connected');
    case 'connecting':
      return trans.__('connecting…');
    case 'not-loaded':
      return trans.__('nbsec not loaded in this kernel');
    case 'loading':
      return trans.__('loading nbsec…');
    case 'connected':
      return trans.__('connected');
    case 'error':
      return trans.__('error');
  }
}

export class NbsecPanel extends Widget {
  constructor(
    private readonly _follower: KernelFollower,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('jp-NbsecPanel');
    this.title.icon = shieldIcon;
    this.title.caption = _trans.__(
      'nbsec: security state of the notebook kernel'
    );

    const header = element('header', 'jp-NbsecPanel-header');
    header.appendChild(element('h2', 'jp-NbsecPanel-title', 'nbsec'));
    this._notebook = element('div', 'jp-NbsecPanel-notebook');
    this._notebook.dataset.testid = 'nbsec-notebook';
    header.appendChild(this._notebook);

    this._status = element('div', 'jp-NbsecPanel-status');
    this._status.dataset.testid = 'nbsec-status';
    this._status.setAttribute('role', 'status');
    this._detail = element('div', 'jp-NbsecPanel-detail');
    this._detail.dataset.testid = 'nbsec-detail';
    this._facts = element('dl', 'jp-NbsecPanel-facts');
    this._controls = element('div', 'jp-NbsecPanel-controls');
    this._actions = element('div', 'jp-NbsecPanel-actions');
    this._notice = element('div', 'jp-NbsecPanel-notice');
    this._notice.dataset.testid = 'nbsec-notice';
    this._notice.setAttribute('role', 'alert');
    this._body = element('div', 'jp-NbsecPanel-body');

    this.node.append(
      header,
      this._status,
      this._detail,
      this._facts,
      this._controls,
      this._actions,
      this._notice,
      this._body
    );

    this._follower.stateChanged.connect(this._render, this);
    this._follower.dataChanged.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._follower.stateChanged.disconnect(this._render, this);
    this._follower.dataChanged.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const state = this._follower.state;
    this.node.dataset.state = state.status;
    this._notebook.textContent = this._follower.notebookPath ?? '';
    this._status.textContent = statusText(this._trans, state.status);
    this._detail.textContent = detailText(this._trans, state);
    this._facts.replaceChildren();
    this._controls.replaceChildren();
    this._actions.replaceChildren();
    this._body.replaceChildren();
    this._notice.textContent = this._follower.notice ?? '';

    switch (state.status) {
      case 'connected': {
        const info = state.info;
        this._addFact('Version', `nbsec ${info.nbsecVersion}`, 'nbsec-version');
        this._addFact('Mode', info.mode, 'nbsec-mode');
        this._addFact('Watching', info.enabled ? 'on' : 'off', 'nbsec-enabled');
        this._addFact(
          'Policy',
          info.policyFile ?? 'defaults (no policy file)',
          'nbsec-policy'
        );
        this._renderControls(info.mode, info.enabled);
        const data = this._follower.data;
        if (data) {
          this._body.append(
            ...renderState(data.state, this._stateActions, this._folds)
          );
        } else {
          this._body.appendChild(
            element(
              'div',
              'jp-NbsecPanel-empty',
              this._follower.notice === null
                ? this._trans.__('Reading the kernel state…')
                : this._trans.__('The kernel state could not be read.')
            )
          );
        }
        break;
      }
      case 'not-loaded':
        this._addButton('Load nbsec', 'nbsec-load-button', true, () =>
          this._follower.loadExtension()
        );
        break;
      case 'error':
        this._addButton('Load nbsec', 'nbsec-load-button', false, () =>
          this._follower.loadExtension()
        );
        this._addButton('Retry', 'nbsec-connect-button', false, () =>
          this._follower.connect()
        );
        break;
      case 'idle':
        this._addButton('Connect', 'nbsec-connect-button', true, () =>
          this._follower.connect()
        );
        break;
      default:
        break;
    }
  }

  /** The warn/block toggle and the on/off switch; each click is one `set_mode` request. */
  private _renderControls(mode: string, enabled: boolean): void {
    const toggle = element('div', 'jp-NbsecPanel-toggle');
    toggle.setAttribute('role', 'group');
    toggle.setAttribute('aria-label', this._trans.__('Policy mode'));
    toggle.dataset.testid = 'nbsec-mode-toggle';
    for (const choice of ['warn', 'block'] as const) {
      const pressed = mode === choice;
      const option = button(choice, `nbsec-mode-${choice}`, 'plain', () => {
        if (!pressed) {
          void this._run('mode', () => this._follower.setMode(choice));
        }
      });
      option.classList.add('jp-NbsecPanel-toggleOption');
      option.setAttribute('aria-pressed', String(pressed));
      option.title =
        choice === 'block'
          ? this._trans.__('Block risky loads the policy forbids')
          : this._trans.__('Warn only; never stop a cell');
      option.disabled = this._busy.has('mode');
      toggle.appendChild(option);
    }

    const onOff = button(
      enabled
        ? this._trans.__('Watching: on')
        : this._trans.__('Watching: off'),
      'nbsec-enabled-switch',
      'plain',
      () => void this._run('enabled', () => this._follower.setEnabled(!enabled))
    );
    onOff.classList.add('jp-NbsecPanel-switch');
    onOff.setAttribute('role', 'switch');
    onOff.setAttribute('aria-checked', String(enabled));
    onOff.title = this._trans.__(
      'Turn nbsec’s watching of cells on or off (%%nbsec on|off)'
    );
    onOff.disabled = this._busy.has('enabled');
    this._controls.append(toggle, onOff);
  }

  /** Asks for a reason, then records a waiver for the finding's rule in the kernel. */
  private async _allow(finding: IFinding): Promise<void> {
    const result = await InputDialog.getText({
      title: this._trans.__('Allow %1', finding.rule),
      label: this._trans.__(
        'Why may %1 be accepted in this session? The reason is recorded in the ledger.',
        finding.rule
      ),
      placeholder: this._trans.__('reason'),
      okLabel: this._trans.__('Allow')
    });
    const reason = result.value?.trim() ?? '';
    if (!result.button.accept || !reason) {
      return;
    }
    await this._run(`allow:${finding.rule}`, () =>
      this._follower.allow(finding.rule, reason)
    );
  }

  /** Runs one action with its controls disabled meanwhile. */
  private async _run(key: string, action: () => Promise<void>): Promise<void> {
    if (this._busy.has(key)) {
      return;
    }
    this._busy.add(key);
    this._render();
    try {
      await action();
    } finally {
      this._busy.delete(key);
      if (!this.isDisposed) {
        this._render();
      }
    }
  }

  private _addFact(label: string, value: string, testid: string): void {
    const term = element('dt', 'jp-NbsecPanel-factLabel', label);
    const definition = element('dd', 'jp-NbsecPanel-factValue', value);
    definition.dataset.testid = testid;
    this._facts.append(term, definition);
  }

  private _addButton(
    label: string,
    testid: string,
    primary: boolean,
    onClick: () => Promise<void>
  ): void {
    const node = button(label, testid, primary ? 'accept' : 'reject', () => {
      node.disabled = true;
      void onClick();
    });
    this._actions.appendChild(node);
  }

  private readonly _notebook: HTMLElement;
  private readonly _status: HTMLElement;
  private readonly _detail: HTMLElement;
  private readonly _facts: HTMLElement;
  private readonly _controls: HTMLElement;
  private readonly _actions: HTMLElement;
  private readonly _notice: HTMLElement;
  private readonly _body: HTMLElement;
  private readonly _busy = new Set<string>();
  private readonly _folds: FoldState = new Map();
  private readonly _stateActions: IStateViewActions = {
    revealCell: cellId => this._follower.revealCell(cellId),
    cellNumber: cellId => this._follower.cellNumber(cellId),
    allow: finding => void this._allow(finding),
    scanFrame: name =>
      void this._run(`scan:${name}`, () => this._follower.scanFrame(name)),
    isBusy: key => this._busy.has(key)
  };
}

function detailText(trans: TranslationBundle, state: ConnectionState): string {
  switch (state.status) {
    case 'not-loaded':
      return trans.__(
        '%1. Load it here or run %%load_ext nbsec in a cell.',
        state.detail
      );
    case 'error':
      return state.message;
    case 'no-kernel':
      return trans.__('Open a notebook with a running kernel.');
    default:
      return '';
  }
}
