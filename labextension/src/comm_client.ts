/**
 * The `nbsec` comm with one kernel: the handshake, then requests and the kernel's updates.
 *
 * `NbsecCommClient.connect()` opens a comm to the `nbsec` target and resolves with the outcome:
 * the kernel's validated handshake reply, `not-loaded` when the kernel closes the comm at once
 * (ipykernel does this for an unknown target) or stays silent past the timeout, or a protocol
 * error. After a successful handshake the comm stays open: `request()` sends one request of the
 * table and resolves with its validated reply (replies are matched by type, so one request of a
 * type is in flight at a time), and `updated` carries each validated `update` event. Anything
 * else the kernel sends is dropped and reported through `rejected`. `dispose()` closes the comm.
 *
 * A kernel running a cell answers nothing until the cell is done: the comm's messages are queued
 * behind it on the kernel's main shell (the comm is kept off JupyterLab's comm subshells, so
 * nbsec never runs beside the user's cell). Every timeout here therefore counts only time the
 * kernel was idle: a timer that runs out while the kernel is busy starts again.
 */

import {
  CommsOverSubshells,
  Kernel,
  KernelMessage
} from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { IStateUpdate, isRecord } from './kernel_state';
import {
  COMM_TARGET,
  IHandshakeInfo,
  IReply,
  IReplyPayloads,
  ProtocolError,
  RequestType,
  UPDATE_EVENT,
  isRequestType,
  makeHandshake,
  makeRequest,
  parseReply,
  parseUpdateEvent
} from './protocol';

/** How long a request waits for its reply, per type (a full frame scan may take a while). */
export const REQUEST_TIMEOUT_MS: { readonly [K in RequestType]: number } = {
  handshake: 30000,
  get_state: 30000,
  scan_frame: 120000,
  set_mode: 30000,
  allow: 30000,
  report: 120000
};

/** How a handshake attempt ended. */
export type HandshakeOutcome =
  | { readonly kind: 'connected'; readonly info: IHandshakeInfo }
  | { readonly kind: 'no-target' }
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  | { readonly kind: 'refused'; readonly error: string }
  | { readonly kind: 'invalid'; readonly error: ProtocolError };

export class NbsecCommClient {
  constructor(
    private readonly _kernel: Kernel.IKernelConnection,
    private readonly _options: NbsecCommClient.IOptions
  ) {}

  /** The kernel this client talks to. */
  get kernel(): Kernel.IKernelConnection {
    return this._kernel;
  }

  /** Emitted with each validated `update` event the kernel sends after a cell. */
  get updated(): ISignal<this, IStateUpdate> {
    return this._updated;
  }

  /** Emitted with the reason when an incoming message is dropped as invalid. */
  get rejected(): ISignal<this, ProtocolError> {
    return this._rejected;
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
        stopTimer();
        if (outcome.kind !== 'connected') {
          this._closeComm();
        }
        resolve(outcome);
      };
      const timeoutMs = this._options.timeoutMs;
      const stopTimer = this._idleTimer(timeoutMs, () =>
        settle({ kind: 'timeout', timeoutMs })
      );

