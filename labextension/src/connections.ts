/**
 * The nbsec connections of every open notebook, and which one the panel follows.
 *
 * One `NotebookConnection` per notebook the tracker knows, made when the notebook opens and
 * disposed when it closes. `current` is the active notebook's (the one the panel, the status
 * bar and the commands show and act on); `changed` fires when the current notebook changes and
 * whenever its connection does. Cell runs are routed to their notebook's connection.
 */

import {
  INotebookTracker,
  Notebook,
  NotebookActions
} from '@jupyterlab/notebook';
import { NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { NotebookConnection } from './notebook_connection';
import { SavedScanClient } from './saved_scan';
import { IPanelSettings } from './settings';

export class NbsecConnections {
  constructor(options: NbsecConnections.IOptions) {
    this._tracker = options.tracker;
    this._clientVersion = options.clientVersion;
    this._settings = options.settings;
    this._savedScans = options.savedScans ?? null;
    this._tracker.forEach(panel => this._add(panel));
    this._tracker.widgetAdded.connect(this._onWidgetAdded, this);
    this._tracker.currentChanged.connect(this._onCurrentChanged, this);
    NotebookActions.executed.connect(this._onCellExecuted, this);
    this._setCurrent(this._tracker.currentWidget);
  }

  /** The active notebook's connection, or null when no notebook is active. */
  get current(): NotebookConnection | null {
    return this._current;
  }

  /** Emitted when `current` changes or the current connection changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted with each connection made for a newly opened notebook. */
  get added(): ISignal<this, NotebookConnection> {
    return this._added;
  }

  /** The connection of one notebook, or null. */
  connectionFor(panel: NotebookPanel): NotebookConnection | null {
    return this._connections.get(panel) ?? null;
  }

  /** Every open notebook's connection. */
  all(): NotebookConnection[] {
    return [...this._connections.values()];
  }

  updateSettings(settings: IPanelSettings): void {
    this._settings = settings;
    for (const connection of this._connections.values()) {
      connection.updateSettings(settings);
    }
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._tracker.widgetAdded.disconnect(this._onWidgetAdded, this);
    this._tracker.currentChanged.disconnect(this._onCurrentChanged, this);
    NotebookActions.executed.disconnect(this._onCellExecuted, this);
    for (const connection of this._connections.values()) {
      connection.dispose();
    }
    this._connections.clear();
    Signal.clearData(this);
  }

  private _onWidgetAdded(
    _tracker: INotebookTracker,
    panel: NotebookPanel
  ): void {
    this._add(panel);
  }

  private _onCurrentChanged(
    _tracker: INotebookTracker,
    panel: NotebookPanel | null
  ): void {
    this._setCurrent(panel);
  }

  private _add(panel: NotebookPanel): NotebookConnection {
    const existing = this._connections.get(panel);
    if (existing) {
      return existing;
    }
    const connection = new NotebookConnection({
      panel,
      clientVersion: this._clientVersion,
      settings: this._settings,
      savedScans: this._savedScans
    });
    this._connections.set(panel, connection);
    connection.changed.connect(this._onConnectionChanged, this);
    panel.disposed.connect(this._onPanelDisposed, this);
    this._added.emit(connection);
    return connection;
  }

  private _onPanelDisposed(panel: NotebookPanel): void {
    const connection = this._connections.get(panel);
    this._connections.delete(panel);
    if (connection) {
      connection.dispose();
    }
    if (this._current === connection) {
      this._setCurrent(this._tracker.currentWidget);
    }
  }

  private _setCurrent(panel: NotebookPanel | null): void {
    const next = panel && !panel.isDisposed ? this._add(panel) : null;
    if (next === this._current) {
      return;
    }
    this._current = next;
    this._changed.emit();
  }

  private _onConnectionChanged(connection: NotebookConnection): void {
    if (connection === this._current) {
      this._changed.emit();
    }
  }

  private _onCellExecuted(
    _sender: unknown,
    args: { notebook: Notebook }
  ): void {
    for (const [panel, connection] of this._connections) {
      if (panel.content === args.notebook) {
        connection.cellExecuted();
        return;
      }
    }
  }

  private readonly _tracker: INotebookTracker;
  private readonly _clientVersion: string;
  private _settings: IPanelSettings;
  private readonly _savedScans: SavedScanClient | null;
  private readonly _connections = new Map<NotebookPanel, NotebookConnection>();
  private _current: NotebookConnection | null = null;
  private _isDisposed = false;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _added = new Signal<this, NotebookConnection>(this);
}

export namespace NbsecConnections {
  export interface IOptions {
    readonly tracker: INotebookTracker;
    readonly clientVersion: string;
    readonly settings: IPanelSettings;
    /** Where saved notebooks' static scans come from (none: not shown). */
    readonly savedScans?: SavedScanClient | null;
  }
}
