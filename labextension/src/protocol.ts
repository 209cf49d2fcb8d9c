/**
 * The nbsec comm protocol, client side (version 2).
 *
 * The panel talks to the kernel over one comm target, `nbsec`. Every message is a JSON object
 * `{type, v, payload}`; requests carry an `id` their reply echoes; replies add `success`,
 * `error` and, on failure, an `error_code`. The message table is data: `protocol_schema.json`
 * is the kernel's `nbsec/kernel/protocol.schema.json` (copied by `scripts/copy-schema.mjs`), and
 * every incoming message is checked against it by `schema_check.ts` before anything reads it,
 * exactly as the kernel checks what the panel sends. Nothing received is ever evaluated.
 *
 *   request (panel →)                         reply payload (← kernel)
 *   handshake {client, client_version, protocol}  {nbsec_version, protocol, status, state_version,
 *                                                 limits, features}
 *   get_state {}                              {state, metadata}
 *   set_mode {mode?, enabled?}                {status}
 *   allow {scope, reason, expires?, dry_run?} {waiver, covers, dry_run}
 *   revoke {id} / write_waiver {id}           {waiver} / {waiver, policy_file}
 *   scan_frame {name} / cancel_scan {id}      {job}
 *   report {path?, html?}                     {path, html_path}
 *   events (← kernel): update {base, version, status, counts, …deltas}, scan_progress {job}
 */

import { JSONObject } from '@lumino/coreutils';

import {
  IJob,
  IKernelStatus,
  IStateDelta,
  IStateUpdate,
  IWaiver,
  isRecord,
  toJob,
  toStateDelta,
  toStateUpdate,
  toStatus,
  toWaiver
} from './kernel_state';
import schemaJson from './protocol_schema.json';
import { SchemaNode, checkSchema } from './schema_check';

/** The message table, shared with the kernel. */
export const PROTOCOL_SCHEMA = schemaJson as unknown as SchemaNode;

/** The comm target name the kernel extension registers. */
export const COMM_TARGET = 'nbsec';

/** The protocol version this client speaks. */
export const PROTOCOL_VERSION = 2;

/** The client name sent in the handshake. */
export const CLIENT_NAME = 'nbsec-labextension';

/** What a failed reply's `error_code` says. */
export type ErrorCode =
  | 'version'
  | 'invalid'
  | 'not_found'
  | 'locked'
  | 'unavailable'
  | 'failed'
  | 'internal';

/** What the kernel reports about itself in a successful handshake. */
export interface IHandshakeInfo {
  /** The nbsec version installed in the kernel, e.g. `0.1.0`. */
  readonly nbsecVersion: string;
  /** The protocol version the kernel speaks. */
  readonly protocol: number;
  /** The mode, switches and policy in force. */
  readonly status: IKernelStatus;
  /** The state version at the handshake. */
  readonly stateVersion: number;
  /** What this kernel's nbsec can do: `full_scan_jobs`, `write_waiver`, `report`, … */
  readonly features: readonly string[];
}

/** A validated reply from the kernel. `payload` is null when `success` is false. */
export interface IReply<T> {
  readonly type: string;
  readonly id: string | null;
  readonly success: boolean;
  readonly error: string | null;
  readonly errorCode: ErrorCode | null;
  readonly payload: T | null;
}

export interface IAllowResult {
  readonly waiver: IWaiver;
  /** The fingerprints of the findings the waiver covers now. */
  readonly covers: readonly string[];
  readonly dryRun: boolean;
}

/** The payload types of every reply, keyed by message type. */
export interface IReplyPayloads {
  handshake: IHandshakeInfo;
  get_state: IStateUpdate;
  set_mode: { readonly status: IKernelStatus };
  allow: IAllowResult;
  revoke: { readonly waiver: IWaiver };
  write_waiver: { readonly waiver: IWaiver; readonly policyFile: string };
  scan_frame: { readonly job: IJob };
  cancel_scan: { readonly job: IJob };
  report: { readonly path: string; readonly htmlPath: string | null };
}

/** A request type of the table. */
export type RequestType = keyof IReplyPayloads;

/** An event the kernel sends on its own. */
export type KernelEvent =
  | { readonly type: 'update'; readonly update: IStateDelta }
  | { readonly type: 'scan_progress'; readonly job: IJob };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = { readonly [key: string]: any };

/** Typed values from each reply's validated payload. */
const REPLY_MAPPERS: {
  readonly [K in RequestType]: (payload: Json) => IReplyPayloads[K];
} = {
  handshake: payload => ({
    nbsecVersion: payload.nbsec_version,
    protocol: payload.protocol,
    status: toStatus(payload.status),
    stateVersion: payload.state_version,
    features: payload.features
  }),
  get_state: toStateUpdate,
  set_mode: payload => ({ status: toStatus(payload.status) }),
  allow: payload => ({
    waiver: toWaiver(payload.waiver),
    covers: payload.covers,
    dryRun: payload.dry_run
  }),
  revoke: payload => ({ waiver: toWaiver(payload.waiver) }),
  write_waiver: payload => ({
    waiver: toWaiver(payload.waiver),
    policyFile: payload.policy_file
  }),
  scan_frame: payload => ({ job: toJob(payload.job) }),
  cancel_scan: payload => ({ job: toJob(payload.job) }),
  report: payload => ({
    path: payload.path,
    htmlPath: payload.html_path ?? null
  })
};

