/**
 * The saved notebook's static scan, as nbsec's server extension answers it: checked before use,
 * and turned into rows that lead to each cell, line and output.
 */

import { readFileSync } from 'fs';
import { join } from 'path';

import { ICellLocator, findingRows, staticState } from '../finding_rows';
import { rowWhere } from '../finding_tree';
import { marksByCell } from '../gutter_markers';
import {
  parseSavedReport,
  parseServerInfo,
  parseStaticScan
} from '../saved_scan';
import { altered, trans } from './helpers';

/**
 * `GET nbsec/api/scan?path=saved.ipynb` from a real server: the 20-cell notebook of the browser
 * tests, saved with an HTML table of e-mails under cell 4 and printed e-mails under cell 18.
 */
function reply(): Record<string, unknown> {
  const path = join(__dirname, 'fixtures', 'static_scan_reply_v1.json');
  return JSON.parse(readFileSync(path, 'utf-8'));
}

/** The notebook as written: cell ids `cell-0` … `cell-19`. */
const CELLS: ICellLocator = {
  numberOf: id => {
    const match = /^cell-(\d+)$/.exec(id);
    return match ? Number(match[1]) + 1 : null;
  },
  idByExecutionCount: () => null,
  idAt: index => (index >= 0 && index < 20 ? `cell-${index}` : null)
};

describe('parseStaticScan', () => {
  it('reads a real answer; findings about the notebook itself lose its path', () => {
    const scan = parseStaticScan(reply());
    expect(scan).not.toBeNull();
    expect(scan!.path).toBe('saved.ipynb');
    expect(scan!.findings).toHaveLength(11);
    expect(scan!.findings.every(f => f.location.path === null)).toBe(true);
    expect(scan!.counts).toEqual({
      critical: 3,
      high: 5,
      medium: 3,
      low: 0,
      info: 0
    });
    expect(scan!.piiChecked).toBe(true);
  });

  const BAD: [string, (copy: any) => void][] = [
    ['no path', copy => delete copy.path],
    ['findings not a list', copy => (copy.findings = {})],
    ['a finding without a rule', copy => delete copy.findings[0].rule],
    [
      'a severity count that is text',
      copy => (copy.summary.by_severity.high = '5')
    ],
    ['errors that are not text', copy => (copy.errors = [1])],
    ['no pii_checked', copy => delete copy.pii_checked]
  ];
  it.each(BAD)('refuses %s', (_name, change) => {
    expect(parseStaticScan(altered(reply(), change))).toBeNull();
  });
});

describe('parseServerInfo', () => {
  it('reads the version handshake', () => {
    expect(
      parseServerInfo({
        nbsec_version: '0.1.0',
        api_version: 1,
        features: ['scan', 'pre_save']
      })
    ).toEqual({
      nbsecVersion: '0.1.0',
      apiVersion: 1,
      features: ['scan', 'pre_save']
    });
    expect(
      parseServerInfo({ nbsec_version: '0.1.0', api_version: '1' })
    ).toBeNull();
  });
});

describe('parseSavedReport', () => {
  const ANSWER = {
    path: 'work/leaky.nbsec.ipynb',
    html_path: 'work/leaky.nbsec.html',
    files: ['work/leaky.nbsec.ipynb', 'work/leaky.nbsec.html'],
    outcome: 'fail',
    risk: 'critical',
    headline: '3 open findings'
  };

  it('reads where the server wrote the report', () => {
    expect(parseSavedReport(ANSWER)).toEqual({
      path: 'work/leaky.nbsec.ipynb',
      htmlPath: 'work/leaky.nbsec.html',
      outcome: 'fail',
      headline: '3 open findings'
    });
    expect(parseSavedReport({ ...ANSWER, html_path: null })?.htmlPath).toBe(
      null
    );
  });

  const BAD: [string, (copy: any) => void][] = [
    ['no path', copy => delete copy.path],
    ['a path that is not a notebook', copy => (copy.path = 'work/x.html')],
    ['an absolute path', copy => (copy.path = '/etc/x.nbsec.ipynb')],
    ['an html path that is a number', copy => (copy.html_path = 3)],
    ['no outcome', copy => delete copy.outcome],
    ['no headline', copy => delete copy.headline]
  ];
  it.each(BAD)('refuses %s', (_name, change) => {
    expect(parseSavedReport(altered(ANSWER, change))).toBeNull();
  });
});

describe('static rows', () => {
  it('lead to each cell, line and output of the saved notebook', () => {
    const scan = parseStaticScan(reply())!;
    const rows = findingRows(staticState(scan), CELLS);
    expect(
      rows.map(row => `${row.finding.rule} @ ${rowWhere(trans, row)}`)
    ).toEqual([
      'NBS-PKL-001 @ cell 6, line 2',
      'NBS-SEC-002 @ cell 7, line 1',
      'NBS-PKL-001 @ cell 19, line 2',
      'NBS-PII-002 @ cell 4, output 1',
      'NBS-SRC-002 @ cell 8, line 3',
      'NBS-PKL-006 @ cell 9, line 2',
      'NBS-PKL-004 @ cell 12, line 2',
      'NBS-PKL-005 @ cell 17, line 3',
      'NBS-MDL-002 @ cell 14, line 3',
      'NBS-PII-003 @ cell 18, output 1, line 1',
      'NBS-PII-003 @ cell 18, output 1, line 2'
    ]);
  });

  it("keep a line within an output out of the cell's source lines", () => {
    const scan = parseStaticScan(reply())!;
    const rows = findingRows(staticState(scan), CELLS);
    const printed = rows.filter(row => row.finding.rule === 'NBS-PII-003');
    expect(printed.map(row => [row.cellId, row.line])).toEqual([
      ['cell-17', null],
      ['cell-17', null]
    ]);
    expect(marksByCell(rows).get('cell-17')).toBeUndefined();
    expect(
      marksByCell(rows)
        .get('cell-5')
        ?.map(mark => mark.line)
    ).toEqual([2]);
  });

  it('find a cell without an id by its index', () => {
    const scan = parseStaticScan(
      altered(reply(), copy => {
        for (const finding of copy.findings) {
          finding.location.cell_id = null;
        }
      })
    )!;
    const rows = findingRows(staticState(scan), CELLS);
    expect(rows[0].cellId).toBe('cell-5');
    expect(rows[0].cellNumber).toBe(6);
  });
});
