/**
 * The panel's inventories: DataFrames with what they hold (the one place personal data is shown,
 * masked), model and pickle files (one row per file), and the waivers in force.
 */

import React, { useEffect, useRef } from 'react';

import { IModelRow } from './finding_rows';
import { baseName, percent, shortHash } from './finding_text';
import { IFrameSummary, IWaiver } from './kernel_state';
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
  /** Frames a full scan is running for. */
  readonly scanning: ReadonlySet<string>;
  readonly scanFrame: (name: string) => void;
}

/** `3000 rows, 3 columns, sampled 2000 rows`. */
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
        const scanning = props.scanning.has(frame.name);
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
                <div className="jp-NbsecPanel-rowActions">
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
                      ? trans.__('Scanning…')
                      : frame.exhaustive
                        ? trans.__('Fully scanned')
                        : trans.__('Full scan')}
                  </button>
                </div>
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}

export interface IModelsViewProps {
  readonly trans: Trans;
  readonly models: readonly IModelRow[];
  readonly reveal: (row: IModelRow) => void;
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
      {models.map(model => {
        const what =
          model.source ??
          model.path ??
          trans.__('data in memory (%1)', model.api ?? trans.__('load'));
        const canReveal = model.cellId !== null && model.cellNumber !== null;
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
                      model.cellNumber ?? ''
                    )
                  : what
              }
              onClick={() => props.reveal(model)}
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
          </li>
        );
      })}
    </ul>
  );
}

export interface IWaiversViewProps {
  readonly trans: Trans;
  readonly waivers: readonly IWaiver[];
}

/** What a waiver covers, in words. */
export function waiverScope(trans: Trans, waiver: IWaiver): string {
  switch (waiver.kind) {
    case 'rule':
      return trans.__('every finding of %1', waiver.target);
    case 'path':
      return trans.__('files matching %1', waiver.target);
    case 'sha256':
      return trans.__('the file with sha256 %1', shortHash(waiver.target));
    default:
      return waiver.kind;
  }
}

export function WaiversView(props: IWaiversViewProps): JSX.Element {
  const { trans, waivers } = props;
  if (waivers.length === 0) {
    return (
      <ul className="jp-NbsecPanel-list" data-testid="nbsec-waivers">
        <li className="jp-NbsecPanel-empty">
          {trans.__('No waivers in this session.')}
        </li>
      </ul>
    );
  }
  return (
    <ul className="jp-NbsecPanel-list" data-testid="nbsec-waivers">
      {waivers.map((waiver, index) => (
        <li
          key={`${waiver.kind}:${waiver.target}:${index}`}
          className="jp-NbsecPanel-waiver"
          data-testid="nbsec-waiver"
          data-target={waiver.target}
        >
          <div className="jp-NbsecPanel-waiverLine">
            <span className="jp-NbsecPanel-rule" title={waiver.target}>
              {waiver.target}
            </span>
            <span className="jp-NbsecPanel-action">
              {waiverScope(trans, waiver)}
            </span>
          </div>
          <div className="jp-NbsecPanel-message">{waiver.reason}</div>
          {waiver.at && <div className="jp-NbsecPanel-when">{waiver.at}</div>}
        </li>
      ))}
    </ul>
  );
}
