/**
 * The findings list: one line per finding, details on expand, in groups, as an ARIA tree.
 *
 * Keyboard (WAI-ARIA tree pattern, one tab stop): ↑/↓ move, Home/End jump, → opens a group or a
 * finding's details (or moves into an open group), ← closes them (or moves to the group),
 * Enter takes the notebook to the finding's cell and line, Space opens or closes its details.
 * Rows are keyed by fingerprint, so an update from the kernel changes only what changed: the
 * focused row keeps the focus and the list keeps its scroll position.
 */

import React, { useEffect, useRef } from 'react';

import { IFindingGroup, IFindingRow, GroupBy } from './finding_rows';
import { Severity } from './kernel_state';
import {
  Family,
  baseName,
  describeLocation,
  familyLabel,
  severityLabel,
  shortHash
} from './finding_text';
import { PanelUiState } from './panel_ui_state';
import { Trans } from './translate';

/** What a finding row can ask of the panel. */
export interface IFindingActions {
  /** Takes the notebook to the row's cell and line; `focus` moves the keyboard there too. */
  reveal(row: IFindingRow, focus: boolean): void;
  /** Opens the waiver dialog for the row's finding. */
  allow(row: IFindingRow): void;
  /** Shows (and focuses) the row's frame in the Frames section. */
  showFrame(name: string): void;
}

export interface IFindingTreeProps {
  readonly trans: Trans;
  readonly groups: readonly IFindingGroup[];
  readonly groupBy: GroupBy;
  readonly ui: PanelUiState;
  readonly actions: IFindingActions;
  /** Whether an allow action is under way for this row. */
  readonly isBusy: (row: IFindingRow) => boolean;
  /** Whether findings can be waived here (not for a saved notebook's static scan). */
  readonly canAllow?: boolean;
}

type TreeItem =
  | {
      readonly kind: 'group';
      readonly key: string;
      readonly group: IFindingGroup;
      readonly collapsed: boolean;
    }
  | {
      readonly kind: 'row';
      readonly key: string;
      readonly row: IFindingRow;
      readonly groupKey: string | null;
    };

/** The tree's items in the order they are shown (rows of folded groups left out). */
export function visibleItems(
  groups: readonly IFindingGroup[],
  groupBy: GroupBy,
  ui: PanelUiState
): TreeItem[] {
  const items: TreeItem[] = [];
  for (const group of groups) {
    if (groupBy === 'none') {
      for (const row of group.rows) {
        items.push({ kind: 'row', key: row.key, row, groupKey: null });
      }
      continue;
    }
    const collapsed = ui.isCollapsed(group.key);
    items.push({ kind: 'group', key: group.key, group, collapsed });
    if (!collapsed) {
      for (const row of group.rows) {
        items.push({ kind: 'row', key: row.key, row, groupKey: group.key });
      }
    }
  }
  return items;
}

/** A group heading: `High`, `Cell 4`, `Unsafe loads`, `Not in this notebook`. */
export function groupLabel(trans: Trans, group: IFindingGroup): string {
  switch (group.by) {
    case 'severity':
      return severityLabel(trans, group.value as Severity);
    case 'family':
      return familyLabel(trans, group.value as Family);
    case 'cell':
      return group.cellNumber !== null
        ? trans.__('Cell %1', group.cellNumber)
        : trans.__('Not in this notebook');
    case 'none':
      return trans.__('All findings');
  }
}

/** Where a row leads, in a few words: `customers.email`, `cell 3, line 5`, `evil.pkl, cell 4`. */
export function rowWhere(trans: Trans, row: IFindingRow): string {
  if (row.frame) {
    return row.frame.column !== null
      ? `${row.frame.frame}.${row.frame.column}`
      : trans.__('frame %1', row.frame.frame);
  }
  const location = row.finding.location;
  const where = describeLocation(
    trans,
    { ...location, cellId: row.cellId ?? location.cellId },
    row.cellNumber
  );
  return where;
}

/** Everything a row is found by in the filter box. */
export function rowSearchText(trans: Trans, row: IFindingRow): string {
  const finding = row.finding;
  return [
    finding.rule,
    finding.title,
    finding.message,
    finding.severity,
    severityLabel(trans, finding.severity),
    row.family,
    familyLabel(trans, row.family),
    rowWhere(trans, row),
    row.cellNumber !== null ? trans.__('cell %1', row.cellNumber) : '',
    finding.location.path ?? '',
    row.frame?.frame ?? ''
  ].join('\n');
}

