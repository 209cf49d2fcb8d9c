/** What the panel says about each connection state, in plain words. */

import { ConnectionState, ErrorReason } from '../connection_state';
import { ProtocolError } from '../protocol';
import {
  detailText,
  noticeText,
  pendingModeText,
  statusText
} from '../status_text';
import { trans } from './helpers';

describe('statusText and detailText', () => {
  const CASES: [ConnectionState, string, string][] = [
    [
      { status: 'no-kernel' },
      'no active notebook kernel',
      'Open a notebook with a running kernel.'
    ],
    [
      { status: 'busy' },
      'kernel busy',
      'The kernel is running a cell; nbsec answers when it is done.'
    ],
    [
      { status: 'not-loaded', reason: 'no-target' },
      'nbsec not loaded in this kernel',
      'Load nbsec here, or run %load_ext nbsec in a cell.'
    ],
    [
      { status: 'not-loaded', reason: 'timeout', timeoutMs: 5000 },
      'nbsec not loaded in this kernel',
      'The kernel did not answer within 5 s. Load nbsec here, or run %load_ext nbsec in a cell.'
    ],
    [
      {
        status: 'error',
        reason: 'load-failed',
        detail: 'ModuleNotFoundError: nbsec'
      },
      'error',
      'Loading nbsec failed: ModuleNotFoundError: nbsec'
    ]
  ];
  it.each(CASES)('%j', (state, status, detail) => {
    expect(statusText(trans, state)).toBe(status);
    expect(detailText(trans, state, false)).toBe(detail);
  });

  it('explains every kind of error', () => {
    const reasons: ErrorReason[] = [
      'refused',
      'version',
      'invalid',
      'load-failed'
    ];
    for (const reason of reasons) {
      const text = detailText(
        trans,
        { status: 'error', reason, detail: 'the kernel’s words' },
        false
      );
      expect(text).toContain('the kernel’s words');
    }
    expect(
      detailText(
        trans,
        {
          status: 'error',
          reason: 'invalid',
          detail: 'x',
          error: new ProtocolError('wrong-type', 'handshake')
        },
        false
      )
    ).toContain('(expected a "handshake" message)');
  });

  it('says the kernel is busy while connected', () => {
    const connected: ConnectionState = {
      status: 'connected',
      info: {
        nbsecVersion: '1',
        protocol: 2,
        stateVersion: 0,
        features: [],
        status: {
          mode: 'warn',
          enabled: true,
          locked: false,
          policyFile: null,
          policyError: null
        }
      }
    };
    expect(detailText(trans, connected, false)).toBe('');
    expect(detailText(trans, connected, true)).toContain(
      'The kernel is running a cell'
    );
  });
});

describe('notices', () => {
  it('word a refusal for a locked mode apart', () => {
    expect(
      noticeText(trans, {
        kind: 'failed',
        action: 'set_mode',
        error: 'the mode is locked by nbsec.toml',
        code: 'locked'
      })
    ).toBe(
      'Changing the mode refused: the policy locks the mode (the mode is locked by nbsec.toml).'
    );
    expect(
      noticeText(trans, { kind: 'timeout', action: 'revoke', seconds: 30 })
    ).toBe(
      'Revoking the waiver failed: the kernel did not answer within 30 s.'
    );
  });

  it('say a mode switch is queued only while the kernel is busy', () => {
    expect(pendingModeText(trans, { mode: 'block' }, false)).toBe(
      'Switching to block…'
    );
    expect(pendingModeText(trans, { enabled: false }, true)).toBe(
      'Turning watching off… Queued: the kernel applies it when the running cell finishes.'
    );
  });
});
