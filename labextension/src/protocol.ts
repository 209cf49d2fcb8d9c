/**
 * The nbsec comm protocol, client side (version 1).
 *
 * The panel talks to the kernel over one comm target, `nbsec`. Every message is a plain JSON
 * object `{type, v, payload}`; the kernel answers a request with `{type, v, success, error,
 * payload}`. Nothing received is ever evaluated: each incoming message is checked against the
 * table below (known `type`, protocol `v`, payload shape) and anything else is rejected.
 *
 * Version 1 knows one exchange, the handshake. Later message types (`update` pushed by the
 * kernel, `get_state` and other requests) are added as new rows of `REPLY_PAYLOAD_PARSERS`.
 */

import { JSONObject } from '@lumino/coreutils';

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

/** The payload types of every reply, keyed by message type. */
export interface IReplyPayloads {
  handshake: IHandshakeInfo;
}

/** The message table: one payload parser per reply type this client understands. */
export const REPLY_PAYLOAD_PARSERS: {
  readonly [K in keyof IReplyPayloads]: PayloadParser<IReplyPayloads[K]>;
} = {
  handshake: parseHandshakePayload
};

/** Builds a request `{type, v, payload}`. */
export function makeRequest(
  type: keyof IReplyPayloads,
  payload: JSONObject
): JSONObject {
  return { type, v: PROTOCOL_VERSION, payload };
}

/** The handshake request the panel sends when it opens the comm. */
export function makeHandshake(clientVersion: string): JSONObject {
  return makeRequest('handshake', {
    client: CLIENT_NAME,
    client_version: clientVersion,
    protocol: PROTOCOL_VERSION
  });
}

/** Why an incoming message was rejected. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * Validates a reply of the expected type.
 *
 * Throws a ProtocolError when the message is not an object, has another type, another protocol
 * version, a malformed `success`/`error`, or (on success) a payload of the wrong shape.
 */
export function parseReply<K extends keyof IReplyPayloads>(
  expected: K,
  data: unknown
): IReply<IReplyPayloads[K]> {
  if (!isRecord(data)) {
    throw new ProtocolError('reply is not a JSON object');
  }
  if (data.type !== expected) {
    throw new ProtocolError(`expected a "${expected}" reply`);
  }
  if (data.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `unsupported protocol version in "${expected}" reply`
    );
  }
  if (typeof data.success !== 'boolean') {
    throw new ProtocolError(`"${expected}" reply has no boolean "success"`);
  }
  const error = data.error;
  if (error !== null && error !== undefined && typeof error !== 'string') {
    throw new ProtocolError(`"${expected}" reply has a non-text "error"`);
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
    throw new ProtocolError(`"${expected}" reply has a malformed payload`);
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
