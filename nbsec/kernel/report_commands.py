"""The governance report: ``%nbsec report [PATH]`` and the panel's ``report`` request."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from nbsec.kernel.command_table import MagicCommand, RequestError, RequestHandler, parser

if TYPE_CHECKING:
    from nbsec.kernel.context import FrontEndContext

_NOT_YET = "the governance report builder is not part of this version yet"


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
    raise RequestError(_NOT_YET)


MAGICS: dict[str, MagicCommand] = {"report": report}
REQUESTS: dict[str, RequestHandler] = {"report": report_request}
