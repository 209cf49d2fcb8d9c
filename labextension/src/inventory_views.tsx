/**
 * The panel's inventories: DataFrames with what they hold (the one place personal data is shown,
 * masked), model and pickle files (one row per file), and the waivers in force.
 */

import React, { useEffect, useRef } from 'react';

import { IModelView } from './finding_rows';
import { baseName, percent, shortHash } from './finding_text';
import { IFrameSummary, IJob, IWaiver, WaiverScope } from './kernel_state';
import { PanelUiState } from './panel_ui_state';
import { Trans } from './translate';

/** The key of a frame in the panel's UI state (folded, selected). */
export function frameKey(name: string): string {
  return `frame:${name}`;
}

export interface IFramesViewProps {
  readonly trans: Trans;
  readonly frames: readonly IFrameSummary[];
  readonly ui: PanelUiState;
  /** Frames a full scan was asked for and has no job yet. */
  readonly scanning: ReadonlySet<string>;
  /** The kernel's full-scan jobs. */
  readonly jobs: readonly IJob[];
  readonly scanFrame: (name: string) => void;
  readonly cancelScan: (jobId: string) => void;
}

/** The running (or queued) full scan of a frame, if any. */
export function activeJob(jobs: readonly IJob[], frame: string): IJob | null {
  return (
    jobs.find(
      job =>
        job.target === frame &&
        (job.state === 'running' || job.state === 'queued')
    ) ?? null
  );
}

/**
 * `3000 rows, 3 columns, sampled 2000 rows`; a frame whose size is not known (a Spark or Dask
 * frame seen by a first look) reads `3 columns, first 2000 rows looked at`.
 */
export function frameSize(trans: Trans, frame: IFrameSummary): string {
  const parts: string[] = [];
  if (frame.rows !== null) {
    parts.push(trans._n('%1 row', '%1 rows', frame.rows));
  }
  if (frame.columns !== null) {
    parts.push(trans._n('%1 column', '%1 columns', frame.columns));
  }
  if (frame.exhaustive) {
    parts.push(trans.__('complete scan'));
  } else if (!frame.rowsKnown && frame.rowsScanned !== null) {
    parts.push(
      trans._n(
        'first %1 row looked at',
        'first %1 rows looked at',
        frame.rowsScanned
      )
    );
  } else if (frame.rowsScanned !== null) {
    parts.push(
      trans._n('sampled %1 row', 'sampled %1 rows', frame.rowsScanned)
    );
  }
  return parts.join(', ');
}

