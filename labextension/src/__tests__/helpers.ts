/**
 * Test helpers: an English translator that fills `%1` placeholders as JupyterLab's does, and the
 * kernel state captured from a real kernel (`fixtures/`).
 */

import { readFileSync } from 'fs';
import { join } from 'path';

import { fillTemplate } from '../protocol';
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

/**
 * A `get_state` reply from a real kernel (nbsec 0.1, protocol 1) after seven cells with ids
 * `c-load` … `c-reload`: a frame with e-mails, a malicious and a benign pickle written, both
 * loaded (the benign one twice), and an AWS key in a cell. Made by `capture_state.py` beside it.
 */
export function capturedReply(): Record<string, unknown> {
  const path = join(__dirname, 'fixtures', 'get_state_reply_v1.json');
  return JSON.parse(readFileSync(path, 'utf-8'));
}

/** A deep copy of a JSON value with `change` applied to it. */
export function altered<T>(value: T, change: (copy: any) => void): T {
  const copy = JSON.parse(JSON.stringify(value));
  change(copy);
  return copy;
}
