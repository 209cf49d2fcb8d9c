/**
 * One handshake over the `nbsec` comm with one kernel.
 *
 * `NbsecCommClient.connect()` opens a comm to the `nbsec` target and resolves with the outcome:
 * the kernel's validated handshake reply, `not-loaded` when the kernel closes the comm at once
 * (ipykernel does this for an unknown target) or stays silent past the timeout, or a protocol
 * error. The comm stays open after a successful handshake so later message types (kernel
 * `update`s, `get_state` requests) can use it; `dispose()` closes it.
 */

import { Kernel, KernelMessage } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import {
  COMM_TARGET,
  IHandshakeInfo,
  ProtocolError,
  makeHandshake,
  parseReply
} from './protocol';

/** How a handshake attempt ended. */
export type HandshakeOutcome =
  | { readonly kind: 'connected'; readonly info: IHandshakeInfo }
  | { readonly kind: 'not-loaded'; readonly detail: string }
  | { readonly kind: 'refused'; readonly error: string }
  | { readonly kind: 'invalid'; readonly error: string };

export class NbsecCommClient {
  constructor(
    private readonly _kernel: Kernel.IKernelConnection,
    private readonly _options: NbsecCommClient.IOptions
  ) {}

  /** The kernel this client talks to. */
  get kernel(): Kernel.IKernelConnection {
    return this._kernel;
  }

  /** Emitted when the kernel closes an established comm (e.g. `%unload_ext nbsec`). */
  get closed(): ISignal<this, void> {
    return this._closed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Opens the comm, sends the handshake and waits for the reply. Call once. */
  connect(): Promise<HandshakeOutcome> {
    if (this._comm) {
      return Promise.reject(
        new Error('NbsecCommClient.connect() called twice')
      );
    }
    return new Promise<HandshakeOutcome>(resolve => {
      let settled = false;
      const settle = (outcome: HandshakeOutcome): void => {
        if (settled) {
          return;
        }
        settled = true;
        window.clearTimeout(timer);
        if (outcome.kind !== 'connected') {
          this._closeComm();
        }
        resolve(outcome);
      };
      const timer = window.setTimeout(() => {
        settle({
          kind: 'not-loaded',
          detail: `no handshake reply within ${this._options.timeoutMs} ms`
        });
      }, this._options.timeoutMs);

      const comm = this._kernel.createComm(COMM_TARGET);
      this._comm = comm;
      comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
        if (!settled) {
          settle(this._handshakeOutcome(msg.content.data));
        }
        // Later protocol versions dispatch further message types here.
      };
      comm.onClose = () => {
        this._comm = null;
        if (!settled) {
          settle({
            kind: 'not-loaded',
            detail: 'the kernel has no "nbsec" comm target'
          });
        } else if (!this._isDisposed) {
          this._closed.emit();
        }
      };
      try {
        comm.open(makeHandshake(this._options.clientVersion));
      } catch (reason) {
        settle({ kind: 'invalid', error: describe(reason) });
      }
    });
  }

  /** Closes the comm (if still open) and stops listening. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._closeComm();
    Signal.clearData(this);
  }

  private _handshakeOutcome(data: unknown): HandshakeOutcome {
    try {
      const reply = parseReply('handshake', data);
      if (!reply.success || reply.payload === null) {
        return { kind: 'refused', error: reply.error ?? 'unknown error' };
      }
      return { kind: 'connected', info: reply.payload };
    } catch (reason) {
      if (reason instanceof ProtocolError) {
        return { kind: 'invalid', error: reason.message };
      }
      throw reason;
    }
  }

  private _closeComm(): void {
    const comm = this._comm;
    this._comm = null;
    if (comm && !comm.isDisposed && !this._kernel.isDisposed) {
      comm.onClose = () => undefined;
      comm.onMsg = () => undefined;
      try {
        comm.close();
      } catch {
        // The kernel connection is already gone; nothing left to close.
      }
    }
  }

  private _comm: Kernel.IComm | null = null;
  private _isDisposed = false;
  private readonly _closed = new Signal<this, void>(this);
}

export namespace NbsecCommClient {
  export interface IOptions {
    /** The version sent as `client_version`. */
    readonly clientVersion: string;
    /** How long to wait for the handshake reply before treating nbsec as not loaded. */
    readonly timeoutMs: number;
  }
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
