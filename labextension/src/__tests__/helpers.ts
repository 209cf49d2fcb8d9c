/**
 * Test helpers: an English translator that fills `%1` placeholders as JupyterLab's does, the
 * kernel messages captured from a real kernel (`fixtures/`, made by `capture_state.py`), and the
 * protocol's shared examples (`nbsec/kernel/protocol.examples.json`).
 */

import { readFileSync } from 'fs';
import { join } from 'path';

import { IStateUpdate } from '../kernel_state';
import { fillTemplate, parseReply } from '../protocol';
import { Trans } from '../translate';

export const trans: Trans = {
  __: (msgid: string, ...args: unknown[]) =>
    fillTemplate(
      msgid,
      args.map(arg => String(arg))
    ),
  _n: (singular: string, plural: string, n: number, ...args: unknown[]) =>
    fillTemplate(
      n === 1 ? singular : plural,
      [n, ...args].map(arg => String(arg))
    )
};

function fixture(name: string): any {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf-8'));
}

/**
 * A `get_state` reply from a real kernel after seven cells with ids `c-load` … `c-reload`: a
 * frame with e-mails, a malicious and a benign pickle written, both loaded (the benign one
 * twice), an AWS key in a cell (waived, one finding), block mode.
 */
export function capturedReply(): Record<string, any> {
  return fixture('get_state_reply.json');
}

/** The same kernel's first `get_state` reply and every message it sent after it, in order. */
export function capturedSequence(): {
  initial: Record<string, any>;
  messages: Record<string, any>[];
} {
  return fixture('update_sequence.json');
}

/** `capturedReply()` (optionally altered) as the panel holds it. */
export function capturedState(change?: (copy: any) => void): IStateUpdate {
  const reply = change ? altered(capturedReply(), change) : capturedReply();
  const parsed = parseReply('get_state', reply);
  if (parsed.payload === null) {
    throw new Error('the fixture does not parse');
  }
  return parsed.payload;
}

/** One message of the protocol's shared examples. */
export interface IExample {
  readonly name: string;
  readonly direction: 'request' | 'reply' | 'event';
  readonly message: Record<string, any>;
}

/** A JSON file of the kernel package (`nbsec/kernel/NAME`), shared with the panel. */
function kernelFile(name: string): any {
  const path = join(__dirname, '..', '..', '..', 'nbsec', 'kernel', name);
  return JSON.parse(readFileSync(path, 'utf-8'));
}

/** The protocol's shared examples: valid ones recorded from a kernel, invalid ones altered. */
export function protocolExamples(): { valid: IExample[]; invalid: IExample[] } {
  return kernelFile('protocol.examples.json');
}

/** The protocol's schema, as the kernel reads it. */
export function protocolSchema(): Record<string, any> {
  return kernelFile('protocol.schema.json');
}

/** A deep copy of a JSON value with `change` applied to it. */
export function altered<T>(value: T, change: (copy: any) => void): T {
  const copy = JSON.parse(JSON.stringify(value));
  change(copy);
  return copy;
}
