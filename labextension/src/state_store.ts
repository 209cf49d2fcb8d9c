/**
 * The panel's copy of one kernel's nbsec state, kept up to date by the kernel's `update` deltas.
 *
 * `reset()` takes a whole state (`get_state`). `apply()` takes an `update`: one whose `version`
 * the store already has is stale and ignored; one that starts from the version the store has
 * (`base`) is applied (upserts and removals per collection, status, counts, summary); any other
 * means updates were missed (or the kernel says `resync`), and the caller asks `get_state`.
 * Pure: no JupyterLab, so the unit tests drive it with the kernel's recorded messages.
 */

import { JSONObject } from '@lumino/coreutils';

import {
  ICollectionDelta,
  IFinding,
  IFrameSummary,
  IJob,
  IKernelState,
  IModelRow,
  IStateDelta,
  IStateUpdate,
  IWaiver
} from './kernel_state';

/** What `apply()` did with an update. */
export type ApplyResult =
  /** Applied: the store is at the update's version. */
  | 'applied'
  /** Already had it (or something newer): nothing changed. */
  | 'stale'
  /** Updates were missed, or the kernel asked for it: the caller must ask `get_state`. */
  | 'resync';

export class KernelStateStore {
  /** The current state, or null before the first `get_state`. */
  get state(): IKernelState | null {
    return this._state;
  }

  /** The summary for `metadata.nbsec`, or null before the first `get_state`. */
  get metadata(): JSONObject | null {
    return this._metadata;
  }

  /** Takes a whole state (a `get_state` reply); an older one than the store's is ignored. */
  reset(update: IStateUpdate): boolean {
    if (this._state !== null && update.state.version < this._state.version) {
      return false;
    }
    this._state = update.state;
    this._metadata = update.metadata;
    return true;
  }

  /** Forgets everything (the connection is gone). */
  clear(): void {
    this._state = null;
    this._metadata = null;
  }

  /** Applies one `update` (see the module docstring). */
  apply(delta: IStateDelta): ApplyResult {
    const state = this._state;
    if (state === null) {
      // no state yet: the get_state under way brings one at least as new as this update
      return 'stale';
    }
    if (delta.version <= state.version) {
      return 'stale';
    }
    if (delta.resync || delta.base !== state.version) {
      return 'resync';
    }
    this._state = {
      version: delta.version,
      status: delta.status,
      counts: delta.counts,
      findings: merge(
        state.findings,
        delta.findings,
        finding => finding.fingerprint
      ),
      frames: merge(state.frames, delta.frames, frame => frame.name).sort(
        (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
      ),
      models: merge(state.models, delta.models, model => model.key),
      waivers: merge(state.waivers, delta.waivers, waiver => waiver.id),
      scans: merge(state.scans, delta.scans, job => job.id)
    };
    if (delta.metadata !== null) {
      this._metadata = delta.metadata;
    }
    return 'applied';
  }

  /** A job's progress between updates (`scan_progress`), when the store knows the job. */
  updateJob(job: IJob): boolean {
    const state = this._state;
    if (state === null) {
      return false;
    }
    this._state = {
      ...state,
      scans: merge(state.scans, { upsert: [job], remove: [] }, item => item.id)
    };
    return true;
  }

  private _state: IKernelState | null = null;
  private _metadata: JSONObject | null = null;
}

/**
 * The items of `current` with the delta applied: removed keys dropped, upserted items replacing
 * the ones with their key in place, new ones appended in the order sent.
 */
export function merge<
  T extends IFinding | IFrameSummary | IModelRow | IWaiver | IJob
>(
  current: readonly T[],
  delta: ICollectionDelta<T> | null,
  keyOf: (item: T) => string
): T[] {
  if (delta === null) {
    return [...current];
  }
  const removed = new Set(delta.remove);
  const upserts = new Map(delta.upsert.map(item => [keyOf(item), item]));
  const result: T[] = [];
  for (const item of current) {
    const key = keyOf(item);
    if (removed.has(key)) {
      continue;
    }
    const replacement = upserts.get(key);
    if (replacement !== undefined) {
      result.push(replacement);
      upserts.delete(key);
    } else {
      result.push(item);
    }
  }
  for (const item of delta.upsert) {
    if (upserts.has(keyOf(item))) {
      result.push(item);
      upserts.delete(keyOf(item));
    }
  }
  return result;
}
