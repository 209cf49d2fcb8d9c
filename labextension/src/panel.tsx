/**
 * The nbsec sidebar panel: the active notebook's connection rendered by `PanelView`, and the
 * actions behind its buttons and keys (which the commands share: stepping through findings,
 * focusing the filter).
 *
 * Rendering is React's (JupyterLab's own React, through `ReactWidget`): every kernel update and
 * every change of the user's filter, grouping or selection re-renders the view, and React
 * changes only the nodes whose keyed content changed, so focus, selection and scroll survive.
 */

import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { NbsecConnections } from './connections';
import {
  GroupBy,
  IFindingRow,
  IModelView,
  rowOrder,
  stepKey
} from './finding_rows';
import { shieldIcon } from './icon';
import { frameKey } from './inventory_views';
import { NotebookConnection } from './notebook_connection';
import { cellLocator, revealCell } from './notebook_navigation';
import { PanelUiState } from './panel_ui_state';
import {
  IPanelActions,
  PanelView,
  shownState,
  visibleGroups
} from './panel_view';
import { Trans } from './translate';
import { IWaiver } from './kernel_state';
import { IWaiverChoice, askWaiver } from './waiver_dialog';

export const PANEL_ID = 'nbsec-panel';

export class NbsecPanel extends ReactWidget {
  constructor(options: NbsecPanel.IOptions) {
    super();
    this._connections = options.connections;
    this._ui = options.ui;
    this._trans = options.trans;
    this._onGroupBy = options.onGroupBy ?? (() => undefined);
    this._openFile = options.openFile ?? null;
    this.id = PANEL_ID;
    this.addClass('jp-NbsecPanel');
    this.title.icon = shieldIcon;
    this.title.caption = this._trans.__(
      'nbsec: security state of the notebook kernel'
    );
    this._connections.changed.connect(this._onChange, this);
    this._ui.changed.connect(this._onChange, this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._connections.changed.disconnect(this._onChange, this);
    this._ui.changed.disconnect(this._onChange, this);
    super.dispose();
  }

  /**
   * Selects the next (or previous) listed finding and takes the notebook to it; the editor gets
   * the focus. Returns false when there is no finding to go to.
   */
  step(direction: 1 | -1): boolean {
    const connection = this._connections.current;
    const shown = shownState(connection);
    if (!connection || shown === null) {
      return false;
    }
    const cells = cellLocator(connection.panel);
    const { groups } = visibleGroups(this._trans, shown.state, this._ui, cells);
    const rows = rowOrder(groups);
    const key = stepKey(
      rows.map(row => row.key),
      this._ui.selected,
      direction
    );
    const row = rows.find(candidate => candidate.key === key);
    if (!row) {
      return false;
    }
    const group = groups.find(candidate => candidate.rows.includes(row));
    if (group && this._ui.groupBy !== 'none') {
      this._ui.setCollapsed(group.key, false);
    }
    this._ui.setSectionFolded('findings', false);
    this._ui.select(row.key);
    this.reveal(row, true);
    return true;
  }

  /** Puts the keyboard focus in the filter box (selecting its text). */
  focusFilter(): void {
    const input = this.node.querySelector<HTMLInputElement>(
      'input[data-testid="nbsec-filter"]'
    );
    if (input) {
      input.focus();
      input.select();
    }
  }

  /** Takes the notebook to a finding's cell and line. */
  reveal(row: IFindingRow, focus: boolean): void {
    const connection = this._connections.current;
    if (connection && row.cellId !== null) {
      void revealCell(connection.panel, row.cellId, row.line, focus);
    }
  }

  protected render(): JSX.Element {
    const connection = this._connections.current;
    this.node.dataset.state = connection?.state.status ?? 'no-kernel';
    return (
      <PanelView
        trans={this._trans}
        notebookPath={connection?.panel.context.path ?? null}
        connection={connection}
        ui={this._ui}
        cells={cellLocator(connection?.panel ?? null)}
        actions={this._actions}
        allowBusy={row => this._allowing.has(row.key)}
        waiversBusy={this._waiversBusy}
        notebookDirty={connection?.panel.context.model.dirty ?? false}
      />
    );
  }

  private _onChange(): void {
    this.update();
  }

  private async _allow(
    connection: NotebookConnection,
    row: IFindingRow
  ): Promise<void> {
    if (this._allowing.has(row.key)) {
      return;
    }
    const options = (choice: IWaiverChoice, dryRun: boolean) => ({
      dryRun,
      expires: choice.expires || undefined
    });
    const choice = await askWaiver(this._trans, row, preview =>
      connection.allow(preview.scope, preview.reason, options(preview, true))
    );
    if (choice === null) {
      return;
    }
    this._allowing.add(row.key);
    this.update();
    try {
      await connection.allow(
        choice.scope,
        choice.reason,
        options(choice, false)
      );
    } finally {
      this._allowing.delete(row.key);
      this.update();
    }
  }

  /** Runs one waiver action with that waiver's buttons disabled meanwhile. */
  private async _onWaiver(
    waiver: IWaiver,
    action: (connection: NotebookConnection) => Promise<unknown>
  ): Promise<void> {
    const connection = this._connections.current;
    if (!connection || this._waiversBusy.has(waiver.id)) {
      return;
    }
    this._waiversBusy.add(waiver.id);
    this.update();
    try {
      await action(connection);
    } finally {
      this._waiversBusy.delete(waiver.id);
      this.update();
    }
  }

  /** Writes the governance report (in the kernel, or by the server), then opens it. */
  private async _report(): Promise<void> {
    const connection = this._connections.current;
    if (!connection) {
      return;
    }
    const written = await connection.report();
    if (written !== null && this._openFile) {
      // the page when there is one: it reads as a document and needs no kernel
      this._openFile(
        written.htmlPath !== null && !written.htmlPath.startsWith('/')
          ? written.htmlPath
          : written.path
      );
    }
  }

  private readonly _actions: IPanelActions = {
    connect: () => void this._connections.current?.connect(),
    load: () => void this._connections.current?.loadExtension(),
    setMode: mode => void this._connections.current?.setMode(mode),
    setEnabled: enabled => void this._connections.current?.setEnabled(enabled),
    setGroupBy: (groupBy: GroupBy) => {
      this._ui.groupBy = groupBy;
      this._onGroupBy(groupBy);
    },
    scanFrame: name => void this._connections.current?.scanFrame(name),
    cancelScan: id => void this._connections.current?.cancelScan(id),
    reveal: (row, focus) => {
      this._ui.select(row.key);
      this.reveal(row, focus);
    },
    revealModel: (row: IModelView) => {
      const connection = this._connections.current;
      if (connection && row.cellId !== null) {
        void revealCell(connection.panel, row.cellId, null, false);
      }
    },
    allow: row => {
      const connection = this._connections.current;
      if (connection) {
        void this._allow(connection, row);
      }
    },
    revoke: waiver =>
      void this._onWaiver(waiver, connection => connection.revoke(waiver.id)),
    writeWaiver: waiver =>
      void this._onWaiver(waiver, connection =>
        connection.writeWaiver(waiver.id)
      ),
    report: () => void this._report(),
    showFrame: name => {
      const key = frameKey(name);
      this._ui.setSectionFolded('frames', false);
      this._ui.setCollapsed(key, false);
      this._ui.select(key, true);
    }
  };

  private readonly _connections: NbsecConnections;
  private readonly _ui: PanelUiState;
  private readonly _trans: Trans;
  private readonly _onGroupBy: (groupBy: GroupBy) => void;
  private readonly _allowing = new Set<string>();
  private readonly _waiversBusy = new Set<string>();
  private readonly _openFile: ((path: string) => void) | null;
}

export namespace NbsecPanel {
  export interface IOptions {
    readonly connections: NbsecConnections;
    readonly ui: PanelUiState;
    readonly trans: Trans;
    /** Called when the user picks another grouping (to keep it in the settings). */
    readonly onGroupBy?: (groupBy: GroupBy) => void;
    /** Opens a file (relative to the server root) in JupyterLab: the governance report's page. */
    readonly openFile?: (path: string) => void;
  }
}
