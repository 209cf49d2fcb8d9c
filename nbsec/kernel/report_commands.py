"""The governance report: ``%nbsec report [PATH]`` and the panel's ``report`` request.

Both call ``nbsec.build_report`` once this nbsec has it; until then the magic says so in one
line and the request answers ``error_code: "unavailable"`` (the handshake lists ``report`` in
its features only when it is there).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from nbsec.kernel.command_table import MagicCommand, RequestError, RequestHandler, parser

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext

_NOT_YET = "the governance report builder is not part of this version yet"


def report_available() -> bool:
    import nbsec

    return "build_report" in dir(nbsec)


def report(context: FrontEndContext, argv: list[str]) -> None:
    args = parser("report")
    args.add_argument("path", nargs="?")
    args.parse_args(argv)
    print(
        f"nbsec: {_NOT_YET}; use %nbsec status, %nbsec scan, %nbsec models and %nbsec lineage "
        "meanwhile.",
        file=sys.stderr,
    )


def report_request(context: FrontEndContext, payload: dict[str, Any]) -> dict[str, Any]:
    raise RequestError(_NOT_YET, "unavailable")


MAGICS: dict[str, MagicCommand] = {"report": report}
REQUESTS: dict[str, RequestHandler] = {"report": report_request}
