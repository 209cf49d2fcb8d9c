/**
 * The nbsec panel as React components: header (status, mode, watching), counts, the filter and
 * grouping bar, findings, frames, models and waivers.
 *
 * Everything the kernel sends is rendered as React text children, never as markup. Stable
 * `data-testid` attributes name the parts the browser tests and users' scripts look at:
 * `nbsec-status`, `nbsec-detail`, `nbsec-busy`, `nbsec-version`, `nbsec-mode`, `nbsec-enabled`,
 * `nbsec-policy`, `nbsec-notebook`, `nbsec-load-button`, `nbsec-connect-button`,
 * `nbsec-mode-warn` / `nbsec-mode-block`, `nbsec-mode-pending`, `nbsec-enabled-switch`,
 * `nbsec-notice`, `nbsec-counts` / `nbsec-count-<severity>`, `nbsec-filter`, `nbsec-group-by`,
 * `nbsec-section-<name>`, and those of `finding_tree.tsx` and `inventory_views.tsx`.
 */

import React from 'react';

import { ConnectionState } from './connection_state';
import {
  GROUPINGS,
  GroupBy,
  ICellLocator,
  IFindingRow,
  IModelView,
  filterRows,
  findingRows,
  frameOrder,
  groupRows,
  isGroupBy,
  modelRows,
  staticState
} from './finding_rows';
import { baseName, severityLabel } from './finding_text';
import {
  FindingTree,
  IFindingActions,
  rowSearchText,
  rowWhere
} from './finding_tree';
import { FramesView, ModelsView, WaiversView } from './inventory_views';
import {
  IKernelState,
  IStateUpdate,
  IWaiver,
  SEVERITIES
} from './kernel_state';
import { IPendingMode, Notice, SavedScanState } from './notebook_connection';
import { PanelUiState, SectionKey } from './panel_ui_state';
import {
  detailText,
  modeName,
  noticeText,
  pendingModeText,
  statusText
} from './status_text';
import { SERVER_API_VERSION, SavedScanProblem } from './saved_scan';
import { Trans } from './translate';

/** What the view reads of a notebook's connection (a `NotebookConnection` is one). */
export interface IConnectionView {
  readonly state: ConnectionState;
  readonly data: IStateUpdate | null;
  readonly notice: Notice | null;
  readonly kernelBusy: boolean;
  readonly pendingMode: IPendingMode | null;
  readonly scanning: ReadonlySet<string>;
  readonly saved: SavedScanState;
  /** Whether the governance report is being written. */
  readonly reporting: boolean;
  /** Whether a governance report can be written (by the kernel, or the server). */
  readonly canReport: boolean;
  /** Whether the kernel answers while it runs a cell (nothing waits for the cell). */
  readonly answersWhileBusy: boolean;
}

/** What the view can ask for. */
export interface IPanelActions extends IFindingActions {
  connect(): void;
  load(): void;
  setMode(mode: 'warn' | 'block'): void;
  setEnabled(enabled: boolean): void;
  setGroupBy(groupBy: GroupBy): void;
  scanFrame(name: string): void;
  cancelScan(jobId: string): void;
  revealModel(row: IModelView): void;
  revoke(waiver: IWaiver): void;
  writeWaiver(waiver: IWaiver): void;
  report(): void;
}

const NO_KEYS: ReadonlySet<string> = new Set();

export interface IPanelViewProps {
  readonly trans: Trans;
  /** The followed notebook's path, or null when no notebook is active. */
  readonly notebookPath: string | null;
  readonly connection: IConnectionView | null;
  readonly ui: PanelUiState;
  readonly cells: ICellLocator;
  readonly actions: IPanelActions;
  /** Whether a waiver is being recorded for this row. */
  readonly allowBusy: (row: IFindingRow) => boolean;
  /** Ids of waivers a revoke or write is under way for. */
  readonly waiversBusy?: ReadonlySet<string>;
  /** Whether the notebook has changes not saved yet. */
  readonly notebookDirty?: boolean;
}

/** The state the panel shows: the kernel's (live), or the saved notebook's static scan. */
export function shownState(
  connection: IConnectionView | null
): { state: IKernelState; live: boolean } | null {
  if (connection === null) {
    return null;
  }
  if (connection.state.status === 'connected') {
    return connection.data
      ? { state: connection.data.state, live: true }
      : null;
  }
  return connection.saved.status === 'ready'
    ? { state: staticState(connection.saved.scan), live: false }
    : null;
}

