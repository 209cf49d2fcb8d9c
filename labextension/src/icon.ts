/** The shield icon of the nbsec sidebar tab. */

import { LabIcon } from '@jupyterlab/ui-components';

import shieldSvgStr from '../style/icons/shield.svg';

export const shieldIcon = new LabIcon({
  name: 'nbsec:shield',
  svgstr: shieldSvgStr
});
