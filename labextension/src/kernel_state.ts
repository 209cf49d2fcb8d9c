/**
 * The kernel's nbsec state as the panel sees it, and the shape checks that admit it.
 *
 * The kernel sends `{state, metadata}` in the `get_state` reply and in every `update` event
 * (`nbsec/kernel/session_state.py`: `to_state()` and `summary()`). Each parser here turns an
 * unchecked JSON value into a typed, read-only value or returns null: strict on the type of every
 * field the panel renders, tolerant of keys it does not know (a newer kernel may add some).
 * Nothing is ever interpreted as markup; the parsers only decide what may be shown as text.
 */

import { JSONObject } from '@lumino/coreutils';

/** Severity names from the worst down, as the kernel spells them. */
export const SEVERITIES = [
  'critical',
  'high',
  'medium',
  'low',
  'info'
] as const;

export type Severity = (typeof SEVERITIES)[number];

/** Where a finding is: a notebook cell (by id or position), a line, an output. */
export interface IFindingLocation {
  readonly path: string | null;
  /** A notebook cell id, or a pseudo id such as `frame:customers` for a DataFrame. */
  readonly cellId: string | null;
  readonly cellIndex: number | null;
  readonly executionCount: number | null;
  readonly line: number | null;
  readonly outputIndex: number | null;
}

export interface IFinding {
  readonly rule: string;
  readonly title: string;
  readonly severity: Severity;
  readonly message: string;
  readonly remediation: string;
  /** Masked or hashed by the kernel; null when the finding has none. */
  readonly evidence: string | null;
  readonly location: IFindingLocation;
  readonly fingerprint: string;
}

/** One entity type in one column, with its share of the scanned values (0..1). */
export interface IEntityHit {
  readonly type: string;
  readonly fraction: number;
  readonly score: number;
}

export interface IPiiColumn {
  readonly name: string;
  readonly entities: readonly IEntityHit[];
  /** Masked examples (`a***@e***.com`). */
  readonly examples: readonly string[];
}

/** What the kernel knows about one DataFrame it scanned. */
export interface IFrameSummary {
  readonly name: string;
  readonly rows: number | null;
  readonly rowsScanned: number | null;
  /** True when every value of every column was checked (a full scan). */
  readonly exhaustive: boolean;
  readonly columns: number | null;
  readonly piiColumns: readonly IPiiColumn[];
}

/** The cell a load happened in. */
export interface IRunningCell {
  readonly cellId: string | null;
  readonly executionCount: number | null;
}

/** One guarded model or pickle load. */
export interface IModelLoad {
  readonly api: string | null;
  readonly source: string | null;
  readonly path: string | null;
  readonly sha256: string | null;
  readonly verdict: string | null;
  readonly action: string | null;
  /** Why the guard warned or blocked (one line), or null. */
  readonly reason: string | null;
  /** The globals the file imports, as dotted names. */
  readonly globals: readonly string[];
  /** The cell the load ran in, when the kernel knew it. */
  readonly cell: IRunningCell | null;
}

/** A session waiver (`%nbsec allow` or the panel's Allow). */
export interface IWaiver {
  readonly target: string;
  readonly kind: string;
  readonly reason: string;
  readonly at: string;
}

/** What the kernel enforces right now (sent with every state). */
export interface IKernelStatus {
  readonly mode: string;
  readonly enabled: boolean;
  readonly policyFile: string | null;
}

export interface IKernelState {
  /** Bumped by the kernel on every change. */
  readonly version: number;
  /** The mode and switch in force; null from a kernel that does not send them. */
  readonly status: IKernelStatus | null;
  readonly counts: Readonly<Record<Severity, number>>;
  readonly findings: readonly IFinding[];
  /** Sorted by frame name. */
  readonly frames: readonly IFrameSummary[];
  readonly models: readonly IModelLoad[];
  readonly waivers: readonly IWaiver[];
}

/** The payload of `get_state` replies and `update` events. */
export interface IStateUpdate {
  readonly state: IKernelState;
  /** The summary the panel writes to the notebook's `metadata.nbsec` on save. */
  readonly metadata: JSONObject;
}

/** Checks `{state, metadata}`. */
export function parseStateUpdate(payload: unknown): IStateUpdate | null {
  if (!isRecord(payload)) {
    return null;
  }
  const state = parseKernelState(payload.state);
  const metadata = parseMetadata(payload.metadata);
  if (state === null || metadata === null) {
    return null;
  }
  return { state, metadata };
}

