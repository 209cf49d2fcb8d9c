/**
 * What the user has set up in the panel: the filter, the grouping, the selected finding, which
 * rows and groups are open and which sections are folded. Shared by the panel's view and the
 * commands (stepping through findings moves the selection the panel shows), kept across kernel
 * updates and notebook switches; `changed` fires after every change.
 */

import { ISignal, Signal } from '@lumino/signaling';

import { GroupBy } from './finding_rows';

/** The panel's sections. */
export type SectionKey = 'findings' | 'frames' | 'models' | 'waivers';

export class PanelUiState {
  constructor(groupBy: GroupBy = 'severity') {
    this._groupBy = groupBy;
  }

  /** Emitted after any change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The filter box's text. */
  get filter(): string {
    return this._filter;
  }

  set filter(value: string) {
    if (value !== this._filter) {
      this._filter = value;
      this._changed.emit();
    }
  }

  get groupBy(): GroupBy {
    return this._groupBy;
  }

  set groupBy(value: GroupBy) {
    if (value !== this._groupBy) {
      this._groupBy = value;
      this._changed.emit();
    }
  }

  /** Whether the findings a waiver covers are listed (under the active ones). */
  get showWaived(): boolean {
    return this._showWaived;
  }

  set showWaived(value: boolean) {
    if (value !== this._showWaived) {
      this._showWaived = value;
      this._changed.emit();
    }
  }

  /** The key of the selected item (a finding row, or a group heading), or null. */
  get selected(): string | null {
    return this._selected;
  }

  /** Selects an item; `focus` asks the view to move keyboard focus to it. */
  select(key: string | null, focus = false): void {
    if (key === this._selected && !focus) {
      return;
    }
    this._selected = key;
    this._focusRequest = focus ? key : null;
    this._changed.emit();
  }

  /** The item a view should move keyboard focus to once it is on the page, or null. */
  get focusRequest(): string | null {
    return this._focusRequest;
  }

  /** The view that holds the requested item focused it (no change is emitted). */
  focusDone(): void {
    this._focusRequest = null;
  }

  /** Whether a finding row shows its details. */
  isExpanded(key: string): boolean {
    return this._expanded.has(key);
  }

  setExpanded(key: string, expanded: boolean): void {
    if (this._expanded.has(key) === expanded) {
      return;
    }
    if (expanded) {
      this._expanded.add(key);
    } else {
      this._expanded.delete(key);
    }
    this._changed.emit();
  }

  /**
   * Whether a group (or a frame in Frames) is folded: as the user left it, else `byDefault`.
   */
  isCollapsed(key: string, byDefault = false): boolean {
    return this._collapsed.get(key) ?? byDefault;
  }

  setCollapsed(key: string, collapsed: boolean): void {
    if (this._collapsed.get(key) === collapsed) {
      return;
    }
    this._collapsed.set(key, collapsed);
    this._changed.emit();
  }

  /** Whether a section is folded. */
  isSectionFolded(section: SectionKey): boolean {
    return this._folded.has(section);
  }

  setSectionFolded(section: SectionKey, folded: boolean): void {
    if (this._folded.has(section) === folded) {
      return;
    }
    if (folded) {
      this._folded.add(section);
    } else {
      this._folded.delete(section);
    }
    this._changed.emit();
  }

  private _filter = '';
  private _showWaived = false;
  private _groupBy: GroupBy;
  private _selected: string | null = null;
  private _focusRequest: string | null = null;
  private readonly _expanded = new Set<string>();
  /** Groups and frames the user folded (true) or opened (false). */
  private readonly _collapsed = new Map<string, boolean>();
  private readonly _folded = new Set<SectionKey>();
  private readonly _changed = new Signal<this, void>(this);
}
