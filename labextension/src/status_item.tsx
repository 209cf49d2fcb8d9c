/**
 * The status-bar item: the active notebook's finding counts (or what keeps nbsec from showing
 * them), and a click that opens the panel.
 */

import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { NbsecConnections } from './connections';
import { severityLabel } from './finding_text';
import { shieldIcon } from './icon';
import { SEVERITIES, Severity } from './kernel_state';
import { statusText } from './status_text';
import { Trans } from './translate';
import { IConnectionView, shownState } from './panel_view';

/** The counts to show (non-zero, worst first) and the sentence that reads them out. */
export function statusSummary(
  trans: Trans,
  connection: IConnectionView | null
): { counts: [Severity, number][]; text: string; label: string } {
  if (connection === null) {
    return { counts: [], text: '', label: '' };
  }
  const state = connection.state;
  const shown = shownState(connection);
  if (shown === null) {
    const status = statusText(trans, state);
    return { counts: [], text: status, label: trans.__('nbsec: %1', status) };
  }
  const counts = SEVERITIES.map(
    severity => [severity, shown.state.counts[severity]] as [Severity, number]
  ).filter(([, count]) => count > 0);
  const parts = counts.map(([severity, count]) =>
    trans.__('%1 %2', count, severityLabel(trans, severity).toLowerCase())
  );
  const findings =
    parts.length > 0 ? parts.join(', ') : trans.__('no active findings');
  let label: string;
  if (state.status !== 'connected') {
    label = trans.__(
      'nbsec (saved notebook, not running): %1. Click to open the nbsec panel.',
      findings
    );
  } else if (connection.kernelBusy) {
    label = trans.__(
      'nbsec: %1; mode %2; the kernel is running a cell. Click to open the nbsec panel.',
      findings,
      state.info.status.mode
    );
  } else {
    label = trans.__(
      'nbsec: %1; mode %2. Click to open the nbsec panel.',
      findings,
      state.info.status.mode
    );
  }
  return { counts, text: counts.length > 0 ? '' : trans.__('0'), label };
}

export class NbsecStatusItem extends ReactWidget {
  constructor(
    private readonly _connections: NbsecConnections,
    private readonly _trans: Trans,
    private readonly _open: () => void
  ) {
    super();
    this.addClass('jp-NbsecStatus');
    this._connections.changed.connect(this.update, this);
  }

  dispose(): void {
    if (!this.isDisposed) {
      this._connections.changed.disconnect(this.update, this);
    }
    super.dispose();
  }

  protected render(): JSX.Element {
    const connection = this._connections.current;
    const { counts, text, label } = statusSummary(this._trans, connection);
    return (
      <button
        type="button"
        className="jp-NbsecStatus-button"
        data-testid="nbsec-status-item"
        data-state={connection?.state.status ?? 'no-kernel'}
        aria-label={label}
        title={label}
        onClick={this._open}
      >
        <shieldIcon.react tag="span" className="jp-NbsecStatus-icon" />
        {counts.map(([severity, count]) => (
          <span
            key={severity}
            className="jp-NbsecStatus-count"
            data-severity={severity}
            data-testid={`nbsec-status-${severity}`}
          >
            {count}
          </span>
        ))}
        {text && <span className="jp-NbsecStatus-text">{text}</span>}
      </button>
    );
  }
}
