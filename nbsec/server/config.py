"""The server extension's configuration (traitlets), e.g. ``--NbsecServer.pre_save=refuse``."""

from __future__ import annotations

from traitlets import Enum, List, Unicode
from traitlets.config import Configurable


class NbsecServer(Configurable):
    """nbsec inside a Jupyter server."""

    pre_save = Enum(
        ["off", "redact", "refuse", "policy"],
        default_value="off",
        config=True,
        help=(
            "What to do before a notebook is saved. off: nothing. redact: mask the personal "
            "data and secrets found in outputs, markdown and metadata (as `nbsec redact`). "
            "refuse: fail the save with a message naming what was found. policy: what the "
            "notebook's policy says ([tool.nbsec.redact] on_save, default redact)."
        ),
    )
    pre_save_only = List(
        Unicode(),
        default_value=[],
        config=True,
        help="Families the pre-save hook acts on: PII, SEC (default: both, or the policy's).",
    )
