/**
 * One open notebook's connection to nbsec in its kernel.
 *
 * A `NotebookConnection` follows its notebook's session (kernel changes, restarts, the kernel's
 * busy/idle status) and cell runs, runs handshakes through `NbsecCommClient`, and publishes its
 * `ConnectionState`. Every attempt carries a number; the outcome of a superseded attempt is
 * dropped. It lives as long as the notebook is open, so switching between notebooks never
 * reopens a comm: the panel shows the notebook's last state at once, and the gutter markers of
 * every open notebook stay current.
 *
 * Once connected it asks for the kernel's state (`get_state`) once, then applies the kernel's
 * `update` deltas by version (`KernelStateStore`; a gap or `resync` asks `get_state` again) and
 * `scan_progress` events, and publishes the latest `{state, metadata}` as `data`; the mode, the
 * watching switch and the policy's lock come with every update. The panel's actions (mode,
 * on/off, full scans and their cancelling, waivers, the governance report) go through it as
 * requests; one that waits behind a running cell is shown as queued, and one that fails leaves
 * a one-line `notice`.
 */

import { ISessionContext } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';
import { JSONObject } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  HandshakeOutcome,
  NbsecCommClient,
  RequestTimeout
} from './comm_client';
import { ConnectionState } from './connection_state';
import {
  IKernelStatus,
  IStateUpdate,
  IWaiver,
  WaiverScope
} from './kernel_state';
import {
  ErrorCode,
  IAllowResult,
  IReplyPayloads,
  KernelEvent,
  ProtocolError,
  RequestType
} from './protocol';
import { IStaticScan, SavedScanClient, SavedScanProblem } from './saved_scan';
import { IPanelSettings } from './settings';
import { KernelStateStore } from './state_store';

/** The code the "Load nbsec" action runs in the kernel. */
export const LOAD_CODE = '%load_ext nbsec';

/** How long to wait for a starting kernel's first reply before trying the handshake anyway. */
const KERNEL_INFO_WAIT_MS = 30000;

/** A kernel counts as busy (running a cell) once it has been busy this long. */
export const BUSY_AFTER_MS = 300;

/** Why the last action failed, kept as data so the panel words it through the translator. */
export type Notice =
  /** The kernel sent a message the protocol does not allow; it was dropped. */
  | { readonly kind: 'rejected'; readonly error: ProtocolError }
  /** The kernel answered a request with an error (its own words, and its code). */
  | {
      readonly kind: 'failed';
      readonly action: RequestType;
      readonly error: string;
      readonly code: ErrorCode | null;
    }
  /** No answer in time while the kernel was idle. */
  | {
      readonly kind: 'timeout';
      readonly action: RequestType;
      readonly seconds: number;
    }
  /** The request could not be sent: not connected. */
  | { readonly kind: 'not-connected'; readonly action: RequestType }
  /** `%load_ext nbsec` failed or was aborted. */
  | { readonly kind: 'load-failed'; readonly error: string };

/** The saved notebook's static scan, shown while the kernel has no nbsec (or there is none). */
export type SavedScanState =
  /** Not needed: the kernel's nbsec answers. */
  | { readonly status: 'none' }
  | { readonly status: 'loading' }
  | {
      readonly status: 'ready';
      readonly scan: IStaticScan;
      /** Whether the server can write the saved notebook's governance report. */
      readonly canReport: boolean;
    }
  | { readonly status: 'problem'; readonly problem: SavedScanProblem };

/** Connection states in which the panel shows the saved notebook's static scan. */
const STATIC_STATES: ReadonlySet<ConnectionState['status']> = new Set([
  'no-kernel',
  'idle',
  'busy',
  'not-loaded',
  'error'
]);

/** A governance report written, by paths relative to the server root. */
export interface IWrittenReport {
  readonly path: string;
  readonly htmlPath: string | null;
}

/**
 * Where a file the kernel wrote is, relative to the server root: the kernel names it relative to
 * the notebook's directory (its working directory), or absolutely (left as is when it is).
 */
