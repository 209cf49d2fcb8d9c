/**
 * nbsec's commands: in the command palette (category "nbsec"), with default shortcuts in
 * `schema/plugin.json` (open the panel: Accel Alt S; next and previous finding: F8 and
 * Shift F8, as editors step through problems; filter: Accel F in the panel).
 */

import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { NbsecConnections } from './connections';
import { NbsecPanel } from './panel';
import { shownState } from './panel_view';
import { Trans } from './translate';

export namespace CommandIDs {
  export const openPanel = 'nbsec:open-panel';
  export const nextFinding = 'nbsec:next-finding';
  export const previousFinding = 'nbsec:previous-finding';
  export const filterFindings = 'nbsec:filter-findings';
  export const load = 'nbsec:load';
  export const reconnect = 'nbsec:reconnect';
  export const blockMode = 'nbsec:block-mode';
  export const toggleWatching = 'nbsec:toggle-watching';
}

export function addCommands(
  app: JupyterFrontEnd,
  panel: NbsecPanel,
  connections: NbsecConnections,
  trans: Trans,
  palette: ICommandPalette | null
): void {
  const { commands, shell } = app;
  const connected = (): boolean =>
    connections.current?.state.status === 'connected';
  const hasFindings = (): boolean =>
    (shownState(connections.current)?.state.findings.length ?? 0) > 0;
  const openPanel = (): void => shell.activateById(panel.id);
  /** None of nbsec's commands takes arguments. */
  const describedBy = { args: { type: 'object' as const, properties: {} } };

  commands.addCommand(CommandIDs.openPanel, {
    describedBy,
    label: trans.__('Open the nbsec Panel'),
    caption: trans.__('Show what nbsec sees in the active notebook’s kernel'),
    execute: openPanel
  });
  commands.addCommand(CommandIDs.nextFinding, {
    describedBy,
    label: trans.__('Go to the Next nbsec Finding'),
    caption: trans.__(
      'Select the next finding in the panel and go to its line'
    ),
    isEnabled: hasFindings,
    execute: () => {
      panel.step(1);
    }
  });
  commands.addCommand(CommandIDs.previousFinding, {
    describedBy,
    label: trans.__('Go to the Previous nbsec Finding'),
    caption: trans.__(
      'Select the previous finding in the panel and go to its line'
    ),
    isEnabled: hasFindings,
    execute: () => {
      panel.step(-1);
    }
  });
  commands.addCommand(CommandIDs.filterFindings, {
    describedBy,
    label: trans.__('Filter nbsec Findings'),
    execute: () => {
      openPanel();
      panel.focusFilter();
    }
  });
  commands.addCommand(CommandIDs.load, {
    describedBy,
    label: trans.__('Load nbsec in This Kernel'),
    caption: trans.__(
      'Run %1 in the active notebook’s kernel',
      '%load_ext nbsec'
    ),
    isEnabled: () => {
      const status = connections.current?.state.status;
      return status === 'not-loaded' || status === 'error';
    },
    execute: () => connections.current?.loadExtension()
  });
  commands.addCommand(CommandIDs.reconnect, {
    describedBy,
    label: trans.__('Reconnect the nbsec Panel'),
    isEnabled: () => connections.current !== null,
    execute: () => connections.current?.connect()
  });
  const unlocked = (): boolean =>
    connected() && connections.current?.status?.locked === false;
  commands.addCommand(CommandIDs.blockMode, {
    describedBy,
    label: trans.__('Block Risky Loads (nbsec Block Mode)'),
    caption: trans.__('Switch nbsec between warn and block mode'),
    isEnabled: unlocked,
    isToggled: () => {
      const state = connections.current?.state;
      return (
        state?.status === 'connected' && state.info.status.mode === 'block'
      );
    },
    execute: async () => {
      const state = connections.current?.state;
      if (state?.status === 'connected') {
        await connections.current?.setMode(
          state.info.status.mode === 'block' ? 'warn' : 'block'
        );
      }
    }
  });
  commands.addCommand(CommandIDs.toggleWatching, {
    describedBy,
    label: trans.__('Watch Cells with nbsec'),
    isEnabled: unlocked,
    isToggled: () => {
      const state = connections.current?.state;
      return state?.status === 'connected' && state.info.status.enabled;
    },
    execute: async () => {
      const state = connections.current?.state;
      if (state?.status === 'connected') {
        await connections.current?.setEnabled(!state.info.status.enabled);
      }
    }
  });
  connections.changed.connect(() => commands.notifyCommandChanged());

  if (palette) {
    const category = trans.__('nbsec');
    for (const command of [
      CommandIDs.openPanel,
      CommandIDs.nextFinding,
      CommandIDs.previousFinding,
      CommandIDs.filterFindings,
      CommandIDs.load,
      CommandIDs.reconnect,
      CommandIDs.blockMode,
      CommandIDs.toggleWatching
    ]) {
      palette.addItem({ command, category });
    }
  }
}
