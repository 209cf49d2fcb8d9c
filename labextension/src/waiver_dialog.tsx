/**
 * The "Allow…" dialog: the user picks exactly what the waiver covers and gives a reason (which
 * is required, and the dialog says so), then sees what the kernel says that waiver would cover
 * (a dry run: how many findings, whether it lets a file load) before confirming.
 *
 * The scopes offered come from the finding (`waiver_scopes.ts`).
 */

import { Dialog, showDialog } from '@jupyterlab/apputils';
import { ReactWidget } from '@jupyterlab/ui-components';
import React from 'react';

import { IFindingRow } from './finding_rows';
import { WaiverScope } from './kernel_state';
import { IAllowResult } from './protocol';
import { Trans } from './translate';
import { IScopeChoice, waiverScopes } from './waiver_scopes';

/** What the user chose. */
export interface IWaiverChoice {
  readonly scope: WaiverScope;
  readonly reason: string;
  /** `YYYY-MM-DD`, or '' for none. */
  readonly expires: string;
}

class WaiverForm
  extends ReactWidget
  implements Dialog.IBodyWidget<IWaiverChoice>
{
  constructor(
    private readonly _trans: Trans,
    private readonly _choices: readonly IScopeChoice[],
    private _selected: number,
    private _reason: string,
    private _expires: string,
    private readonly _missingReason: boolean
  ) {
    super();
    this.addClass('jp-NbsecWaiverForm');
  }

  getValue(): IWaiverChoice {
    return {
      scope: this._choices[this._selected].scope,
      reason: this._reason.trim(),
      expires: this._expires
    };
  }

  get selected(): number {
    return this._selected;
  }

  protected render(): JSX.Element {
    const trans = this._trans;
    const missing = this._missingReason && !this._reason.trim();
    return (
      <form onSubmit={event => event.preventDefault()}>
        <fieldset className="jp-NbsecWaiverForm-scopes">
          <legend>{trans.__('What to allow')}</legend>
          {this._choices.map((choice, index) => (
            <label key={index} className="jp-NbsecWaiverForm-scope">
              <input
                type="radio"
                name="nbsec-waiver-scope"
                data-testid={`nbsec-waiver-scope-${index}`}
                data-kind={choice.scope.kind}
                checked={index === this._selected}
                onChange={() => {
                  this._selected = index;
                  this.update();
                }}
              />
              <span>
                <span className="jp-NbsecWaiverForm-scopeLabel">
                  {choice.label}
                </span>
                <span className="jp-NbsecWaiverForm-scopeHelp">
                  {choice.description}
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
            aria-invalid={missing}
            value={this._reason}
            placeholder={trans.__('why this is acceptable')}
            onChange={event => {
              this._reason = event.target.value;
              this.update();
            }}
          />
        </label>
        <label className="jp-NbsecWaiverForm-reason">
          <span>{trans.__('Until (optional):')}</span>
          <input
            type="date"
            className="jp-mod-styled"
            data-testid="nbsec-waiver-expires"
            value={this._expires}
            onChange={event => {
              this._expires = event.target.value;
              this.update();
            }}
          />
        </label>
        {missing && (
          <div className="jp-NbsecWaiverForm-error" role="alert">
            {trans.__('A reason is required: nothing was allowed.')}
          </div>
        )}
      </form>
    );
  }
}

class WaiverReview extends ReactWidget {
  constructor(
    private readonly _trans: Trans,
    private readonly _choice: IScopeChoice,
    private readonly _reason: string,
    private readonly _preview: IAllowResult
  ) {
    super();
    this.addClass('jp-NbsecWaiverForm');
  }

  protected render(): JSX.Element {
    const trans = this._trans;
    const preview = this._preview;
    return (
      <div data-testid="nbsec-waiver-review">
        <p className="jp-NbsecWaiverForm-scopeLabel">{this._choice.label}</p>
        <p data-testid="nbsec-waiver-covers-preview">
          {trans.__('Covers: %1', preview.waiver.covers)}
        </p>
        <p data-testid="nbsec-waiver-count-preview">
          {trans._n(
            'It hides %1 finding now.',
            'It hides %1 findings now.',
            preview.covers.length
          )}
        </p>
        <p data-testid="nbsec-waiver-admits-preview">
          {preview.waiver.admitsFile
            ? trans.__('It lets this file load.')
            : trans.__('It does not let any file load.')}
        </p>
        <p>{trans.__('Reason: %1', this._reason)}</p>
      </div>
    );
  }
}

/**
 * Asks what to allow and why, shows what the kernel says that waiver covers, and resolves with
 * the confirmed choice, or null when the user cancelled (or the kernel refused the dry run).
 */
export async function askWaiver(
  trans: Trans,
  row: IFindingRow,
  preview: (choice: IWaiverChoice) => Promise<IAllowResult | null>
): Promise<IWaiverChoice | null> {
  const { choices, preferred } = waiverScopes(trans, row);
  let selected = preferred;
  let reason = '';
  let expires = '';
  let missingReason = false;
  for (;;) {
    const form = new WaiverForm(
      trans,
      choices,
      selected,
      reason,
      expires,
      missingReason
    );
    const result = await showDialog<IWaiverChoice>({
      title: trans.__('Allow %1: %2', row.finding.rule, row.finding.title),
      body: form,
      buttons: [
        Dialog.cancelButton({ label: trans.__('Cancel') }),
        Dialog.okButton({ label: trans.__('Review…') })
      ],
      focusNodeSelector: 'input[data-testid="nbsec-waiver-reason"]'
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    const choice = result.value;
    selected = form.selected;
    reason = choice.reason;
    expires = choice.expires;
    if (!choice.reason) {
      missingReason = true;
      continue;
    }
    const dryRun = await preview(choice);
    if (dryRun === null) {
      return null; // the kernel refused; the panel shows why
    }
    const review = await showDialog({
      title: trans.__('Allow %1?', row.finding.rule),
      body: new WaiverReview(trans, choices[selected], choice.reason, dryRun),
      buttons: [
        Dialog.cancelButton({ label: trans.__('Back') }),
        Dialog.okButton({ label: trans.__('Allow') })
      ]
    });
    if (review.button.accept) {
      return choice;
    }
    missingReason = false;
  }
}
