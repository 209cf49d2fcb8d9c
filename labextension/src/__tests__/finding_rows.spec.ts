/**
 * The findings list's view model: where each finding leads, filtering, grouping, stepping, and
 * the models inventory; on the state a real kernel sent.
 */

import {
  ICellLocator,
  IFindingRow,
  filterRows,
  findingRows,
  groupRows,
  modelRows,
  rowOrder,
  stepKey
} from '../finding_rows';
import { rowSearchText } from '../finding_tree';
import { IKernelState } from '../kernel_state';
import { capturedState, trans } from './helpers';

/** The open notebook: these cell ids at positions 1…n, with these execution counts. */
function notebook(cells: [string, number | null][]): ICellLocator {
  return {
    numberOf: id => {
      const index = cells.findIndex(([cellId]) => cellId === id);
      return index < 0 ? null : index + 1;
    },
    idByExecutionCount: count =>
      cells.find(([, executionCount]) => executionCount === count)?.[0] ?? null,
    idAt: index => cells[index]?.[0] ?? null
  };
}

const CELLS = notebook([
  ['c-load', 1],
  ['c-frame', 2],
  ['c-write', 3],
  ['c-load-rf', 5],
  ['c-load-evil', 6],
  ['c-secret', 7],
  ['c-reload', 8]
]);

function state(change?: (copy: any) => void): IKernelState {
  return capturedState(change).state;
}

/** `rule @ where` of each row, as the panel words it. */
function described(rows: readonly IFindingRow[]): string[] {
  return rows.map(row => `${row.finding.rule} @ ${rowWhereOf(row)}`);
}

function rowWhereOf(row: IFindingRow): string {
  if (row.frame) {
    return `${row.frame.frame}.${row.frame.column}`;
  }
  return `cell ${row.cellNumber ?? '?'}${row.line !== null ? ` line ${row.line}` : ''}`;
}

describe('findingRows', () => {
  it('leads each finding to its cell and line, a load to the cell that loaded', () => {
    expect(described(findingRows(state(), CELLS))).toEqual([
      'NBS-PKL-001 @ cell 4 line 2',
      'NBS-PKL-001 @ cell 5 line 2',
      // the guard's findings about evil.pkl lead to the cell that loaded it
      'NBS-PKL-001 @ cell 5',
      'NBS-PKL-010 @ cell 5',
      'NBS-PKL-001 @ cell 7 line 2',
      // personal data leads to the frame and column (shown once, in Frames)
      'NBS-PII-001 @ customers.email'
    ]);
  });

  it('lists the waived findings apart', () => {
    const rows = findingRows(state(), CELLS, true);
    expect(described(rows)).toEqual(['NBS-SEC-001 @ cell 6 line 2']);
    expect(rows[0].finding.waiver).toMatch(/^w-[0-9a-f]{12}$/);
  });

  it('links a finding about a file to its row in the models inventory', () => {
    const rows = findingRows(state(), CELLS);
    const evil = rows.filter(row => row.finding.location.path === 'evil.pkl');
    expect(evil.map(row => [row.model?.path, row.model?.verdict])).toEqual([
      ['evil.pkl', 'dangerous'],
      ['evil.pkl', 'dangerous']
    ]);
  });

  it('finds the cell by execution count when the kernel had no cell id', () => {
    const rows = findingRows(
      state(copy => {
        for (const finding of copy.payload.state.findings) {
          finding.location.cell_id = null;
        }
      }),
      CELLS
    );
    const evil = rows.filter(row => row.finding.location.path === 'evil.pkl');
    expect(evil.map(row => [row.cellId, row.cellNumber])).toEqual([
      ['c-load-evil', 5],
      ['c-load-evil', 5]
    ]);
  });

  it('keeps findings whose cell the notebook does not have, last', () => {
    const rows = findingRows(state(), notebook([['c-reload', null]]));
    expect(rows[0].finding.rule).toBe('NBS-PKL-001');
    expect(rows[0].cellNumber).toBe(1);
    expect(rows.slice(1).every(row => row.cellNumber === null)).toBe(true);
  });

  it('gives every row a distinct key, even for a repeated fingerprint', () => {
    const rows = findingRows(
      state(copy => {
        const findings = copy.payload.state.findings;
        findings.push({ ...findings[0] });
      }),
      CELLS
    );
    expect(new Set(rows.map(row => row.key)).size).toBe(rows.length);
  });
});

