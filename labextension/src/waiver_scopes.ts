/**
 * The scopes a waiver for one finding can have: the finding itself; the file it is about, by
 * sha256 (the only scope that lets a file load); the frame column it is about; its rule; its
 * family. Narrowest first; the narrowest that does what the finding calls for is preselected
 * (the file for a finding about a loaded file, the column for personal data in a frame).
 */

import { IFindingRow } from './finding_rows';
import { baseName, shortHash } from './finding_text';
import { WaiverScope } from './kernel_state';
import { Trans } from './translate';

/** One choice of what a waiver covers. */
export interface IScopeChoice {
  readonly scope: WaiverScope;
  /** Short name of the choice. */
  readonly label: string;
  /** What it covers, and what it does not, in a sentence. */
  readonly description: string;
}

/** The scopes a waiver for this finding can have (narrowest first) and the one to preselect. */
export function waiverScopes(
  trans: Trans,
  row: IFindingRow
): { choices: IScopeChoice[]; preferred: number } {
  const finding = row.finding;
  const subject = finding.subject;
  const choices: IScopeChoice[] = [];
  let preferred = 0;
  if (finding.fingerprint) {
    choices.push({
      scope: { kind: 'finding', fingerprint: finding.fingerprint },
      label: trans.__('This finding only'),
      description: trans.__(
        'Hides this one finding. It never lets a file load; anything else is still reported.'
      )
    });
  }
  const sha = subject?.sha256 ?? row.model?.sha256 ?? null;
  if (sha) {
    const path = subject?.path ?? row.model?.path ?? null;
    const name = path ? baseName(path) : shortHash(sha);
    const dangerous = row.model?.verdict === 'dangerous';
    if (!dangerous) {
      preferred = choices.length; // what a blocked file of the user's own calls for
    }
    choices.push({
      scope: path
        ? { kind: 'file', sha256: sha, path }
        : { kind: 'file', sha256: sha },
      label: trans.__('This file only: %1 (sha256 %2)', name, shortHash(sha)),
      description: dangerous
        ? trans.__(
            'Lets exactly this content load, although nbsec found that loading it can run code. Choose this only for a file you made and know. Any other file is still checked and blocked as before.'
          )
        : trans.__(
            'Lets exactly this content load and hides its findings. Any other file, or this file changed, is still checked and blocked as before.'
          )
    });
  }
  const frame = subject?.frame ?? row.frame?.frame ?? null;
  const column = subject?.column ?? row.frame?.column ?? null;
  if (frame && column) {
    preferred = choices.length;
    choices.push({
      scope: { kind: 'column', frame, column },
      label: trans.__('Column %1 of %2', column, frame),
      description: trans.__(
        'Hides personal-data findings on this column of this frame only. Other columns and frames are still scanned and reported.'
      )
    });
  }
  choices.push({
    scope: { kind: 'rule', rule: finding.rule },
    label: trans.__('Every %1 finding', finding.rule),
    description: trans.__(
      'Hides every finding of %1 (%2), in every cell, frame and file. It never lets a file load.',
      finding.rule,
      finding.title
    )
  });
  const family = /^(NBS-[A-Z]+)-\d+$/.exec(finding.rule)?.[1];
  if (family) {
    choices.push({
      scope: { kind: 'rule', rule: family },
      label: trans.__('Every %1 finding', `${family}-*`),
      description: trans.__(
        'Hides every finding of every %1 rule. It never lets a file load.',
        family
      )
    });
  }
  return { choices, preferred };
}
