"""nbsec and Python's cyclic garbage collector in a real kernel: loading does not bring a full
collection (tens of milliseconds in a kernel of 10,000 variables) into the user's next cells."""

from __future__ import annotations

import pytest

from tests.kernel.harness import Kernel

pytestmark = pytest.mark.kernel

WATCH_COLLECTIONS = (
    "import gc as _gc_t\n"
    "_gc_t_cell = [0]\n"
    "_gc_t_full = []  # cells in which a full collection ran\n"
    "def _gc_t_pre(info):\n"
    "    _gc_t_cell[0] += 1\n"
    "def _gc_t_callback(phase, info):\n"
    "    if phase == 'stop' and info['generation'] == 2:\n"
    "        _gc_t_full.append(_gc_t_cell[0])\n"
    "get_ipython().events.register('pre_run_cell', _gc_t_pre)\n"
    "_gc_t.callbacks.append(_gc_t_callback)\n"
    # another tool that looks at every variable after each cell (as the lineage benchmark's own
    # frame check does): objects that live for a while, so the young generations promote some
    "def _gc_t_post(result):\n"
    "    _gc_t_items = list(get_ipython().user_ns.items())\n"
    "get_ipython().events.register('post_run_cell', _gc_t_post)\n"
)


def test_no_full_collection_in_the_cells_after_load(kernel: Kernel) -> None:
    kernel.execute(WATCH_COLLECTIONS, silent=True)
    assert kernel.execute("%load_ext nbsec").status == "ok"
    kernel.execute("for _i in range(10_000):\n    globals()[f'v{_i}'] = _i")
    first = int(kernel.execute("print(_gc_t_cell[0])").stdout) + 1
    # without the collection at load, nbsec's own objects (its modules, about 10,000) reach the
    # collector's trigger for a full collection in about the seventh of these cells
    for i in range(20):
        assert kernel.execute(f"x{i} = v{i} + {i}").status == "ok"
    full = [int(c) for c in kernel.execute("print(*_gc_t_full)").stdout.split()]
    assert [c for c in full if c >= first] == [], f"full collections in cells {full}; {first=}"
    # the one of the load ran on the time of the %load_ext cell (the first cell)
    assert full == [1]
