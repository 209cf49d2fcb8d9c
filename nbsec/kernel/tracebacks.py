"""Tracebacks without nbsec in them: an error that passed through nbsec's wrappers (a blocked
load, a loader's own error) shows the user's frames and the one-line reason, not the guard's
machinery.

IPython lets one handler take over the display of chosen exception types
(``InteractiveShell.set_custom_exc``). nbsec installs one for every ``Exception`` when no other
handler is installed: a traceback with no frame inside the nbsec package is shown exactly as
IPython would; otherwise nbsec's frames are cut out of it and the rest is shown the same way. If
the handler ever failed, IPython would drop it and fall back to its own display.
"""

from __future__ import annotations

import os
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def without_nbsec_frames(tb: types.TracebackType | None) -> types.TracebackType | None:
    """The same traceback with every frame of nbsec's own code left out."""
    frames: list[types.TracebackType] = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR):
            frames.append(tb)
        tb = tb.tb_next
    out: types.TracebackType | None = None
    for item in reversed(frames):
        out = types.TracebackType(out, item.tb_frame, item.tb_lasti, item.tb_lineno)
    return out


def _has_nbsec_frames(tb: types.TracebackType | None) -> bool:
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR):
            return True
        tb = tb.tb_next
    return False


def _show(
    shell: InteractiveShell,
    etype: type[BaseException],
    value: BaseException,
    tb: types.TracebackType | None,
    tb_offset: int | None = None,
) -> None:
    if _has_nbsec_frames(tb):
        tb = without_nbsec_frames(tb)
        if value.__context__ is not None and _only_nbsec(value.__context__):
            value.__suppress_context__ = True
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset, running_compiled_code=True)


def _only_nbsec(exc: BaseException) -> bool:
    """An exception nbsec raised and handled on the way (never the user's)."""
    tb = exc.__traceback__
    return tb is not None and all(
        f.tb_frame.f_code.co_filename.startswith(PACKAGE_DIR) for f in _walk(tb)
    )


def _walk(tb: types.TracebackType | None) -> list[types.TracebackType]:
    out = []
    while tb is not None:
        out.append(tb)
        tb = tb.tb_next
    return out


class CleanTracebacks:
    """Installs and removes the handler on one shell."""

    def __init__(self, shell: InteractiveShell) -> None:
        self._shell = shell
        self.installed = False

    def install(self) -> bool:
        shell: Any = self._shell
        if getattr(shell, "custom_exceptions", ()) != ():
            return False  # someone else's handler: leave it alone
        shell.set_custom_exc((Exception,), _show)
        self.installed = True
        return True

    def uninstall(self) -> None:
        shell: Any = self._shell
        if self.installed and shell.custom_exceptions == (Exception,):
            shell.set_custom_exc((), None)
        self.installed = False
