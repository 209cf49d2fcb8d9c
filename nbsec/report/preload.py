"""One-time start-up of report building, paid once per batch rather than once per worker.

The batch runner's forkserver imports this module before it forks any worker
(``run_batch(..., preload=...)``): it builds the report of the small notebook of
:mod:`nbsec.warm_up`, which imports and warms everything a report needs (the package index, the
rule registry, IPython's input transformer, the PII engine with presidio's recognizers and its
name and place lists, the page template, the BOM library). Every worker forked afterwards starts
warm. Importing it anywhere else is harmless: it only fills caches.
"""

from __future__ import annotations


def warm_up() -> None:
    """Build one throw-away report; a failure here only means the workers warm up themselves."""
    from nbsec.policy import Policy
    from nbsec.report.generate import generate
    from nbsec.warm_up import warm_up_notebook

    try:
        with warm_up_notebook() as notebook:
            generate(notebook, html=True, confine=str(notebook.parent), policy=Policy())
    except Exception:  # noqa: S110 - a cache that stays cold is not an error
        pass


warm_up()