/** The rows and groups the findings list shows, given the state and the user's filter. */
export function visibleGroups(
  trans: Trans,
  state: IKernelState,
  ui: PanelUiState,
  cells: ICellLocator
): {
  total: number;
  rows: IFindingRow[];
  groups: ReturnType<typeof groupRows>;
} {
  const all = findingRows(state, cells);
  const rows = filterRows(all, ui.filter, row => rowSearchText(trans, row));
  return { total: all.length, rows, groups: groupRows(rows, ui.groupBy) };
}

export function PanelView(props: IPanelViewProps): JSX.Element {
  const { trans, connection } = props;
  const state: ConnectionState = connection?.state ?? { status: 'no-kernel' };
  const busy = connection?.kernelBusy ?? false;
  return (
    <>
      <header className="jp-NbsecPanel-header">
        <h2 className="jp-NbsecPanel-title">{trans.__('nbsec')}</h2>
        <div
          className="jp-NbsecPanel-notebook"
          data-testid="nbsec-notebook"
          title={props.notebookPath ?? undefined}
        >
          {props.notebookPath ? baseName(props.notebookPath) : ''}
        </div>
      </header>
      <div
        className="jp-NbsecPanel-status"
        data-state={state.status}
        data-busy={busy && state.status === 'connected' ? 'true' : 'false'}
        role="status"
      >
        <span data-testid="nbsec-status">{statusText(trans, state)}</span>
        {busy && state.status === 'connected' && (
          <span className="jp-NbsecPanel-busy" data-testid="nbsec-busy">
            {trans.__('kernel busy')}
          </span>
        )}
      </div>
      <div className="jp-NbsecPanel-detail" data-testid="nbsec-detail">
        {detailText(trans, state, busy, connection?.answersWhileBusy ?? false)}
      </div>
      {state.status === 'connected' && connection && (
        <ConnectedHeader
          trans={trans}
          state={state}
          connection={connection}
          actions={props.actions}
        />
      )}
      <StatusActions trans={trans} state={state} actions={props.actions} />
      <div
        className="jp-NbsecPanel-notice"
        data-testid="nbsec-notice"
        role="alert"
      >
        {noticeText(trans, connection?.notice ?? null)}
      </div>
      {state.status === 'connected' && connection && (
        <StateBody {...props} connection={connection} />
      )}
      {state.status !== 'connected' && connection && (
        <SavedBody {...props} connection={connection} />
      )}
    </>
  );
}

