/**
 * The saved notebook's static findings, from nbsec's Jupyter server extension.
 *
 * When the notebook has no kernel, or its kernel has no nbsec, the panel still shows what nbsec
 * finds in the file as last saved: `GET <base>/nbsec/api/version` first (the handshake: API
 * version 1 with the `scan` feature), then `GET <base>/nbsec/api/scan?path=<notebook>`. Both are
 * Jupyter API calls (the server authenticates them as it does its own); the server confines the
 * path to its root. Every answer is checked before use, like the kernel's messages.
 *
 * When the server lists the `report` feature, `POST <base>/nbsec/api/report?path=<notebook>`
 * writes the saved notebook's governance report beside it (the panel's "Governance report" action
 * while no kernel with nbsec answers).
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  IFinding,
  SEVERITIES,
  Severity,
  isRecord,
  parseFinding
} from './kernel_state';

/** The server API version this panel speaks. */
export const SERVER_API_VERSION = 1;

/** What the server extension says about itself. */
export interface IServerInfo {
  readonly nbsecVersion: string;
  readonly apiVersion: number;
  readonly features: readonly string[];
}

/** A static scan of one saved notebook. */
export interface IStaticScan {
  /** The notebook's path under the server root. */
  readonly path: string;
  readonly findings: readonly IFinding[];
  /** How many findings the policy waives (not listed). */
  readonly waived: number;
  /** One-line problems with the file (a malformed cell, …). */
  readonly errors: readonly string[];
  readonly counts: Readonly<Record<Severity, number>>;
  /** Whether saved outputs were checked for personal data. */
  readonly piiChecked: boolean;
  readonly policyFile: string | null;
}

/** Checks `GET nbsec/api/version`. */
export function parseServerInfo(value: unknown): IServerInfo | null {
  if (!isRecord(value)) {
    return null;
  }
  const {
    nbsec_version: nbsecVersion,
    api_version: apiVersion,
    features
  } = value;
  if (
    typeof nbsecVersion !== 'string' ||
    typeof apiVersion !== 'number' ||
    !Number.isInteger(apiVersion) ||
    !Array.isArray(features) ||
    !features.every(feature => typeof feature === 'string')
  ) {
    return null;
  }
  return { nbsecVersion, apiVersion, features };
}

/**
 * Checks `GET nbsec/api/scan`. Findings about the notebook itself lose their `path` (the panel
 * shows which notebook it is about once, in its header).
 */
export function parseStaticScan(value: unknown): IStaticScan | null {
  if (!isRecord(value) || typeof value.path !== 'string') {
    return null;
  }
  const path = value.path;
  const rawFindings = value.findings;
  const waived = value.waived ?? [];
  const errors = value.errors ?? [];
  const summary = value.summary;
  if (
    !Array.isArray(rawFindings) ||
    !Array.isArray(waived) ||
    !Array.isArray(errors) ||
    !errors.every(error => typeof error === 'string') ||
    !isRecord(summary) ||
    !isRecord(summary.by_severity) ||
    typeof value.pii_checked !== 'boolean' ||
    !(value.policy_file === null || typeof value.policy_file === 'string')
  ) {
    return null;
  }
  const findings: IFinding[] = [];
  for (const raw of rawFindings) {
    const finding = parseFinding(raw);
    if (finding === null) {
      return null;
    }
    findings.push(
      finding.location.path === path
        ? { ...finding, location: { ...finding.location, path: null } }
        : finding
    );
  }
  const counts = {} as Record<Severity, number>;
  for (const severity of SEVERITIES) {
    const count = summary.by_severity[severity] ?? 0;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      return null;
    }
    counts[severity] = count;
  }
  return {
    path,
    findings,
    waived: waived.length,
    errors,
    counts,
    piiChecked: value.pii_checked,
    policyFile: value.policy_file
  };
}

/** A governance report the server wrote; paths are relative to the server root. */
export interface ISavedReport {
  readonly path: string;
  readonly htmlPath: string | null;
  readonly outcome: string;
  readonly headline: string;
}

/** Checks `POST nbsec/api/report`. */
export function parseSavedReport(value: unknown): ISavedReport | null {
  if (!isRecord(value)) {
    return null;
  }
  const { path, html_path: htmlPath, outcome, headline } = value;
  if (
    typeof path !== 'string' ||
    !path.endsWith('.ipynb') ||
    path.startsWith('/') ||
    !(
      htmlPath === null ||
      htmlPath === undefined ||
      typeof htmlPath === 'string'
    ) ||
    typeof outcome !== 'string' ||
    typeof headline !== 'string'
  ) {
    return null;
  }
  return { path, htmlPath: htmlPath ?? null, outcome, headline };
}

