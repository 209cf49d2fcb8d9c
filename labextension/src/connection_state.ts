/**
 * The states the panel can be in, as one tagged union.
 *
 * The kernel follower moves between them; the panel only renders the current one.
 */

import { IHandshakeInfo } from './protocol';

export type ConnectionState =
  /** No notebook is active, or the active notebook has no kernel. */
  | { readonly status: 'no-kernel' }
  /** Automatic connection is off in the settings; the user connects by hand. */
  | { readonly status: 'idle' }
  /** A handshake is under way. */
  | { readonly status: 'connecting' }
  /** The kernel has no `nbsec` comm target (or did not answer in time). */
  | { readonly status: 'not-loaded'; readonly detail: string }
  /** `%load_ext nbsec` is running in the kernel. */
  | { readonly status: 'loading' }
  /** The handshake succeeded. */
  | { readonly status: 'connected'; readonly info: IHandshakeInfo }
  /** The kernel refused the handshake, or loading nbsec failed. */
  | { readonly status: 'error'; readonly message: string };

export type ConnectionStatus = ConnectionState['status'];
