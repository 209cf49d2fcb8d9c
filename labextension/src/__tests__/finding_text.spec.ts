/** The words the panel uses for locations, hashes and the frames of personal-data findings. */

import {
  describeLocation,
  frameColumnOf,
  ruleFamily,
  shortHash
} from '../finding_text';
import { IFindingLocation } from '../kernel_state';
import { trans } from './helpers';

const NOWHERE: IFindingLocation = {
  path: null,
  cellId: null,
  cellIndex: null,
  executionCount: null,
  line: null,
  outputIndex: null
};

describe('describeLocation', () => {
  const CASES: [Partial<IFindingLocation>, number | null, string][] = [
    [{ cellId: 'abc', line: 5 }, 3, 'cell 3, line 5'],
    // the notebook's position wins over the execution count
    [{ cellId: 'abc', executionCount: 9 }, 2, 'cell 2'],
    [{ cellId: 'gone', executionCount: 9 }, null, 'cell [9]'],
    // a 0-based index is shown 1-based
    [{ cellIndex: 0, line: 1 }, null, 'cell 1, line 1'],
    [{ cellIndex: 3, outputIndex: 0 }, null, 'cell 4, output 1'],
    [{ path: 'models/evil.pkl' }, null, 'evil.pkl'],
    [{ cellId: 'frame:customers' }, null, 'frame customers'],
    [{}, null, 'kernel session']
  ];
  it.each(CASES)('%j in cell %s reads "%s"', (location, number, expected) => {
    expect(describeLocation(trans, { ...NOWHERE, ...location }, number)).toBe(
      expected
    );
  });
});

describe('frameColumnOf', () => {
  const CASES: [string, unknown][] = [
    [
      "frame 'customers' column 'email' holds EMAIL_ADDRESS (100% of 2000)",
      { frame: 'customers', column: 'email' }
    ],
    [
      "frame 'df' column \"it's\" holds PERSON",
      { frame: 'df', column: "it's" }
    ],
    ["frame 'df' column 'a\\'b' holds PERSON", { frame: 'df', column: "a'b" }],
    ["frame 'df' holds data", { frame: 'df', column: null }],
    ['table column holds EMAIL_ADDRESS', null],
    ["frame 'unterminated", null]
  ];
  it.each(CASES)('%s', (message, expected) => {
    expect(frameColumnOf(message)).toEqual(expected);
  });
});

describe('short forms', () => {
  it('cuts hashes to 12 hex digits, with or without the prefix', () => {
    const hex =
      'f9c0fe31866e9a30863b5ce8627c7bb3e3d36ea99c7979ded378eeefbdae6a1b';
    expect(shortHash(hex)).toBe('f9c0fe31866e');
    expect(shortHash(`sha256:${hex}`)).toBe('f9c0fe31866e');
  });

  it('knows the rule families', () => {
    expect(ruleFamily('NBS-PKL-010')).toBe('PKL');
    expect(ruleFamily('NBS-XYZ-001')).toBe('other');
    expect(ruleFamily('<img>')).toBe('other');
  });
});