/** A report, or the one-line reason there is none. */
export type SavedReportResult =
  | { readonly ok: true; readonly report: ISavedReport }
  | { readonly ok: false; readonly error: string };

/** Why there is no static scan to show. */
export type SavedScanProblem =
  /** The server has no nbsec extension (or an nbsec without the scan API). */
  | { readonly kind: 'unavailable' }
  /** The server extension speaks another API version. */
  | { readonly kind: 'version'; readonly apiVersion: number }
  /** The server answered the scan with an error (its own words), or nonsense. */
  | { readonly kind: 'failed'; readonly error: string };

/** A scan (and whether the server can write its report), or why there is none. */
export type SavedScanResult =
  | {
      readonly ok: true;
      readonly scan: IStaticScan;
      readonly canReport: boolean;
    }
  | { readonly ok: false; readonly problem: SavedScanProblem };

/** Talks to nbsec's server extension; the version handshake is done once per server. */
export class SavedScanClient {
  constructor(settings?: ServerConnection.ISettings) {
    this._settings = settings ?? ServerConnection.makeSettings();
  }

  /** The static scan of the notebook saved at `path` (relative to the server root). */
  async scan(path: string): Promise<SavedScanResult> {
    const info = await this._info();
    if (info === null || !info.features.includes('scan')) {
      return { ok: false, problem: { kind: 'unavailable' } };
    }
    if (info.apiVersion !== SERVER_API_VERSION) {
      return {
        ok: false,
        problem: { kind: 'version', apiVersion: info.apiVersion }
      };
    }
    let answer: { status: number; body: unknown };
    try {
      answer = await this._fetch('scan', URLExt.objectToQueryString({ path }));
    } catch (reason) {
      return {
        ok: false,
        problem: { kind: 'failed', error: describe(reason) }
      };
    }
    if (answer.status !== 200) {
      return {
        ok: false,
        problem: { kind: 'failed', error: errorMessage(answer) }
      };
    }
    const scan = parseStaticScan(answer.body);
    return scan === null
      ? {
          ok: false,
          problem: { kind: 'failed', error: 'malformed scan answer' }
        }
      : { ok: true, scan, canReport: info.features.includes('report') };
  }

  /** Writes the governance report of the notebook saved at `path` beside it. */
  async report(path: string): Promise<SavedReportResult> {
    const info = await this._info();
    if (
      info === null ||
      info.apiVersion !== SERVER_API_VERSION ||
      !info.features.includes('report')
    ) {
      return {
        ok: false,
        error: 'this Jupyter server’s nbsec cannot write reports'
      };
    }
    let answer: { status: number; body: unknown };
    try {
      answer = await this._fetch(
        'report',
        URLExt.objectToQueryString({ path }),
        'POST'
      );
    } catch (reason) {
      return { ok: false, error: describe(reason) };
    }
    if (answer.status !== 200) {
      return { ok: false, error: errorMessage(answer) };
    }
    const report = parseSavedReport(answer.body);
    return report === null
      ? { ok: false, error: 'malformed report answer' }
      : { ok: true, report };
  }

  /** The version handshake: null when the server has no nbsec API. */
  private _info(): Promise<IServerInfo | null> {
    if (this._infoPromise === null) {
      this._infoPromise = this._fetch('version').then(
        answer => (answer.status === 200 ? parseServerInfo(answer.body) : null),
        () => null
      );
      // a failed handshake (server restarting) is tried again next time
      void this._infoPromise.then(info => {
        if (info === null) {
          this._infoPromise = null;
        }
      });
    }
    return this._infoPromise;
  }

  private async _fetch(
    route: string,
    query = '',
    method: 'GET' | 'POST' = 'GET'
  ): Promise<{ status: number; body: unknown }> {
    const url = URLExt.join(this._settings.baseUrl, 'nbsec/api', route) + query;
    const response = await ServerConnection.makeRequest(
      url,
      { method },
      this._settings
    );
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    return { status: response.status, body };
  }

  private readonly _settings: ServerConnection.ISettings;
  private _infoPromise: Promise<IServerInfo | null> | null = null;
}

/** The server's own one-line error (`{"message"}`), or the HTTP status. */
function errorMessage(answer: { status: number; body: unknown }): string {
  return isRecord(answer.body) && typeof answer.body.message === 'string'
    ? answer.body.message
    : `HTTP ${answer.status}`;
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