export function FindingTree(props: IFindingTreeProps): JSX.Element {
  const { trans, groups, groupBy, ui, actions } = props;
  const items = visibleItems(groups, groupBy, ui);
  const nodes = useRef(new Map<string, HTMLElement>());
  const selected = ui.selected;
  const tabStop =
    items.find(item => item.key === selected)?.key ?? items[0]?.key ?? null;

  const shownSelection = useRef<string | null>(null);
  useEffect(() => {
    const key = ui.focusRequest;
    const node = key !== null ? nodes.current.get(key) : undefined;
    if (node) {
      node.focus();
      node.scrollIntoView?.({ block: 'nearest' });
      ui.focusDone();
    } else if (selected !== shownSelection.current && selected !== null) {
      // selected from elsewhere (the next-finding command): bring it into view
      nodes.current.get(selected)?.scrollIntoView?.({ block: 'nearest' });
    }
    shownSelection.current = selected;
  });

  const move = (key: string | null): void => {
    if (key !== null) {
      ui.select(key, true);
    }
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLElement>): void => {
    const target = event.target as HTMLElement;
    if (target.getAttribute('role') !== 'treeitem') {
      return; // a button or link inside a finding's details handles its own keys
    }
    const key = target.dataset.key ?? null;
    const index = items.findIndex(item => item.key === key);
    if (index < 0) {
      return;
    }
    const item = items[index];
    let handled = true;
    switch (event.key) {
      case 'ArrowDown':
        move(items[Math.min(index + 1, items.length - 1)].key);
        break;
      case 'ArrowUp':
        move(items[Math.max(index - 1, 0)].key);
        break;
      case 'Home':
        move(items[0].key);
        break;
      case 'End':
        move(items[items.length - 1].key);
        break;
      case 'ArrowRight':
        if (item.kind === 'group') {
          if (item.collapsed) {
            ui.setCollapsed(item.key, false);
          } else if (item.group.rows.length > 0) {
            move(item.group.rows[0].key);
          }
        } else if (!ui.isExpanded(item.key)) {
          ui.setExpanded(item.key, true);
        }
        break;
      case 'ArrowLeft':
        if (item.kind === 'group') {
          ui.setCollapsed(item.key, true);
        } else if (ui.isExpanded(item.key)) {
          ui.setExpanded(item.key, false);
        } else if (item.groupKey !== null) {
          move(item.groupKey);
        }
        break;
      case 'Enter':
        if (item.kind === 'group') {
          ui.setCollapsed(item.key, !item.collapsed);
        } else {
          actions.reveal(item.row, true);
        }
        break;
      case ' ':
        if (item.kind === 'group') {
          ui.setCollapsed(item.key, !item.collapsed);
        } else {
          ui.setExpanded(item.key, !ui.isExpanded(item.key));
        }
        break;
      default:
        handled = false;
    }
    if (handled) {
      event.preventDefault();
      event.stopPropagation();
    }
  };

  const register =
    (key: string) =>
    (node: HTMLElement | null): void => {
      if (node) {
        nodes.current.set(key, node);
      } else {
        nodes.current.delete(key);
      }
    };

  const renderRow = (row: IFindingRow, level: number): JSX.Element => (
    <FindingRow
      key={row.key}
      trans={trans}
      row={row}
      level={level}
      showSeverity={groupBy !== 'severity'}
      selected={row.key === selected}
      tabbable={row.key === tabStop}
      expanded={ui.isExpanded(row.key)}
      busy={props.isBusy(row)}
      canAllow={props.canAllow ?? true}
      nodeRef={register(row.key)}
      onSelect={() => ui.select(row.key)}
      onToggle={() => ui.setExpanded(row.key, !ui.isExpanded(row.key))}
      actions={actions}
    />
  );

  return (
    <div
      className="jp-NbsecPanel-tree"
      role="tree"
      aria-label={trans.__('Findings')}
      data-testid="nbsec-findings"
      onKeyDown={onKeyDown}
    >
      {groupBy === 'none'
        ? groups.flatMap(group => group.rows.map(row => renderRow(row, 1)))
        : groups.map(group => {
            const collapsed = ui.isCollapsed(group.key);
            const label = groupLabel(trans, group);
            const count = group.rows.length;
            return (
              <div key={group.key} role="none" className="jp-NbsecPanel-group">
                <div
                  ref={register(group.key)}
                  role="treeitem"
                  aria-level={1}
                  aria-expanded={!collapsed}
                  aria-selected={group.key === selected}
                  aria-label={trans._n(
                    '%2: %1 finding',
                    '%2: %1 findings',
                    count,
                    label
                  )}
                  tabIndex={group.key === tabStop ? 0 : -1}
                  data-key={group.key}
                  data-testid="nbsec-group"
                  data-severity={group.worst}
                  className={
                    'jp-NbsecPanel-groupHead' +
                    (group.key === selected ? ' jp-mod-selected' : '')
                  }
                  onClick={() => {
                    ui.select(group.key);
                    ui.setCollapsed(group.key, !collapsed);
                  }}
                >
                  <span
                    className={
                      'jp-NbsecPanel-caret' + (collapsed ? '' : ' jp-mod-open')
                    }
                    aria-hidden="true"
                  />
                  <span className="jp-NbsecPanel-groupLabel">{label}</span>
                  <span className="jp-NbsecPanel-groupCount">{count}</span>
                </div>
                {!collapsed && (
                  <div role="group">
                    {group.rows.map(row => renderRow(row, 2))}
                  </div>
                )}
              </div>
            );
          })}
    </div>
  );
}

