"""What the panel receives: the session state, the status, and the ``metadata.nbsec`` summary."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext


def status(context: FrontEndContext) -> dict[str, Any]:
    """The mode the kernel enforces, whether it watches, and the policy file in effect."""
    policy = context.policy.effective_policy()
    return {
        "mode": policy.mode,
        "enabled": context.policy.enabled,
        "policy_file": str(policy.source) if policy.source else None,
    }


def state_payload(context: FrontEndContext) -> dict[str, Any]:
    """The payload of ``get_state`` replies and ``update`` events."""
    state = context.state.to_state()
    state["status"] = status(context)
    return {"state": state, "metadata": context.state.summary()}