export function reportPath(notebookPath: string, written: string): string {
  if (written.startsWith('/')) {
    return written;
  }
  const slash = notebookPath.lastIndexOf('/');
  return slash < 0 ? written : `${notebookPath.slice(0, slash)}/${written}`;
}

/** A mode or on/off change sent to the kernel and not answered yet. */
export interface IPendingMode {
  readonly mode?: 'warn' | 'block';
  readonly enabled?: boolean;
}

export class NotebookConnection implements IDisposable {
  constructor(options: NotebookConnection.IOptions) {
    this._panel = options.panel;
    this._clientVersion = options.clientVersion;
    this._settings = options.settings;
    this._savedScans = options.savedScans ?? null;
    const context = this._panel.sessionContext;
    context.kernelChanged.connect(this._onKernelChanged, this);
    context.statusChanged.connect(this._onStatusChanged, this);
    this._panel.context.fileChanged.connect(this._onFileChanged, this);
    this._panel.context.model.stateChanged.connect(this._onModelState, this);
    this._autoConnect();
  }

  /** The notebook this connection belongs to. */
  get panel(): NotebookPanel {
    return this._panel;
  }

  get state(): ConnectionState {
    return this._state;
  }

  /** The kernel's latest `{state, metadata}`, or null until the first one arrived. */
  get data(): IStateUpdate | null {
    const state = this._store.state;
    const metadata = this._store.metadata;
    return state !== null && metadata !== null ? { state, metadata } : null;
  }

  /** Why the last action failed, or null. */
  get notice(): Notice | null {
    return this._notice;
  }

  /** Whether the kernel has been running something (a cell) for a moment. */
  get kernelBusy(): boolean {
    return this._kernelBusy;
  }

  /**
   * Whether the kernel answers the panel while it runs a cell (its comm is on a subshell):
   * changes then take effect at once instead of waiting for the cell.
   */
  get answersWhileBusy(): boolean {
    return this._client !== null && this._client.onSubshell;
  }

  /** The mode change waiting for the kernel's answer, or null. */
  get pendingMode(): IPendingMode | null {
    return this._pendingMode;
  }

  /** The saved notebook's static scan (while the kernel's nbsec does not answer). */
  get saved(): SavedScanState {
    return this._saved;
  }

  /** The frames a full scan is running for. */
  get scanning(): ReadonlySet<string> {
    return this._scanning;
  }

