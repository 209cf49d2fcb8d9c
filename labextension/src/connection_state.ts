/**
 * The states a notebook's connection to nbsec can be in, as one tagged union.
 *
 * `NotebookConnection` moves between them; the panel and the status bar only render the current
 * one. Reasons are kept as codes (and the kernel's own words, where it gave some) so every
 * sentence the user reads goes through the translator when it is rendered.
 */

import { IHandshakeInfo, ProtocolError } from './protocol';

/** Why nbsec counts as not loaded. */
export type NotLoadedReason =
  /** The kernel closed the comm at once: it has no `nbsec` comm target. */
  | 'no-target'
  /** The kernel was idle and did not answer the handshake in time. */
  | 'timeout'
  /** The kernel closed an established connection (for instance `%unload_ext nbsec`). */
  | 'closed';

/** Why the connection failed. */
export type ErrorReason =
  /** The kernel refused the handshake. */
  | 'refused'
  /** The kernel's nbsec speaks another protocol version. */
  | 'version'
  /** The kernel's handshake reply did not match the protocol. */
  | 'invalid'
  /** `%load_ext nbsec` failed in the kernel. */
  | 'load-failed';

export type ConnectionState =
  /** No notebook is active, or the active notebook has no kernel. */
  | { readonly status: 'no-kernel' }
  /** Automatic connection is off in the settings; the user connects by hand. */
  | { readonly status: 'idle' }
  /** A handshake is under way. */
  | { readonly status: 'connecting' }
  /** A handshake is waiting for a kernel that is running a cell. */
  | { readonly status: 'busy' }
  /** nbsec is not loaded in this kernel (or did not answer while the kernel was idle). */
  | {
      readonly status: 'not-loaded';
      readonly reason: NotLoadedReason;
      readonly timeoutMs?: number;
    }
  /** `%load_ext nbsec` is running in the kernel. */
  | { readonly status: 'loading' }
  /** The handshake succeeded. */
  | { readonly status: 'connected'; readonly info: IHandshakeInfo }
  /** The kernel refused the handshake, answered nonsense, or loading nbsec failed. */
  | {
      readonly status: 'error';
      readonly reason: ErrorReason;
      /** The kernel's or the protocol check's own words (not translated). */
      readonly detail: string;
      /** For `invalid`: what was wrong, to be worded through the translator. */
      readonly error?: ProtocolError;
    };

export type ConnectionStatus = ConnectionState['status'];