function ConnectedHeader(props: {
  readonly trans: Trans;
  readonly state: Extract<ConnectionState, { status: 'connected' }>;
  readonly connection: IConnectionView;
  readonly actions: IPanelActions;
}): JSX.Element {
  const { trans, connection, actions } = props;
  const info = props.state.info;
  const status = info.status;
  const pending = connection.pendingMode;
  const policy = status.policyFile
    ? baseName(status.policyFile)
    : trans.__('defaults (no policy file)');
  const lockedTitle = trans.__(
    'The policy (%1) locks the mode: it cannot be changed from here or with %2.',
    policy,
    '%nbsec'
  );
  return (
    <>
      <div className="jp-NbsecPanel-facts">
        <span data-testid="nbsec-version">
          {trans.__('nbsec %1', info.nbsecVersion)}
        </span>
        <span className="jp-NbsecPanel-factLabel">{trans.__('mode')}</span>
        <span data-testid="nbsec-mode">{modeName(trans, status.mode)}</span>
        <span className="jp-NbsecPanel-factLabel">{trans.__('watching')}</span>
        <span data-testid="nbsec-enabled">
          {status.enabled ? trans.__('on') : trans.__('off')}
        </span>
        <span className="jp-NbsecPanel-factLabel">{trans.__('policy')}</span>
        <span
          data-testid="nbsec-policy"
          className="jp-NbsecPanel-policy"
          title={status.policyFile ?? undefined}
        >
          {policy}
        </span>
      </div>
      <div className="jp-NbsecPanel-controls">
        <div
          className="jp-NbsecPanel-toggle"
          role="group"
          aria-label={trans.__('Policy mode')}
          data-testid="nbsec-mode-toggle"
        >
          {(['warn', 'block'] as const).map(choice => (
            <button
              key={choice}
              type="button"
              className="jp-Button jp-mod-styled jp-NbsecPanel-toggleOption"
              data-testid={`nbsec-mode-${choice}`}
              data-mode={choice}
              aria-pressed={status.mode === choice}
              disabled={pending !== null || status.locked}
              title={
                status.locked
                  ? lockedTitle
                  : choice === 'block'
                    ? trans.__('Block risky loads the policy forbids')
                    : trans.__('Warn only; never stop a cell')
              }
              onClick={() => {
                if (status.mode !== choice) {
                  actions.setMode(choice);
                }
              }}
            >
              {modeName(trans, choice)}
            </button>
          ))}
        </div>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-NbsecPanel-switch"
          role="switch"
          aria-checked={status.enabled}
          data-testid="nbsec-enabled-switch"
          disabled={pending !== null || status.locked}
          title={
            status.locked
              ? lockedTitle
              : trans.__(
                  'Turn nbsec’s watching of cells on or off (%1)',
                  '%nbsec on|off'
                )
          }
          onClick={() => actions.setEnabled(!status.enabled)}
        >
          {status.enabled
            ? trans.__('Watching: on')
            : trans.__('Watching: off')}
        </button>
        {connection.canReport && (
          <ReportButton
            trans={trans}
            connection={connection}
            actions={actions}
            live={true}
          />
        )}
      </div>
      {status.locked && (
        <div className="jp-NbsecPanel-locked" data-testid="nbsec-locked">
          {trans.__(
            'Mode locked by the policy (%1): switching it, or watching off, is refused.',
            policy
          )}
        </div>
      )}
      {status.policyError && (
        <div className="jp-NbsecPanel-notice" data-testid="nbsec-policy-error">
          {trans.__(
            'The policy file could not be used, so the defaults apply: %1',
            status.policyError
          )}
        </div>
      )}
      {pending !== null && (
        <div className="jp-NbsecPanel-pending" data-testid="nbsec-mode-pending">
          {pendingModeText(
            trans,
            pending,
            connection.kernelBusy && !connection.answersWhileBusy
          )}
        </div>
      )}
    </>
  );
}

function StatusActions(props: {
  readonly trans: Trans;
  readonly state: ConnectionState;
  readonly actions: IPanelActions;
}): JSX.Element | null {
  const { trans, state, actions } = props;
  const load = (primary: boolean): JSX.Element => (
    <button
      type="button"
      className={
        'jp-Button jp-mod-styled ' +
        (primary ? 'jp-mod-accept' : 'jp-mod-reject')
      }
      data-testid="nbsec-load-button"
      onClick={() => actions.load()}
    >
      {trans.__('Load nbsec')}
    </button>
  );
  const connect = (label: string, primary: boolean): JSX.Element => (
    <button
      type="button"
      className={
        'jp-Button jp-mod-styled ' +
        (primary ? 'jp-mod-accept' : 'jp-mod-reject')
      }
      data-testid="nbsec-connect-button"
      onClick={() => actions.connect()}
    >
      {label}
    </button>
  );
  switch (state.status) {
    case 'not-loaded':
      return <div className="jp-NbsecPanel-actions">{load(true)}</div>;
    case 'error':
      return (
        <div className="jp-NbsecPanel-actions">
          {load(false)}
          {connect(trans.__('Retry'), false)}
        </div>
      );
    case 'idle':
      return (
        <div className="jp-NbsecPanel-actions">
          {connect(trans.__('Connect'), true)}
        </div>
      );
    default:
      return null;
  }
}