  /** Emitted after any change of state, data, notice, busy or pending actions. */
  get changed(): ISignal<this, void> {
    return this._changed;
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
   * Connects at the user's request (Connect or Retry). With `autoConnect` off, this also keeps
   * the notebook connected across kernel starts and restarts.
   */
  connect(): Promise<void> {
    this._connectRequested = true;
    return this._handshake();
  }

  /** Runs `%load_ext nbsec` silently in the kernel, then retries the handshake. */
  async loadExtension(): Promise<void> {
    this._connectRequested = true;
    const kernel = this._panel.sessionContext.session?.kernel ?? null;
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
        failure = `${content.ename}: ${content.evalue}`;
      } else if (content.status !== 'ok') {
        failure = content.status;
      }
    } catch (reason) {
      failure = reason instanceof Error ? reason.message : String(reason);
    }
    if (attempt !== this._attempt) {
      return;
    }
    if (failure !== null) {
      this._setState({
        status: 'error',
        reason: 'load-failed',
        detail: failure
      });
      return;
    }
    await this._handshake();
  }

  /** Asks the kernel to switch between `warn` and `block`. */
  setMode(mode: 'warn' | 'block'): Promise<void> {
    return this._changeMode({ mode });
  }

  /** Turns nbsec's watching of cells on or off (`%nbsec on|off`). */
  setEnabled(enabled: boolean): Promise<void> {
    return this._changeMode({ enabled });
  }

  /**
   * Starts a complete PII pass over one DataFrame; the kernel runs it as a job, reporting
   * progress (`scan_progress`) and the result in the next update.
   */
  async scanFrame(name: string): Promise<void> {
    if (this._scanning.has(name)) {
      return;
    }
    this._scanning.add(name);
    this._emit();
    try {
      const reply = await this._request('scan_frame', { name });
      if (reply !== null) {
        this._store.updateJob(reply.job);
      }
    } finally {
      this._scanning.delete(name);
      this._emit();
    }
  }

  /** Stops a full scan (the frame keeps what the scan found so far, marked partial). */
  async cancelScan(jobId: string): Promise<void> {
    const reply = await this._request('cancel_scan', { id: jobId });
    if (reply !== null && this._store.updateJob(reply.job)) {
      this._emit();
    }
  }

  /**
   * Asks the kernel for a waiver of exactly one scope. With `dryRun` the kernel only says what
   * it would cover (nothing is recorded). Resolves null (with a notice) when it refused.
   */
  allow(
    scope: WaiverScope,
    reason: string,
    options: { readonly dryRun?: boolean; readonly expires?: string } = {}
  ): Promise<IAllowResult | null> {
    const payload: JSONObject = { scope: { ...scope }, reason };
    if (options.dryRun) {
      payload.dry_run = true;
    }
    if (options.expires) {
      payload.expires = options.expires;
    }
    return this._request('allow', payload);
  }

  /** Withdraws a session or notebook waiver. */
  async revoke(waiverId: string): Promise<IWaiver | null> {
    return (await this._request('revoke', { id: waiverId }))?.waiver ?? null;
  }

  /** Writes a waiver into the policy file in force; resolves with that file, or null. */
  async writeWaiver(waiverId: string): Promise<string | null> {
    return (
      (await this._request('write_waiver', { id: waiverId }))?.policyFile ??
      null
    );
  }

  /** Whether the governance report is being written. */
  get reporting(): boolean {
    return this._reporting;
  }

  /**
   * Whether a governance report can be written now: by the kernel's nbsec (the session's
   * report), or else by the server's nbsec for the saved notebook.
   */
  get canReport(): boolean {
    if (this._state.status === 'connected') {
      return this.hasFeature('report');
    }
    return this._saved.status === 'ready' && this._saved.canReport;
  }

  /**
   * Saves unsaved changes, then writes the notebook's governance report: the kernel's session
   * when its nbsec answers, else the saved notebook through the server. Resolves with where the
   * report is (relative to the server root), or null when it was not written (the notice says
   * why).
   */
  async report(): Promise<IWrittenReport | null> {
    if (this._reporting) {
      return null;
    }
    this._reporting = true;
    this._emit();
    try {
      return await this._writeReport();
    } finally {
      this._reporting = false;
      this._emit();
    }
  }

  private async _writeReport(): Promise<IWrittenReport | null> {
    const context = this._panel.context;
    if (context.model.dirty && !context.model.readOnly) {
      try {
        await context.save();
      } catch (reason) {
        this._setNotice({
          kind: 'failed',
          action: 'report',
          error: reason instanceof Error ? reason.message : String(reason),
          code: null
        });
        return null;
      }
    }
    if (this._state.status === 'connected') {
      const written = await this._request('report', {});
      if (written === null) {
        // a kernel's nbsec without the report builder: the server writes the saved notebook's
        const notice = this._notice;
        return notice?.kind === 'failed' && notice.code === 'unavailable'
          ? this._serverReport()
          : null;
      }
      return {
        path: reportPath(context.path, written.path),
        htmlPath:
          written.htmlPath === null
            ? null
            : reportPath(context.path, written.htmlPath)
      };
    }
    if (!this.canReport) {
      this._setNotice({ kind: 'not-connected', action: 'report' });
      return null;
    }
    return this._serverReport();
  }

  /** The saved notebook's report, written by the server's nbsec. */
  private async _serverReport(): Promise<IWrittenReport | null> {
    const client = this._savedScans;
    if (client === null) {
      this._setNotice({ kind: 'not-connected', action: 'report' });
      return null;
    }
    const result = await client.report(this._panel.context.path);
    if (this._isDisposed) {
      return null;
    }
    if (!result.ok) {
      this._setNotice({
        kind: 'failed',
        action: 'report',
        error: result.error,
        code: null
      });
      return null;
    }
    if (this._notice !== null) {
      this._setNotice(null);
    }
    return { path: result.report.path, htmlPath: result.report.htmlPath };
  }

  /** Whether the kernel's nbsec offers a feature (`report`, `write_waiver`, …). */
  hasFeature(feature: string): boolean {
    return (
      this._state.status === 'connected' &&
      this._state.info.features.includes(feature)
    );
  }

  /** The mode, switches and policy the kernel enforces, or null when not connected. */
  get status(): IKernelStatus | null {
    return this._state.status === 'connected' ? this._state.info.status : null;
  }

  /**
   * Asks for the full state (after the handshake, and after an action changed it). Calls while
   * a `get_state` is under way are folded into one more request after it.
   */
  refresh(): Promise<void> {
    if (this._refreshing !== null) {
      this._refreshAgain = true;
      return this._refreshing;
    }
    const run = async (): Promise<void> => {
      do {
        this._refreshAgain = false;
        const update = await this._request('get_state', {});
        if (update !== null && this._store.reset(update)) {
          this._applyStatus(update.state.status);
          this._emit();
        }
      } while (this._refreshAgain && !this._isDisposed);
    };
    this._refreshing = run().finally(() => {
      this._refreshing = null;
    });
    return this._refreshing;
  }

  /** After a cell of this notebook ran: a kernel without nbsec may have loaded it. */
  cellExecuted(): void {
    if (this._state.status === 'not-loaded') {
      void this._handshake();
    }
  }

  /**
   * The governance summary to save as `metadata.nbsec`: the kernel's latest while connected,
   * null otherwise (the notebook is then saved untouched).
   */
  summary(): JSONObject | null {
    return this._state.status === 'connected' ? this._store.metadata : null;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._newAttempt();
    window.clearTimeout(this._busyTimer);
    const context = this._panel.sessionContext;
    context.kernelChanged.disconnect(this._onKernelChanged, this);
    context.statusChanged.disconnect(this._onStatusChanged, this);
    this._panel.context.fileChanged.disconnect(this._onFileChanged, this);
    this._panel.context.model.stateChanged.disconnect(this._onModelState, this);
    Signal.clearData(this);
  }

  /** Reads the saved notebook's static scan again (after a save, or on request). */
  async refreshSaved(): Promise<void> {
    const client = this._savedScans;
    if (client === null || !STATIC_STATES.has(this._state.status)) {
      return;
    }
    const request = ++this._savedRequest;
    if (this._saved.status !== 'ready') {
      this._saved = { status: 'loading' };
      this._emit();
    }
    const result = await client.scan(this._panel.context.path);
    if (request !== this._savedRequest || this._isDisposed) {
      return;
    }
    this._saved = result.ok
      ? { status: 'ready', scan: result.scan, canReport: result.canReport }
      : { status: 'problem', problem: result.problem };
    this._emit();
  }

  /** Unsaved changes come and go: the saved scan's note says whether they are left out. */
  private _onModelState(_model: unknown, change: { name: string }): void {
    if (change.name === 'dirty' && this._saved.status === 'ready') {
      this._emit();
    }
  }

  /** The file was saved (or reverted): its static scan changed. */
  private _onFileChanged(): void {
    if (this._saved.status !== 'none') {
      void this.refreshSaved();
    }
  }

  /** (Re)runs the handshake with the current kernel. */
  private async _handshake(): Promise<void> {
    const attempt = this._newAttempt();
    const context = this._panel.sessionContext;
    this._setState({ status: this._kernelBusy ? 'busy' : 'connecting' });
    const kernel = await readyKernel(context);
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

  private _applyOutcome(
    client: NbsecCommClient,
    outcome: HandshakeOutcome
  ): void {
    switch (outcome.kind) {
      case 'connected':
        client.closed.connect(this._onClientClosed, this);
        client.event.connect(this._onEvent, this);
        client.rejected.connect(this._onRejected, this);
        this._setState({ status: 'connected', info: outcome.info });
        void this.refresh();
        break;
      case 'no-target':
        this._setState({ status: 'not-loaded', reason: 'no-target' });
        break;
      case 'timeout':
        this._setState({
          status: 'not-loaded',
          reason: 'timeout',
          timeoutMs: outcome.timeoutMs
        });
        break;
      case 'refused':
        this._setState({
          status: 'error',
          reason: outcome.version ? 'version' : 'refused',
          detail: outcome.error
        });
        break;
      case 'invalid':
        this._setState({
          status: 'error',
          reason: 'invalid',
          detail: outcome.error.message,
          error: outcome.error
        });
        break;
    }
  }

  private _onKernelChanged(): void {
    this._restartPending = false;
    this._autoConnect();
  }

  /**
   * Follows the kernel's status: a restart drops every comm (reconnect once the restarted kernel
   * is idle); a kernel busy for a moment is running a cell.
   */
  private _onStatusChanged(
    _context: ISessionContext,
    status: Kernel.Status
  ): void {
    this._trackBusy(status === 'busy');
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

  /** `kernelBusy` turns on after `BUSY_AFTER_MS` of busy (nbsec's own replies are quicker). */
  private _trackBusy(busy: boolean): void {
    window.clearTimeout(this._busyTimer);
    if (busy) {
      if (!this._kernelBusy) {
        this._busyTimer = window.setTimeout(
          () => this._setBusy(true),
          BUSY_AFTER_MS
        );
      }
    } else {
      this._setBusy(false);
    }
  }

  private _setBusy(busy: boolean): void {
    if (busy === this._kernelBusy || this._isDisposed) {
      return;
    }
    this._kernelBusy = busy;
    if (busy && this._state.status === 'connecting') {
      this._state = { status: 'busy' };
      this._followSaved();
    } else if (!busy && this._state.status === 'busy') {
      this._state = { status: 'connecting' };
    }
    this._emit();
  }

  private _autoConnect(): void {
    if (this._isDisposed) {
      return;
    }
    if (this._settings.autoConnect || this._connectRequested) {
      void this._handshake();
    } else {
      this._newAttempt();
      this._setState({ status: 'idle' });
    }
  }

  /** The kernel closed an established comm (for instance `%unload_ext nbsec`). */
  private _onClientClosed(client: NbsecCommClient): void {
    if (client === this._client) {
      this._newAttempt();
      this._setState({ status: 'not-loaded', reason: 'closed' });
    }
  }

  /** An update (applied by version; a gap asks for the whole state) or a job's progress. */
  private _onEvent(client: NbsecCommClient, event: KernelEvent): void {
    if (client !== this._client || this._state.status !== 'connected') {
      return;
    }
    if (event.type === 'scan_progress') {
      if (this._store.updateJob(event.job)) {
        this._emit();
      }
      return;
    }
    switch (this._store.apply(event.update)) {
      case 'applied':
        this._applyStatus(event.update.status);
        this._emit();
        break;
      case 'resync':
        void this.refresh();
        break;
      case 'stale':
        break;
    }
  }

  private _onRejected(client: NbsecCommClient, error: ProtocolError): void {
    if (client === this._client) {
      this._setNotice({ kind: 'rejected', error });
    }
  }

  /** One mode or on/off change, after any earlier one was answered. */
  private _changeMode(change: IPendingMode): Promise<void> {
    const exchange = async (): Promise<void> => {
      this._pendingMode = change;
      this._emit();
      try {
        const reply = await this._request('set_mode', { ...change });
        if (reply !== null) {
          this._applyStatus(reply.status);
        }
      } finally {
        this._pendingMode = null;
        this._emit();
      }
    };
    const next = this._modeQueue.then(exchange, exchange);
    this._modeQueue = next.catch(() => undefined);
    return next;
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
      this._setNotice({ kind: 'not-connected', action: type });
      return null;
    }
    try {
      const reply = await client.request(type, payload);
      if (client !== this._client) {
        return null;
      }
      if (!reply.success || reply.payload === null) {
        this._setNotice({
          kind: 'failed',
          action: type,
          error: reply.error ?? 'unknown error',
          code: reply.errorCode
        });
        return null;
      }
      if (this._notice !== null) {
        this._setNotice(null);
      }
      return reply.payload;
    } catch (reason) {
      if (client === this._client) {
        if (reason instanceof RequestTimeout) {
          this._setNotice({
            kind: 'timeout',
            action: type,
            seconds: reason.seconds
          });
        } else if (reason instanceof ProtocolError) {
          this._setNotice({ kind: 'rejected', error: reason });
        } else {
          const text =
            reason instanceof Error ? reason.message : String(reason);
          this._setNotice({
            kind: 'failed',
            action: type,
            error: text,
            code: null
          });
        }
      }
      return null;
    }
  }

  /** The header shows the mode, switch and lock the kernel reports, whatever reported it. */
  private _applyStatus(status: IKernelStatus | null): void {
    if (status === null || this._state.status !== 'connected') {
      return;
    }
    const old = this._state.info.status;
    if (
      old.mode === status.mode &&
      old.enabled === status.enabled &&
      old.locked === status.locked &&
      old.policyFile === status.policyFile &&
      old.policyError === status.policyError
    ) {
      return;
    }
    this._state = {
      status: 'connected',
      info: { ...this._state.info, status }
    };
  }

  private _setNotice(notice: Notice | null): void {
    this._notice = notice;
    this._emit();
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
    if (state.status === 'connecting' && this._kernelBusy) {
      state = { status: 'busy' };
    }
    this._state = state;
    if (state.status !== 'connected') {
      this._store.clear();
      this._notice = null;
      this._pendingMode = null;
    }
    this._followSaved();
    this._emit();
  }

  /** Asks for the static scan when the kernel's nbsec stops answering; forgets it when it does. */
  private _followSaved(): void {
    if (STATIC_STATES.has(this._state.status)) {
      if (this._saved.status === 'none') {
        void this.refreshSaved();
      }
    } else if (this._state.status === 'connected') {
      this._savedRequest += 1;
      this._saved = { status: 'none' };
    }
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private readonly _panel: NotebookPanel;
  private readonly _clientVersion: string;
  private _settings: IPanelSettings;
  private _client: NbsecCommClient | null = null;
  private _attempt = 0;
  private _restartPending = false;
  private _connectRequested = false;
  private _state: ConnectionState = { status: 'connecting' };
  private readonly _store = new KernelStateStore();
  private _notice: Notice | null = null;
  private _kernelBusy = false;
  private _busyTimer = 0;
  private _pendingMode: IPendingMode | null = null;
  private readonly _scanning = new Set<string>();
  private _reporting = false;
  private readonly _savedScans: SavedScanClient | null;
  private _saved: SavedScanState = { status: 'none' };
  private _savedRequest = 0;
  private _refreshing: Promise<void> | null = null;
  private _refreshAgain = false;
  private _modeQueue: Promise<void> = Promise.resolve();
  private _isDisposed = false;
  private readonly _changed = new Signal<this, void>(this);
}

export namespace NotebookConnection {
  export interface IOptions {
    readonly panel: NotebookPanel;
    /** The version sent as `client_version` in the handshake. */
    readonly clientVersion: string;
    /** The settings to start with; `updateSettings` applies later changes. */
    readonly settings: IPanelSettings;
    /** Where the saved notebook's static scan comes from (none: not shown). */
    readonly savedScans?: SavedScanClient | null;
  }
}

/** Waits for the notebook's kernel to be ready and to have answered kernel_info. */
async function readyKernel(
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
