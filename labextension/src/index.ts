/**
 * nbsec for JupyterLab: a left sidebar panel that shows what nbsec sees in the active notebook's
 * kernel (findings, frames, models, waivers) and lets the user switch its mode, allow a finding
 * or scan a frame in full, all over the `nbsec` comm (protocol in `protocol.ts`); a status-bar
 * item with the counts; gutter markers on the lines with findings; commands and shortcuts to
 * open the panel and step through findings; and the kernel's governance summary written into the
 * notebook's `metadata.nbsec` when it is saved.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// The sidebar, status item and commands exist from the start, so their modules load with the
// plugin.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { addCommands } from './commands';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { NbsecConnections } from './connections';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { GutterMarkers } from './gutter_markers';
import { MetadataOnSave } from './notebook_metadata';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { NbsecPanel, PANEL_ID } from './panel';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { PanelUiState } from './panel_ui_state';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { SavedScanClient } from './saved_scan';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { DEFAULT_SETTINGS, IPanelSettings, readSettings } from './settings';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { NbsecStatusItem } from './status_item';
import { CLIENT_VERSION } from './version';

const PLUGIN_ID = 'nbsec:plugin';

/** Below the file browser, running sessions and table of contents; above the extension manager. */
const SIDEBAR_RANK = 900;

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'The nbsec panel, status item, gutter markers and commands for the active notebook kernel; saves its summary in metadata.nbsec.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [
    ISettingRegistry,
    ILayoutRestorer,
    ITranslator,
    IStatusBar,
    ICommandPalette
  ],
  activate: async (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    statusBar: IStatusBar | null,
    palette: ICommandPalette | null
  ): Promise<void> => {
    const trans = (translator ?? nullTranslator).load('nbsec');
    let settings: ISettingRegistry.ISettings | null = null;
    let initial: IPanelSettings = DEFAULT_SETTINGS;
    if (settingRegistry) {
      try {
        settings = await settingRegistry.load(PLUGIN_ID);
        initial = readSettings(settings);
      } catch (reason) {
        console.warn(
          'nbsec: settings could not be loaded, using defaults',
          reason
        );
      }
    }

    const connections = new NbsecConnections({
      tracker,
      clientVersion: CLIENT_VERSION,
      settings: initial,
      savedScans: new SavedScanClient(app.serviceManager.serverSettings)
    });
    const ui = new PanelUiState(initial.groupBy);
    let saveSummary = initial.saveSummary;
    settings?.changed.connect(changed => {
      const current = readSettings(changed);
      saveSummary = current.saveSummary;
      ui.groupBy = current.groupBy;
      connections.updateSettings(current);
    });

    const metadata = new MetadataOnSave(tracker, notebook =>
      saveSummary
        ? (connections.connectionFor(notebook)?.summary() ?? null)
        : null
    );

    const panel = new NbsecPanel({
      connections,
      ui,
      trans,
      onGroupBy: groupBy => {
        void settings?.set('groupBy', groupBy).catch(reason => {
          console.warn('nbsec: could not save the grouping', reason);
        });
      },
      // the report's page opens in JupyterLab's HTML viewer (no kernel is started for it)
      openFile: path =>
        void app.commands.execute(
          'docmanager:open',
          path.endsWith('.html') ? { path, factory: 'HTML Viewer' } : { path }
        )
    });
    app.shell.add(panel, 'left', { rank: SIDEBAR_RANK });
    restorer?.add(panel, PANEL_ID);

    const markers = new GutterMarkers({
      connections,
      ui,
      trans,
      onMarkerClick: (notebook, marks) => {
        app.shell.activateById(panel.id);
        const row = marks.rows[0];
        ui.setSectionFolded('findings', false);
        ui.select(row.key, true);
        ui.setExpanded(row.key, true);
      }
    });

    if (statusBar) {
      const item = new NbsecStatusItem(connections, trans, () =>
        app.shell.activateById(panel.id)
      );
      statusBar.registerStatusItem(PLUGIN_ID, {
        item,
        align: 'left',
        rank: 4,
        isActive: () => connections.current !== null,
        activeStateChanged: connections.changed
      });
    }

    addCommands(app, panel, connections, trans, palette);

    panel.disposed.connect(() => {
      markers.dispose();
      metadata.dispose();
      connections.dispose();
    });
  }
};

export default plugin;
