/**
 * The client's checks of the protocol: every message is validated against the schema the kernel
 * validates with (`nbsec/kernel/protocol.schema.json`), and the panel's schema interpreter must
 * agree with the kernel's shared examples and with an independent JSON Schema validator (ajv) on
 * thousands of altered messages.
 */

import Ajv from 'ajv';

import { readFileSync } from 'fs';
import { join } from 'path';

import {
  PROTOCOL_SCHEMA,
  ProtocolError,
  ProtocolErrorCode,
  isRequestType,
  makeHandshake,
  makeRequest,
  parseEvent,
  parseReply,
  schemaProblem
} from '../protocol';
import { protocolErrorText } from '../status_text';
import {
  IExample,
  altered,
  capturedReply,
  capturedSequence,
  protocolExamples,
  protocolSchema,
  trans
} from './helpers';

/** The schema paths a message of this direction is checked against. */
function schemaPaths(example: IExample): string[] {
  const message = example.message;
  const type = String(message.type);
  const envelope = `envelopes/${example.direction}`;
  if (!isRequestType(type) && type !== 'update' && type !== 'scan_progress') {
    return [envelope];
  }
  if (example.direction === 'reply' && message.success !== true) {
    return [envelope];
  }
  return [envelope, `messages/${type}/${example.direction}`];
}

/** Whether the panel's interpreter accepts the message (envelope, then payload). */
function panelAccepts(example: IExample): boolean {
  const [envelope, payload] = schemaPaths(example);
  if (schemaProblem(envelope, example.message) !== null) {
    return false;
  }
  return (
    payload === undefined ||
    schemaProblem(payload, example.message.payload) === null
  );
}

describe('the schema', () => {
  it('is the kernel’s own file', () => {
    const copy = join(__dirname, '..', 'protocol_schema.json');
    expect(JSON.parse(readFileSync(copy, 'utf-8'))).toEqual(protocolSchema());
    expect(PROTOCOL_SCHEMA).toEqual(protocolSchema());
  });
});

describe('the shared examples', () => {
  const { valid, invalid } = protocolExamples();

  it.each(valid.map(example => [example.name, example]))(
    'accepts %s',
    (_name, example) => {
      expect(panelAccepts(example as IExample)).toBe(true);
    }
  );

  it.each(invalid.map(example => [example.name, example]))(
    'rejects %s',
    (_name, example) => {
      expect(panelAccepts(example as IExample)).toBe(false);
    }
  );

  it('reads every reply and event the kernel sent', () => {
    for (const example of valid) {
      const message = example.message;
      if (example.direction === 'reply') {
        const reply = parseReply(message.type, message);
        expect(reply.success).toBe(message.success);
        expect(reply.id).toBe(message.id ?? null);
        if (!reply.success) {
          expect(reply.errorCode).toBe(message.error_code ?? null);
        }
      } else if (example.direction === 'event') {
        expect(parseEvent(message).type).toBe(message.type);
      }
    }
  });

  it('builds requests the kernel accepts, like the ones it recorded', () => {
    for (const example of valid.filter(e => e.direction === 'request')) {
      const message = example.message;
      const built =
        message.type === 'handshake'
          ? makeHandshake(message.payload.client_version ?? '0', message.id)
          : makeRequest(message.type, message.payload, message.id);
      expect(
        panelAccepts({ name: '', direction: 'request', message: built as any })
      ).toBe(true);
    }
  });
});

describe('agreement with an independent validator', () => {
  const { valid } = protocolExamples();
  const ajv = new Ajv({ strict: false, allErrors: false });
  const schema = protocolSchema();
  ajv.addSchema(schema);
  const validators = new Map<string, ReturnType<Ajv['compile']>>();
  const ajvCheck = (path: string, value: unknown): boolean => {
    let validate = validators.get(path);
    if (!validate) {
      validate = ajv.compile({ $ref: `${schema.$id}#/${path}` });
      validators.set(path, validate);
    }
    return validate(value) === true;
  };
  const ajvAccepts = (example: IExample): boolean => {
    const [envelope, payload] = schemaPaths(example);
    return (
      ajvCheck(envelope, example.message) &&
      (payload === undefined || ajvCheck(payload, example.message.payload))
    );
  };

  it('on every recorded message and 60 alterations of each', () => {
    const random = seeded(20261204);
    let checked = 0;
    let rejected = 0;
    for (const example of valid) {
      const messages = [example.message];
      for (let i = 0; i < 60; i++) {
        messages.push(mutate(example.message, random));
      }
      for (const message of messages) {
        const candidate = { ...example, message };
        const expected = ajvAccepts(candidate);
        const got = panelAccepts(candidate);
        if (got !== expected) {
          throw new Error(
            `${example.name}: ajv says ${expected}, the panel ${got}: ${JSON.stringify(message).slice(0, 600)}`
          );
        }
        checked += 1;
        rejected += expected ? 0 : 1;
      }
    }
    // the alterations must break most messages, or the test proves little
    expect(checked).toBe(valid.length * 61);
    expect(rejected).toBeGreaterThan(checked / 2);
  });
});

