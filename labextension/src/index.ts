/**
 * nbsec for JupyterLab: a left sidebar panel that shows what nbsec sees in the active notebook's
 * kernel (findings, frames, models, waivers), lets the user switch its mode, allow a finding or
 * scan a frame in full, all over the `nbsec` comm (protocol in `protocol.ts`), and writes the
 * kernel's governance summary into the notebook's `metadata.nbsec` when it is saved.
 */

import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

// The sidebar exists from the start, so its modules load with the plugin.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { KernelFollower } from './kernel_follower';
import { MetadataOnSave } from './notebook_metadata';
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { NbsecPanel, PANEL_ID } from './panel';
import { DEFAULT_SETTINGS, IPanelSettings, readSettings } from './settings';
import { CLIENT_VERSION } from './version';

const PLUGIN_ID = 'nbsec:plugin';

/** Below the file browser, running sessions and table of contents; above the extension manager. */
const SIDEBAR_RANK = 900;

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'A sidebar panel showing the nbsec state of the active notebook kernel; saves its summary in metadata.nbsec.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ISettingRegistry, ILayoutRestorer, ITranslator],
  activate: async (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    settingRegistry: ISettingRegistry | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
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

    const follower = new KernelFollower({
      tracker,
      clientVersion: CLIENT_VERSION,
      settings: initial
    });
    let saveSummary = initial.saveSummary;
    settings?.changed.connect(changed => {
      const current = readSettings(changed);
      saveSummary = current.saveSummary;
      follower.updateSettings(current);
    });

    const metadata = new MetadataOnSave(tracker, notebook =>
      saveSummary ? follower.summaryFor(notebook) : null
    );

    const panel = new NbsecPanel(follower, trans);
    panel.disposed.connect(() => {
      metadata.dispose();
      follower.dispose();
    });
    app.shell.add(panel, 'left', { rank: SIDEBAR_RANK });
    restorer?.add(panel, PANEL_ID);
  }
};

export default plugin;
