/**
 * Writes the kernel's governance summary into `metadata.nbsec` of each notebook as it is saved.
 *
 * Every notebook the tracker knows gets a listener on its context's `saveState`. On `started`,
 * which JupyterLab emits before it serialises the model, the summary the kernel last sent
 * (counts, rule ids, frame names, model hashes, ledger path and head; never data values) is set
 * as the `nbsec` metadata key, so the file written carries it. A notebook that is not connected
 * to nbsec, or has no summary yet, is saved untouched (an older `metadata.nbsec` stays as it was).
 */

import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { JSONObject } from '@lumino/coreutils';

/** A notebook's document context (typed through the panel, no extra dependency). */
type NotebookContext = NotebookPanel['context'];

/** The notebook metadata key nbsec owns. */
export const METADATA_KEY = 'nbsec';

/** Gives the summary to save for a notebook, or null to leave its metadata alone. */
export type SummarySource = (panel: NotebookPanel) => JSONObject | null;

export class MetadataOnSave {
  constructor(
    private readonly _tracker: INotebookTracker,
    private readonly _summaryFor: SummarySource
  ) {
    _tracker.forEach(panel => this._watch(panel));
    _tracker.widgetAdded.connect(this._onWidgetAdded, this);
  }

  dispose(): void {
    this._tracker.widgetAdded.disconnect(this._onWidgetAdded, this);
    for (const [context, panel] of this._watched) {
      context.saveState.disconnect(this._onSaveState, this);
      panel.disposed.disconnect(this._onPanelDisposed, this);
    }
    this._watched.clear();
  }

  private _onWidgetAdded(
    _tracker: INotebookTracker,
    panel: NotebookPanel
  ): void {
    this._watch(panel);
  }

  private _watch(panel: NotebookPanel): void {
    const context = panel.context;
    if (this._watched.has(context)) {
      return;
    }
    this._watched.set(context, panel);
    context.saveState.connect(this._onSaveState, this);
    panel.disposed.connect(this._onPanelDisposed, this);
  }

  private _onPanelDisposed(panel: NotebookPanel): void {
    panel.context.saveState.disconnect(this._onSaveState, this);
    this._watched.delete(panel.context);
  }

  private _onSaveState(context: NotebookContext, state: string): void {
    if (state !== 'started') {
      return;
    }
    const panel = this._watched.get(context);
    const summary = panel ? this._summaryFor(panel) : null;
    if (summary === null || context.model.readOnly) {
      return;
    }
    try {
      context.model.setMetadata(METADATA_KEY, summary);
    } catch (reason) {
      // The save goes on without the summary rather than fail.
      console.warn('nbsec: could not write metadata.nbsec', reason);
    }
  }

  private readonly _watched = new Map<NotebookContext, NotebookPanel>();
}