interface IFindingRowProps {
  readonly trans: Trans;
  readonly row: IFindingRow;
  readonly level: number;
  readonly showSeverity: boolean;
  readonly selected: boolean;
  readonly tabbable: boolean;
  readonly expanded: boolean;
  readonly busy: boolean;
  readonly canAllow: boolean;
  readonly nodeRef: (node: HTMLElement | null) => void;
  readonly onSelect: () => void;
  readonly onToggle: () => void;
  readonly actions: IFindingActions;
}

function FindingRow(props: IFindingRowProps): JSX.Element {
  const { trans, row, actions } = props;
  const finding = row.finding;
  const where = rowWhere(trans, row);
  const severity = severityLabel(trans, finding.severity);
  const canReveal = row.cellId !== null && row.cellNumber !== null;
  return (
    <div
      ref={props.nodeRef}
      role="treeitem"
      aria-level={props.level}
      aria-expanded={props.expanded}
      aria-selected={props.selected}
      aria-label={trans.__(
        '%1 %2: %3, %4',
        severity,
        finding.rule,
        finding.title,
        where
      )}
      tabIndex={props.tabbable ? 0 : -1}
      data-key={row.key}
      data-testid="nbsec-finding"
      data-rule={finding.rule}
      data-severity={finding.severity}
      className={
        'jp-NbsecPanel-finding' +
        (props.selected ? ' jp-mod-selected' : '') +
        (canReveal ? ' jp-mod-clickable' : '')
      }
    >
      <div
        className="jp-NbsecPanel-findingLine"
        title={finding.message}
        onClick={() => {
          props.onSelect();
          if (canReveal) {
            actions.reveal(row, false);
          } else {
            props.onToggle();
          }
        }}
      >
        <span
          className={
            'jp-NbsecPanel-caret' + (props.expanded ? ' jp-mod-open' : '')
          }
          aria-hidden="true"
          onClick={event => {
            event.stopPropagation();
            props.onSelect();
            props.onToggle();
          }}
        />
        {props.showSeverity && (
          <span
            className="jp-NbsecPanel-badge"
            data-severity={finding.severity}
          >
            {severity}
          </span>
        )}
        <span className="jp-NbsecPanel-rule">{finding.rule}</span>
        <span className="jp-NbsecPanel-findingTitle">{finding.title}</span>
        <span className="jp-NbsecPanel-where" data-testid="nbsec-where">
          {where}
        </span>
      </div>
      {props.expanded && (
        <FindingDetails
          trans={trans}
          row={row}
          canReveal={canReveal}
          busy={props.busy}
          canAllow={props.canAllow}
          actions={actions}
        />
      )}
    </div>
  );
}

function FindingDetails(props: {
  readonly trans: Trans;
  readonly row: IFindingRow;
  readonly canReveal: boolean;
  readonly busy: boolean;
  readonly canAllow: boolean;
  readonly actions: IFindingActions;
}): JSX.Element {
  const { trans, row, actions } = props;
  const finding = row.finding;
  const model = row.model;
  return (
    <div className="jp-NbsecPanel-details">
      <div className="jp-NbsecPanel-detailHead">
        <span className="jp-NbsecPanel-rule">{finding.rule}</span>
        {finding.title}
      </div>
      <div className="jp-NbsecPanel-message">{finding.message}</div>
      {finding.evidence && !row.frame && (
        <code className="jp-NbsecPanel-evidence" data-testid="nbsec-evidence">
          {finding.evidence}
        </code>
      )}
      {model && (
        <div className="jp-NbsecPanel-fileFacts">
          <span title={model.path ?? undefined}>
            {model.path ? baseName(model.path) : (model.source ?? '')}
          </span>
          {model.sha256 && (
            <code className="jp-NbsecPanel-hash" title={model.sha256}>
              {shortHash(model.sha256)}
            </code>
          )}
        </div>
      )}
      {finding.remediation && (
        <div className="jp-NbsecPanel-remediation">
          {trans.__('Fix: %1', finding.remediation)}
        </div>
      )}
      <div className="jp-NbsecPanel-rowActions">
        {props.canReveal && (
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-NbsecPanel-link"
            data-testid="nbsec-goto"
            onClick={() => actions.reveal(row, true)}
          >
            {row.model && !finding.location.cellId
              ? trans.__('Go to the cell that loaded it')
              : trans.__('Go to cell %1', row.cellNumber ?? '')}
          </button>
        )}
        {row.frame && (
          <button
            type="button"
            className="jp-Button jp-mod-styled jp-NbsecPanel-link"
            data-testid="nbsec-show-frame"
            onClick={() => actions.showFrame(row.frame!.frame)}
          >
            {trans.__('Show %1 in Frames', row.frame.frame)}
          </button>
        )}
        {props.canAllow && (
          <button
            type="button"
            className="jp-Button jp-mod-styled"
            data-testid="nbsec-allow-button"
            disabled={props.busy}
            title={trans.__(
              'Waive this finding (asks for the scope and a reason)'
            )}
            onClick={() => actions.allow(row)}
          >
            {trans.__('Allow…')}
          </button>
        )}
      </div>
    </div>
  );
}