function StateBody(
  props: IPanelViewProps & { readonly connection: IConnectionView }
): JSX.Element {
  const { trans, connection, ui, cells, actions } = props;
  const update = connection.data;
  if (update === null) {
    return (
      <div className="jp-NbsecPanel-empty">
        {connection.notice === null
          ? trans.__('Reading the kernel state…')
          : trans.__('The kernel state could not be read.')}
      </div>
    );
  }
  const state = update.state;
  const frames = frameOrder(state.frames);
  const models = modelRows(state.models, cells);
  return (
    <div className="jp-NbsecPanel-body">
      <Counts trans={trans} ui={ui} state={state} />
      <FindingsSection {...props} state={state} canAllow={true} />
      <Section
        trans={trans}
        ui={ui}
        section="frames"
        title={trans.__('Frames (%1)', frames.length)}
      >
        <FramesView
          trans={trans}
          frames={frames}
          ui={ui}
          scanning={connection.scanning}
          jobs={state.scans}
          scanFrame={name => actions.scanFrame(name)}
          cancelScan={id => actions.cancelScan(id)}
        />
      </Section>
      <Section
        trans={trans}
        ui={ui}
        section="models"
        title={trans.__('Models (%1)', models.length)}
      >
        <ModelsView
          trans={trans}
          models={models}
          reveal={row => actions.revealModel(row)}
        />
      </Section>
      <Section
        trans={trans}
        ui={ui}
        section="waivers"
        title={trans.__('Waivers (%1)', state.waivers.length)}
      >
        <WaiversView
          trans={trans}
          waivers={state.waivers}
          canWrite={
            connection.state.status === 'connected' &&
            connection.state.info.features.includes('write_waiver')
          }
          locked={state.status?.locked ?? false}
          busy={props.waiversBusy ?? NO_KEYS}
          revoke={waiver => actions.revoke(waiver)}
          write={waiver => actions.writeWaiver(waiver)}
        />
      </Section>
    </div>
  );
}

/** The saved notebook's static findings, while the kernel's nbsec does not answer. */
function SavedBody(
  props: IPanelViewProps & { readonly connection: IConnectionView }
): JSX.Element | null {
  const { trans, connection, ui } = props;
  const saved = connection.saved;
  switch (saved.status) {
    case 'none':
      return null;
    case 'loading':
      return (
        <div className="jp-NbsecPanel-body" data-testid="nbsec-saved">
          <div className="jp-NbsecPanel-empty">
            {trans.__('Scanning the saved notebook…')}
          </div>
        </div>
      );
    case 'problem':
      return (
        <div className="jp-NbsecPanel-body" data-testid="nbsec-saved">
          <div
            className="jp-NbsecPanel-empty"
            data-testid="nbsec-saved-problem"
          >
            {savedProblemText(trans, saved.problem)}
          </div>
        </div>
      );
    case 'ready': {
      const state = staticState(saved.scan);
      return (
        <div className="jp-NbsecPanel-body" data-testid="nbsec-saved">
          <div
            className="jp-NbsecPanel-savedNote"
            data-testid="nbsec-saved-note"
          >
            {props.notebookDirty
              ? trans.__(
                  'The saved file, scanned without running it (unsaved changes are not included).'
                )
              : trans.__('The saved file, scanned without running it.')}
          </div>
          {connection.canReport && (
            <div className="jp-NbsecPanel-controls">
              <ReportButton
                trans={trans}
                connection={connection}
                actions={props.actions}
                live={false}
              />
            </div>
          )}
          <Counts trans={trans} ui={ui} state={state} />
          <FindingsSection {...props} state={state} canAllow={false} />
          {saved.scan.waived > 0 && (
            <div className="jp-NbsecPanel-empty">
              {trans._n(
                '%1 more finding is waived by the policy.',
                '%1 more findings are waived by the policy.',
                saved.scan.waived
              )}
            </div>
          )}
          {saved.scan.errors.map(error => (
            <div key={error} className="jp-NbsecPanel-empty">
              {error}
            </div>
          ))}
        </div>
      );
    }
  }
}

/** "Governance report": of the kernel's session (live), or of the saved notebook. */
function ReportButton(props: {
  readonly trans: Trans;
  readonly connection: IConnectionView;
  readonly actions: IPanelActions;
  readonly live: boolean;
}): JSX.Element {
  const { trans, connection } = props;
  return (
    <button
      type="button"
      className="jp-Button jp-mod-styled"
      data-testid="nbsec-report-button"
      disabled={connection.reporting}
      aria-busy={connection.reporting}
      title={
        props.live
          ? trans.__(
              'Save the notebook, write the governance report of this kernel session and open it'
            )
          : trans.__(
              'Save the notebook, write the governance report of the saved file (no kernel session) and open it'
            )
      }
      onClick={() => props.actions.report()}
    >
      {connection.reporting
        ? trans.__('Writing the report…')
        : trans.__('Governance report')}
    </button>
  );
}

