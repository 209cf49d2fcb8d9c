"""Fault injection: whichever nbsec hook fails, the user's cell runs and returns normally."""

from __future__ import annotations

import pytest

from tests.kernel.harness import Kernel

pytestmark = pytest.mark.kernel

HANDSHAKE = {"type": "handshake", "v": 2, "payload": {"client": "t", "protocol": 2}}
BOOM = "def boom(*a, **k):\n    raise RuntimeError('injected fault')\n"

# (what breaks, code that breaks it inside the kernel, the engine.hook named in the report)
FAULTS = [
    (
        "source rules",
        "import nbsec.source.scanner as m\nm.check_cell_source = boom",
        "source.pre_run_cell",
    ),
    # the engine's evidence collection, which every frame scan (inline or background) runs
    ("PII engine", "import nbsec.pii.evidence as m\nm.collect = boom", "frames.post_run_cell"),
    (
        "frame queue",
        "import nbsec.pii.frame_queue as m\nm.FrameScanQueue.observe = boom",
        "frames.post_run_cell",
    ),
    (
        "lineage tracker",
        "from nbsec.kernel.extension import current\n"
        "current().engine('lineage').tracker.post_run_cell = boom",
        "lineage.post_run_cell",
    ),
    (
        "guard reporting",
        "import nbsec.kernel.load_watch as m\nm.LoadWatch._record = boom",
        "guard.report",
    ),
    (
        "panel update",
        "from nbsec.kernel.session_state import SessionState as m\nm.delta = boom",
        "panel update",
    ),
]

CELL = """\
import pickle, pandas as pd
data = pickle.loads(pickle.dumps({"a": 1}))
frame = pd.DataFrame({"email": ["a@example.com", "b@example.org"], "n": [1, 2]})
int(frame.assign(total=frame.n.sum())["total"].iloc[0]) + data["a"]
"""


@pytest.mark.parametrize(("what", "inject", "where"), FAULTS, ids=[f[0] for f in FAULTS])
def test_cell_runs_when_a_hook_fails(kernel: Kernel, what: str, inject: str, where: str) -> None:
    kernel.execute("%load_ext nbsec")
    # with a panel connected, so every cell also pushes an update
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    assert kernel.comm_next(comm)[1]["success"] is True
    setup = kernel.execute(BOOM + inject)
    assert setup.status == "ok", setup.error
    out = kernel.execute(CELL)
    assert out.status == "ok", out.error
    assert out.value == "4"
    reported = setup.stderr + out.stderr
    assert f"nbsec: internal error in {where} (RuntimeError: injected fault)" in reported
    assert "Traceback" not in reported
    # the next cell is not interrupted by the same report again
    again = kernel.execute(CELL)
    assert again.status == "ok"
    assert again.value == "4"
    assert "injected fault" not in again.stderr
