/**
 * The client's checks of what the kernel sends: every reply and event is validated against the
 * message table before use; anything else is a ProtocolError whose reason can be translated.
 */

import {
  ProtocolError,
  ProtocolErrorCode,
  makeHandshake,
  makeRequest,
  parseReply,
  parseUpdateEvent
} from '../protocol';
import { protocolErrorText } from '../status_text';
import { altered, capturedReply, trans } from './helpers';

const HANDSHAKE = {
  type: 'handshake',
  v: 1,
  success: true,
  error: null,
  payload: {
    nbsec_version: '0.1.0',
    protocol: 1,
    enabled: true,
    mode: 'warn',
    policy_file: null
  }
};

describe('requests', () => {
  it('are {type, v, payload}', () => {
    expect(makeRequest('scan_frame', { name: 'df' })).toEqual({
      type: 'scan_frame',
      v: 1,
      payload: { name: 'df' }
    });
    expect(makeHandshake('1.2.3')).toEqual({
      type: 'handshake',
      v: 1,
      payload: {
        client: 'nbsec-labextension',
        client_version: '1.2.3',
        protocol: 1
      }
    });
  });
});

describe('parseReply', () => {
  it('accepts a handshake reply and names its fields in camel case', () => {
    const reply = parseReply('handshake', HANDSHAKE);
    expect(reply.success).toBe(true);
    expect(reply.payload).toEqual({
      nbsecVersion: '0.1.0',
      protocol: 1,
      enabled: true,
      mode: 'warn',
      policyFile: null
    });
  });

  it('accepts the get_state reply of a real kernel', () => {
    const reply = parseReply('get_state', capturedReply());
    expect(reply.success).toBe(true);
    expect(reply.payload?.state.findings).toHaveLength(7);
    expect(reply.payload?.state.status).toEqual({
      mode: 'warn',
      enabled: true,
      policyFile: null
    });
  });

  it('passes an error reply on with the kernel’s words', () => {
    const reply = parseReply('allow', {
      type: 'allow',
      v: 1,
      success: false,
      error: 'a reason is required',
      payload: {}
    });
    expect(reply).toEqual({
      type: 'allow',
      success: false,
      error: 'a reason is required',
      payload: null
    });
  });

  // message -> the reason it is refused (code, English sentence)
  const BAD: [string, unknown, ProtocolErrorCode, string][] = [
    [
      'not an object',
      'just text',
      'not-object',
      'message is not a JSON object'
    ],
    ['a list', [HANDSHAKE], 'not-object', 'message is not a JSON object'],
    [
      'another type',
      { ...HANDSHAKE, type: 'get_state' },
      'wrong-type',
      'expected a "handshake" message'
    ],
    [
      'another version',
      { ...HANDSHAKE, v: 2 },
      'wrong-version',
      'unsupported protocol version in "handshake" message'
    ],
    [
      'no boolean success',
      { ...HANDSHAKE, success: 'yes' },
      'no-success',
      '"handshake" reply has no boolean "success"'
    ],
    [
      'an error that is not text',
      { ...HANDSHAKE, error: { html: '<b>' } },
      'bad-error',
      '"handshake" reply has a non-text "error"'
    ],
    [
      'a payload of the wrong shape',
      { ...HANDSHAKE, payload: { ...HANDSHAKE.payload, protocol: '1' } },
      'bad-payload',
      '"handshake" message has a malformed payload'
    ]
  ];

  it.each(BAD)('refuses %s', (_name, message, code, english) => {
    let caught: unknown = null;
    try {
      parseReply('handshake', message);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code).toBe(code);
    expect((caught as ProtocolError).subject).toBe(
      code === 'not-object' ? '' : 'handshake'
    );
    expect((caught as ProtocolError).message).toBe(english);
    // the panel words it through the translator the same way
    expect(protocolErrorText(trans, caught as ProtocolError)).toBe(english);
  });
});

describe('parseUpdateEvent', () => {
  const event = (): Record<string, unknown> => ({
    type: 'update',
    v: 1,
    payload: capturedReply().payload
  });

  it('accepts the state a real kernel sends', () => {
    const update = parseUpdateEvent(event());
    expect(update.state.frames.map(frame => frame.name)).toEqual([
      'customers',
      'sales'
    ]);
    expect(update.metadata.rules).toEqual([
      'NBS-PII-001',
      'NBS-PKL-001',
      'NBS-PKL-010',
      'NBS-SEC-001'
    ]);
  });

  const BAD: [string, (copy: any) => void, string][] = [
    [
      'another version',
      copy => (copy.v = 2),
      'unsupported protocol version in "update" message'
    ],
    [
      'a version that is text',
      copy => (copy.payload.state.version = '2'),
      '"update" message has a malformed payload'
    ],
    [
      'a severity that is a number',
      copy => (copy.payload.state.findings[0].severity = 5),
      '"update" message has a malformed payload'
    ],
    [
      'frames as a list',
      copy => (copy.payload.state.frames = []),
      '"update" message has a malformed payload'
    ],
    [
      'a negative count',
      copy => (copy.payload.state.counts.high = -1),
      '"update" message has a malformed payload'
    ],
    [
      'a mode that is not text',
      copy => (copy.payload.state.status.mode = 1),
      '"update" message has a malformed payload'
    ],
    [
      'a load cell that is text',
      copy => (copy.payload.state.models[0].cell = 'c1'),
      '"update" message has a malformed payload'
    ],
    [
      'globals that are not text',
      copy => (copy.payload.state.models[1].globals = [1]),
      '"update" message has a malformed payload'
    ],
    [
      'no metadata',
      copy => delete copy.payload.metadata,
      '"update" message has a malformed payload'
    ]
  ];

  it.each(BAD)('refuses %s', (_name, change, message) => {
    expect(() => parseUpdateEvent(altered(event(), change))).toThrow(message);
  });

  it('keeps keys it does not know out of what it returns', () => {
    const update = parseUpdateEvent(
      altered(event(), copy => {
        copy.payload.state.findings[0].from_a_newer_kernel = [1, 2];
      })
    );
    expect(Object.keys(update.state.findings[0])).not.toContain(
      'from_a_newer_kernel'
    );
  });
});
