/**
 * The nbsec comm protocol, client side (version 1).
 *
 * The panel talks to the kernel over one comm target, `nbsec`. Every message is a plain JSON
 * object `{type, v, payload}`; the kernel answers a request with `{type, v, success, error,
 * payload}`. Nothing received is ever evaluated: each incoming message is checked against the
 * table below (known `type`, protocol `v`, payload shape) and anything else is rejected.
 *
 * Version 1 (the kernel's table is in `nbsec/kernel/protocol.py` and ARCHITECTURE.md):
 *
 *   request (panel →)     reply payload (← kernel)
 *   handshake             {nbsec_version, protocol, enabled, mode, policy_file}
 *   get_state {}          {state, metadata}
 *   scan_frame {name}     {name, frame, findings[]}
 *   set_mode {mode?, enabled?}   {mode, enabled}
 *   allow {target, reason}       {waiver: {target, kind, reason, at}}
 *   report {path?}        any object (an error reply until the kernel builds reports)
 *   event (← kernel)      update {state, metadata} after a cell changed the state
 *
 * One row of `REPLY_PAYLOAD_PARSERS` per reply type; `parseUpdateEvent` for the event.
 */

import { JSONObject } from '@lumino/coreutils';

import {
  IFinding,
  IFrameSummary,
  IStateUpdate,
  IWaiver,
  isRecord,
  parseFinding,
  parseFrameSummary,
  parseStateUpdate,
  parseWaiver
} from './kernel_state';

/** The comm target name the kernel extension registers. */
export const COMM_TARGET = 'nbsec';

/** The protocol version this client speaks. */
export const PROTOCOL_VERSION = 1;

/** The client name sent in the handshake. */
export const CLIENT_NAME = 'nbsec-labextension';

/** What the kernel reports about itself in a successful handshake. */
export interface IHandshakeInfo {
  /** The nbsec version installed in the kernel, e.g. `0.1.0`. */
  readonly nbsecVersion: string;
  /** The protocol version the kernel speaks. */
  readonly protocol: number;
  /** Whether nbsec is watching cells in this kernel (`%nbsec on|off`). */
  readonly enabled: boolean;
  /** The policy mode, `warn` or `block`. */
  readonly mode: string;
  /** The policy file in effect, or null when the defaults apply. */
  readonly policyFile: string | null;
}

/** A validated reply from the kernel. `payload` is null when `success` is false. */
export interface IReply<T> {
  readonly type: string;
  readonly success: boolean;
  readonly error: string | null;
  readonly payload: T | null;
}

/** Turns an unchecked payload into a typed value, or null when its shape is wrong. */
export type PayloadParser<T> = (payload: unknown) => T | null;

/** The `scan_frame` reply: the frame after a complete pass and what that pass found. */
export interface IScanFrameResult {
  readonly name: string;
  /** Null when the kernel no longer holds a summary of the frame. */
  readonly frame: IFrameSummary | null;
  readonly findings: readonly IFinding[];
}

/** The `set_mode` reply: the kernel's mode and on/off switch after the change. */
export interface IModeInfo {
  readonly mode: string;
  readonly enabled: boolean;
}

/** The `allow` reply. */
export interface IAllowResult {
  readonly waiver: IWaiver;
}

/** The payload types of every reply, keyed by message type. */
export interface IReplyPayloads {
  handshake: IHandshakeInfo;
  get_state: IStateUpdate;
  scan_frame: IScanFrameResult;
  set_mode: IModeInfo;
  allow: IAllowResult;
  report: JSONObject;
}

/** A request type of the table. */
export type RequestType = keyof IReplyPayloads;

/** The message table: one payload parser per reply type this client understands. */
export const REPLY_PAYLOAD_PARSERS: {
  readonly [K in RequestType]: PayloadParser<IReplyPayloads[K]>;
} = {
  handshake: parseHandshakePayload,
  get_state: parseStateUpdate,
  scan_frame: parseScanFramePayload,
  set_mode: parseModePayload,
  allow: parseAllowPayload,
  report: payload => (isRecord(payload) ? (payload as JSONObject) : null)
};

/** The type of the one event the kernel sends on its own. */
export const UPDATE_EVENT = 'update';

/** Whether `type` is a request type of the table. */
export function isRequestType(type: unknown): type is RequestType {
  return (
    typeof type === 'string' &&
    Object.prototype.hasOwnProperty.call(REPLY_PAYLOAD_PARSERS, type)
  );
}

/** Builds a request `{type, v, payload}`. */
export function makeRequest(
  type: RequestType,
  payload: JSONObject
): JSONObject {
  return { type, v: PROTOCOL_VERSION, payload };
}

/**
 * Validates a kernel `update` event `{type: "update", v: 1, payload: {state, metadata}}`.
 *
 * Throws a ProtocolError when the message is not such an event.
 */
export function parseUpdateEvent(data: unknown): IStateUpdate {
  if (!isRecord(data)) {
    throw new ProtocolError('not-object');
  }
  if (data.type !== UPDATE_EVENT) {
    throw new ProtocolError('wrong-type', UPDATE_EVENT);
  }
  if (data.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('wrong-version', UPDATE_EVENT);
  }
  const update = parseStateUpdate(data.payload);
  if (update === null) {
    throw new ProtocolError('bad-payload', UPDATE_EVENT);
  }
  return update;
}