/** Whether `type` is a request type of the table. */
export function isRequestType(type: unknown): type is RequestType {
  return (
    typeof type === 'string' &&
    Object.prototype.hasOwnProperty.call(REPLY_MAPPERS, type)
  );
}

/** Builds a request `{type, v, id, payload}`. */
export function makeRequest(
  type: RequestType,
  payload: JSONObject,
  id: string
): JSONObject {
  return { type, v: PROTOCOL_VERSION, id, payload };
}

/** The handshake request the panel sends when it opens the comm. */
export function makeHandshake(clientVersion: string, id: string): JSONObject {
  return makeRequest(
    'handshake',
    {
      client: CLIENT_NAME,
      client_version: clientVersion,
      protocol: PROTOCOL_VERSION
    },
    id
  );
}

/** The ways an incoming message can break the protocol. */
export type ProtocolErrorCode =
  | 'not-object'
  | 'wrong-type'
  | 'wrong-version'
  | 'bad-message'
  | 'bad-payload'
  | 'unexpected'
  | 'open-failed';

/**
 * The English reason of each code: `%1` is the message type (or the failure, for open-failed),
 * `%2` where the message breaks the table.
 */
export const PROTOCOL_ERRORS: { readonly [C in ProtocolErrorCode]: string } = {
  'not-object': 'message is not a JSON object',
  'wrong-type': 'expected a "%1" message',
  'wrong-version': 'unsupported protocol version in "%1" message',
  'bad-message': '"%1" message does not match the protocol (%2)',
  'bad-payload': '"%1" message has a malformed payload (%2)',
  unexpected: 'unexpected "%1" message',
  'open-failed': 'could not open the comm: %1'
};

/**
 * Why an incoming message was rejected: a code, the message type it concerns and where it
 * breaks the table, so the panel can word it through the translator; `message` is English.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    readonly subject = '',
    readonly detail = ''
  ) {
    super(fillTemplate(PROTOCOL_ERRORS[code], [subject, detail]));
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

/** Where `value` breaks the table's schema at `path` (`envelopes/reply`), or null. */
export function schemaProblem(path: string, value: unknown): string | null {
  let node: unknown = PROTOCOL_SCHEMA;
  for (const part of path.split('/')) {
    node = isRecord(node) ? node[part] : undefined;
  }
  if (!isRecord(node)) {
    throw new Error(`the protocol schema has no ${path}`);
  }
  return checkSchema(node, value, PROTOCOL_SCHEMA, 'message');
}

/**
 * Validates a reply of the expected type against the table and returns it typed.
 *
 * A reply in another protocol version that refuses the request (an older kernel answering the
 * handshake) is passed on as a refusal with `errorCode: 'version'`. Anything else that breaks the
 * table throws a ProtocolError.
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
    if (
      data.success === false &&
      typeof data.error === 'string' &&
      data.error.length <= 2000
    ) {
      return {
        type: expected,
        id: typeof data.id === 'string' ? data.id : null,
        success: false,
        error: data.error,
        errorCode: 'version',
        payload: null
      };
    }
    throw new ProtocolError('wrong-version', expected);
  }
  const envelope = schemaProblem('envelopes/reply', data);
  if (envelope !== null) {
    throw new ProtocolError('bad-message', expected, envelope);
  }
  const id = typeof data.id === 'string' ? data.id : null;
  if (!data.success) {
    return {
      type: expected,
      id,
      success: false,
      error:
        typeof data.error === 'string' && data.error
          ? data.error
          : 'unknown error',
      errorCode: (data.error_code as ErrorCode | undefined) ?? null,
      payload: null
    };
  }
  const problem = schemaProblem(`messages/${expected}/reply`, data.payload);
  if (problem !== null) {
    throw new ProtocolError('bad-payload', expected, problem);
  }
  const mapper = REPLY_MAPPERS[expected] as (
    payload: Json
  ) => IReplyPayloads[K];
  return {
    type: expected,
    id,
    success: true,
    error: null,
    errorCode: null,
    payload: mapper(data.payload as Json)
  };
}

/** Validates an event the kernel sent on its own (`update`, `scan_progress`). */
export function parseEvent(data: unknown): KernelEvent {
  if (!isRecord(data)) {
    throw new ProtocolError('not-object');
  }
  const type = data.type;
  if (type !== 'update' && type !== 'scan_progress') {
    throw new ProtocolError(
      'unexpected',
      typeof type === 'string' && type.length <= 40 ? type : '?'
    );
  }
  if (data.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('wrong-version', type);
  }
  const envelope = schemaProblem('envelopes/event', data);
  if (envelope !== null) {
    throw new ProtocolError('bad-message', type, envelope);
  }
  const problem = schemaProblem(`messages/${type}/event`, data.payload);
  if (problem !== null) {
    throw new ProtocolError('bad-payload', type, problem);
  }
  const payload = data.payload as Json;
  return type === 'update'
    ? { type, update: toStateDelta(payload) }
    : { type, job: toJob(payload.job) };
}
