/**
 * The "Allow…" dialog: the user picks exactly what the waiver covers (shown before confirming,
 * narrowest first) and gives a reason, which is required and recorded.
 *
 * The scopes offered are those the kernel can record (`waiverScopes`): a file by its sha256 for
 * a finding about a file, then the finding's whole rule, then its whole family. A scope wider
 * than one file says so in plain words.
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { IFindingRow } from './finding_rows';
import { baseName, shortHash } from './finding_text';
import { Trans } from './translate';

/** One choice of what a waiver covers. */
export interface IWaiverScope {
  /** What the kernel is asked to allow (`allow` request's `target`). */
  readonly target: string;
  /** Short name of the choice. */
  readonly label: string;
  /** What it covers, and what it does not, in a sentence. */
  readonly description: string;
}

/** The scopes a waiver for this finding can have, narrowest first. */
export function waiverScopes(trans: Trans, row: IFindingRow): IWaiverScope[] {
  const finding = row.finding;
  const scopes: IWaiverScope[] = [];
  const sha = row.model?.sha256 ?? null;
  if (sha) {
    const hex = sha.replace(/^sha256:/, '');
    const name = row.model?.path ? baseName(row.model.path) : hex.slice(0, 12);
    scopes.push({
      target: hex,
      label: trans.__('This file only: %1 (sha256 %2)', name, shortHash(hex)),
      description: trans.__(
        'Allows exactly this content. Another file, or this file changed, is still checked.'
      )
    });
  }
  scopes.push({
    target: finding.rule,
    label: trans.__('Every %1 finding in this session', finding.rule),
    description:
      row.family === 'PII'
        ? trans.__(
            'Hides personal-data findings of %1 in every frame and column, including frames made later.',
            finding.rule
          )
        : trans.__(
            'Hides every finding of %1 (%2) in this session, in every cell and file.',
            finding.rule,
            finding.title
          )
  });
  const family = /^(NBS-[A-Z]+)-\d+$/.exec(finding.rule)?.[1];
  if (family) {
    scopes.push({
      target: family,
      label: trans.__('Every %1 finding in this session', `${family}-*`),
      description: trans.__(
        'Hides every finding of every %1 rule in this session.',
        family
      )
    });
  }
  return scopes;
}

/** What the user chose. */
export interface IWaiverChoice {
  readonly target: string;
  readonly reason: string;
}

class WaiverForm
  extends ReactWidget
  implements Dialog.IBodyWidget<IWaiverChoice>
{
  constructor(
    private readonly _trans: Trans,
    private readonly _scopes: readonly IWaiverScope[],
    private _choice: IWaiverChoice,
    private readonly _missingReason: boolean
  ) {
    super();
    this.addClass('jp-NbsecWaiverForm');
  }

  getValue(): IWaiverChoice {
    return this._choice;
  }

  protected render(): JSX.Element {
    const trans = this._trans;
    const choice = this._choice;
    const update = (next: Partial<IWaiverChoice>): void => {
      this._choice = { ...this._choice, ...next };
      this.update();
    };
    return (
      <form onSubmit={event => event.preventDefault()}>
        <fieldset className="jp-NbsecWaiverForm-scopes">
          <legend>{trans.__('What to allow')}</legend>
          {this._scopes.map((scope, index) => (
            <label key={scope.target} className="jp-NbsecWaiverForm-scope">
              <input
                type="radio"
                name="nbsec-waiver-scope"
                value={scope.target}
                data-testid={`nbsec-waiver-scope-${index}`}
                checked={choice.target === scope.target}
                onChange={() => update({ target: scope.target })}
              />
              <span>
                <span className="jp-NbsecWaiverForm-scopeLabel">
                  {scope.label}
                </span>
                <span className="jp-NbsecWaiverForm-scopeHelp">
                  {scope.description}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
        <label className="jp-NbsecWaiverForm-reason">
          <span>
            {trans.__('Reason (required), recorded with the waiver:')}
          </span>
          <input
            type="text"
            className="jp-mod-styled"
            data-testid="nbsec-waiver-reason"
            required
            aria-required="true"
            aria-invalid={this._missingReason && !choice.reason.trim()}
            value={choice.reason}
            placeholder={trans.__('why this is acceptable')}
            onChange={event => update({ reason: event.target.value })}
          />
        </label>
        {this._missingReason && !choice.reason.trim() && (
          <div className="jp-NbsecWaiverForm-error" role="alert">
            {trans.__('A reason is required: nothing was allowed.')}
          </div>
        )}
      </form>
    );
  }
}

/**
 * Asks what to allow and why. Resolves with the choice, or null when the user cancelled; an
 * empty reason shows the dialog again with the requirement in red.
 */
export async function askWaiver(
  trans: Trans,
  row: IFindingRow
): Promise<IWaiverChoice | null> {
  const scopes = waiverScopes(trans, row);
  let choice: IWaiverChoice = { target: scopes[0].target, reason: '' };
  let missingReason = false;
  for (;;) {
    const result = await showDialog<IWaiverChoice>({
      title: trans.__('Allow %1', row.finding.rule),
      body: new WaiverForm(trans, scopes, choice, missingReason),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Allow') })
      ],
      focusNodeSelector: 'input[data-testid="nbsec-waiver-reason"]'
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    choice = result.value;
    if (choice.reason.trim()) {
      return { target: choice.target, reason: choice.reason.trim() };
    }
    missingReason = true;
  }
}
