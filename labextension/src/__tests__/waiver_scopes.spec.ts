/** What "Allow…" offers for each kind of finding, and what it preselects. */

import { ICellLocator, findingRows } from '../finding_rows';
import { waiverScopes } from '../waiver_scopes';
import { capturedState, trans } from './helpers';

const CELLS: ICellLocator = {
  numberOf: () => null,
  idByExecutionCount: () => null,
  idAt: () => null
};

function offered(rule: string, where: (path: string | null) => boolean) {
  const row = findingRows(capturedState().state, CELLS).find(
    candidate =>
      candidate.finding.rule === rule && where(candidate.finding.location.path)
  )!;
  const { choices, preferred } = waiverScopes(trans, row);
  return {
    kinds: choices.map(choice => choice.scope.kind),
    labels: choices.map(choice => choice.label),
    preferred: choices[preferred].scope
  };
}

describe('waiverScopes', () => {
  it('offers a loaded file by its hash, first unless it is dangerous', () => {
    const { kinds, labels, preferred } = offered(
      'NBS-PKL-010',
      path => path === 'evil.pkl'
    );
    expect(kinds).toEqual(['finding', 'file', 'rule', 'rule']);
    expect(labels[1]).toBe('This file only: evil.pkl (sha256 f9c0fe31866e)');
    // evil.pkl runs os.system when loaded: letting it load is never the default
    expect(preferred.kind).toBe('finding');
    expect(labels.slice(2)).toEqual([
      'Every NBS-PKL-010 finding',
      'Every NBS-PKL-* finding'
    ]);

    const own = findingRows(
      capturedState(copy => {
        for (const model of copy.payload.state.models) {
          model.verdict = 'suspicious';
        }
      }).state,
      CELLS
    ).find(row => row.finding.rule === 'NBS-PKL-010')!;
    const scopes = waiverScopes(trans, own);
    expect(scopes.choices[scopes.preferred].scope).toEqual({
      kind: 'file',
      sha256:
        'f9c0fe31866e9a30863b5ce8627c7bb3e3d36ea99c7979ded378eeefbdae6a1b',
      path: 'evil.pkl'
    });
  });

  it('offers the frame column first for personal data', () => {
    const { kinds, labels, preferred } = offered('NBS-PII-001', () => true);
    expect(kinds).toEqual(['finding', 'column', 'rule', 'rule']);
    expect(labels[1]).toBe('Column email of customers');
    expect(preferred).toEqual({
      kind: 'column',
      frame: 'customers',
      column: 'email'
    });
  });

  it('offers the finding itself first for code in a cell', () => {
    const { kinds, preferred } = offered('NBS-PKL-001', path => path === null);
    expect(kinds).toEqual(['finding', 'rule', 'rule']);
    expect(preferred.kind).toBe('finding');
  });
});