/** Checks `{version, counts, findings[], frames{}, models[], waivers[], lineage{}}`. */
export function parseKernelState(value: unknown): IKernelState | null {
  if (!isRecord(value) || !isInteger(value.version)) {
    return null;
  }
  const counts = parseCounts(value.counts);
  const findings = parseList(value.findings, parseFinding);
  const frames = parseFrames(value.frames);
  const models = parseList(value.models, parseModelLoad);
  const waivers = parseList(value.waivers, parseWaiver);
  const lineageOk = value.lineage === undefined || isRecord(value.lineage);
  const status = parseKernelStatus(value.status);
  if (
    status === undefined ||
    counts === null ||
    findings === null ||
    frames === null ||
    models === null ||
    waivers === null ||
    !lineageOk
  ) {
    return null;
  }
  return {
    version: value.version,
    status,
    counts,
    findings,
    frames,
    models,
    waivers
  };
}

/** `{mode, enabled, policy_file}`; null when absent, undefined when malformed. */
function parseKernelStatus(value: unknown): IKernelStatus | null | undefined {
  if (value === undefined || value === null) {
    return null;
  }
  if (!isRecord(value)) {
    return undefined;
  }
  const { mode, enabled, policy_file: policyFile } = value;
  if (
    typeof mode !== 'string' ||
    typeof enabled !== 'boolean' ||
    !isOptionalString(policyFile)
  ) {
    return undefined;
  }
  return { mode, enabled, policyFile: policyFile ?? null };
}

export function parseFinding(value: unknown): IFinding | null {
  if (!isRecord(value)) {
    return null;
  }
  const { rule, title, severity, message, remediation, evidence, fingerprint } =
    value;
  const location = parseLocation(value.location ?? {});
  if (
    typeof rule !== 'string' ||
    typeof title !== 'string' ||
    !isSeverity(severity) ||
    typeof message !== 'string' ||
    !isOptionalString(remediation) ||
    !isOptionalString(fingerprint) ||
    location === null
  ) {
    return null;
  }
  const shownEvidence = evidenceText(evidence);
  if (shownEvidence === undefined) {
    return null;
  }
  return {
    rule,
    title,
    severity,
    message,
    remediation: remediation ?? '',
    evidence: shownEvidence,
    location,
    fingerprint: fingerprint ?? ''
  };
}

export function parseFrameSummary(
  name: string,
  value: unknown
): IFrameSummary | null {
  if (!isRecord(value)) {
    return null;
  }
  const { rows, rows_scanned: rowsScanned, exhaustive, columns } = value;
  if (
    !isOptionalInteger(rows) ||
    !isOptionalInteger(rowsScanned) ||
    !(exhaustive === undefined || typeof exhaustive === 'boolean') ||
    !isOptionalInteger(columns)
  ) {
    return null;
  }
  const rawColumns = value.pii_columns ?? {};
  if (!isRecord(rawColumns)) {
    return null;
  }
  const piiColumns: IPiiColumn[] = [];
  for (const [column, entry] of Object.entries(rawColumns)) {
    const parsed = parsePiiColumn(column, entry);
    if (parsed === null) {
      return null;
    }
    piiColumns.push(parsed);
  }
  return {
    name,
    rows: rows ?? null,
    rowsScanned: rowsScanned ?? null,
    exhaustive: exhaustive ?? false,
    columns: columns ?? null,
    piiColumns
  };
}

export function parseModelLoad(value: unknown): IModelLoad | null {
  if (!isRecord(value)) {
    return null;
  }
  const { api, source, path, sha256, verdict, action, reason } = value;
  const globals = value.globals ?? [];
  const cell = parseRunningCell(value.cell);
  if (
    !isOptionalString(api) ||
    !isOptionalString(source) ||
    !isOptionalString(path) ||
    !isOptionalString(sha256) ||
    !isOptionalString(verdict) ||
    !isOptionalString(action) ||
    !isOptionalString(reason) ||
    !isStringList(globals) ||
    cell === undefined
  ) {
    return null;
  }
  return {
    api: api ?? null,
    source: source ?? null,
    path: path ?? null,
    sha256: sha256 ?? null,
    verdict: verdict ?? null,
    action: action ?? null,
    reason: reason || null,
    globals,
    cell
  };
}

