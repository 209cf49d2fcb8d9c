/**
 * What the panel and the status bar say about a connection, in plain words, through the
 * translator. Kernel-provided text (an error it sent back) is quoted as is, never translated.
 */

import { ConnectionState } from './connection_state';
import { IPendingMode, Notice } from './notebook_connection';
import { ProtocolError, RequestType } from './protocol';
import { Trans } from './translate';

/** The one-line status (the browser tests and the docs quote these). */
export function statusText(trans: Trans, state: ConnectionState): string {
  switch (state.status) {
    case 'no-kernel':
      return trans.__('no active notebook kernel');
    case 'idle':
      return trans.__('not connected');
    case 'connecting':
      return trans.__('connecting…');
    case 'busy':
      return trans.__('kernel busy');
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

/** The sentence under the status: why, and what the user can do. Empty when all is well. */
export function detailText(
  trans: Trans,
  state: ConnectionState,
  kernelBusy: boolean,
  answersWhileBusy = false
): string {
  switch (state.status) {
    case 'no-kernel':
      return trans.__('Open a notebook with a running kernel.');
    case 'busy':
      return trans.__(
        'The kernel is running a cell; nbsec answers when it is done.'
      );
    case 'not-loaded':
      switch (state.reason) {
        case 'no-target':
          return trans.__(
            'Load nbsec here, or run %1 in a cell.',
            '%load_ext nbsec'
          );
        case 'timeout':
          return trans.__(
            'The kernel did not answer within %1 s. Load nbsec here, or run %2 in a cell.',
            Math.round((state.timeoutMs ?? 0) / 100) / 10,
            '%load_ext nbsec'
          );
        case 'closed':
          return trans.__(
            'nbsec was unloaded from this kernel. Load it again here, or run %1 in a cell.',
            '%load_ext nbsec'
          );
      }
      break;
    case 'error':
      switch (state.reason) {
        case 'refused':
          return trans.__(
            'The kernel refused the connection: %1',
            state.detail
          );
        case 'version':
          return trans.__(
            'The kernel’s nbsec speaks another version of the panel protocol (%1). Install the same nbsec in the kernel’s environment as in JupyterLab’s.',
            state.detail
          );
        case 'invalid':
          return trans.__(
            'The kernel’s nbsec answered in a way this panel does not understand (%1). Are the panel and the kernel’s nbsec the same version?',
            state.error ? protocolErrorText(trans, state.error) : state.detail
          );
        case 'load-failed':
          return trans.__('Loading nbsec failed: %1', state.detail);
      }
      break;
    case 'connected':
      if (!kernelBusy) {
        return '';
      }
      return answersWhileBusy
        ? trans.__(
            'The kernel is running a cell; nbsec answers meanwhile, and its findings update when the cell ends.'
          )
        : trans.__(
            'The kernel is running a cell: what is shown is the state after the last cell, and changes wait for the cell to finish.'
          );
    default:
      return '';
  }
  return '';
}

/** What a request is called in a notice. */
export function actionName(trans: Trans, action: RequestType): string {
  switch (action) {
    case 'handshake':
      return trans.__('Connecting');
    case 'get_state':
      return trans.__('Reading the kernel state');
    case 'scan_frame':
      return trans.__('Full scan');
    case 'set_mode':
      return trans.__('Changing the mode');
    case 'allow':
      return trans.__('Allowing');
    case 'revoke':
      return trans.__('Revoking the waiver');
    case 'write_waiver':
      return trans.__('Writing the waiver to the policy file');
    case 'cancel_scan':
      return trans.__('Cancelling the scan');
    case 'report':
      return trans.__('Governance report');
  }
}

/** The one-line notice of the last failure. */
export function noticeText(trans: Trans, notice: Notice | null): string {
  if (notice === null) {
    return '';
  }
  switch (notice.kind) {
    case 'rejected':
      return trans.__(
        'ignored a message from the kernel: %1',
        protocolErrorText(trans, notice.error)
      );
    case 'failed':
      if (notice.code === 'locked') {
        return trans.__(
          '%1 refused: the policy locks the mode (%2).',
          actionName(trans, notice.action),
          notice.error
        );
      }
      return trans.__(
        '%1 failed: %2',
        actionName(trans, notice.action),
        notice.error
      );
    case 'timeout':
      return trans.__(
        '%1 failed: the kernel did not answer within %2 s.',
        actionName(trans, notice.action),
        notice.seconds
      );
    case 'not-connected':
      return trans.__(
        '%1 failed: nbsec is not connected.',
        actionName(trans, notice.action)
      );
    case 'load-failed':
      return trans.__('Loading nbsec failed: %1', notice.error);
  }
}

/** `Switching to block…`, and `Queued…` when it waits behind a running cell. */
export function pendingModeText(
  trans: Trans,
  pending: IPendingMode | null,
  queued: boolean
): string {
  if (pending === null) {
    return '';
  }
  let what: string;
  if (pending.mode !== undefined) {
    what = trans.__('Switching to %1…', modeName(trans, pending.mode));
  } else {
    what = pending.enabled
      ? trans.__('Turning watching on…')
      : trans.__('Turning watching off…');
  }
  return queued
    ? trans.__(
        '%1 Queued: the kernel applies it when the running cell finishes.',
        what
      )
    : what;
}

/** The mode names as the user types them (`%nbsec mode warn`). */
export function modeName(trans: Trans, mode: string): string {
  switch (mode) {
    case 'warn':
      return trans.__('warn');
    case 'block':
      return trans.__('block');
    default:
      return mode;
  }
}

/** Why a message from the kernel was dropped. */
export function protocolErrorText(trans: Trans, error: ProtocolError): string {
  const subject = error.subject;
  switch (error.code) {
    case 'not-object':
      return trans.__('message is not a JSON object');
    case 'wrong-type':
      return trans.__('expected a "%1" message', subject);
    case 'wrong-version':
      return trans.__('unsupported protocol version in "%1" message', subject);
    case 'bad-message':
      return trans.__(
        '"%1" message does not match the protocol (%2)',
        subject,
        error.detail
      );
    case 'bad-payload':
      return trans.__(
        '"%1" message has a malformed payload (%2)',
        subject,
        error.detail
      );
    case 'unexpected':
      return trans.__('unexpected "%1" message', subject);
    case 'open-failed':
      return trans.__('could not open the comm: %1', subject);
  }
}
