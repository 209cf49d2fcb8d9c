/**
 * The kernel's nbsec state as the panel sees it (protocol 2), and the functions that turn
 * validated protocol JSON into these typed, read-only values.
 *
 * Every message is first checked against the shared schema (`protocol.ts`, `schema_check.ts`);
 * the `to*` functions here only rename fields and fill in defaults, and may assume that shape.
 * The `parse*` functions are for JSON that no schema checked (the saved notebook's static scan):
 * strict on the type of every field the panel renders, tolerant of keys they do not know.
 * Nothing is ever interpreted as markup.
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
  /** 0-based; shown to people as `cellIndex + 1`. */
  readonly cellIndex: number | null;
  readonly executionCount: number | null;
  /** 1-based, within the cell (or within the output, when there is one). */
  readonly line: number | null;
  readonly outputIndex: number | null;
}

/** What a finding is about, when the kernel knows: the scopes a waiver can take. */
export interface IFindingSubject {
  readonly frame: string | null;
  readonly column: string | null;
  readonly sha256: string | null;
  readonly path: string | null;
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
  /** The id of the waiver that covers it; null when it is active. */
  readonly waiver: string | null;
  readonly subject: IFindingSubject | null;
}

/** A cell as the kernel saw it run. */
export interface ICellRef {
  readonly cellId: string | null;
  /** 0-based; null when the kernel does not know the notebook file. */
  readonly cellIndex: number | null;
  readonly executionCount: number | null;
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
  /** The frame's row count; null when unknown (a Spark or Dask frame seen by a first look). */
  readonly rows: number | null;
  readonly rowsScanned: number | null;
  /** False when only the first rows were looked at and the frame's size is not known. */
  readonly rowsKnown: boolean;
  /** True when every value of every column was checked (a full scan). */
  readonly exhaustive: boolean;
  /** True when a scan stopped early (cancelled, or out of time). */
  readonly partial: boolean;
  readonly columns: number | null;
  readonly piiColumns: readonly IPiiColumn[];
  /** The cell the frame was first seen after. */
  readonly cell: ICellRef | null;
}

/** One row of the models inventory: one file (or download source), however often loaded. */
export interface IModelRow {
  readonly key: string;
  readonly kind: 'load' | 'download';
  readonly api: string | null;
  readonly path: string | null;
  readonly source: string | null;
  readonly sha256: string | null;
  /** The worst verdict the file got. */
  readonly verdict: string | null;
  /** What the guard did at the latest load. */
  readonly action: string | null;
  readonly loads: number;
  readonly globals: readonly string[];
  /** Why the guard warned or blocked (one line), or null. */
  readonly reason: string | null;
  /** The cell that wrote this very file (same sha256) in this session, or null. */
  readonly own: ICellRef | null;
  /** The cell of the latest load. */
  readonly lastCell: ICellRef | null;
  readonly pinned: boolean | null;
}

/** What a waiver covers. */
export type WaiverScope =
  | { readonly kind: 'finding'; readonly fingerprint: string }
  | { readonly kind: 'file'; readonly sha256: string; readonly path?: string }
  | { readonly kind: 'path'; readonly path: string }
  | { readonly kind: 'column'; readonly frame: string; readonly column: string }
  | { readonly kind: 'rule'; readonly rule: string }
  | { readonly kind: 'notebook'; readonly notebooks: string };

/** A waiver: from this session, this notebook (saved in it) or the policy file. */
export interface IWaiver {
  readonly id: string;
  readonly scope: WaiverScope;
  readonly reason: string;
  readonly at: string;
  readonly expires: string | null;
  readonly origin: 'session' | 'notebook' | 'policy';
  /** What it covers, in the kernel's words. */
  readonly covers: string;
  /** Whether it lets a file load that the guard would stop. */
  readonly admitsFile: boolean;
  readonly active: boolean;
  /** Why an inactive waiver does not apply. */
  readonly note: string | null;
}

/** A full scan the kernel runs in chunks between messages. */
export interface IJob {
  readonly id: string;
  readonly kind: string;
  /** The frame it scans. */
  readonly target: string;
  readonly state: 'queued' | 'running' | 'done' | 'cancelled' | 'error';
  /** 0..1 */
  readonly progress: number;
  readonly rows: number | null;
  readonly error: string | null;
  readonly seconds: number;
}

