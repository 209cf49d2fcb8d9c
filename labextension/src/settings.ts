/**
 * The panel's user settings (schema: `schema/plugin.json`), read through the setting registry.
 */

import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { GroupBy, isGroupBy } from './finding_rows';

export interface IPanelSettings {
  /** Connect to the active notebook's kernel on its own; otherwise wait for a click. */
  readonly autoConnect: boolean;
  /** How long to wait for the kernel's handshake reply before calling nbsec "not loaded". */
  readonly handshakeTimeoutMs: number;
  /** Write the kernel's governance summary into `metadata.nbsec` when a notebook is saved. */
  readonly saveSummary: boolean;
  /** How the panel groups findings (the panel's Group menu changes it). */
  readonly groupBy: GroupBy;
}

export const DEFAULT_SETTINGS: IPanelSettings = {
  autoConnect: true,
  handshakeTimeoutMs: 5000,
  saveSummary: true,
  groupBy: 'severity'
};

const MIN_TIMEOUT_MS = 500;
const MAX_TIMEOUT_MS = 60000;

/** Reads the composite settings, falling back to the defaults for any missing or bad value. */
export function readSettings(
  settings: ISettingRegistry.ISettings
): IPanelSettings {
  const autoConnect = settings.get('autoConnect').composite;
  const timeout = settings.get('handshakeTimeoutMs').composite;
  const saveSummary = settings.get('saveSummary').composite;
  const groupBy = settings.get('groupBy').composite;
  return {
    autoConnect:
      typeof autoConnect === 'boolean'
        ? autoConnect
        : DEFAULT_SETTINGS.autoConnect,
    handshakeTimeoutMs:
      typeof timeout === 'number' && Number.isFinite(timeout)
        ? Math.min(MAX_TIMEOUT_MS, Math.max(MIN_TIMEOUT_MS, timeout))
        : DEFAULT_SETTINGS.handshakeTimeoutMs,
    saveSummary:
      typeof saveSummary === 'boolean'
        ? saveSummary
        : DEFAULT_SETTINGS.saveSummary,
    groupBy: isGroupBy(groupBy) ? groupBy : DEFAULT_SETTINGS.groupBy
  };
}