/** The handshake request the panel sends when it opens the comm. */
export function makeHandshake(clientVersion: string): JSONObject {
  return makeRequest('handshake', {
    client: CLIENT_NAME,
    client_version: clientVersion,
    protocol: PROTOCOL_VERSION
  });
}

/** The ways an incoming message can break the protocol. */
export type ProtocolErrorCode =
  | 'not-object'
  | 'wrong-type'
  | 'wrong-version'
  | 'no-success'
  | 'bad-error'
  | 'bad-payload'
  | 'unexpected'
  | 'open-failed';

/** The English reason of each code; `%1` is the message type (or the failure, for open-failed). */
export const PROTOCOL_ERRORS: { readonly [C in ProtocolErrorCode]: string } = {
  'not-object': 'message is not a JSON object',
  'wrong-type': 'expected a "%1" message',
  'wrong-version': 'unsupported protocol version in "%1" message',
  'no-success': '"%1" reply has no boolean "success"',
  'bad-error': '"%1" reply has a non-text "error"',
  'bad-payload': '"%1" message has a malformed payload',
  unexpected: 'unexpected "%1" message',
  'open-failed': 'could not open the comm: %1'
};

/**
 * Why an incoming message was rejected: a code and the message type it concerns, so the panel
 * can word it through the translator; `message` is the English sentence.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    readonly subject = ''
  ) {
    super(fillTemplate(PROTOCOL_ERRORS[code], [subject]));
    this.name = 'ProtocolError';
  }
}

/** `%1`, `%2`… replaced by the arguments, as the JupyterLab translator does. */
export function fillTemplate(
  template: string,
  args: readonly string[]
): string {
  return template.replace(/%(\d+)/g, (whole, index: string) => {
    const value = args[Number(index) - 1];
    return value === undefined ? whole : value;
  });
}

/**
 * Validates a reply of the expected type.
 *
 * Throws a ProtocolError when the message is not an object, has another type, another protocol
 * version, a malformed `success`/`error`, or (on success) a payload of the wrong shape.
 */
export function parseReply<K extends RequestType>(
  expected: K,
  data: unknown
): IReply<IReplyPayloads[K]> {
  if (!isRecord(data)) {
    throw new ProtocolError('not-object');
  }
  if (data.type !== expected) {
    throw new ProtocolError('wrong-type', expected);
  }
  if (data.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('wrong-version', expected);
  }
  if (typeof data.success !== 'boolean') {
    throw new ProtocolError('no-success', expected);
  }
  const error = data.error;
  if (error !== null && error !== undefined && typeof error !== 'string') {
    throw new ProtocolError('bad-error', expected);
  }
  if (!data.success) {
    return {
      type: expected,
      success: false,
      error: typeof error === 'string' && error ? error : 'unknown error',
      payload: null
    };
  }
  const parser = REPLY_PAYLOAD_PARSERS[expected] as PayloadParser<
    IReplyPayloads[K]
  >;
  const payload = parser(data.payload);
  if (payload === null) {
    throw new ProtocolError('bad-payload', expected);
  }
  return { type: expected, success: true, error: null, payload };
}

/** Checks the handshake reply payload. */
export function parseHandshakePayload(payload: unknown): IHandshakeInfo | null {
  if (!isRecord(payload)) {
    return null;
  }
  const {
    nbsec_version: nbsecVersion,
    protocol,
    enabled,
    mode,
    policy_file: policyFile
  } = payload;
  if (
    typeof nbsecVersion !== 'string' ||
    typeof protocol !== 'number' ||
    !Number.isInteger(protocol) ||
    typeof enabled !== 'boolean' ||
    typeof mode !== 'string' ||
    !(policyFile === null || typeof policyFile === 'string')
  ) {
    return null;
  }
  return { nbsecVersion, protocol, enabled, mode, policyFile };
}

/** Checks the `scan_frame` reply payload. */
export function parseScanFramePayload(
  payload: unknown
): IScanFrameResult | null {
  if (!isRecord(payload) || typeof payload.name !== 'string') {
    return null;
  }
  const name = payload.name;
  const frame =
    payload.frame === null || payload.frame === undefined
      ? null
      : parseFrameSummary(name, payload.frame);
  const rawFindings = payload.findings ?? [];
  if (frame === null && payload.frame !== null && payload.frame !== undefined) {
    return null;
  }
  if (!Array.isArray(rawFindings)) {
    return null;
  }
  const findings: IFinding[] = [];
  for (const item of rawFindings) {
    const finding = parseFinding(item);
    if (finding === null) {
      return null;
    }
    findings.push(finding);
  }
  return { name, frame, findings };
}

/** Checks the `set_mode` reply payload. */
export function parseModePayload(payload: unknown): IModeInfo | null {
  if (
    !isRecord(payload) ||
    typeof payload.mode !== 'string' ||
    typeof payload.enabled !== 'boolean'
  ) {
    return null;
  }
  return { mode: payload.mode, enabled: payload.enabled };
}

/** Checks the `allow` reply payload. */
export function parseAllowPayload(payload: unknown): IAllowResult | null {
  if (!isRecord(payload)) {
    return null;
  }
  const waiver = parseWaiver(payload.waiver);
  return waiver === null ? null : { waiver };
}
