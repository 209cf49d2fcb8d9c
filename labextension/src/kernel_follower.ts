/**
 * Follows the active notebook's kernel and keeps one nbsec connection to it.
 *
 * The follower listens to the notebook tracker (active notebook changes), the notebook's session
 * context (kernel changes, restarts) and cell executions, runs handshakes through
 * `NbsecCommClient`, and publishes the resulting `ConnectionState`. Every attempt carries a
 * number; the outcome of an attempt that has since been superseded is dropped.
 *
 * Once connected it asks for the kernel's state (`get_state`) once, then applies the kernel's
 * `update` events, and publishes the latest `{state, metadata}` as `data`. The panel's actions
 * (mode, on/off, full frame scan, allow) go through it as requests; a failed request leaves a
 * one-line `notice`. `summaryFor()` gives the `metadata.nbsec` summary of the followed notebook
 * while it is connected.
 */

import { ISessionContext } from '@jupyterlab/apputils';
import {
  INotebookTracker,
  Notebook,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { HandshakeOutcome, NbsecCommClient } from './comm_client';
import { ConnectionState } from './connection_state';
import { IStateUpdate } from './kernel_state';
import { IReplyPayloads, RequestType } from './protocol';
import { IPanelSettings } from './settings';

/** The code the "Load nbsec" button runs in the kernel. */
export const LOAD_CODE = '%load_ext nbsec';

/** How long to wait for a starting kernel's first reply before trying the handshake anyway. */
const KERNEL_INFO_WAIT_MS = 30000;

export class KernelFollower {
  constructor(options: KernelFollower.IOptions) {
    this._tracker = options.tracker;
    this._clientVersion = options.clientVersion;
    this._settings = options.settings;
    this._tracker.currentChanged.connect(this._onCurrentChanged, this);
    NotebookActions.executed.connect(this._onCellExecuted, this);
    this._follow(this._tracker.currentWidget);
  }

  /** The current state. */
  get state(): ConnectionState {
    return this._state;
  }

  /** Emitted whenever `state` or `notebookPath` changes. */
  get stateChanged(): ISignal<this, ConnectionState> {
    return this._stateChanged;
  }

  /** The kernel's latest `{state, metadata}`, or null until the first one arrived. */
  get data(): IStateUpdate | null {
    return this._data;
  }

  /** Why the last request failed (one line), or null. */
  get notice(): string | null {
    return this._notice;
  }

  /** Emitted when `data` or `notice` changes. */
  get dataChanged(): ISignal<this, void> {
    return this._dataChanged;
  }

  /** The followed notebook, or null. */
  get notebookPanel(): NotebookPanel | null {
    return this._panel;
  }

  /** The path of the followed notebook, or null when there is none. */
  get notebookPath(): string | null {
    return this._panel?.context.path ?? null;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Applies new settings; a change of `autoConnect` to true connects at once. */
  updateSettings(settings: IPanelSettings): void {
    const wasAuto = this._settings.autoConnect;
    this._settings = settings;
    if (settings.autoConnect && !wasAuto && this._state.status === 'idle') {
      void this._handshake();
    }
  }

  /**
   * Connects at the user's request (the panel's Connect or Retry button). With `autoConnect`
   * off, this also keeps the followed notebook connected across kernel starts and restarts.
   */
  connect(): Promise<void> {
    this._connectRequested = true;
    return this._handshake();
  }

  /** (Re)runs the handshake with the current kernel. */
  private async _handshake(): Promise<void> {
    const attempt = this._newAttempt();
    const context = this._panel?.sessionContext ?? null;
    if (!context) {
      this._setState({ status: 'no-kernel' });
      return;
    }
    this._setState({ status: 'connecting' });
    const kernel = await this._readyKernel(context);
    if (attempt !== this._attempt) {
      return;
    }
    if (!kernel) {
      this._setState({ status: 'no-kernel' });
      return;
    }
    const client = new NbsecCommClient(kernel, {
      clientVersion: this._clientVersion,
      timeoutMs: this._settings.handshakeTimeoutMs
    });
    this._client = client;
    const outcome = await client.connect();
    if (attempt !== this._attempt || client.isDisposed) {
      return;
    }
    this._applyOutcome(client, outcome);
  }

  /** Asks the kernel to switch between `warn` and `block`. */
  setMode(mode: 'warn' | 'block'): Promise<void> {
    return this._inModeQueue(async () => {
      this._applyMode(await this._request('set_mode', { mode }));
    });
  }

  /** Turns nbsec's watching of cells on or off (`%nbsec on|off`). */
  setEnabled(enabled: boolean): Promise<void> {
    return this._inModeQueue(async () => {
      this._applyMode(await this._request('set_mode', { enabled }));
    });
  }

  /** Asks for a complete PII pass over one DataFrame, then refreshes the state. */
  async scanFrame(name: string): Promise<void> {
    if ((await this._request('scan_frame', { name })) !== null) {
      await this._refreshState();
    }
  }

  /** Records a waiver for a rule (or path glob, or sha256) with a reason, then refreshes. */
  async allow(target: string, reason: string): Promise<void> {
    if ((await this._request('allow', { target, reason })) !== null) {
      await this._refreshState();
    }
  }

  /** The 1-based position of the followed notebook's cell with this id, or null. */
  cellNumber(cellId: string): number | null {
    const index = this._cellIndex(cellId);
    return index < 0 ? null : index + 1;
  }

  /**
   * Activates and scrolls to the followed notebook's cell with this id.
   *
   * Returns false when there is no such cell (a finding about a DataFrame, a deleted cell).
   */
  revealCell(cellId: string): boolean {
    const panel = this._panel;
    if (!panel) {
      return false;
    }
    const notebook = panel.content;
    const index = this._cellIndex(cellId);
    if (index < 0) {
      return false;
    }
    notebook.activeCellIndex = index;
    void notebook.scrollToCell(notebook.widgets[index], 'center');
    return true;
  }

  /**
   * The governance summary to save as `metadata.nbsec` of this notebook: the kernel's latest,
   * while the notebook is the followed one and connected; null otherwise.
   */
  summaryFor(panel: NotebookPanel): JSONObject | null {
    if (panel !== this._panel || this._state.status !== 'connected') {
      return null;
    }
    return this._data?.metadata ?? null;
  }

  /** Runs `%load_ext nbsec` silently in the current kernel, then retries the handshake. */
  async loadExtension(): Promise<void> {
    this._connectRequested = true;
    const kernel = this._panel?.sessionContext.session?.kernel ?? null;
    if (!kernel) {
      this._setState({ status: 'no-kernel' });
      return;
    }
    const attempt = this._newAttempt();
    this._setState({ status: 'loading' });
    let failure: string | null = null;
    try {
      const future = kernel.requestExecute({
        code: LOAD_CODE,
        silent: true,
        store_history: false
      });
      const reply = await future.done;
      const content = reply.content;
      if (content.status === 'error') {
        failure = `${LOAD_CODE} failed: ${content.ename}: ${content.evalue}`;
      } else if (content.status !== 'ok') {
        failure = `${LOAD_CODE} was aborted`;
      }
    } catch (reason) {
      failure = `${LOAD_CODE} failed: ${reason instanceof Error ? reason.message : String(reason)}`;
    }
    if (attempt !== this._attempt) {
      return;
    }
    if (failure !== null) {
      this._setState({ status: 'error', message: failure });
      return;
    }
    await this._handshake();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._newAttempt();
    this._follow(null);
    this._tracker.currentChanged.disconnect(this._onCurrentChanged, this);
    NotebookActions.executed.disconnect(this._onCellExecuted, this);
    Signal.clearData(this);
  }

  private _onCurrentChanged(
    _tracker: INotebookTracker,
    panel: NotebookPanel | null
  ): void {
    this._follow(panel);
  }

  /** Switches to another notebook (or none) and connects to its kernel. */
  private _follow(panel: NotebookPanel | null): void {
    if (panel === this._panel) {
      return;
    }
    if (this._panel) {
      const old = this._panel.sessionContext;
      old.kernelChanged.disconnect(this._onKernelChanged, this);
      old.statusChanged.disconnect(this._onStatusChanged, this);
      this._panel.disposed.disconnect(this._onPanelDisposed, this);
    }
    this._panel = panel;
    this._restartPending = false;
    this._connectRequested = false;
    if (panel) {
      panel.sessionContext.kernelChanged.connect(this._onKernelChanged, this);
      panel.sessionContext.statusChanged.connect(this._onStatusChanged, this);
      panel.disposed.connect(this._onPanelDisposed, this);
    }
    this._autoConnect();
  }

  private _onPanelDisposed(panel: NotebookPanel): void {
    if (panel === this._panel) {
      this._follow(null);
    }
  }

  private _onKernelChanged(): void {
    this._restartPending = false;
    this._autoConnect();
  }

  /** A restart drops every comm: reconnect once the restarted kernel is idle. */
  private _onStatusChanged(
    _context: ISessionContext,
    status: Kernel.Status
  ): void {
    if (status === 'restarting' || status === 'autorestarting') {
      this._restartPending = true;
      this._newAttempt();
      this._setState({ status: 'connecting' });
    } else if (status === 'dead') {
      this._restartPending = false;
      this._newAttempt();
      this._setState({ status: 'no-kernel' });
    } else if (status === 'idle' && this._restartPending) {
      this._restartPending = false;
      this._autoConnect();
    }
  }

  /**
   * After a cell ran in the followed notebook: a kernel without nbsec may have loaded it, and in
   * a connected one `%nbsec mode|on|off` may have changed what the header shows.
   */
  private _onCellExecuted(
    _sender: unknown,
    args: { notebook: Notebook }
  ): void {
    if (this._panel === null || args.notebook !== this._panel.content) {
      return;
    }
    if (this._state.status === 'not-loaded') {
      void this._handshake();
    } else if (this._state.status === 'connected') {
      void this._syncMode();
    }
  }

  /**
   * Reads the kernel's mode and on/off switch: a `set_mode` request with an empty payload
   * changes nothing and answers both. Silent on failure (the header keeps what it showed).
   */
  private _syncMode(): Promise<void> {
    if (this._modeSyncQueued) {
      return Promise.resolve(); // one queued read answers for every cell that ran meanwhile
    }
    this._modeSyncQueued = true;
    return this._inModeQueue(async () => {
      this._modeSyncQueued = false;
      const client = this._client;
      if (!client) {
        return;
      }
      try {
        const reply = await client.request('set_mode', {});
        if (client === this._client && reply.success) {
          this._applyMode(reply.payload);
        }
      } catch {
        // No answer in time: keep what the header shows.
      }
    });
  }

  /** Runs `set_mode` exchanges one after the other (replies are matched by type). */
  private _inModeQueue(exchange: () => Promise<void>): Promise<void> {
    const next = this._modeQueue.then(exchange, exchange);
    this._modeQueue = next.catch(() => undefined);
    return next;
  }

  private _autoConnect(): void {
    if (!this._panel) {
      this._newAttempt();
      this._setState({ status: 'no-kernel' });
    } else if (this._settings.autoConnect || this._connectRequested) {
      void this._handshake();
    } else {
      this._newAttempt();
      this._setState({ status: 'idle' });
    }
  }

  private _applyOutcome(
    client: NbsecCommClient,
    outcome: HandshakeOutcome
  ): void {
    switch (outcome.kind) {
      case 'connected':
        client.closed.connect(this._onClientClosed, this);
        client.updated.connect(this._onUpdate, this);
        client.rejected.connect(this._onRejected, this);
        this._setState({ status: 'connected', info: outcome.info });
        void this._refreshState();
        break;
      case 'not-loaded':
        this._setState({ status: 'not-loaded', detail: outcome.detail });
        break;
      case 'refused':
        this._setState({
          status: 'error',
          message: `the kernel refused the handshake: ${outcome.error}`
        });
        break;
      case 'invalid':
        this._setState({
          status: 'error',
          message: `invalid handshake reply: ${outcome.error}`
        });
        break;
    }
  }

  /** The kernel closed an established comm (for instance `%unload_ext nbsec`). */
  private _onClientClosed(client: NbsecCommClient): void {
    if (client === this._client) {
      this._newAttempt();
      this._setState({
        status: 'not-loaded',
        detail: 'the kernel closed the nbsec comm'
      });
    }
  }

  private _cellIndex(cellId: string): number {
    const notebook = this._panel?.content;
    return notebook
      ? notebook.widgets.findIndex(cell => cell.model.id === cellId)
      : -1;
  }

  private _onUpdate(client: NbsecCommClient, update: IStateUpdate): void {
    if (client === this._client && this._state.status === 'connected') {
      this._setData(update);
    }
  }

  private _onRejected(client: NbsecCommClient, reason: string): void {
    if (client === this._client) {
      this._setNotice(`ignored a message from the kernel: ${reason}`);
    }
  }

  /**
   * Asks for the full state (after the handshake, and after an action changed it). Calls while
   * a `get_state` is under way are folded into one more request after it.
   */
  private _refreshState(): Promise<void> {
    if (this._refreshing !== null) {
      this._refreshAgain = true;
      return this._refreshing;
    }
    const refresh = async (): Promise<void> => {
      do {
        this._refreshAgain = false;
        const update = await this._request('get_state', {});
        if (update !== null) {
          this._setData(update);
        }
      } while (this._refreshAgain);
    };
    this._refreshing = refresh().finally(() => {
      this._refreshing = null;
    });
    return this._refreshing;
  }

  /**
   * Sends one request over the current connection; resolves with the reply's payload, or null
   * (with a notice) when the kernel answered with an error, did not answer, or the connection
   * changed meanwhile.
   */
  private async _request<K extends RequestType>(
    type: K,
    payload: JSONObject
  ): Promise<IReplyPayloads[K] | null> {
    const client = this._client;
    if (!client || this._state.status !== 'connected') {
      this._setNotice(`${type}: nbsec is not connected`);
      return null;
    }
    try {
      const reply = await client.request(type, payload);
      if (client !== this._client) {
        return null;
      }
      if (!reply.success || reply.payload === null) {
        this._setNotice(`${type}: ${reply.error ?? 'unknown error'}`);
        return null;
      }
      if (this._notice !== null) {
        this._setNotice(null);
      }
      return reply.payload;
    } catch (reason) {
      if (client === this._client) {
        const text = reason instanceof Error ? reason.message : String(reason);
        this._setNotice(`${type}: ${text}`);
      }
      return null;
    }
  }

  /** A `set_mode` reply: the header shows the kernel's mode and switch from now on. */
  private _applyMode(reply: IReplyPayloads['set_mode'] | null): void {
    if (reply === null || this._state.status !== 'connected') {
      return;
    }
    const old = this._state.info;
    if (old.mode === reply.mode && old.enabled === reply.enabled) {
      return;
    }
    const info = { ...old, mode: reply.mode, enabled: reply.enabled };
    this._setState({ status: 'connected', info });
  }

  /** Keeps the newest state: one older than what the panel shows (by `version`) is dropped. */
  private _setData(data: IStateUpdate): void {
    if (this._data !== null && data.state.version < this._data.state.version) {
      return;
    }
    this._data = data;
    this._dataChanged.emit();
  }

  private _setNotice(notice: string | null): void {
    this._notice = notice;
    this._dataChanged.emit();
  }

  /** Waits for the notebook's kernel to be ready and to have answered kernel_info. */
  private async _readyKernel(
    context: ISessionContext
  ): Promise<Kernel.IKernelConnection | null> {
    try {
      await context.ready;
    } catch {
      return null;
    }
    const kernel = context.session?.kernel ?? null;
    if (!kernel || kernel.isDisposed) {
      return null;
    }
    let timer = 0;
    const waited = new Promise<void>(resolve => {
      timer = window.setTimeout(resolve, KERNEL_INFO_WAIT_MS);
    });
    try {
      await Promise.race([kernel.info.then(() => undefined), waited]);
    } catch {
      // No kernel_info reply; the handshake timeout decides.
    } finally {
      window.clearTimeout(timer);
    }
    return kernel.isDisposed ? null : kernel;
  }

  /** Starts a new attempt: drops the current client and invalidates older attempts. */
  private _newAttempt(): number {
    this._attempt += 1;
    if (this._client) {
      this._client.dispose();
      this._client = null;
    }
    return this._attempt;
  }

  private _setState(state: ConnectionState): void {
    this._state = state;
    if (state.status !== 'connected') {
      this._data = null;
      this._notice = null;
    }
    this._stateChanged.emit(state);
  }

  private readonly _tracker: INotebookTracker;
  private readonly _clientVersion: string;
  private _settings: IPanelSettings;
  private _panel: NotebookPanel | null = null;
  private _client: NbsecCommClient | null = null;
  private _attempt = 0;
  private _restartPending = false;
  private _connectRequested = false;
  private _state: ConnectionState = { status: 'no-kernel' };
  private _data: IStateUpdate | null = null;
  private _notice: string | null = null;
  private _refreshing: Promise<void> | null = null;
  private _modeQueue: Promise<void> = Promise.resolve();
  private _modeSyncQueued = false;
  private _refreshAgain = false;
  private _isDisposed = false;
  private readonly _stateChanged = new Signal<this, ConnectionState>(this);
  private readonly _dataChanged = new Signal<this, void>(this);
}

export namespace KernelFollower {
  export interface IOptions {
    readonly tracker: INotebookTracker;
    /** The version sent as `client_version` in the handshake. */
    readonly clientVersion: string;
    /** The settings to start with; `updateSettings` applies later changes. */
    readonly settings: IPanelSettings;
  }
}
