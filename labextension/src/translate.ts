/**
 * The translator as the panel's pure modules see it: the part of JupyterLab's translation bundle
 * they use, so they can be tested without JupyterLab.
 */

import type { TranslationBundle } from '@jupyterlab/translation';

/** The part of JupyterLab's translation bundle the panel uses. */
export type Trans = Pick<TranslationBundle, '__' | '_n'>;