      const comm = this._kernel.createComm(COMM_TARGET);
      // On the kernel's main shell: never beside the user's running cell.
      comm.commsOverSubshells = CommsOverSubshells.Disabled;
      this._comm = comm;
      comm.onMsg = (msg: KernelMessage.ICommMsgMsg) => {
        if (!settled) {
          settle(this._handshakeOutcome(msg.content.data));
        } else {
          this._dispatch(msg.content.data);
        }
      };
      comm.onClose = () => {
        this._comm = null;
        this._failPending('the kernel closed the nbsec comm');
        if (!settled) {
          settle({ kind: 'no-target' });
        } else if (!this._isDisposed) {
          this._closed.emit();
        }
      };
      try {
        comm.open(makeHandshake(this._options.clientVersion));
      } catch (reason) {
        settle({
          kind: 'invalid',
          error: new ProtocolError('open-failed', describe(reason))
        });
      }
    });
  }

  /**
   * Sends one request and resolves with its validated reply (which may be an error reply).
   *
   * Rejects when the comm is not open, a request of the same type is still in flight, no reply
   * came within `REQUEST_TIMEOUT_MS`, or the reply does not match the table.
   */
  request<K extends RequestType>(
    type: K,
    payload: JSONObject
  ): Promise<IReply<IReplyPayloads[K]>> {
    const comm = this._comm;
    if (!comm || comm.isDisposed || type === 'handshake') {
      return Promise.reject(new Error('nbsec is not connected'));
    }
    if (this._pending.has(type)) {
      return Promise.reject(
        new Error(`a "${type}" request is already under way`)
      );
    }
    return new Promise<IReply<IReplyPayloads[K]>>((resolve, reject) => {
      const stopTimer = this._idleTimer(REQUEST_TIMEOUT_MS[type], () => {
        this._pending.delete(type);
        reject(new RequestTimeout(type, REQUEST_TIMEOUT_MS[type] / 1000));
      });
      this._pending.set(type, {
        stopTimer,
        accept: data => resolve(parseReply(type, data)),
        reject
      });
      try {
        comm.send(makeRequest(type, payload));
      } catch (reason) {
        stopTimer();
        this._pending.delete(type);
        reject(reason instanceof Error ? reason : new Error(String(reason)));
      }
    });
  }

  /** Closes the comm (if still open) and stops listening. */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._failPending('the nbsec connection was closed');
    this._closeComm();
    Signal.clearData(this);
  }

  /**
   * Calls `onExpire` after `ms` of kernel idleness: when the time is up while the kernel is busy
   * (running a cell, with nbsec's message queued behind it), the wait starts again. Returns the
   * function that stops the timer.
   */
  private _idleTimer(ms: number, onExpire: () => void): () => void {
    let timer = 0;
    const arm = (): void => {
      timer = window.setTimeout(() => {
        if (this._kernel.status === 'busy' && !this._kernel.isDisposed) {
          arm();
        } else {
          onExpire();
        }
      }, ms);
    };
    arm();
    return () => window.clearTimeout(timer);
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
        return { kind: 'invalid', error: reason };
      }
      throw reason;
    }
  }

  /** Routes one message received after the handshake: an update, or a pending reply. */
  private _dispatch(data: unknown): void {
    const type = isRecord(data) ? data.type : undefined;
    try {
      if (type === UPDATE_EVENT && isRecord(data) && !('success' in data)) {
        this._updated.emit(parseUpdateEvent(data));
        return;
      }
      const pending = isRequestType(type) ? this._pending.get(type) : undefined;
      if (!pending || !isRequestType(type)) {
        throw typeof type === 'string' && type.length <= 40
          ? new ProtocolError('unexpected', type)
          : new ProtocolError('unexpected', '?');
      }
      pending.stopTimer();
      this._pending.delete(type);
      try {
        pending.accept(data);
      } catch (reason) {
        pending.reject(
          reason instanceof Error ? reason : new Error(String(reason))
        );
      }
    } catch (reason) {
      if (!(reason instanceof ProtocolError)) {
        throw reason;
      }
      console.warn('nbsec: dropped a message from the kernel:', reason.message);
      this._rejected.emit(reason);
    }
  }

  private _failPending(reason: string): void {
    for (const pending of this._pending.values()) {
      pending.stopTimer();
      pending.reject(new Error(reason));
    }
    this._pending.clear();
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
  private readonly _pending = new Map<RequestType, IPendingRequest>();
  private readonly _updated = new Signal<this, IStateUpdate>(this);
  private readonly _rejected = new Signal<this, ProtocolError>(this);
  private readonly _closed = new Signal<this, void>(this);
}

/** A request waiting for its reply. */
interface IPendingRequest {
  readonly stopTimer: () => void;
  /** Validates the reply and resolves the request (throws a ProtocolError when invalid). */
  readonly accept: (data: unknown) => void;
  readonly reject: (reason: Error) => void;
}

export namespace NbsecCommClient {
  export interface IOptions {
    /** The version sent as `client_version`. */
    readonly clientVersion: string;
    /** How long to wait for the handshake reply before treating nbsec as not loaded. */
    readonly timeoutMs: number;
  }
}

/** No reply to a request within its time (counting only the kernel's idle time). */
export class RequestTimeout extends Error {
  constructor(
    readonly type: RequestType,
    readonly seconds: number
  ) {
    super(`no "${type}" reply within ${seconds} s`);
    this.name = 'RequestTimeout';
  }
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
