/**
 * The `nbsec` comm with one kernel: the handshake, then requests and the kernel's events.
 *
 * `NbsecCommClient.connect()` opens a comm to the `nbsec` target and resolves with the outcome:
 * the kernel's validated handshake reply, `no-target` when the kernel closes the comm at once
 * (ipykernel does this for an unknown target), `timeout` when it stays silent, or a refusal or
 * protocol error. After a successful handshake the comm stays open: `request()` sends one
 * request of the table with its own id and resolves with the validated reply that echoes it, and
 * `event` carries each validated `update` and `scan_progress`. Anything else the kernel sends is
 * dropped and reported through `rejected`. `dispose()` closes the comm.
 *
 * **Subshells.** A kernel with subshells (ipykernel 7) answers the comm on a subshell while the
 * user's cell runs on the main shell (nbsec's handlers are thread-safe and never print into the
 * running cell; the handshake says so with `subshell_requests`). The comm is opened on its
 * subshell once that exists, so even the handshake is answered while a cell runs. A kernel
 * without subshells gets every message on its main shell, where it waits behind the running
 * cell; timeouts count only time the kernel was idle: a timer that runs out while the kernel is
 * busy starts again.
 */

import {
  CommsOverSubshells,
  Kernel,
  KernelMessage
} from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { isRecord } from './kernel_state';
import {
  COMM_TARGET,
  IHandshakeInfo,
  IReply,
  IReplyPayloads,
  KernelEvent,
  ProtocolError,
  RequestType,
  isRequestType,
  makeHandshake,
  makeRequest,
  parseEvent,
  parseReply
} from './protocol';

/** How long a request waits for its reply, per type (counting only idle kernel time). */
export const REQUEST_TIMEOUT_MS: { readonly [K in RequestType]: number } = {
  handshake: 30000,
  get_state: 30000,
  set_mode: 30000,
  allow: 30000,
  revoke: 30000,
  write_waiver: 30000,
  scan_frame: 30000,
  cancel_scan: 30000,
  report: 300000
};

/** How long to wait for the comm's subshell before opening the comm on the main shell. */
const SUBSHELL_WAIT_MS = 5000;