export function FramesView(props: IFramesViewProps): JSX.Element {
  const { trans, frames, ui } = props;
  const nodes = useRef(new Map<string, HTMLElement>());
  useEffect(() => {
    const key = ui.focusRequest;
    const node = key !== null ? nodes.current.get(key) : undefined;
    if (node) {
      node.focus();
      node.scrollIntoView?.({ block: 'nearest' });
      ui.focusDone();
    }
  });
  if (frames.length === 0) {
    return (
      <ul className="jp-NbsecPanel-list" data-testid="nbsec-frames">
        <li className="jp-NbsecPanel-empty">
          {trans.__('No DataFrames scanned yet.')}
        </li>
      </ul>
    );
  }
  return (
    <ul className="jp-NbsecPanel-list" data-testid="nbsec-frames">
      {frames.map(frame => {
        const key = frameKey(frame.name);
        const pii = frame.piiColumns.length;
        const open = !ui.isCollapsed(key, pii === 0);
        const job = activeJob(props.jobs, frame.name);
        const scanning = job !== null || props.scanning.has(frame.name);
        return (
          <li
            key={key}
            className="jp-NbsecPanel-frame"
            data-testid="nbsec-frame"
            data-frame={frame.name}
            data-pii={pii > 0 ? 'true' : 'false'}
          >
            <button
              type="button"
              ref={node => {
                if (node) {
                  nodes.current.set(key, node);
                } else {
                  nodes.current.delete(key);
                }
              }}
              className={
                'jp-NbsecPanel-frameHead' +
                (ui.selected === key ? ' jp-mod-selected' : '')
              }
              aria-expanded={open}
              onClick={() => {
                ui.select(key);
                ui.setCollapsed(key, open);
              }}
            >
              <span
                className={'jp-NbsecPanel-caret' + (open ? ' jp-mod-open' : '')}
                aria-hidden="true"
              />
              <span
                className="jp-NbsecPanel-frameName"
                data-testid="nbsec-frame-name"
              >
                {frame.name}
              </span>
              <span className="jp-NbsecPanel-frameSummary">
                {pii > 0
                  ? trans._n(
                      '%1 column with personal data',
                      '%1 columns with personal data',
                      pii
                    )
                  : trans.__('no personal data found')}
              </span>
            </button>
            {open && (
              <div className="jp-NbsecPanel-details">
                <div
                  className="jp-NbsecPanel-frameSize"
                  data-testid="nbsec-frame-size"
                >
                  {frameSize(trans, frame)}
                </div>
                {pii > 0 && (
                  <ul className="jp-NbsecPanel-columns">
                    {frame.piiColumns.map(column => (
                      <li
                        key={column.name}
                        className="jp-NbsecPanel-column"
                        data-testid="nbsec-pii-column"
                        data-column={column.name}
                      >
                        <span
                          className="jp-NbsecPanel-columnName"
                          data-testid="nbsec-column-name"
                        >
                          {column.name}
                        </span>
                        {column.entities.map(entity => (
                          <span
                            key={entity.type}
                            className="jp-NbsecPanel-entity"
                            data-testid="nbsec-entity"
                            data-entity={entity.type}
                          >
                            {`${entity.type} ${percent(entity.fraction)}`}
                          </span>
                        ))}
                        {column.examples.length > 0 && (
                          <code
                            className="jp-NbsecPanel-evidence"
                            data-testid="nbsec-examples"
                            title={trans.__('Masked examples')}
                          >
                            {column.examples.join(', ')}
                          </code>
                        )}
                      </li>
                    ))}
                  </ul>
                )}
                {frame.partial && (
                  <div className="jp-NbsecPanel-empty">
                    {trans.__(
                      'The last full scan stopped before the end: what it found is shown.'
                    )}
                  </div>
                )}
                {job !== null && (
                  <ScanProgress trans={trans} job={job} frame={frame.name} />
                )}
                <div className="jp-NbsecPanel-rowActions">
                  {job !== null ? (
                    <button
                      type="button"
                      className="jp-Button jp-mod-styled"
                      data-testid="nbsec-cancel-scan-button"
                      onClick={() => props.cancelScan(job.id)}
                    >
                      {trans.__('Cancel')}
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="jp-Button jp-mod-styled"
                      data-testid="nbsec-scan-button"
                      disabled={scanning || frame.exhaustive}
                      title={trans.__(
                        'Check every value of every column of %1',
                        frame.name
                      )}
                      onClick={() => props.scanFrame(frame.name)}
                    >
                      {scanning
                        ? trans.__('Starting…')
                        : frame.exhaustive
                          ? trans.__('Fully scanned')
                          : trans.__('Full scan')}
                    </button>
                  )}
                </div>
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** A full scan's progress bar, its share as text and (for screen readers) as a value. */
function ScanProgress(props: {
  readonly trans: Trans;
  readonly job: IJob;
  readonly frame: string;
}): JSX.Element {
  const { trans, job } = props;
  const share = Math.round(job.progress * 100);
  const label =
    job.state === 'queued'
      ? trans.__('Full scan of %1 queued', props.frame)
      : trans.__('Full scan of %1: %2%', props.frame, share);
  return (
    <div className="jp-NbsecPanel-progress" data-testid="nbsec-scan-progress">
      <div
        className="jp-NbsecPanel-progressBar"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={share}
      >
        <div
          className="jp-NbsecPanel-progressFill"
          style={{ width: `${share}%` }}
        />
      </div>
      <span className="jp-NbsecPanel-progressText">{label}</span>
    </div>
  );
}

export interface IModelsViewProps {
  readonly trans: Trans;
  readonly models: readonly IModelView[];
  readonly reveal: (row: IModelView) => void;
}

/** The guard's words for what it did at a load. */
export function actionLabel(trans: Trans, action: string | null): string {
  switch (action) {
    case 'allowed':
      return trans.__('allowed');
    case 'warned':
      return trans.__('warned');
    case 'blocked':
      return trans.__('blocked');
    case null:
      return '';
    default:
      return action;
  }
}

export function verdictLabel(trans: Trans, verdict: string | null): string {
  switch (verdict) {
    case 'safe':
      return trans.__('safe');
    case 'suspicious':
      return trans.__('suspicious');
    case 'dangerous':
      return trans.__('dangerous');
    case 'malicious':
      return trans.__('malicious');
    case 'unsupported':
      return trans.__('unsupported');
    case 'error':
      return trans.__('error');
    case null:
      return trans.__('unknown');
    default:
      return verdict;
  }
}

export function ModelsView(props: IModelsViewProps): JSX.Element {
  const { trans, models } = props;
  if (models.length === 0) {
    return (
      <ul className="jp-NbsecPanel-list" data-testid="nbsec-models">
        <li className="jp-NbsecPanel-empty">
          {trans.__('No model or pickle loads seen.')}
        </li>
      </ul>
    );
  }
  return (
    <ul className="jp-NbsecPanel-list" data-testid="nbsec-models">
      {models.map(view => {
        const model = view.model;
        const what =
          model.source ??
          model.path ??
          trans.__('data in memory (%1)', model.api ?? trans.__('load'));
        const canReveal = view.cellId !== null && view.cellNumber !== null;
        return (
          <li
            key={model.key}
            className="jp-NbsecPanel-model"
            data-testid="nbsec-model"
            data-verdict={model.verdict ?? 'unknown'}
          >
            <button
              type="button"
              className="jp-NbsecPanel-modelLine"
              disabled={!canReveal}
              title={
                canReveal
                  ? trans.__(
                      'Go to cell %1, where it was last loaded',
                      view.cellNumber ?? ''
                    )
                  : what
              }
              onClick={() => props.reveal(view)}
            >
              <span
                className="jp-NbsecPanel-badge"
                data-verdict={model.verdict ?? 'unknown'}
                data-testid="nbsec-model-verdict"
              >
                {verdictLabel(trans, model.verdict)}
              </span>
              <span
                className="jp-NbsecPanel-modelName"
                data-testid="nbsec-model-what"
                title={what}
              >
                {model.source ?? (model.path ? baseName(model.path) : what)}
              </span>
              {model.loads > 1 && (
                <span
                  className="jp-NbsecPanel-loads"
                  data-testid="nbsec-model-loads"
                  title={trans._n(
                    'loaded once',
                    'loaded %1 times',
                    model.loads
                  )}
                >
                  {`×${model.loads}`}
                </span>
              )}
            </button>
            <div className="jp-NbsecPanel-modelFacts">
              <span data-testid="nbsec-model-api">{model.api ?? ''}</span>
              <span
                className="jp-NbsecPanel-action"
                data-testid="nbsec-model-action"
              >
                {actionLabel(trans, model.action)}
              </span>
              {model.own !== null && (
                <span
                  className="jp-NbsecPanel-own"
                  data-testid="nbsec-model-own"
                  title={trans.__(
                    'This session wrote this very file (same sha256) before loading it.'
                  )}
                >
                  {view.ownCellNumber !== null
                    ? trans.__('written in cell %1', view.ownCellNumber)
                    : trans.__('written in this session')}
                </span>
              )}
              {model.sha256 && (
                <code
                  className="jp-NbsecPanel-hash"
                  data-testid="nbsec-model-sha256"
                  title={model.sha256}
                >
                  {shortHash(model.sha256)}
                </code>
              )}
            </div>
            {model.reason && model.action !== 'allowed' && (
              <div className="jp-NbsecPanel-modelReason">{model.reason}</div>
            )}
          </li>
        );
      })}
    </ul>
  );
}

export interface IWaiversViewProps {
  readonly trans: Trans;
  readonly waivers: readonly IWaiver[];
  /** Whether the kernel can write waivers into the policy file. */
  readonly canWrite: boolean;
  /** Whether the policy locks the mode (and its waivers). */
  readonly locked: boolean;
  /** Ids of waivers an action is under way for. */
  readonly busy: ReadonlySet<string>;
  readonly revoke: (waiver: IWaiver) => void;
  readonly write: (waiver: IWaiver) => void;
}

/** What a waiver's scope is, in a few words (the kernel's `covers` says what it covers). */
export function scopeName(trans: Trans, scope: WaiverScope): string {
  switch (scope.kind) {
    case 'finding':
      return trans.__('one finding');
    case 'file':
      return trans.__('one file (sha256 %1)', shortHash(scope.sha256));
    case 'path':
      return trans.__('files matching %1', scope.path);
    case 'column':
      return trans.__('column %1 of %2', scope.column, scope.frame);
    case 'rule':
      return scope.rule.split('-').length === 2
        ? trans.__('every %1 rule', scope.rule)
        : trans.__('rule %1', scope.rule);
    case 'notebook':
      return trans.__('notebooks matching %1', scope.notebooks);
  }
}

export function originName(trans: Trans, origin: IWaiver['origin']): string {
  switch (origin) {
    case 'session':
      return trans.__('this session');
    case 'notebook':
      return trans.__('saved in this notebook');
    case 'policy':
      return trans.__('policy file');
  }
}

export function WaiversView(props: IWaiversViewProps): JSX.Element {
  const { trans, waivers } = props;
  if (waivers.length === 0) {
    return (
      <ul className="jp-NbsecPanel-list" data-testid="nbsec-waivers">
        <li className="jp-NbsecPanel-empty">{trans.__('No waivers.')}</li>
      </ul>
    );
  }
  return (
    <ul className="jp-NbsecPanel-list" data-testid="nbsec-waivers">
      {waivers.map(waiver => {
        const busy = props.busy.has(waiver.id);
        return (
          <li
            key={waiver.id}
            className="jp-NbsecPanel-waiver"
            data-testid="nbsec-waiver"
            data-waiver={waiver.id}
            data-scope={waiver.scope.kind}
            data-origin={waiver.origin}
            data-active={waiver.active ? 'true' : 'false'}
          >
            <div className="jp-NbsecPanel-waiverLine">
              <span
                className="jp-NbsecPanel-waiverScope"
                data-testid="nbsec-waiver-scope"
              >
                {scopeName(trans, waiver.scope)}
              </span>
              <span className="jp-NbsecPanel-action">
                {originName(trans, waiver.origin)}
              </span>
              {waiver.admitsFile && (
                <span
                  className="jp-NbsecPanel-admits"
                  title={trans.__('This waiver lets that file load.')}
                >
                  {trans.__('admits the file')}
                </span>
              )}
            </div>
            <div
              className="jp-NbsecPanel-message"
              data-testid="nbsec-waiver-reason"
            >
              {waiver.reason}
            </div>
            <div
              className="jp-NbsecPanel-when"
              data-testid="nbsec-waiver-covers"
            >
              {waiver.covers}
            </div>
            {(waiver.expires || !waiver.active) && (
              <div className="jp-NbsecPanel-when">
                {!waiver.active
                  ? trans.__(
                      'Not in force: %1',
                      waiver.note ?? trans.__('inactive')
                    )
                  : trans.__('Until %1', waiver.expires ?? '')}
              </div>
            )}
            {waiver.origin !== 'policy' && (
              <div className="jp-NbsecPanel-rowActions">
                {props.canWrite && !props.locked && (
                  <button
                    type="button"
                    className="jp-Button jp-mod-styled"
                    data-testid="nbsec-waiver-write"
                    disabled={busy}
                    title={trans.__(
                      'Add this waiver to the policy file, so it applies to every run'
                    )}
                    onClick={() => props.write(waiver)}
                  >
                    {trans.__('Write to policy file')}
                  </button>
                )}
                <button
                  type="button"
                  className="jp-Button jp-mod-styled"
                  data-testid="nbsec-waiver-revoke"
                  disabled={busy}
                  onClick={() => props.revoke(waiver)}
                >
                  {trans.__('Revoke')}
                </button>
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
