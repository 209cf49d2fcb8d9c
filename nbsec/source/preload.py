"""One-time start-up of notebook scanning, paid once per batch rather than once per worker.

``nbsec scan``'s forkserver imports this module before it forks any worker
(``run_batch(..., preload=...)``): it scans the small notebook of :mod:`nbsec.warm_up`,
which imports and warms what a scan needs (the rule registry, IPython's input transformer, the
PII engine with presidio's recognizers and its name and place lists). Every worker forked
afterwards starts warm. Importing it anywhere else is harmless: it only fills caches.
"""

from __future__ import annotations


def warm_up() -> None:
    """Scan one throw-away notebook; a failure here only means the workers warm up themselves."""
    from nbsec.commands.light_imports import without_unused_frameworks
    from nbsec.policy import Policy
    from nbsec.source.scanner import scan_notebook_file
    from nbsec.warm_up import warm_up_notebook

    try:
        policy = Policy()
        with warm_up_notebook() as notebook, without_unused_frameworks(policy):
            scan_notebook_file(notebook, policy=policy)
    except Exception:  # noqa: S110 - a cache that stays cold is not an error
        pass


warm_up()