/** How a handshake attempt ended. */
export type HandshakeOutcome =
  | { readonly kind: 'connected'; readonly info: IHandshakeInfo }
  | { readonly kind: 'no-target' }
  | { readonly kind: 'timeout'; readonly timeoutMs: number }
  | {
      readonly kind: 'refused';
      readonly error: string;
      readonly version: boolean;
    }
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

  /** Emitted with each validated event the kernel sends on its own. */
  get event(): ISignal<this, KernelEvent> {
    return this._event;
  }

  /** Emitted with the reason when an incoming message is dropped as invalid. */
  get rejected(): ISignal<this, ProtocolError> {
    return this._rejected;
  }

  /** Emitted when the kernel closes an established comm (e.g. `%unload_ext nbsec`). */
  get closed(): ISignal<this, void> {
    return this._closed;
  }

  /** Whether the kernel answers this comm on a subshell, beside a running cell. */
  get onSubshell(): boolean {
    return (
      this._comm !== null &&
      this._comm.commsOverSubshells !== CommsOverSubshells.Disabled &&
      this._kernel.supportsSubshells
    );
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Opens the comm, sends the handshake and waits for the reply. Call once. */
  async connect(): Promise<HandshakeOutcome> {
    if (this._comm) {
      throw new Error('NbsecCommClient.connect() called twice');
    }
    const comm = this._kernel.createComm(COMM_TARGET);
    this._comm = comm;
    if (this._kernel.supportsSubshells) {
      await this._subshellReady(comm);
    } else {
      comm.commsOverSubshells = CommsOverSubshells.Disabled;
    }
    if (this._isDisposed) {
      return { kind: 'no-target' };
    }
    const id = this._newId();
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
        comm.open(makeHandshake(this._options.clientVersion, id));
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
   * Rejects when the comm is not open, no reply came within `REQUEST_TIMEOUT_MS` of idle kernel
   * time, or the reply does not match the table.
   */
  request<K extends RequestType>(
    type: K,
    payload: JSONObject
  ): Promise<IReply<IReplyPayloads[K]>> {
    const comm = this._comm;
    if (!comm || comm.isDisposed || type === 'handshake') {
      return Promise.reject(new Error('nbsec is not connected'));
    }
    const id = this._newId();
    return new Promise<IReply<IReplyPayloads[K]>>((resolve, reject) => {
      const stopTimer = this._idleTimer(REQUEST_TIMEOUT_MS[type], () => {
        this._pending.delete(id);
        reject(new RequestTimeout(type, REQUEST_TIMEOUT_MS[type] / 1000));
      });
      this._pending.set(id, {
        type,
        stopTimer,
        accept: data => resolve(parseReply(type, data)),
        reject
      });
      try {
        comm.send(makeRequest(type, payload, id));
      } catch (reason) {
        stopTimer();
        this._pending.delete(id);
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

  /** Waits (bounded) for the comm's subshell, so the handshake goes to it too. */
  private async _subshellReady(comm: Kernel.IComm): Promise<void> {
    const handler = comm as Kernel.IComm & {
      readonly subshellStarted?: Promise<void>;
    };
    if (!handler.subshellStarted) {
      return;
    }
    let timer = 0;
    try {
      await Promise.race([
        handler.subshellStarted,
        new Promise<void>(resolve => {
          timer = window.setTimeout(resolve, SUBSHELL_WAIT_MS);
        })
      ]);
    } catch {
      // no subshell: the comm's messages go to the main shell
    } finally {
      window.clearTimeout(timer);
    }
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
        return {
          kind: 'refused',
          error: reply.error ?? 'unknown error',
          version: reply.errorCode === 'version'
        };
      }
      return { kind: 'connected', info: reply.payload };
    } catch (reason) {
      if (reason instanceof ProtocolError) {
        return { kind: 'invalid', error: reason };
      }
      throw reason;
    }
  }

  /** Routes one message received after the handshake: an event, or a pending reply. */
  private _dispatch(data: unknown): void {
    try {
      if (isRecord(data) && !('success' in data)) {
        this._event.emit(parseEvent(data));
        return;
      }
      const type = isRecord(data) ? data.type : undefined;
      const pending = this._pendingFor(data);
      if (!pending) {
        throw typeof type === 'string' && type.length <= 40
          ? new ProtocolError('unexpected', type)
          : new ProtocolError('unexpected', '?');
      }
      pending.stopTimer();
      this._pending.delete(pending.id);
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

  /**
   * The request a reply answers: the one whose id it echoes; a reply without an id (the kernel
   * could not read the request's) answers the oldest pending request of its type.
   */
  private _pendingFor(
    data: unknown
  ): (IPendingRequest & { readonly id: string }) | null {
    if (!isRecord(data)) {
      return null;
    }
    if (typeof data.id === 'string') {
      const pending = this._pending.get(data.id);
      return pending && pending.type === data.type
        ? { ...pending, id: data.id }
        : null;
    }
    if (!isRequestType(data.type)) {
      return null;
    }
    for (const [id, pending] of this._pending) {
      if (pending.type === data.type) {
        return { ...pending, id };
      }
    }
    return null;
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

  private _newId(): string {
    this._lastId += 1;
    return String(this._lastId);
  }

  private _comm: Kernel.IComm | null = null;
  private _lastId = 0;
  private _isDisposed = false;
  private readonly _pending = new Map<string, IPendingRequest>();
  private readonly _event = new Signal<this, KernelEvent>(this);
  private readonly _rejected = new Signal<this, ProtocolError>(this);
  private readonly _closed = new Signal<this, void>(this);
}

/** A request waiting for its reply. */
interface IPendingRequest {
  readonly type: RequestType;
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