/** Why the saved notebook's findings cannot be shown. */
export function savedProblemText(
  trans: Trans,
  problem: SavedScanProblem
): string {
  switch (problem.kind) {
    case 'unavailable':
      return trans.__(
        'The saved notebook cannot be scanned here: this Jupyter server has no nbsec server extension. Run %1 in a terminal instead.',
        'nbsec scan NOTEBOOK'
      );
    case 'version':
      return trans.__(
        'The saved notebook cannot be scanned here: the server’s nbsec speaks API %1, this panel speaks %2. Install the same nbsec for both.',
        problem.apiVersion,
        SERVER_API_VERSION
      );
    case 'failed':
      return trans.__(
        'The saved notebook could not be scanned: %1',
        problem.error
      );
  }
}

/** The severity counts, each a button that filters the list to that severity. */
function Counts(props: {
  readonly trans: Trans;
  readonly ui: PanelUiState;
  readonly state: IKernelState;
}): JSX.Element {
  const { trans, ui, state } = props;
  const filterWords = ui.filter.trim().toLowerCase();
  return (
    <div className="jp-NbsecPanel-counts" data-testid="nbsec-counts">
      {SEVERITIES.map(severity => {
        const count = state.counts[severity];
        const word = severityLabel(trans, severity).toLowerCase();
        return (
          <button
            type="button"
            key={severity}
            className="jp-NbsecPanel-count"
            data-severity={severity}
            data-testid={`nbsec-count-${severity}`}
            aria-pressed={filterWords === word}
            title={trans._n(
              '%1 active %2 finding: show only these',
              '%1 active %2 findings: show only these',
              count,
              word
            )}
            onClick={() => {
              ui.filter = filterWords === word ? '' : word;
            }}
          >
            <span className="jp-NbsecPanel-countValue">{count}</span>
            <span className="jp-NbsecPanel-countLabel">{word}</span>
          </button>
        );
      })}
    </div>
  );
}