describe('filterRows', () => {
  const rows = findingRows(state(), CELLS);
  const filter = (query: string): string[] =>
    described(filterRows(rows, query, row => rowSearchText(trans, row)));

  const CASES: [string, string[]][] = [
    ['', described(rows)],
    ['pii', ['NBS-PII-001 @ customers.email']],
    ['EMAIL', ['NBS-PII-001 @ customers.email']],
    ['secrets', []],
    ['evil.pkl', ['NBS-PKL-001 @ cell 5', 'NBS-PKL-010 @ cell 5']],
    [
      'cell 5',
      [
        'NBS-PKL-001 @ cell 5 line 2',
        'NBS-PKL-001 @ cell 5',
        'NBS-PKL-010 @ cell 5'
      ]
    ],
    ['medium', ['NBS-PII-001 @ customers.email']],
    ['critical  stack_global', ['NBS-PKL-010 @ cell 5']],
    ['nothing-like-this', []]
  ];

  it.each(CASES)('"%s"', (query, expected) => {
    expect(filter(query)).toEqual(expected);
  });
});

describe('groupRows', () => {
  const rows = findingRows(state(), CELLS);
  const shape = (by: 'severity' | 'cell' | 'family' | 'none'): string[] =>
    groupRows(rows, by).map(
      group => `${group.key} (${group.worst}) ×${group.rows.length}`
    );

  it('by severity, worst first', () => {
    expect(shape('severity')).toEqual([
      'severity:critical (critical) ×5',
      'severity:medium (medium) ×1'
    ]);
  });

  it('by cell, in notebook order', () => {
    expect(shape('cell')).toEqual([
      'cell:c-frame (medium) ×1',
      'cell:c-load-rf (critical) ×1',
      'cell:c-load-evil (critical) ×3',
      'cell:c-reload (critical) ×1'
    ]);
  });

  it('by family, worst first', () => {
    expect(shape('family')).toEqual([
      'family:PKL (critical) ×5',
      'family:PII (medium) ×1'
    ]);
  });

  it('not at all', () => {
    expect(shape('none')).toEqual(['all (critical) ×6']);
  });

  it('lists no group for no rows', () => {
    expect(groupRows([], 'severity')).toEqual([]);
  });
});

describe('stepping', () => {
  const order = ['a', 'b', 'c'];
  const CASES: [string | null, 1 | -1, string][] = [
    [null, 1, 'a'],
    [null, -1, 'c'],
    ['a', 1, 'b'],
    ['c', 1, 'a'],
    ['a', -1, 'c'],
    ['gone', 1, 'a'],
    ['gone', -1, 'c']
  ];
  it.each(CASES)('from %s by %d is %s', (current, step, expected) => {
    expect(stepKey(order, current, step)).toBe(expected);
  });

  it('finds nothing in an empty list', () => {
    expect(stepKey([], 'a', 1)).toBeNull();
  });

  it('follows the grouping the panel shows', () => {
    const rows = findingRows(state(), CELLS);
    const byCell = rowOrder(groupRows(rows, 'cell'));
    expect(byCell[0].finding.rule).toBe('NBS-PII-001');
    expect(
      stepKey(
        byCell.map(row => row.key),
        byCell[0].key,
        1
      )
    ).toBe(byCell[1].key);
  });
});

describe('modelRows', () => {
  it('lists each file once, worst verdict first, with its latest and its writing cell', () => {
    const rows = modelRows(state().models, CELLS);
    expect(
      rows.map(row => [
        row.model.path,
        row.model.verdict,
        row.model.action,
        row.model.loads,
        row.cellNumber,
        row.ownCellNumber
      ])
    ).toEqual([
      ['evil.pkl', 'dangerous', 'warned', 1, 5, 3],
      ['rf.pkl', 'safe', 'allowed', 2, 7, 3]
    ]);
  });
});
