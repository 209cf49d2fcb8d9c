"""Outputs showing a secret environment variable's value (NBS-SEC-007), in a real kernel: every
kind of output is looked at as it is produced, the finding names the variable and the value's hash,
and the value itself is nowhere nbsec writes (finding, state, metadata, ledger, comm messages)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.kernel.harness import Execution, Kernel

pytestmark = pytest.mark.kernel

TOKEN = "tok_9fQ2xLr7VbN4kP8sW1zD6yH3"
DSN = "postgresql://etl:Wq83hZ@warehouse:5432/sales"
ENV = {
    "MY_API_TOKEN": TOKEN,
    "DB_PASSWORD": "hunter2",
    "SERVICE_TOKEN": "abc12",  # too short to tell from ordinary text
    "SESSION_TOKEN": "aaaaaaaaaaaa",  # not random: no secret under a bare *TOKEN name
    "PLOT_PALETTE": "q8Zr4Lm2Xv7Nk1Pw9Ts3",  # random-looking, but not a secret's name
    "WAREHOUSE_DSN": DSN,  # a secret only because the policy lists it
}
VALUES = (TOKEN, "hunter2", DSN, "n3wS3cr3tValu3_f0r_th3_t3st")
HANDSHAKE = {"type": "handshake", "v": 2, "payload": {"client": "t", "protocol": 2}}
FINDINGS = """\
import json
from nbsec.kernel.extension import current
print(json.dumps([f for f in current().state.to_state()["findings"]
                  if f["rule"] == "NBS-SEC-007"]))"""


@pytest.fixture
def kernel(tmp_path: Path) -> Iterator[Kernel]:
    (tmp_path / "nbsec.toml").write_text('[secrets]\nenv = ["WAREHOUSE_DSN"]\n')
    k = Kernel(cwd=tmp_path, env=ENV)
    try:
        assert k.execute("%load_ext nbsec").status == "ok"
        yield k
    finally:
        k.stop()


def leaks(kernel: Kernel) -> list[dict[str, Any]]:
    out = kernel.execute(FINDINGS)
    assert out.status == "ok", out.error
    found: list[dict[str, Any]] = json.loads(out.stdout)
    return found


def variables(found: list[dict[str, Any]]) -> set[str]:
    return {f["message"].split("environment variable ")[1].split()[0] for f in found}


def inline(out: Execution) -> str:
    return "\n".join(json.dumps(r) for r in out.results if "nbsec" in json.dumps(r))


@pytest.mark.parametrize(
    ("code", "kind", "names"),
    [
        ('import os\nprint(os.environ["MY_API_TOKEN"])', "stream", {"MY_API_TOKEN"}),
        (
            'import os, sys\nsys.stderr.write("pw=" + os.environ["DB_PASSWORD"])',
            "stream",
            {"DB_PASSWORD"},
        ),
        ('import os\nprint(os.environ["WAREHOUSE_DSN"])', "stream", {"WAREHOUSE_DSN"}),
        ('import os\nos.environ["MY_API_TOKEN"]', "result", {"MY_API_TOKEN"}),
        (
            "import os\nfrom IPython.display import HTML, display\n"
            "display(HTML(f\"<b>{os.environ['MY_API_TOKEN']}</b>\"))",
            "display",
            {"MY_API_TOKEN"},
        ),
        (
            'import os\nraise RuntimeError("bad token " + os.environ["MY_API_TOKEN"])',
            "error",
            {"MY_API_TOKEN"},
        ),
        # the value written in two pieces, and base64-encoded as in a Basic auth header
        (
            'import os, sys\nv = os.environ["MY_API_TOKEN"]\n'
            "sys.stdout.write(v[:10]); sys.stdout.write(v[10:])",
            "stream",
            {"MY_API_TOKEN"},
        ),
        (
            'import os, base64\nprint(base64.b64encode(os.environ["MY_API_TOKEN"].encode()))',
            "stream",
            {"MY_API_TOKEN"},
        ),
        # set in the same cell that prints it
        (
            'import os\nos.environ["NEW_SECRET_KEY"] = "n3wS3cr3tValu3_f0r_th3_t3st"\n'
            'print(os.environ["NEW_SECRET_KEY"])',
            "stream",
            {"NEW_SECRET_KEY"},
        ),
        # not secrets: a random value under another name, a short and a plain one, a name only
        ('import os\nprint(os.environ["PLOT_PALETTE"])', "stream", set()),
        (
            'import os\nprint(os.environ["SERVICE_TOKEN"], os.environ["SESSION_TOKEN"])',
            "stream",
            set(),
        ),
        ('print("MY_API_TOKEN is set")', "stream", set()),
    ],
)
def test_outputs_showing_a_secret_are_flagged(
    kernel: Kernel, code: str, kind: str, names: set[str]
) -> None:
    out = kernel.execute(code)
    assert (out.status == "error") == (kind == "error")
    found = leaks(kernel)
    assert variables(found) == names
    for finding in found:
        assert finding["severity"] == "critical"
        location = finding["location"]
        assert location["cell_id"] and location["output_index"] is not None
        (name,) = variables([finding])
        assert re.fullmatch(rf"{name} \(sha256:[0-9a-f]{{16}}\)", finding["evidence"])
    if names:
        assert "NBS-SEC-007" in inline(out)
    else:
        assert inline(out) == ""
    everything = json.dumps(found) + inline(out)
    assert not any(value in everything for value in VALUES)


def test_the_value_is_nowhere_nbsec_writes(kernel: Kernel, tmp_path: Path) -> None:
    comm = kernel.comm_open("nbsec", HANDSHAKE)
    messages = [kernel.comm_next(comm)[1]]
    out = kernel.execute('import os\nprint("token:", os.environ["MY_API_TOKEN"])')
    assert TOKEN in out.stdout  # the output itself is the user's and goes out unchanged
    kernel.comm_send(comm, {"type": "get_state", "v": 2, "payload": {}})
    while True:
        try:
            data = kernel.comm_next(comm, timeout=5)[1]
        except TimeoutError:
            break
        messages.append(data)
    sent = json.dumps(messages)
    assert "NBS-SEC-007" in sent  # the panel heard of it
    metadata = next(m for m in messages if m.get("type") == "get_state")["payload"]["metadata"]
    assert "NBS-SEC-007" in metadata["rules"]
    summary = kernel.execute(
        "import json\nfrom nbsec.kernel.extension import current\n"
        "print(json.dumps(current().state.summary()))"
    )
    written = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert written  # the ledger
    for text in (sent, json.dumps(metadata), summary.stdout, *written):
        assert TOKEN not in text


def test_a_failing_watcher_never_breaks_the_output(kernel: Kernel) -> None:
    broken = (
        "from nbsec.kernel.extension import current\n"
        "watch = current().engine('outputs')\n"
        "def boom(*a):\n    raise RuntimeError('boom')\n"
        "watch._record = boom"
    )
    assert kernel.execute(broken).status == "ok"
    out = kernel.execute('import os\nprint("still here", os.environ["MY_API_TOKEN"])')
    assert out.status == "ok"
    assert f"still here {TOKEN}" in out.stdout
    assert "internal error in outputs.stream" in out.stderr


def test_off_stops_the_search_and_unload_removes_every_wrapper(kernel: Kernel) -> None:
    kernel.execute("%nbsec off")
    kernel.execute('import os\nprint(os.environ["MY_API_TOKEN"])')
    kernel.execute("%nbsec on")
    assert leaks(kernel) == []
    check = kernel.execute(
        "%unload_ext nbsec\n"
        "import os, sys\n"
        "ip = get_ipython()\n"
        "hooks = (sys.stdout.write, sys.stderr.write, ip.display_pub.publish,\n"
        "         ip.displayhook.write_format_data, ip._showtraceback)\n"
        "print(type(os.environ).__name__, *(h.__name__ for h in hooks))"
    )
    names = check.stdout.split()
    assert names[0] == "_Environ"
    assert len(names) == 6 and not any(n.startswith("nbsec") for n in names)