/** The findings: filter box, grouping menu and the tree. */
function FindingsSection(
  props: IPanelViewProps & {
    readonly state: IKernelState;
    readonly canAllow: boolean;
  }
): JSX.Element {
  const { trans, ui, cells, actions, state } = props;
  const { total, rows, groups } = visibleGroups(trans, state, ui, cells);
  return (
    <Section
      trans={trans}
      ui={ui}
      section="findings"
      title={
        rows.length === total
          ? trans.__('Findings (%1)', total)
          : trans.__('Findings (%1 of %2)', rows.length, total)
      }
    >
      <div className="jp-NbsecPanel-toolbar">
        <input
          type="search"
          className="jp-mod-styled jp-NbsecPanel-filter"
          data-testid="nbsec-filter"
          aria-label={trans.__('Filter findings')}
          placeholder={trans.__('Filter: rule, words, cell…')}
          value={ui.filter}
          onChange={event => {
            ui.filter = event.target.value;
          }}
          onKeyDown={event => {
            if (event.key === 'Escape' && ui.filter) {
              ui.filter = '';
              event.stopPropagation();
            } else if (event.key === 'ArrowDown' && rows.length > 0) {
              event.preventDefault();
              const first = ui.groupBy === 'none' ? rows[0].key : groups[0].key;
              ui.select(first, true);
            }
          }}
        />
        <label className="jp-NbsecPanel-groupBy">
          <span className="jp-NbsecPanel-factLabel">{trans.__('Group')}</span>
          <select
            className="jp-mod-styled"
            data-testid="nbsec-group-by"
            aria-label={trans.__('Group findings by')}
            value={ui.groupBy}
            onChange={event => {
              if (isGroupBy(event.target.value)) {
                actions.setGroupBy(event.target.value);
              }
            }}
          >
            {GROUPINGS.map(by => (
              <option key={by} value={by}>
                {groupingName(trans, by)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {total === 0 ? (
        <div className="jp-NbsecPanel-empty" data-testid="nbsec-findings">
          {trans.__('No active findings.')}
        </div>
      ) : rows.length === 0 ? (
        <div className="jp-NbsecPanel-empty" data-testid="nbsec-findings">
          {trans.__('No finding matches “%1”.', ui.filter)}
        </div>
      ) : (
        <FindingTree
          trans={trans}
          groups={groups}
          groupBy={ui.groupBy}
          ui={ui}
          actions={actions}
          isBusy={props.allowBusy}
          canAllow={props.canAllow}
        />
      )}
      <WaivedFindings {...props} />
    </Section>
  );
}

/** The findings a waiver covers: counted, and listed on request with their waiver. */
function WaivedFindings(
  props: IPanelViewProps & { readonly state: IKernelState }
): JSX.Element | null {
  const { trans, ui, cells, state, actions } = props;
  const rows = findingRows(state, cells, true);
  if (rows.length === 0) {
    return null;
  }
  const waivers = new Map(state.waivers.map(waiver => [waiver.id, waiver]));
  return (
    <div className="jp-NbsecPanel-waived" data-testid="nbsec-waived">
      <button
        type="button"
        className="jp-NbsecPanel-sectionTitle jp-NbsecPanel-waivedToggle"
        aria-expanded={ui.showWaived}
        data-testid="nbsec-waived-toggle"
        onClick={() => {
          ui.showWaived = !ui.showWaived;
        }}
      >
        <span
          className={
            'jp-NbsecPanel-caret' + (ui.showWaived ? ' jp-mod-open' : '')
          }
          aria-hidden="true"
        />
        {trans._n('%1 waived finding', '%1 waived findings', rows.length)}
      </button>
      {ui.showWaived && (
        <ul className="jp-NbsecPanel-list">
          {rows.map(row => {
            const waiver = waivers.get(row.finding.waiver ?? '') ?? null;
            return (
              <li
                key={row.key}
                className="jp-NbsecPanel-waivedFinding"
                data-testid="nbsec-waived-finding"
                data-rule={row.finding.rule}
              >
                <div className="jp-NbsecPanel-findingLine">
                  <span className="jp-NbsecPanel-rule">{row.finding.rule}</span>
                  <span className="jp-NbsecPanel-findingTitle">
                    {row.finding.title}
                  </span>
                  <span className="jp-NbsecPanel-where">
                    {rowWhere(trans, row)}
                  </span>
                </div>
                {waiver && (
                  <div className="jp-NbsecPanel-when">
                    {trans.__('Waived (%1): %2', waiver.covers, waiver.reason)}
                    {waiver.origin !== 'policy' && (
                      <button
                        type="button"
                        className="jp-Button jp-mod-styled jp-NbsecPanel-inlineButton"
                        data-testid="nbsec-waived-revoke"
                        onClick={() => actions.revoke(waiver)}
                      >
                        {trans.__('Revoke')}
                      </button>
                    )}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

export function groupingName(trans: Trans, by: GroupBy): string {
  switch (by) {
    case 'severity':
      return trans.__('by severity');
    case 'cell':
      return trans.__('by cell');
    case 'family':
      return trans.__('by kind');
    case 'none':
      return trans.__('no groups');
  }
}

/** A foldable section: a heading button (aria-expanded) over its content. */
function Section(props: {
  readonly trans: Trans;
  readonly ui: PanelUiState;
  readonly section: SectionKey;
  readonly title: string;
  readonly children: React.ReactNode;
}): JSX.Element {
  const { ui, section } = props;
  const folded = ui.isSectionFolded(section);
  const bodyId = `nbsec-section-body-${section}`;
  return (
    <section
      className="jp-NbsecPanel-section"
      data-testid={`nbsec-section-${section}`}
    >
      <h3 className="jp-NbsecPanel-sectionHeading">
        <button
          type="button"
          className="jp-NbsecPanel-sectionTitle"
          aria-expanded={!folded}
          aria-controls={bodyId}
          onClick={() => ui.setSectionFolded(section, !folded)}
        >
          <span
            className={'jp-NbsecPanel-caret' + (folded ? '' : ' jp-mod-open')}
            aria-hidden="true"
          />
          {props.title}
        </button>
      </h3>
      {!folded && (
        <div id={bodyId} className="jp-NbsecPanel-sectionBody">
          {props.children}
        </div>
      )}
    </section>
  );
}