/** What the kernel enforces right now (sent with every state and update). */
export interface IKernelStatus {
  readonly mode: string;
  readonly enabled: boolean;
  /** The policy locks the mode: the panel cannot change it. */
  readonly locked: boolean;
  readonly policyFile: string | null;
  /** Why the policy file could not be used (the defaults apply), or null. */
  readonly policyError: string | null;
}

export interface IKernelState {
  /** Bumped by the kernel on every change. */
  readonly version: number;
  /** The mode and switches in force; null for a saved notebook's static scan. */
  readonly status: IKernelStatus | null;
  /** Counts of the active findings. */
  readonly counts: Readonly<Record<Severity, number>>;
  /** Active and waived findings (a waived one names its waiver). */
  readonly findings: readonly IFinding[];
  /** Sorted by frame name. */
  readonly frames: readonly IFrameSummary[];
  readonly models: readonly IModelRow[];
  readonly waivers: readonly IWaiver[];
  readonly scans: readonly IJob[];
}

/** The payload of `get_state` replies: the state, and the summary for `metadata.nbsec`. */
export interface IStateUpdate {
  readonly state: IKernelState;
  /** The summary the panel writes to the notebook's `metadata.nbsec` on save. */
  readonly metadata: JSONObject;
}

/** Upserts and removals of one collection, keyed as the kernel keys it. */
export interface ICollectionDelta<T> {
  readonly upsert: readonly T[];
  readonly remove: readonly string[];
}

/** An `update` event: what changed between state versions `base` and `version`. */
export interface IStateDelta {
  readonly base: number;
  readonly version: number;
  readonly status: IKernelStatus;
  readonly counts: Readonly<Record<Severity, number>>;
  /** Too much changed to send: the panel asks `get_state`. */
  readonly resync: boolean;
  readonly findings: ICollectionDelta<IFinding> | null;
  readonly frames: ICollectionDelta<IFrameSummary> | null;
  readonly models: ICollectionDelta<IModelRow> | null;
  readonly waivers: ICollectionDelta<IWaiver> | null;
  readonly scans: ICollectionDelta<IJob> | null;
  /** Present when the summary for `metadata.nbsec` changed. */
  readonly metadata: JSONObject | null;
}

// -- from validated protocol JSON -------------------------------------------------------------

