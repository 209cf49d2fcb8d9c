/**
 * The words the panel uses for findings: severities, rule families, locations, short hashes.
 *
 * Every sentence goes through the translator (`trans.__`); the functions take the bundle as
 * their first argument so they stay pure and testable without JupyterLab.
 */

import { IFindingLocation, Severity } from './kernel_state';
import { Trans } from './translate';

export type { Trans } from './translate';

/** Rule families by the middle part of the rule id (`NBS-PII-001` → `PII`). */
export const FAMILIES = ['PII', 'SEC', 'PKL', 'MDL', 'SRC', 'LIN'] as const;

export type Family = (typeof FAMILIES)[number] | 'other';

/** The pseudo cell id prefix the kernel gives findings about a DataFrame it holds. */
export const FRAME_CELL_PREFIX = 'frame:';

/** `NBS-PKL-010` → `PKL`; anything else → `other`. */
export function ruleFamily(rule: string): Family {
  const match = /^NBS-([A-Z]+)-\d+$/.exec(rule);
  const family = match ? match[1] : '';
  return (FAMILIES as readonly string[]).includes(family)
    ? (family as Family)
    : 'other';
}

export function familyLabel(trans: Trans, family: Family): string {
  switch (family) {
    case 'PII':
      return trans.__('Personal data');
    case 'SEC':
      return trans.__('Secrets');
    case 'PKL':
      return trans.__('Unsafe loads');
    case 'MDL':
      return trans.__('Model sources');
    case 'SRC':
      return trans.__('Risky code');
    case 'LIN':
      return trans.__('Lineage');
    case 'other':
      return trans.__('Other');
  }
}

export function severityLabel(trans: Trans, severity: Severity): string {
  switch (severity) {
    case 'critical':
      return trans.__('Critical');
    case 'high':
      return trans.__('High');
    case 'medium':
      return trans.__('Medium');
    case 'low':
      return trans.__('Low');
    case 'info':
      return trans.__('Info');
  }
}

/** The file name at the end of a path (`models/rf.pkl` → `rf.pkl`). */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/**
 * `sha256:0123…` or `0123…` → its first 12 hex digits, the length git and the CLI show. The full
 * hash stays available as a tooltip wherever a short one is shown.
 */
export function shortHash(hash: string): string {
  const hex = hash.startsWith('sha256:') ? hash.slice('sha256:'.length) : hash;
  return hex.slice(0, 12);
}

/** A share of 0..1 as a percentage with at most one decimal (`0.4567` → `45.7%`). */
export function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

/**
 * Where a finding is, in a few words: `cell 4, line 5`, `frame customers`, `evil.pkl`. A cell the
 * open notebook has is named by its position there (as JupyterLab's own status bar counts).
 */
export function describeLocation(
  trans: Trans,
  location: IFindingLocation,
  cellNumber: number | null
): string {
  const cellId = location.cellId;
  if (cellId && cellId.startsWith(FRAME_CELL_PREFIX)) {
    return trans.__('frame %1', cellId.slice(FRAME_CELL_PREFIX.length));
  }
  let cell: string | null = null;
  if (cellNumber !== null) {
    cell = trans.__('cell %1', cellNumber);
  } else if (location.executionCount !== null) {
    cell = trans.__('cell [%1]', location.executionCount);
  } else if (location.cellIndex !== null) {
    cell = trans.__('cell %1', location.cellIndex + 1);
  }
  const parts: string[] = [];
  if (location.path) {
    parts.push(baseName(location.path));
  }
  if (cell !== null) {
    parts.push(cell);
  }
  if (location.outputIndex !== null) {
    parts.push(trans.__('output %1', location.outputIndex + 1));
  }
  if (location.line !== null) {
    parts.push(trans.__('line %1', location.line)); // within the output, when there is one
  }
  return parts.length > 0 ? parts.join(', ') : trans.__('kernel session');
}

/** A frame and column a personal-data finding is about. */
export interface IFrameColumn {
  readonly frame: string;
  readonly column: string | null;
}

/**
 * The frame (and column) a personal-data finding names. The kernel's message reads
 * `frame 'customers' column 'email' holds …`, with Python's quoting of both names.
 */
export function frameColumnOf(message: string): IFrameColumn | null {
  const frame = pythonStringAfter(message, 'frame ');
  if (frame === null) {
    return null;
  }
  const rest = message.slice(frame.end);
  const column = pythonStringAfter(rest, ' column ');
  return { frame: frame.value, column: column ? column.value : null };
}

/** A Python string literal (`'a'`, `"it's"`) right after `prefix` at the start of `text`. */
function pythonStringAfter(
  text: string,
  prefix: string
): { value: string; end: number } | null {
  if (!text.startsWith(prefix)) {
    return null;
  }
  const quote = text[prefix.length];
  if (quote !== "'" && quote !== '"') {
    return null;
  }
  let value = '';
  for (let i = prefix.length + 1; i < text.length; i++) {
    const char = text[i];
    if (char === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i++;
    } else if (char === quote) {
      return { value, end: i + 1 };
    } else {
      value += char;
    }
  }
  return null;
}