/** `{cell_id, execution_count}` or null; undefined when malformed. */
function parseRunningCell(value: unknown): IRunningCell | null | undefined {
  if (value === null || value === undefined) {
    return null;
  }
  if (!isRecord(value)) {
    return undefined;
  }
  const { cell_id: cellId, execution_count: executionCount } = value;
  if (!isOptionalString(cellId) || !isOptionalInteger(executionCount)) {
    return undefined;
  }
  return { cellId: cellId ?? null, executionCount: executionCount ?? null };
}

export function parseWaiver(value: unknown): IWaiver | null {
  if (!isRecord(value)) {
    return null;
  }
  const { target, kind, reason, at } = value;
  if (
    typeof target !== 'string' ||
    typeof kind !== 'string' ||
    typeof reason !== 'string' ||
    !isOptionalString(at)
  ) {
    return null;
  }
  return { target, kind, reason, at: at ?? '' };
}

/** A JSON object; copied so later changes by the caller cannot reach the saved notebook. */
export function parseMetadata(value: unknown): JSONObject | null {
  if (!isRecord(value)) {
    return null;
  }
  try {
    const copy: unknown = JSON.parse(JSON.stringify(value));
    return isRecord(copy) ? (copy as JSONObject) : null;
  } catch {
    return null;
  }
}

/** `frames` is an object keyed by frame name; the panel lists them sorted by name. */
function parseFrames(value: unknown): IFrameSummary[] | null {
  if (!isRecord(value)) {
    return null;
  }
  const frames: IFrameSummary[] = [];
  for (const name of Object.keys(value).sort()) {
    const frame = parseFrameSummary(name, value[name]);
    if (frame === null) {
      return null;
    }
    frames.push(frame);
  }
  return frames;
}

function parsePiiColumn(name: string, value: unknown): IPiiColumn | null {
  if (!isRecord(value)) {
    return null;
  }
  const entities = parseList(value.entities, parseEntityHit);
  const examples = value.examples ?? [];
  if (entities === null || !isStringList(examples)) {
    return null;
  }
  return { name, entities, examples };
}

function parseEntityHit(value: unknown): IEntityHit | null {
  if (!isRecord(value)) {
    return null;
  }
  const { type, fraction, score } = value;
  if (
    typeof type !== 'string' ||
    !isFiniteNumber(fraction) ||
    !(score === undefined || isFiniteNumber(score))
  ) {
    return null;
  }
  return { type, fraction, score: score ?? 0 };
}

function parseLocation(value: unknown): IFindingLocation | null {
  if (!isRecord(value)) {
    return null;
  }
  const {
    path,
    cell_id: cellId,
    cell_index: cellIndex,
    execution_count: executionCount,
    line,
    output_index: outputIndex
  } = value;
  if (
    !isOptionalString(path) ||
    !isOptionalString(cellId) ||
    !isOptionalInteger(cellIndex) ||
    !isOptionalInteger(executionCount) ||
    !isOptionalInteger(line) ||
    !isOptionalInteger(outputIndex)
  ) {
    return null;
  }
  return {
    path: path ?? null,
    cellId: cellId ?? null,
    cellIndex: cellIndex ?? null,
    executionCount: executionCount ?? null,
    line: line ?? null,
    outputIndex: outputIndex ?? null
  };
}

function parseCounts(value: unknown): Record<Severity, number> | null {
  if (!isRecord(value)) {
    return null;
  }
  const counts = {} as Record<Severity, number>;
  for (const severity of SEVERITIES) {
    const count = value[severity] ?? 0;
    if (!isInteger(count) || count < 0) {
      return null;
    }
    counts[severity] = count;
  }
  return counts;
}

/** Evidence as text: a string as is, other JSON as compact JSON; undefined when unusable. */
function evidenceText(value: unknown): string | null | undefined {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (Array.isArray(value) || isRecord(value)) {
    try {
      return JSON.stringify(value);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function parseList<T>(
  value: unknown,
  parse: (item: unknown) => T | null
): T[] | null {
  if (!Array.isArray(value)) {
    return null;
  }
  const items: T[] = [];
  for (const item of value) {
    const parsed = parse(item);
    if (parsed === null) {
      return null;
    }
    items.push(parsed);
  }
  return items;
}

export function isSeverity(value: unknown): value is Severity {
  return (
    typeof value === 'string' &&
    (SEVERITIES as readonly string[]).includes(value)
  );
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isOptionalInteger(value: unknown): value is number | null | undefined {
  return value === null || value === undefined || isInteger(value);
}

function isOptionalString(value: unknown): value is string | null | undefined {
  return value === null || value === undefined || typeof value === 'string';
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(item => typeof item === 'string');
}