type Json = { readonly [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export function toStatus(value: Json): IKernelStatus {
  return {
    mode: value.mode,
    enabled: value.enabled,
    locked: value.locked,
    policyFile: value.policy_file ?? null,
    policyError: value.policy_error ?? null
  };
}

export function toFinding(value: Json): IFinding {
  const location = value.location;
  const subject = value.subject ?? null;
  return {
    rule: value.rule,
    title: value.title,
    severity: value.severity,
    message: value.message,
    remediation: value.remediation ?? '',
    evidence: value.evidence ?? null,
    location: {
      path: location.path ?? null,
      cellId: location.cell_id ?? null,
      cellIndex: location.cell_index ?? null,
      executionCount: location.execution_count ?? null,
      line: location.line ?? null,
      outputIndex: location.output_index ?? null
    },
    fingerprint: value.fingerprint,
    waiver: value.waiver ?? null,
    subject:
      subject === null
        ? null
        : {
            frame: subject.frame ?? null,
            column: subject.column ?? null,
            sha256: subject.sha256 ?? null,
            path: subject.path ?? null
          }
  };
}

export function toCellRef(value: Json | null | undefined): ICellRef | null {
  if (value === null || value === undefined) {
    return null;
  }
  return {
    cellId: value.cell_id ?? null,
    cellIndex: value.cell_index ?? null,
    executionCount: value.execution_count ?? null
  };
}

export function toFrame(name: string, value: Json): IFrameSummary {
  return {
    name,
    rows: value.rows_known === false ? null : (value.rows ?? null),
    rowsScanned: value.rows_scanned ?? null,
    rowsKnown: value.rows_known !== false,
    exhaustive: value.exhaustive === true,
    partial: value.partial === true,
    columns: value.columns ?? null,
    piiColumns: Object.entries(value.pii_columns as Json).map(
      ([column, entry]) => ({
        name: column,
        entities: (entry.entities as Json[]).map(entity => ({
          type: entity.type,
          fraction: entity.fraction,
          score: entity.score
        })),
        examples: entry.examples
      })
    ),
    cell: toCellRef(value.cell)
  };
}

export function toModel(value: Json): IModelRow {
  return {
    key: value.key,
    kind: value.kind,
    api: value.api ?? null,
    path: value.path ?? null,
    source: value.source ?? null,
    sha256: value.sha256 ?? null,
    verdict: value.verdict ?? null,
    action: value.action ?? null,
    loads: value.loads,
    globals: value.globals,
    reason: value.reason || null,
    own: toCellRef(value.own),
    lastCell: toCellRef(value.last_cell),
    pinned: value.pinned ?? null
  };
}

export function toWaiver(value: Json): IWaiver {
  return {
    id: value.id,
    scope: { ...(value.scope as Json) } as WaiverScope,
    reason: value.reason,
    at: value.at,
    expires: value.expires ?? null,
    origin: value.origin,
    covers: value.covers,
    admitsFile: value.admits_file,
    active: value.active,
    note: value.note ?? null
  };
}

export function toJob(value: Json): IJob {
  return {
    id: value.id,
    kind: value.kind,
    target: value.target,
    state: value.state,
    progress: value.progress,
    rows: value.rows ?? null,
    error: value.error ?? null,
    seconds: value.seconds
  };
}

function toCounts(value: Json): Record<Severity, number> {
  const counts = {} as Record<Severity, number>;
  for (const severity of SEVERITIES) {
    counts[severity] = value[severity];
  }
  return counts;
}

/** Frames (an object keyed by name) as a list sorted by name. */
function toFrames(value: Json): IFrameSummary[] {
  return Object.keys(value)
    .sort()
    .map(name => toFrame(name, value[name]));
}

/** A `get_state` reply payload `{state, metadata}`. */
export function toStateUpdate(payload: Json): IStateUpdate {
  const state = payload.state;
  return {
    state: {
      version: state.version,
      status: toStatus(state.status),
      counts: toCounts(state.counts),
      findings: (state.findings as Json[]).map(toFinding),
      frames: toFrames(state.frames),
      models: (state.models as Json[]).map(toModel),
      waivers: (state.waivers as Json[]).map(toWaiver),
      scans: (state.scans as Json[]).map(toJob)
    },
    metadata: copyJson(payload.metadata)
  };
}

/** An `update` event payload. */
export function toStateDelta(payload: Json): IStateDelta {
  const list = <T>(
    delta: Json | undefined,
    map: (item: Json) => T
  ): ICollectionDelta<T> | null =>
    delta
      ? { upsert: (delta.upsert as Json[]).map(map), remove: delta.remove }
      : null;
  const frames: Json | undefined = payload.frames;
  return {
    base: payload.base,
    version: payload.version,
    status: toStatus(payload.status),
    counts: toCounts(payload.counts),
    resync: payload.resync === true,
    findings: list(payload.findings, toFinding),
    frames: frames
      ? {
          upsert: Object.keys(frames.upsert)
            .sort()
            .map(name => toFrame(name, frames.upsert[name])),
          remove: frames.remove
        }
      : null,
    models: list(payload.models, toModel),
    waivers: list(payload.waivers, toWaiver),
    scans: list(payload.scans, toJob),
    metadata: payload.metadata ? copyJson(payload.metadata) : null
  };
}

/** A deep copy, so later changes by the caller cannot reach the saved notebook. */
function copyJson(value: unknown): JSONObject {
  return JSON.parse(JSON.stringify(value)) as JSONObject;
}

// -- from JSON no schema checked (the server's static scan) -------------------------------

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
    !isOptionalString(evidence) ||
    !isOptionalString(fingerprint) ||
    location === null
  ) {
    return null;
  }
  return {
    rule,
    title,
    severity,
    message,
    remediation: remediation ?? '',
    evidence: evidence ?? null,
    location,
    fingerprint: fingerprint ?? '',
    waiver: null,
    subject: null
  };
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

function isOptionalInteger(value: unknown): value is number | null | undefined {
  return value === null || value === undefined || isInteger(value);
}

function isOptionalString(value: unknown): value is string | null | undefined {
  return value === null || value === undefined || typeof value === 'string';
}
