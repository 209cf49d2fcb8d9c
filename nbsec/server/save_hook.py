"""The opt-in pre-save hook: a notebook holding personal data or secrets is redacted before it is
written, or its save is refused, as configured (``NbsecServer.pre_save``) or as the notebook's
policy says (``[tool.nbsec.redact] on_save``).

Registered with ``ContentsManager.register_pre_save_hook``. Jupyter lets a save go through when a
hook raises anything but a tornado ``HTTPError``, so every outcome that must stop the save is an
``HTTPError`` with a message JupyterLab shows: a refusal (409, naming what was found, by cell and
rule, never the values) and nbsec's own failure to check the notebook (500: fail closed, the file
is not written unchecked). Redaction replaces ``model["content"]`` with the redacted notebook and
records what was masked in ``metadata.nbsec.redactions``, exactly as ``nbsec redact`` does; the
notebook open in the browser still shows the values until it is reloaded.
"""

from __future__ import annotations

import os
from typing import Any

from tornado.web import HTTPError

from nbsec.server.config import NbsecServer


def install_pre_save_hook(contents_manager: Any, config: NbsecServer) -> None:
    def nbsec_pre_save(model: dict[str, Any], path: str, contents_manager: Any, **_: Any) -> None:
        pre_save(model, path, contents_manager, config)

    contents_manager.register_pre_save_hook(nbsec_pre_save)


def _policy_for(contents_manager: Any, path: str) -> Any:
    from nbsec.policy import Policy, load_policy

    root = getattr(contents_manager, "root_dir", None)
    if not isinstance(root, str):
        return Policy()
    real_root = os.path.realpath(root)
    os_path = os.path.realpath(os.path.join(real_root, *path.strip("/").split("/")))
    if os.path.commonpath([real_root, os_path]) != real_root:
        return Policy()
    return load_policy(os_path)


def pre_save(model: dict[str, Any], path: str, contents_manager: Any, config: NbsecServer) -> None:
    """Redact or refuse ``model`` (a contents model about to be saved at ``path``)."""
    if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    try:
        outcome, action = _check(model, path, contents_manager, config)
    except HTTPError:
        raise
    except Exception as exc:  # fail closed: an unchecked notebook is not written
        raise HTTPError(
            500,
            f"nbsec could not check {path} for personal data and secrets before saving "
            f"({type(exc).__name__}); it was not saved. Set NbsecServer.pre_save=off to save "
            "without the check.",
        ) from None
    if outcome is None or outcome.document is None:
        return
    if action == "refuse":
        raise HTTPError(409, _refusal(path, outcome))
    import nbformat

    model["content"] = nbformat.from_dict(outcome.document)  # type: ignore[no-untyped-call]


def _check(
    model: dict[str, Any], path: str, contents_manager: Any, config: NbsecServer
) -> tuple[Any, str]:
    import json

    from nbsec.source.notebook import parse_document
    from nbsec.source.redaction import redact_notebook

    policy = _policy_for(contents_manager, path)
    action = config.pre_save if config.pre_save != "policy" else policy.redact.on_save
    only = tuple(config.pre_save_only) or policy.redact.only
    document = json.loads(json.dumps(model["content"]))
    notebook = parse_document(document, path)
    outcome = redact_notebook(notebook, policy, only=only, render_block=_render_block)
    return outcome, action


def _render_block(findings: tuple[Any, ...]) -> dict[str, Any]:
    from nbsec.commands.redact import render_block

    return render_block(findings)


def _refusal(path: str, outcome: Any) -> str:
    from nbsec.source.redaction import family

    marks = [m for p in outcome.plans for m in p.marks]
    places: dict[str, set[str]] = {}
    for mark in marks:
        places.setdefault(mark.site.place(mark.start), set()).add(mark.rule)
    shown = "; ".join(f"{place}: {', '.join(sorted(r))}" for place, r in list(places.items())[:5])
    more = f" and {len(places) - 5} more place(s)" if len(places) > 5 else ""
    kinds = sorted({"personal data" if family(m.rule) == "PII" else "secrets" for m in marks})
    return (
        f"nbsec refused to save {path}: it holds {' and '.join(kinds) or 'stale findings'} "
        f"({shown}{more}). Clear those outputs, run `nbsec redact {path}`, or waive the "
        "findings in the policy, then save again."
    )
