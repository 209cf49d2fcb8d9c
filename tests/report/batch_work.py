"""Work functions for the batch runner tests (importable by spawned worker processes)."""

from __future__ import annotations

import os
import time

from nbsec.errors import InputError


def square_or_fail(item: str) -> int:
    """``"3"`` -> 9; ``"bad"`` raises a one-line input error; ``"boom"`` an internal error;
    ``"die"`` kills the worker process; ``"slow:N"`` sleeps N/10 s first."""
    if item == "bad":
        raise InputError(f"{item}: not a readable input")
    if item == "boom":
        raise ZeroDivisionError("division by zero\nsecond line never shown")
    if item == "die":
        os._exit(17)
    if item.startswith("slow:"):
        time.sleep(int(item.split(":")[1]) / 10)
        return int(item.split(":")[1]) ** 2
    return int(item) ** 2


def pid_of_worker(item: str) -> int:
    return os.getpid()


def is_imported(module: str) -> bool:
    """Whether ``module`` was imported in this worker before its first item."""
    import sys

    return module in sys.modules
