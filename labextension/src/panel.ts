/**
 * The nbsec sidebar panel: renders the follower's `ConnectionState`.
 *
 * Everything the kernel sends is put on the page with `textContent`, never as markup. Stable
 * `data-testid` attributes name the parts the browser test and users' scripts look at:
 * `nbsec-status`, `nbsec-detail`, `nbsec-version`, `nbsec-mode`, `nbsec-enabled`,
 * `nbsec-policy`, `nbsec-notebook`, `nbsec-load-button`, `nbsec-connect-button`.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { ConnectionState } from './connection_state';
import { shieldIcon } from './icon';
import { KernelFollower } from './kernel_follower';

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
    this._actions = element('div', 'jp-NbsecPanel-actions');

    this.node.append(
      header,
      this._status,
      this._detail,
      this._facts,
      this._actions
    );

    this._follower.stateChanged.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._follower.stateChanged.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const state = this._follower.state;
    this.node.dataset.state = state.status;
    this._notebook.textContent = this._follower.notebookPath ?? '';
    this._status.textContent = statusText(this._trans, state.status);
    this._detail.textContent = detailText(this._trans, state);
    this._facts.replaceChildren();
    this._actions.replaceChildren();

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
    const button = element('button', 'jp-Button jp-mod-styled', label);
    button.classList.add(primary ? 'jp-mod-accept' : 'jp-mod-reject');
    button.type = 'button';
    button.dataset.testid = testid;
    button.addEventListener('click', () => {
      button.disabled = true;
      void onClick();
    });
    this._actions.appendChild(button);
  }

  private readonly _notebook: HTMLElement;
  private readonly _status: HTMLElement;
  private readonly _detail: HTMLElement;
  private readonly _facts: HTMLElement;
  private readonly _actions: HTMLElement;
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

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}
