/**
 * Applying the kernel's `update` deltas by version: replayed from a real kernel's messages, the
 * panel's copy must end equal to the kernel's own state; gaps and `resync` ask for the whole state.
 */

import { IStateDelta, IStateUpdate } from '../kernel_state';
import { parseEvent, parseReply } from '../protocol';
import { KernelStateStore, merge } from '../state_store';
import { altered, capturedSequence, protocolExamples } from './helpers';

function stateOf(reply: Record<string, any>): IStateUpdate {
  const parsed = parseReply('get_state', reply);
  if (parsed.payload === null) {
    throw new Error('not a get_state reply');
  }
  return parsed.payload;
}

function deltaOf(message: Record<string, any>): IStateDelta {
  const event = parseEvent(message);
  if (event.type !== 'update') {
    throw new Error('not an update');
  }
  return event.update;
}

/** A state with its lists in a fixed order, to compare two states whatever order they grew in. */
function canonical(update: IStateUpdate): unknown {
  const by = <T>(items: readonly T[], key: (item: T) => string): T[] =>
    [...items].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const state = update.state;
  return {
    ...state,
    findings: by(state.findings, item => item.fingerprint),
    models: by(state.models, item => item.key),
    waivers: by(state.waivers, item => item.id),
    scans: by(state.scans, item => item.id),
    metadata: update.metadata
  };
}

describe('replaying a real kernel', () => {
  it('ends where the kernel’s own last state is', () => {
    const { initial, messages } = capturedSequence();
    const store = new KernelStateStore();
    expect(store.reset(stateOf(initial))).toBe(true);
    const results: string[] = [];
    let final: IStateUpdate | null = null;
    for (const message of messages) {
      if (message.type === 'update') {
        results.push(store.apply(deltaOf(message)));
      } else if (message.type === 'get_state') {
        final = stateOf(message);
      }
    }
    expect(results.length).toBeGreaterThan(3);
    expect(results.every(result => result === 'applied')).toBe(true);
    expect(final).not.toBeNull();
    expect(store.state?.version).toBe(final!.state.version);
    expect(
      canonical({ state: store.state!, metadata: store.metadata! })
    ).toEqual(canonical(final!));
  });

  it('asks for the whole state when an update was missed', () => {
    const { initial, messages } = capturedSequence();
    const updates = messages.filter(message => message.type === 'update');
    const store = new KernelStateStore();
    store.reset(stateOf(initial));
    expect(store.apply(deltaOf(updates[0]))).toBe('applied');
    expect(store.apply(deltaOf(updates[2]))).toBe('resync'); // updates[1] never came
    expect(store.apply(deltaOf(updates[0]))).toBe('stale'); // already had it
  });

  it('asks for the whole state when the kernel says resync', () => {
    const { initial, messages } = capturedSequence();
    const first = messages.find(message => message.type === 'update')!;
    const store = new KernelStateStore();
    store.reset(stateOf(initial));
    const resync = altered(first, copy => {
      copy.payload = {
        base: copy.payload.base,
        version: copy.payload.version,
        status: copy.payload.status,
        counts: copy.payload.counts,
        resync: true
      };
    });
    expect(store.apply(deltaOf(resync))).toBe('resync');
    expect(store.state?.version).toBe(initial.payload.state.version);
  });

  it('ignores updates before its first state, and older whole states', () => {
    const { initial, messages } = capturedSequence();
    const store = new KernelStateStore();
    const update = messages.find(message => message.type === 'update')!;
    expect(store.apply(deltaOf(update))).toBe('stale');
    const newer = stateOf(
      messages.find(message => message.type === 'get_state')!
    );
    expect(store.reset(newer)).toBe(true);
    expect(store.reset(stateOf(initial))).toBe(false);
    expect(store.state?.version).toBe(newer.state.version);
  });

  it('follows the shared examples from their get_state to the first gap', () => {
    const { valid } = protocolExamples();
    const store = new KernelStateStore();
    const results: string[] = [];
    for (const example of valid) {
      const message = example.message;
      if (example.direction === 'reply' && message.type === 'get_state') {
        store.reset(stateOf(message));
      } else if (message.type === 'update' && store.state !== null) {
        results.push(store.apply(deltaOf(message)));
      }
    }
    expect(
      results.filter(result => result === 'applied').length
    ).toBeGreaterThan(3);
    expect(results.every(result => result !== 'stale')).toBe(true);
  });
});

describe('merge', () => {
  const item = (fingerprint: string, message: string) =>
    ({ fingerprint, message }) as any;

  it('replaces in place, drops removed keys, appends new ones in order', () => {
    const current = [item('a', '1'), item('b', '1'), item('c', '1')];
    const merged = merge(
      current,
      { upsert: [item('d', '1'), item('b', '2')], remove: ['c'] },
      (x: any) => x.fingerprint
    );
    expect(merged.map((x: any) => `${x.fingerprint}${x.message}`)).toEqual([
      'a1',
      'b2',
      'd1'
    ]);
  });
});
