"""What the panel receives: the session state and the ``metadata.nbsec`` summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext


def state_payload(context: FrontEndContext) -> dict[str, Any]:
    """The payload of ``get_state`` replies: the whole state, and the summary for
    ``metadata.nbsec``."""
    return {"state": context.state.to_state(), "metadata": context.state.summary()}