describe('parseReply', () => {
  it('reads the get_state reply of a real kernel', () => {
    const reply = parseReply('get_state', capturedReply());
    expect(reply.success).toBe(true);
    expect(reply.payload?.state.findings).toHaveLength(7);
    expect(reply.payload?.state.status).toEqual({
      mode: 'block',
      enabled: true,
      locked: false,
      policyFile: null,
      policyError: null
    });
  });

  it('passes an older kernel’s refusal on as a version refusal', () => {
    const reply = parseReply('handshake', {
      type: 'handshake',
      v: 1,
      success: false,
      error: 'protocol version 2 is not supported (kernel speaks 1)',
      payload: {}
    });
    expect(reply.success).toBe(false);
    expect(reply.errorCode).toBe('version');
  });

  // message -> the reason it is refused (code, English sentence)
  const GOOD = capturedReply();
  const BAD: [string, unknown, ProtocolErrorCode, string][] = [
    [
      'not an object',
      'just text',
      'not-object',
      'message is not a JSON object'
    ],
    ['a list', [GOOD], 'not-object', 'message is not a JSON object'],
    [
      'another type',
      { ...GOOD, type: 'set_mode' },
      'wrong-type',
      'expected a "get_state" message'
    ],
    [
      'another version',
      { ...GOOD, v: 3 },
      'wrong-version',
      'unsupported protocol version in "get_state" message'
    ],
    [
      'no boolean success',
      { ...GOOD, success: 'yes' },
      'bad-message',
      '"get_state" message does not match the protocol (message.success: expected boolean)'
    ],
    [
      'code attached',
      { ...GOOD, code: 'print(1)' },
      'bad-message',
      '"get_state" message does not match the protocol (message.code: not allowed here)'
    ],
    [
      'a count that is text',
      altered(GOOD, copy => (copy.payload.state.counts.high = '1')),
      'bad-payload',
      '"get_state" message has a malformed payload (message.state.counts.high: expected integer)'
    ]
  ];

  it.each(BAD)('refuses %s', (_name, message, code, english) => {
    let caught: unknown = null;
    try {
      parseReply('get_state', message);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProtocolError);
    expect((caught as ProtocolError).code).toBe(code);
    expect((caught as ProtocolError).message).toBe(english);
    // the panel words it through the translator the same way
    expect(protocolErrorText(trans, caught as ProtocolError)).toBe(english);
  });
});

describe('parseEvent', () => {
  it('reads every message a real kernel sent after a get_state', () => {
    const { messages } = capturedSequence();
    const events = messages.filter(message => !('success' in message));
    expect(events.length).toBeGreaterThan(3);
    for (const event of events) {
      expect(parseEvent(event).type).toBe(event.type);
    }
  });

  it('refuses an event no table has', () => {
    expect(() => parseEvent({ type: 'evaluate', v: 2, payload: {} })).toThrow(
      'unexpected "evaluate" message'
    );
  });
});

/** A small seeded random generator (mulberry32), so every run alters the same way. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Paths to every value inside a JSON value. */
function paths(
  value: unknown,
  prefix: (string | number)[] = []
): (string | number)[][] {
  const found: (string | number)[][] = [prefix];
  if (Array.isArray(value)) {
    value.forEach((item, index) =>
      found.push(...paths(item, [...prefix, index]))
    );
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      found.push(...paths(item, [...prefix, key]));
    }
  }
  return found;
}

const REPLACEMENTS: unknown[] = [
  null,
  '',
  'x',
  'A'.repeat(300),
  '\u00e9'.repeat(70),
  -1,
  0,
  1.5,
  2,
  true,
  [],
  {},
  ['x'],
  { type: 'x' },
  'sha256:' + '0'.repeat(64),
  'w-000000000000',
  '0'.repeat(64),
  'NBS-PKL-001',
  'NBS-PKL',
  'block'
];

/** One random change: replace, delete or add a key, or drop an array item. */
function mutate(
  message: Record<string, any>,
  random: () => number
): Record<string, any> {
  const copy = JSON.parse(JSON.stringify(message));
  const all = paths(copy).slice(1);
  const path = all[Math.floor(random() * all.length)];
  const parent = path.slice(0, -1).reduce((node: any, key) => node[key], copy);
  const key = path[path.length - 1];
  const choice = random();
  if (choice < 0.2 && !Array.isArray(parent)) {
    delete parent[key];
  } else if (choice < 0.3 && Array.isArray(parent)) {
    parent.splice(Number(key), 1);
  } else if (
    choice < 0.4 &&
    typeof parent[key] === 'object' &&
    parent[key] !== null &&
    !Array.isArray(parent[key])
  ) {
    parent[key].extra_key = 1;
  } else {
    parent[key] = REPLACEMENTS[Math.floor(random() * REPLACEMENTS.length)];
  }
  return copy;
}
